"""Are the fixture submissions of every assignment graded as they should be, item by item?

tests/submissions/<assignment>.py holds the answer cells of realistic submissions:
known-wrong ones, each with one mistake on one item, and correct ones in other styles
than the solution's. The check-level tests run those answer cells through the hidden
checks without a kernel: fast, and they name the check that went wrong. The grader
tests grade them as whole notebooks, one run of the real grader per assignment.
"""

import functools

import pytest

from autograder.checks import run_checks
from tests.submissions import (
    UNTOUCHED_RELEASE,
    answers_other_items_call,
    broken_answers,
    cases,
    copy_release,
    defining_items,
    exec_answers,
    grade_ids,
    release_stubs,
    tables,
    visible_failures,
    write_submissions,
)

SOLUTION = "solution"
OTHER_ANSWERS_BROKEN = "other-answers-broken"  # every answer that another item calls raises
TABLES = tables()
# the floor the issues set for every assignment
MIN_KNOWN_WRONG = 20
MIN_ALTERNATIVE_CORRECT = 8


def full_marks(assignment) -> dict:
    """name -> answer cells of every submission that must get full marks."""
    return {SOLUTION: {}, **TABLES[assignment].ALTERNATIVE_CORRECT}


def known_wrong(assignment) -> dict:
    return TABLES[assignment].KNOWN_WRONG


def submissions(assignment) -> dict:
    """name -> answer cells of every submission graded as a whole notebook."""
    return {**full_marks(assignment), **{name: v.answers for name, v in known_wrong(assignment).items()}}


def mentions(messages, keyword) -> bool:
    return any(keyword.lower() in message.lower() for message in messages)


def check_results(assignment, answers) -> dict:
    """Every item's CheckResult for the notebook with these answer cells (the solution's elsewhere)."""
    namespace = exec_answers(assignment, answers)
    return {grade_id: run_checks(assignment, grade_id, namespace) for grade_id in grade_ids(assignment)}


# ---------------------------------------------------------------- the tables


@pytest.mark.parametrize("assignment", TABLES)
def test_tables_cover_every_item(assignment):
    """Are there known-wrong submissions for every item (as many as the table says), 20 in all, and 8 correct styles?"""
    table = TABLES[assignment]
    per_item = {grade_id: [v.item for v in table.KNOWN_WRONG.values()].count(grade_id)
                for grade_id in grade_ids(assignment)}
    assert set(table.MIN_KNOWN_WRONG_PER_ITEM) == set(per_item)
    assert all(per_item[grade_id] >= max(1, least) for grade_id, least in table.MIN_KNOWN_WRONG_PER_ITEM.items()), \
        per_item
    assert len(table.KNOWN_WRONG) >= MIN_KNOWN_WRONG
    assert len(table.ALTERNATIVE_CORRECT) >= MIN_ALTERNATIVE_CORRECT


@pytest.mark.parametrize("assignment", TABLES)
def test_tables_do_not_share_names(assignment):
    """Is every submission's name, which becomes its student id, used once only?"""
    table = TABLES[assignment]
    names = [SOLUTION, UNTOUCHED_RELEASE, *table.ALTERNATIVE_CORRECT, *table.KNOWN_WRONG, *table.CHECK_LEVEL_WRONG]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("assignment", "name"), cases(submissions))
def test_submission_gets_past_the_visible_checks(assignment, name):
    """Do the known-wrong and the correct submissions pass every visible check, so the hidden ones judge them?"""
    assert visible_failures(assignment, submissions(assignment)[name]) == {}


@pytest.mark.parametrize(("assignment", "name"), cases(lambda a: TABLES[a].CHECK_LEVEL_WRONG))
def test_check_level_mistake_cannot_be_shown_on_its_item_alone(assignment, name):
    """Is a mistake kept out of the graded notebooks for a reason: a visible check stops it, or another item loses?"""
    mistake = TABLES[assignment].CHECK_LEVEL_WRONG[name]
    if mistake.item in visible_failures(assignment, mistake.answers):
        return
    results = check_results(assignment, mistake.answers)
    assert any(result.fraction < 1 for grade_id, result in results.items() if grade_id != mistake.item)


# ---------------------------------------------------------------- check level: the tables against the hidden checks


