"""Do the assignment notebooks run, offline, in the tiny profile?"""

import ast
import re

import pytest

from autograder import course, notebooks
from autograder.notebooks import nbgrader_of
from tests.clean_outputs import unwanted_outputs
from tests.conftest import ASSIGNMENTS


def _top_level_names(source: str) -> set[str]:
    """The names a cell defines at top level (functions, classes, assigned names); magics left out."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    names = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                elements = target.elts if isinstance(target, ast.Tuple) else [target]
                names.update(element.id for element in elements if isinstance(element, ast.Name))
    return names


def _names_defined_by_answers(assignment) -> set[str]:
    """Top-level names that the answer cells of the solutions define (functions, classes, constants)."""
    notebook = notebooks.read(course.solution_notebook(assignment))
    return {name for cell in notebook.cells if cell.cell_type == "code"
            and nbgrader_of(cell).get("solution") for name in _top_level_names(cell.source)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_runs_end_to_end_without_an_error(assignment, executed_solution):
    """Does the solution notebook execute every cell, hidden checks included, without an error?"""
    _, errors = executed_solution(assignment)
    assert errors == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_earns_every_autograded_point(assignment, executed_solution):
    """Does every autograded test cell of the solution return its full points as nbgrader's partial credit?"""
    notebook, _ = executed_solution(assignment)
    for cell in notebook.cells:
        nbgrader = nbgrader_of(cell)
        if cell.cell_type == "code" and nbgrader.get("grade"):
            results = [o for o in cell.outputs if o.output_type == "execute_result"]
            assert results, f"{nbgrader['grade_id']}: the test cell returned no score"
            assert float(results[-1].data["text/plain"]) == nbgrader["points"], nbgrader["grade_id"]
            assert not any(o.output_type == "stream" and o.name == "stderr" for o in cell.outputs), (
                f"{nbgrader['grade_id']}: a test cell writing to stderr gets zero points from nbgrader"
            )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_notebook_fails_only_where_an_answer_is_missing(assignment, executed_release):
    """Does the untouched release run its provided code, failing only on the unanswered stubs?"""
    notebook, errors = executed_release(assignment)
    answer_names = _names_defined_by_answers(assignment)
    # A cell may fail where it uses what a missing answer leaves missing: the answers' names,
    # and the names of every earlier cell that failed (half-filled results included).
    missing, unexpected = set(answer_names), []
    for error in errors:
        source = notebook.cells[error.index].source
        if error.ename != "NotImplementedError" and not any(re.search(rf"\b{name}\b", source) for name in missing):
            unexpected.append(error)
        missing |= _top_level_names(source)
    assert unexpected == []
    failing = {error.grade_id for error in errors}
    notebook = notebooks.read(course.release_notebook(assignment))
    independent = {notebooks.grade_id(cell) for cell in notebook.cells if cell.cell_type == "code"
                   and not nbgrader_of(cell).get("grade")
                   and not nbgrader_of(cell).get("solution")
                   and not any(re.search(rf"\b{name}\b", cell.source) for name in missing)}
    assert "setup" in independent
    assert failing & independent == set()  # provided code that uses no answer runs in the untouched release


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_notebook_shows_the_active_profile(assignment, executed_release):
    """Does the settings cell, the one a student edits to choose, say which profile is active, where the choice came
    from, how to change it, and how many images and steps it means here?"""
    notebook, _ = executed_release(assignment)
    settings = next(cell for cell in notebook.cells if notebooks.grade_id(cell) == "settings")
    assert not notebooks.nbgrader_of(settings).get("locked")
    assert "PROFILE = None" in settings.source
    printed = "".join(o.get("text", "") for o in settings.outputs if o.output_type == "stream")
    assert "Profile 'tiny' (from REGLAB_PROFILE)" in printed
    assert "PROFILE = 'full'" in printed and "REGLAB_PROFILE" in printed
    printed_after = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", [])
                            if o.output_type == "stream")
    assert "epochs" in printed_after


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_outputs_are_clean(assignment, executed_solution):
    """Does the executed solution show nothing alarming: no error, no standard error, no warning, no object repr,
    no widget (its state is not saved with the notebook) and no leftover progress bar?"""
    notebook, _ = executed_solution(assignment)
    assert unwanted_outputs(notebook) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_says_in_one_line_which_answer_is_missing(assignment, executed_release):
    """Does a cell that runs an answer still to write fail with one line naming it, with no traceback and no
    empty plots above it?"""
    notebook, errors = executed_release(assignment)
    stubs = [error for error in errors if error.ename == "NotImplementedError"]
    assert stubs
    for error in stubs:
        cell = notebook.cells[error.index]
        [output] = [o for o in cell.outputs if o.output_type == "error"]
        assert len(output.traceback) == 1 and "is not written yet" in output.traceback[0], output.traceback
        assert not any("image/png" in o.get("data", {}) for o in cell.outputs), f"{error.grade_id}: empty plots"


def test_release_says_in_one_line_which_name_is_not_defined_yet(executed_release):
    """Does a check cell that runs before its answer defined a name say so in one line (grid_size's constant)?"""
    notebook, errors = executed_release("regularization")
    [error] = [error for error in errors if error.grade_id == "grid_size"]
    [output] = [o for o in notebook.cells[error.index].outputs if o.output_type == "error"]
    assert output.ename == "NameError"
    [line] = output.traceback
    assert line.startswith("NameError: N_GRID_EXPERIMENTS is not defined yet. Run the cell that defines it")
