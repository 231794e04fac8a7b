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
earned, which nbgrader reads as the cell's (partial) grade.
"""

from autograder.check_runner import CheckFailed, CheckResult, check_names, grade_cell, points_earned, run_checks

__all__ = ["CheckFailed", "CheckResult", "check_names", "grade_cell", "points_earned", "run_checks"]
