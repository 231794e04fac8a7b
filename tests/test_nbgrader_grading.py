"""Does real nbgrader grade the bundled example submissions through the hidden-check seam?"""

import pytest

from autograder import build, grade, nbgrader_grading
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "submitted"
# cleo's four deliberate mistakes: AdamW, a penalty without the 1/2, best_net = net, a sum instead of a product
CLEO_MISTAKES = {"build_optimizer", "l2_penalty", "BestModelTracker", "grid_size"}


@pytest.fixture(scope="module")
def example_scores(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    gradebook = course / "gradebook.db"
    build.build_release("regularization", output_root=course, gradebook=gradebook)
    students = nbgrader_grading.collect(EXAMPLES, "regularization", root=course)
    assert students == ["ada", "ben", "cleo"]
    table = nbgrader_grading.autograde("regularization", gradebook=gradebook, output_root=course)
    return course, table


def test_solutions_get_every_autograded_point(example_scores):
    """Does the submission holding the solutions get full autograded marks from nbgrader?"""
    _, table = example_scores
    assert table.loc["ada", "autograded"] == table.loc["ada", "of"] == 11


def test_untouched_release_gets_zero(example_scores):
    """Does the untouched release get zero on every autograded item?"""
    _, table = example_scores
    items = [column for column in table.columns if column not in ("autograded", "of", "written, graded by hand")]
    assert (table.loc["ben", items] == 0).all()


def test_each_mistake_costs_points_on_its_own_item_only(example_scores):
    """Does cleo lose points exactly on the four items where she made a mistake?"""
    _, table = example_scores
    items = [column for column in table.columns if column not in ("autograded", "of", "written, graded by hand")]
    lost = {item for item in items if table.loc["cleo", item] < table.loc["ada", item]}
    assert lost == CLEO_MISTAKES


def test_feedback_names_the_failed_concept_without_the_hidden_region(example_scores):
    """Does the feedback page say what went wrong, without the hidden test region's markers?"""
    course, _ = example_scores
    page = (course / "feedback" / "cleo" / "regularization" / "regularization.html").read_text()
    assert "AdamW" in page and "not a copy" in page
    assert "BEGIN HIDDEN TESTS" not in page
    assert "grade_cell" not in page


def test_nbgrader_and_the_standalone_grader_give_the_same_scores(example_scores):
    """Does `nbgrader autograde` give every example submission the same points per item as our grader?"""
    _, table = example_scores
    for result in grade.grade_paths([EXAMPLES], "regularization", workers=2):
        for item in result.items:
            assert table.loc[result.student, item.grade_id] == pytest.approx(item.points, abs=0.005), (
                result.student, item.grade_id)