@pytest.mark.parametrize(("assignment", "name"), cases(known_wrong))
def test_known_wrong_answers_lose_points_on_their_item_only(assignment, name):
    """Do the hidden checks take points off a known-wrong answer on its item, naming the mistake, and on no other?"""
    variant = known_wrong(assignment)[name]
    results = check_results(assignment, variant.answers)
    own = results.pop(variant.item)
    assert own.fraction < 1
    assert mentions(own.messages, variant.keyword), own.messages
    assert {grade_id: result.messages for grade_id, result in results.items() if result.fraction < 1} == {}


@pytest.mark.parametrize(("assignment", "name"), cases(full_marks))
def test_correct_answers_pass_every_check(assignment, name):
    """Do the hidden checks give full marks on every item to the solution and to each other correct style?"""
    results = check_results(assignment, full_marks(assignment)[name])
    assert {grade_id: result.messages for grade_id, result in results.items() if result.fraction < 1} == {}


@pytest.mark.parametrize("assignment", TABLES)
def test_release_stubs_pass_no_check(assignment):
    """Do the release's stubs, run as "Run All" runs them, earn nothing on any item?"""
    namespace = exec_answers(assignment, release_stubs(assignment), allow_errors=True)
    fractions = {grade_id: run_checks(assignment, grade_id, namespace).fraction for grade_id in grade_ids(assignment)}
    assert fractions == dict.fromkeys(grade_ids(assignment), 0.0)


# ---------------------------------------------------------------- the grader, on whole notebooks


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Per assignment, every submission and the untouched release graded in one run of the grader: student -> result."""

    @functools.cache
    def grade(assignment):
        from autograder.grade import grade_paths

        folder = tmp_path_factory.mktemp(f"submissions-{assignment}")
        broken = broken_answers(assignment, answers_other_items_call(assignment))
        write_submissions(folder, {**submissions(assignment), OTHER_ANSWERS_BROKEN: broken}, assignment=assignment)
        copy_release(folder, assignment)
        return {result.student: result for result in grade_paths([folder], assignment=assignment, workers=2)}

    return grade


def items(result) -> dict:
    return {item.grade_id: item for item in result.items}


def lost_points(item_results) -> dict[str, list[str]]:
    """The items that did not earn all their points, with their messages."""
    return {grade_id: item.messages for grade_id, item in item_results.items() if item.points < item.max_points}


@pytest.mark.parametrize("assignment", TABLES)
def test_grader_grades_every_submission(graded, assignment):
    """Does the grader give one result per notebook, named after its file, with every autograded item?"""
    results = graded(assignment)
    assert set(results) == {*submissions(assignment), OTHER_ANSWERS_BROKEN, UNTOUCHED_RELEASE}
    assert all(set(items(result)) == set(grade_ids(assignment)) for result in results.values())


@pytest.mark.parametrize(("assignment", "name"), cases(known_wrong))
def test_grader_takes_points_off_a_known_wrong_submission_on_its_item_only(graded, assignment, name):
    """Does a known-wrong notebook score below the maximum on its item, with the mistake named, and full elsewhere?"""
    variant = known_wrong(assignment)[name]
    item_results = items(graded(assignment)[name])
    own = item_results.pop(variant.item)
    assert own.points < own.max_points
    assert mentions(own.messages, variant.keyword), own.messages
    assert lost_points(item_results) == {}


@pytest.mark.parametrize(("assignment", "name"), cases(full_marks))
def test_grader_gives_full_marks_to_a_correct_submission(graded, assignment, name):
    """Does the solution, and each correct notebook in another style, get full marks on every item?"""
    result = graded(assignment)[name]
    assert lost_points(items(result)) == {}
    assert {item.status for item in result.items} == {"passed"}
    assert result.points == result.max_points


@pytest.mark.parametrize("assignment", TABLES)
def test_grader_grades_items_independently(graded, assignment):
    """When every answer that another item calls raises, do those answers' items lose points and no other item,
    through the visible checks as well as the hidden ones?"""
    owners = defining_items(assignment)
    broken = {owners[name] for name in answers_other_items_call(assignment)}
    lost = lost_points(items(graded(assignment)[OTHER_ANSWERS_BROKEN]))
    assert set(lost) == broken, lost


@pytest.mark.parametrize("assignment", TABLES)
def test_grader_gives_the_untouched_release_nothing(graded, assignment):
    """Does the untouched release get zero on every item, each reported as not attempted?"""
    result = graded(assignment)[UNTOUCHED_RELEASE]
    assert {grade_id: (item.points, item.status) for grade_id, item in items(result).items()} == \
        dict.fromkeys(grade_ids(assignment), (0.0, "not attempted"))
