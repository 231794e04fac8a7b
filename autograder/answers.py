"""A course's notebooks as answer cells: the solution's, the release's stubs, and a submission built from them.

The fixture tables of the tests and the mutation report (``autograder.mutants``) both hand the grader notebooks
that a student could have handed in: the release, with the solution in every answer cell but those they change.
"""

import functools
from collections.abc import Mapping
from pathlib import Path

import nbformat

from autograder import course, notebooks
from autograder.notebooks import nbgrader_of

ANSWER_SUFFIX = "_answer"  # the answer cell of item X has grade_id X_answer
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
WRITTEN_ANSWER = "My answer: regularization trades a little training fit for better validation results."


def answer_cell_id(item: str) -> str:
    """The grade_id of the answer cell of an autograded item."""
    return f"{item}{ANSWER_SUFFIX}"


def _is_answer_code(cell) -> bool:
    return cell.cell_type == "code" and nbgrader_of(cell).get("solution", False)


def _is_written_answer(cell) -> bool:
    return cell.cell_type == "markdown" and nbgrader_of(cell).get("solution", False) and nbgrader_of(cell).get("grade")


def _answer_sources(path: Path) -> dict[str, str]:
    """The source of every answer code cell of a notebook, by grade_id, in notebook order."""
    return {nbgrader_of(cell)["grade_id"]: cell.source for cell in notebooks.read(path).cells if _is_answer_code(cell)}


@functools.cache
def solution_answers(assignment: str) -> dict[str, str]:
    """The solution of every answer cell, without the solution marker lines."""
    return {grade_id: "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)
            for grade_id, source in _answer_sources(course.solution_notebook(assignment)).items()}


@functools.cache
def release_stubs(assignment: str) -> dict[str, str]:
    """What every answer cell of the release holds before the student works on it."""
    return _answer_sources(course.release_notebook(assignment))


def answers_with(assignment: str, overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The solution's answer cells with `overrides` put in; a misspelt grade_id raises."""
    answers = solution_answers(assignment)
    unknown = set(overrides or {}) - set(answers)
    if unknown:
        raise KeyError(f"not answer cells of {assignment}: {sorted(unknown)}")
    return {**answers, **(overrides or {})}


def make_submission(assignment: str, overrides: Mapping[str, str] | None = None, *,
                    answer_written: bool = True) -> nbformat.NotebookNode:
    """The release notebook with the solution (and `overrides`) in its answer cells, and written answers filled in."""
    release = notebooks.read(course.release_notebook(assignment))
    written = {nbgrader_of(cell)["grade_id"]: WRITTEN_ANSWER for cell in release.cells
               if answer_written and _is_written_answer(cell)}
    return _with_sources(release, {**answers_with(assignment, overrides), **written})


def on_current_release(submission: nbformat.NotebookNode, assignment: str) -> nbformat.NotebookNode:
    """The current release notebook with a submission's own work put back: its answer cells (code and written)
    and the markdown cells a student may edit (names), by grade_id. For the kit's bundled example submissions,
    after the release's provided cells change: they must stay submissions a student of this release could hand
    in, or nbgrader, which runs the whole notebook, would run stale provided code."""
    own = {nbgrader_of(cell).get("grade_id"): cell.source for cell in submission.cells
           if nbgrader_of(cell).get("solution")
           or (cell.cell_type == "markdown" and not nbgrader_of(cell).get("locked"))}
    return _with_sources(notebooks.read(course.release_notebook(assignment)), own)


def _with_sources(notebook: nbformat.NotebookNode, sources: Mapping[str, str]) -> nbformat.NotebookNode:
    """``notebook`` with the cells named in ``sources`` (by grade_id) holding those sources instead."""
    for cell in notebook.cells:
        grade_id = nbgrader_of(cell).get("grade_id")
        if grade_id is not None and grade_id in sources:
            cell.source = sources[grade_id]
    return notebook


def write_submissions(folder: Path, variants: Mapping[str, Mapping[str, str]], *, assignment: str) -> list[Path]:
    """Write one submission per variant into `folder`, as ``<name>.ipynb`` (the student id is the name)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [notebooks.write(make_submission(assignment, overrides), folder / f"{name}.ipynb")
            for name, overrides in variants.items()]
