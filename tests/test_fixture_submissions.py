"""Are the fixture submissions of `regularization` graded as they should be, item by item?

tests/submissions/regularization.py holds the answer cells of realistic submissions:
known-wrong ones, each with one mistake on one item, and correct ones in other styles
than the solution's. The check-level tests run those answer cells through the hidden
checks without a kernel: fast, and they name the check that went wrong. The grader
tests grade them as whole notebooks, all in one run of the real grader.
"""

import pytest

from autograder.checks import run_checks
from autograder.checks.registry import checks_for
from tests.submissions import (
    UNTOUCHED_RELEASE,
    copy_release,
    exec_answers,
    release_stubs,
    visible_checks,
    write_submissions,
)
from tests.submissions.regularization import ALTERNATIVE_CORRECT, ASSIGNMENT, CHECK_LEVEL_WRONG, KNOWN_WRONG

SOLUTION = "solution"
FULL_MARKS = {SOLUTION: {}, **ALTERNATIVE_CORRECT}  # name -> answer cells
SUBMISSIONS = {**FULL_MARKS, **{name: variant.answers for name, variant in KNOWN_WRONG.items()}}
GRADE_IDS = tuple(checks_for(ASSIGNMENT))


def mentions(messages, keyword) -> bool:
    return any(keyword.lower() in message.lower() for message in messages)


def check_results(answers) -> dict:
    """Every item's CheckResult for the notebook with these answer cells (the solution's elsewhere)."""
    namespace = exec_answers(ASSIGNMENT, answers)
    return {grade_id: run_checks(ASSIGNMENT, grade_id, namespace) for grade_id in GRADE_IDS}


def visible_failures(answers) -> dict[str, str]:
    """The items whose visible checks (the released test cells) fail for these answer cells, with the error."""
    failures = {}
    for grade_id, source in visible_checks(ASSIGNMENT).items():
        try:
            exec(compile(source, f"<{grade_id} visible checks>", "exec"), exec_answers(ASSIGNMENT, answers))
        except Exception as error:  # a failing assert or a crash: the cell fails either way
            failures[grade_id] = f"{type(error).__name__}: {error}"
    return failures


# ---------------------------------------------------------------- the tables


def test_tables_cover_every_item():
    """Are there 32 known-wrong submissions or more, three per item (two for grid_size), and 12 correct styles?"""
    per_item = {grade_id: [v.item for v in KNOWN_WRONG.values()].count(grade_id) for grade_id in GRADE_IDS}
    assert all(count >= (2 if grade_id == "grid_size" else 3) for grade_id, count in per_item.items()), per_item
    assert len(KNOWN_WRONG) >= 32
    assert len(ALTERNATIVE_CORRECT) >= 12


def test_tables_do_not_share_names():
    """Is every submission's name, which becomes its student id, used once only?"""
    names = [SOLUTION, UNTOUCHED_RELEASE, *ALTERNATIVE_CORRECT, *KNOWN_WRONG, *CHECK_LEVEL_WRONG]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_submission_gets_past_the_visible_checks(name):
    """Do the known-wrong and the correct submissions pass every visible check, so the hidden ones judge them?"""
    assert visible_failures(SUBMISSIONS[name]) == {}


@pytest.mark.parametrize("name", CHECK_LEVEL_WRONG)
def test_check_level_mistake_cannot_be_shown_on_its_item_alone(name):
    """Is a mistake kept out of the graded notebooks for a reason: a visible check stops it, or another item loses?"""
    mistake = CHECK_LEVEL_WRONG[name]
    if mistake.item in visible_failures(mistake.answers):
        return
    results = check_results(mistake.answers)
    assert any(result.fraction < 1 for grade_id, result in results.items() if grade_id != mistake.item)


# ---------------------------------------------------------------- check level: the tables against the hidden checks


@pytest.mark.parametrize("name", KNOWN_WRONG)
def test_known_wrong_answers_lose_points_on_their_item_only(name):
    """Do the hidden checks take points off a known-wrong answer on its item, naming the mistake, and on no other?"""
    variant = KNOWN_WRONG[name]
    results = check_results(variant.answers)
    own = results.pop(variant.item)
    assert own.fraction < 1
    assert mentions(own.messages, variant.keyword), own.messages
    assert {grade_id: result.messages for grade_id, result in results.items() if result.fraction < 1} == {}


@pytest.mark.parametrize("name", FULL_MARKS)
def test_correct_answers_pass_every_check(name):
    """Do the hidden checks give full marks on every item to the solution and to each other correct style?"""
    results = check_results(FULL_MARKS[name])
    assert {grade_id: result.messages for grade_id, result in results.items() if result.fraction < 1} == {}


def test_release_stubs_pass_no_check():
    """Do the release's stubs, run as "Run All" runs them, earn nothing on any item?"""
    namespace = exec_answers(ASSIGNMENT, release_stubs(ASSIGNMENT), allow_errors=True)
    fractions = {grade_id: run_checks(ASSIGNMENT, grade_id, namespace).fraction for grade_id in GRADE_IDS}
    assert fractions == dict.fromkeys(GRADE_IDS, 0.0)


# ---------------------------------------------------------------- the grader, on whole notebooks


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every submission, the untouched release included, graded in one run of the grader: student -> result."""
    from autograder.grade import grade_paths

    folder = tmp_path_factory.mktemp("submissions")
    write_submissions(folder, SUBMISSIONS, assignment=ASSIGNMENT)
    copy_release(folder, ASSIGNMENT)
    return {result.student: result for result in grade_paths([folder], assignment=ASSIGNMENT, workers=2)}


def items(result) -> dict:
    return {item.grade_id: item for item in result.items}


def lost_points(item_results) -> dict[str, list[str]]:
    """The items that did not earn all their points, with their messages."""
    return {grade_id: item.messages for grade_id, item in item_results.items() if item.points < item.max_points}


def test_grader_grades_every_submission(graded):
    """Does the grader give one result per notebook, named after its file, with every autograded item?"""
    assert set(graded) == {*SUBMISSIONS, UNTOUCHED_RELEASE}
    assert all(set(items(result)) == set(GRADE_IDS) for result in graded.values())


@pytest.mark.parametrize("name", KNOWN_WRONG)
def test_grader_takes_points_off_a_known_wrong_submission_on_its_item_only(graded, name):
    """Does a known-wrong notebook score below the maximum on its item, with the mistake named, and full elsewhere?"""
    variant = KNOWN_WRONG[name]
    item_results = items(graded[name])
    own = item_results.pop(variant.item)
    assert own.points < own.max_points
    assert mentions(own.messages, variant.keyword), own.messages
    assert lost_points(item_results) == {}


@pytest.mark.parametrize("name", FULL_MARKS)
def test_grader_gives_full_marks_to_a_correct_submission(graded, name):
    """Does the solution, and each correct notebook in another style, get full marks on every item?"""
    result = graded[name]
    assert lost_points(items(result)) == {}
    assert {item.status for item in result.items} == {"passed"}
    assert result.points == result.max_points


def test_grader_gives_the_untouched_release_nothing(graded):
    """Does the untouched release get zero on every item, each reported as not attempted?"""
    result = graded[UNTOUCHED_RELEASE]
    assert {grade_id: (item.points, item.status) for grade_id, item in items(result).items()} == \
        dict.fromkeys(GRADE_IDS, (0.0, "not attempted"))
