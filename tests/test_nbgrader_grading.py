"""Does real nbgrader grade the bundled example submissions through the hidden-check seam?

Each assignment has three examples: ada hands in the solutions, ben the untouched
release, and cleo makes a few deliberate mistakes (her answer cells that differ from
the solutions').
"""

import subprocess

import pytest

from autograder import build, grade, nbgrader_grading, notebooks
from tests.conftest import ASSIGNMENTS, ROOT
from tests.submissions import SOLUTION_MARKERS, solution_answers

EXAMPLES = ROOT / "examples" / "submitted"
SCORE_COLUMNS = ("autograded", "of", "written, graded by hand")


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def example_scores(request, tmp_path_factory):
    """nbgrader's table of the examples of one assignment, with the course folder it graded in."""
    assignment = request.param
    course = tmp_path_factory.mktemp(f"course-{assignment}")
    gradebook = course / "gradebook.db"
    build.build_release(assignment, output_root=course, gradebook=gradebook)
    students = nbgrader_grading.collect(EXAMPLES, assignment, root=course)
    assert students == ["ada", "ben", "cleo"]
    table = nbgrader_grading.autograde(assignment, gradebook=gradebook, output_root=course)
    return assignment, course, table


def items(table) -> list[str]:
    return [column for column in table.columns if column not in SCORE_COLUMNS]


def cleo_mistakes(assignment) -> set[str]:
    """The items whose answer cells cleo wrote differently from the solutions."""
    notebook = notebooks.read(EXAMPLES / "cleo" / assignment / f"{assignment}.ipynb")
    solutions = solution_answers(assignment)
    return {notebooks.grade_id(cell).removesuffix("_answer") for cell in notebook.cells
            if notebooks.grade_id(cell) in solutions
            and _code_lines(cell.source) != _code_lines(solutions[notebooks.grade_id(cell)])}


def _code_lines(source: str) -> list[str]:
    """The lines of an answer cell that matter, without nbgrader's solution markers and blank lines."""
    return [line.rstrip() for line in source.splitlines() if line.strip() and line.strip() not in SOLUTION_MARKERS]


def test_solutions_get_every_autograded_point(example_scores):
    """Does the submission holding the solutions get full autograded marks from nbgrader?"""
    _, _, table = example_scores
    assert table.loc["ada", "autograded"] == table.loc["ada", "of"] > 0


def test_untouched_release_gets_zero(example_scores):
    """Does the untouched release get zero on every autograded item?"""
    _, _, table = example_scores
    assert (table.loc["ben", items(table)] == 0).all()


def test_each_mistake_costs_points_on_its_own_item_only(example_scores):
    """Does cleo lose points exactly on the items where she made a mistake (and make some)?"""
    assignment, _, table = example_scores
    lost = {item for item in items(table) if table.loc["cleo", item] < table.loc["ada", item]}
    assert lost == cleo_mistakes(assignment) != set()


def test_feedback_names_the_failed_concept_without_the_hidden_region(example_scores):
    """Does cleo's feedback page carry the hidden checks' message for each mistake, without the hidden region?"""
    assignment, course, _ = example_scores
    page = (course / "feedback" / "cleo" / assignment / f"{assignment}.html").read_text()
    cleo = next(result for result in grade.grade_paths([EXAMPLES / "cleo"], assignment, workers=1))
    for item in cleo.items:
        if item.points < item.max_points:
            assert any(_html_text(message)[-30:] in page for message in item.messages), (item.grade_id, item.messages)
    assert "BEGIN HIDDEN TESTS" not in page
    assert "grade_cell" not in page


def _html_text(message: str) -> str:
    """A message as it appears in nbgrader's HTML page (which escapes markup characters)."""
    return message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")


def test_nbgrader_and_the_standalone_grader_give_the_same_scores(example_scores):
    """Does `nbgrader autograde` give every example submission the same points per item as our grader?"""
    assignment, _, table = example_scores
    for result in grade.grade_paths([EXAMPLES], assignment, workers=2):
        if result.assignment != assignment:
            continue
        for item in result.items:
            assert table.loc[result.student, item.grade_id] == pytest.approx(item.points, abs=0.005), (
                result.student, item.grade_id)


def test_nbgrader_example_releases_before_it_grades():
    """Does `make nbgrader-example` work from a fresh clone: forget old submissions, then write the release
    and the gradebook's assignments (which autograding needs), then grade (issue 14)?"""
    dry_run = subprocess.run(["make", "--dry-run", "nbgrader-example"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.splitlines()

    def first(command: str) -> int:
        return next(number for number, line in enumerate(dry_run) if command in line)

    assert first("rm -rf submitted autograded feedback") < first("autograder.build release") < first(
        "autograder.nbgrader_grading")
