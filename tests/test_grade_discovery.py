"""Does the grader find every notebook to grade, with the right student and assignment?"""

import pytest

from autograder import grade

KNOWN = ["cnn_regularization", "penalties", "regularization"]


@pytest.fixture(autouse=True)
def _three_assignments(monkeypatch):
    monkeypatch.setattr(grade, "assignments", lambda: KNOWN)


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    return path


def _found(submissions):
    return sorted((s.student, s.assignment, s.shown_as) for s in submissions)


def test_submitted_tree_gives_each_notebook_its_student_and_assignment(tmp_path):
    """In nbgrader's STUDENT/ASSIGNMENT/x.ipynb layout, is each notebook its folder's student's and assignment's?"""
    _touch(tmp_path / "ada" / "penalties" / "penalties.ipynb")
    _touch(tmp_path / "ada" / "regularization" / "regularization.ipynb")
    _touch(tmp_path / "ben" / "penalties" / "penalties.ipynb")
    assert _found(grade.discover([tmp_path])) == [
        ("ada", "penalties", "ada/penalties/penalties.ipynb"),
        ("ada", "regularization", "ada/regularization/regularization.ipynb"),
        ("ben", "penalties", "ben/penalties/penalties.ipynb"),
    ]


def test_one_assignment_is_picked_out_of_a_submitted_tree(tmp_path):
    """With --assignment, are the other assignments' notebooks left alone rather than graded as this one?"""
    _touch(tmp_path / "ada" / "penalties" / "penalties.ipynb")
    _touch(tmp_path / "ada" / "regularization" / "regularization.ipynb")
    assert _found(grade.discover([tmp_path], "regularization")) == [
        ("ada", "regularization", "ada/regularization/regularization.ipynb")]


def test_one_students_folder_names_the_student(tmp_path):
    """Is a given folder holding ASSIGNMENT/x.ipynb taken as one student's, named after the folder?"""
    _touch(tmp_path / "cleo" / "penalties" / "penalties.ipynb")
    assert _found(grade.discover([tmp_path / "cleo"])) == [("cleo", "penalties", "penalties/penalties.ipynb")]


def test_loose_notebooks_take_the_given_assignment(tmp_path):
    """Are loose notebooks (one per student, named after the student) graded as the assignment asked for?"""
    _touch(tmp_path / "dan.ipynb")
    _touch(tmp_path / "eve.ipynb")
    assert _found(grade.discover([tmp_path], "penalties")) == [
        ("dan", "penalties", "dan.ipynb"), ("eve", "penalties", "eve.ipynb")]


def test_loose_notebook_without_an_assignment_is_a_clear_error(tmp_path):
    """With several assignments, does a notebook whose names tell none ask for --assignment?"""
    with pytest.raises(ValueError, match="pass --assignment"):
        grade.discover([_touch(tmp_path / "dan.ipynb")])


def test_asking_for_an_assignment_nobody_handed_in_is_a_clear_error(tmp_path):
    """Does grading an assignment with no notebook under the paths say so, instead of writing empty reports?"""
    _touch(tmp_path / "ada" / "penalties" / "penalties.ipynb")
    with pytest.raises(FileNotFoundError, match="no notebooks of assignment 'regularization'"):
        grade.discover([tmp_path], "regularization")


def test_command_writes_one_report_folder_per_assignment(tmp_path, monkeypatch, capsys):
    """Does `python -m autograder.grade` print a table per assignment and keep each one's reports apart?"""
    from autograder import course
    from tests.conftest import ROOT

    monkeypatch.setattr(grade, "assignments", course.assignments)  # the real ones, of source/
    examples = ROOT / "examples" / "submitted"
    assert grade.main([str(examples / "ada"), str(examples / "ben"), "--out", str(tmp_path), "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    handed_in = sorted(folder.name for folder in (examples / "ada").iterdir())
    assert sorted(path.name for path in tmp_path.iterdir()) == handed_in
    for assignment in handed_in:
        assert assignment in printed
        assert (tmp_path / assignment / "feedback" / "ada.html").exists()
        assert (tmp_path / assignment / "gradescope" / "ben" / "results.json").exists()
