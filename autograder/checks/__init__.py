"""Hidden checks: what an answer must *do*, tested on tiny data.

Each assignment has a module here (``autograder.checks.<assignment>``) that
registers checks per grade_id with ``@check(grade_id, weight)``. A check gets
the student's notebook namespace and fails by raising ``CheckFailed`` with a
message a student can act on; the hidden test code itself is never shown.

The seam into the notebooks: the hidden part of every autograded test cell is

    ### BEGIN HIDDEN TESTS
    from autograder.checks import grade_cell
    grade_cell("regularization", "build_optimizer", globals(), points=1)
    ### END HIDDEN TESTS

``grade_cell`` runs the checks, prints what failed and returns the points
earned, which nbgrader reads as the cell's (partial) grade.
"""

from autograder.checks.registry import CheckFailed, CheckResult, check, grade_cell, points_earned, run_checks

__all__ = ["CheckFailed", "CheckResult", "check", "grade_cell", "points_earned", "run_checks"]
