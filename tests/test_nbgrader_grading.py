"""Does real nbgrader grade the bundled example submissions through the hidden-check seam?

Each assignment has three examples: ada hands in the solutions, ben the untouched
release, and cleo makes a few deliberate mistakes (her answer cells that differ from
the solutions').
"""

import html
import logging
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
from nbgrader.api import Gradebook
from nbgrader.converters import GenerateFeedback

from autograder import build, course, grade, nbgrader_grading, notebooks, prepare
from tests.conftest import ASSIGNMENTS, ROOT
from tests.submissions import SOLUTION_MARKERS, solution_answers

EXAMPLES = ROOT / "examples" / "submitted"
SCORE_COLUMNS = ("autograded", "of", "written, graded by hand")
# nbconvert's accessibility note on the notebooks' plots: not the kit's to silence


class GradedCourse(NamedTuple):
    assignment: str
    course: Path
    table: pd.DataFrame
    warnings: list[str]  # what nbgrader logged at level WARNING or above while it autograded and wrote feedback


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def example_scores(request, tmp_path_factory) -> GradedCourse:
    """nbgrader's table of the examples of one assignment, with the course folder it graded in."""
    assignment = request.param
    folder = tmp_path_factory.mktemp(f"course-{assignment}")
    gradebook = folder / "gradebook.db"
    build.build_release(assignment, output_root=folder, gradebook=gradebook)
    students = nbgrader_grading.collect(EXAMPLES, assignment, root=folder)
    assert students == ["ada", "ben", "cleo"]
    with nbgrader_warnings() as warnings:
        table = nbgrader_grading.autograde(assignment, gradebook=gradebook, output_root=folder)
    return GradedCourse(assignment, folder, table, warnings)


@contextmanager
def nbgrader_warnings() -> Iterator[list[str]]:
    """The warnings nbgrader logs meanwhile: its converters and preprocessors log to the `traitlets` logger."""
    messages: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    recorder = Recorder(level=logging.WARNING)
    logging.getLogger("traitlets").addHandler(recorder)
    try:
        yield messages
    finally:
        logging.getLogger("traitlets").removeHandler(recorder)


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
    table = example_scores.table
    assert table.loc["ada", "autograded"] == table.loc["ada", "of"] > 0


def test_untouched_release_gets_zero(example_scores):
    """Does the untouched release get zero on every autograded item?"""
    table = example_scores.table
    assert (table.loc["ben", items(table)] == 0).all()


def test_each_mistake_costs_points_on_its_own_item_only(example_scores):
    """Does cleo lose points exactly on the items where she made a mistake (and make some)?"""
    assignment, table = example_scores.assignment, example_scores.table
    lost = {item for item in items(table) if table.loc["cleo", item] < table.loc["ada", item]}
    assert lost == cleo_mistakes(assignment) != set()


def test_feedback_names_the_failed_concept_without_the_hidden_region(example_scores):
    """Does cleo's feedback page carry the hidden checks' message for each mistake, without the hidden region?"""
    assignment = example_scores.assignment
    page = feedback_page(example_scores, "cleo")
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
    assignment, table = example_scores.assignment, example_scores.table
    for result in grade.grade_paths([EXAMPLES], assignment, workers=2):
        if result.assignment != assignment:
            continue
        for item in result.items:
            assert table.loc[result.student, item.grade_id] == pytest.approx(item.points, abs=0.005), (
                result.student, item.grade_id)


def feedback_page(graded: GradedCourse, student: str) -> str:
    return (graded.course / "feedback" / student / graded.assignment / f"{graded.assignment}.html").read_text()


def written_items(assignment: str) -> list[str]:
    """The grade ids of the written answers: markdown cells graded by hand."""
    return [notebooks.grade_id(cell) for cell in notebooks.read(course.source_notebook(assignment)).cells
            if cell.cell_type == "markdown" and notebooks.nbgrader_of(cell).get("grade")]


def shown(points: float) -> str:
    """A number as the feedback page shows it (Jinja's `float | round(2)`)."""
    return str(round(float(points), 2))


def test_a_clean_run_warns_of_nothing(example_scores):
    """Do the untouched examples autograde and get feedback without a warning (jupyter/nbgrader#1961: every
    test cell with hidden tests used to be reported as a changed locked cell; issue 14)?"""
    assert example_scores.warnings == []  # nbconvert's "Alternative text is missing" included: plots are described


def test_written_answers_await_hand_grading_in_feedback(example_scores):
    """Does the feedback say "to be graded by hand" for each written answer, never "0.0", and keep their points
    out of the score so far (issue 14)?"""
    page, table = feedback_page(example_scores, "ada"), example_scores.table
    written = written_items(example_scores.assignment)
    for grade_id in written:
        assert re.search(f'<a href="#{grade_id}">Written response: [^<]+</a> \\(Score: to be graded by hand / 1.0\\)',
                         page), grade_id
    assert "</a> (Score: 0.0" not in page.split("Written response", 1)[1]
    assert page.count("Score: to be graded by hand") == 2 * len(written)  # the list at the top and the cell
    assert f"Score so far: {shown(table.loc['ada', 'autograded'])} / {shown(table.loc['ada', 'of'])}" in page
    assert f"written answers worth {shown(table.loc['ada', 'written, graded by hand'].split()[0])} points" in page


