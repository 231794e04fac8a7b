"""Hidden checks: what an answer must *do*, tested on tiny data. They are pytest tests.

Each assignment has a module here (``autograder/checks/<assignment>.py``) whose tests take the student's
notebook namespace (the ``namespace`` fixture) and are marked with the graded item they belong to,
``@pytest.mark.grade(grade_id, weight=1)``. A check fails by raising ``CheckFailed`` (or by a bare
``assert``) with a message a student can act on; the check's code itself is never shown.

Run them as an instructor with plain pytest, against the solutions or any notebook::

    pytest autograder/checks                         # every assignment, against its solution notebook
    pytest autograder/checks --notebook PATH.ipynb   # the checks of that notebook's assignment

The seam into the notebooks: the hidden part of every autograded test cell is

    ### BEGIN HIDDEN TESTS
    from autograder.checks import grade_cell
    grade_cell("regularization", "build_optimizer", globals(), points=1)
    ### END HIDDEN TESTS

``grade_cell`` runs the checks through pytest, prints what failed and returns the points
earned, which nbgrader reads as the cell's (partial) grade. The test cell of an item that
calls another answer (``STAND_INS`` of its module) starts with a hidden part too:
``stand_in_for_the_cell(...)`` puts the kit's versions of those answers in place until the
cell ends, so that its visible asserts judge that item alone, as the grader does.
"""

from autograder.check_plugin import stand_in_for_the_cell
from autograder.check_runner import CheckFailed, CheckResult, check_names, grade_cell, points_earned, run_checks

__all__ = ["CheckFailed", "CheckResult", "check_names", "grade_cell", "points_earned", "run_checks",
           "stand_in_for_the_cell"]