def test_feedback_names_items_by_their_question(example_scores):
    """Does the feedback name each graded cell by its question as the notebook asks it ("3.2 (a) Complete
    build_optimizer ..."), never by the instructor's grade id (issue 14)?"""
    page = feedback_page(example_scores, "cleo")
    found = prepare.questions(prepare.template(example_scores.assignment))
    assert "Grade cell:" not in page
    for grade_id, question in found.items():
        if question.label and not grade_id.endswith("_answer") and f'name="{grade_id}"' in page:
            assert html.escape(f"{question.label} {question.title}", quote=False) in page, grade_id


def test_feedback_shows_no_result_value_under_test_cells(example_scores):
    """Is the partial credit that a test cell returns kept out of the feedback ("Out[6]: 0.75"), where the
    cell's heading already gives the score (issue 14)?"""
    page = feedback_page(example_scores, "cleo")
    test_cells = [cell for cell in page.split('<div class="cell border-box-sizing')[1:] if "Checks of " in cell]
    assert test_cells
    assert not [cell for cell in test_cells if "Out[" in cell]


ONE_COURSE_ASSIGNMENT = "regularization"


@pytest.fixture(scope="module")
def tampered_course(tmp_path_factory) -> tuple[GradedCourse, str]:
    """A course of its own where ada hands in her notebook with one assert of a locked test cell weakened."""
    assignment = ONE_COURSE_ASSIGNMENT
    folder = tmp_path_factory.mktemp("tampered-course")
    gradebook = folder / "gradebook.db"
    build.build_release(assignment, output_root=folder, gradebook=gradebook)
    notebook = notebooks.read(EXAMPLES / "ada" / assignment / f"{assignment}.ipynb")
    test_cell = next(cell for cell in notebook.cells if cell.cell_type == "code" and "assert " in cell.source
                     and notebooks.nbgrader_of(cell).get("grade") and not notebooks.nbgrader_of(cell).get("solution"))
    test_cell.source = test_cell.source.replace("assert ", "assert True or ", 1)
    (folder / "handed-in" / "ada" / assignment).mkdir(parents=True)
    notebooks.write(notebook, folder / "handed-in" / "ada" / assignment / f"{assignment}.ipynb")
    nbgrader_grading.collect(folder / "handed-in", assignment, root=folder)
    with nbgrader_warnings() as warnings:
        table = nbgrader_grading.autograde(assignment, gradebook=gradebook, output_root=folder)
    return GradedCourse(assignment, folder, table, warnings), notebooks.grade_id(test_cell)


def test_a_changed_locked_cell_is_named_and_graded_as_released(tampered_course):
    """Is a test cell the student changed named in a warning, and graded as the gradebook has it, hidden
    tests included?"""
    graded, grade_id = tampered_course
    assert [message for message in graded.warnings if grade_id in message and "differs from the release" in message]
    autograded = notebooks.read(graded.course / "autograded" / "ada" / graded.assignment / f"{graded.assignment}.ipynb")
    source = notebooks.read(course.source_notebook(graded.assignment))
    [graded_cell] = [cell for cell in autograded.cells if notebooks.grade_id(cell) == grade_id]
    [source_cell] = [cell for cell in source.cells if notebooks.grade_id(cell) == grade_id]
    assert graded_cell.source == source_cell.source
    assert "BEGIN HIDDEN TESTS" in graded_cell.source


def test_feedback_shows_a_written_answer_once_graded_by_hand(tampered_course):
    """Once an instructor has graded a written answer (the formgrader sets its manual score), does regenerated
    feedback show its score, and keep the others to be graded by hand?"""
    graded, _ = tampered_course
    first, *others = written_items(graded.assignment)
    config = course.config(gradebook=graded.course / "gradebook.db", output_root=graded.course)
    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gradebook:
        answer = gradebook.find_grade(first, graded.assignment, graded.assignment, "ada")
        answer.manual_score = 1
        gradebook.db.commit()
    course.run(GenerateFeedback, graded.assignment, config, student="ada")
    page = feedback_page(graded, "ada")
    assert re.search(f'<a href="#{first}">Written response: [^<]+</a> \\(Score: 1.0 / 1.0\\)', page)
    assert page.count("Score: to be graded by hand") == 2 * len(others)


def test_nbgrader_example_releases_before_it_grades():
    """Does `make nbgrader-example` work from a fresh clone: forget old submissions, then write the release
    and the gradebook's assignments (which autograding needs), then grade (issue 14)?"""
    dry_run = subprocess.run(["make", "--dry-run", "nbgrader-example"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.splitlines()

    def first(command: str) -> int:
        return next(number for number, line in enumerate(dry_run) if command in line)

    assert first("rm -rf submitted autograded feedback") < first("autograder.build release") < first(
        "autograder.nbgrader_grading")
