"""The written answers' points, as graded by hand in nbgrader's formgrader and kept in its gradebook.

The formgrader stores a grader's points as a ``Grade``'s ``manual_score`` (plus ``extra_credit``) in
``gradebook.db``; nbgrader's own ``Grade.score`` prefers it to ``auto_score``, which autograding sets to 0 for a
written answer left as the release's stub. This module reads them the same way, through ``nbgrader.api.Gradebook``,
and calls an answer that has neither "not graded yet". Without a gradebook, an answer the kit's grader found
untouched (``WrittenItem.answered`` is False) is worth 0 as nbgrader would give it, and every other one waits.
"""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from autograder.results import WrittenItem

GRADED = "graded by hand"
NOT_ANSWERED = "not answered"
NOT_GRADED = "not graded yet"


@dataclass(frozen=True)
class WrittenScore:
    grade_id: str
    max_points: float
    points: float | None  # None while it is not graded yet
    status: str  # GRADED, NOT_ANSWERED or NOT_GRADED


@contextlib.contextmanager
def open_gradebook(path: Path | None) -> Iterator[object | None]:
    """nbgrader's gradebook at ``path`` (None: no gradebook); a missing file is an error, never a new database."""
    if path is None:
        yield None
        return
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such gradebook (nbgrader's gradebook.db, in the course folder)")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{path.resolve()}") as gradebook:
        yield gradebook


def scores(written: list[WrittenItem], gradebook, assignment: str, student: str) -> list[WrittenScore]:
    """Each written answer of one submission, with its points where they are known."""
    manual, automatic = _recorded(gradebook, assignment, student) if gradebook is not None else ({}, {})
    found = []
    for item in written:
        if item.grade_id in manual:
            found.append(WrittenScore(item.grade_id, item.max_points, manual[item.grade_id], GRADED))
        elif item.grade_id in automatic or not item.answered:
            # nbgrader's automatic score of a written answer is 0 for the untouched stub, and nothing otherwise
            points = automatic.get(item.grade_id, 0.0)
            found.append(WrittenScore(item.grade_id, item.max_points, points, NOT_ANSWERED))
        else:
            found.append(WrittenScore(item.grade_id, item.max_points, None, NOT_GRADED))
    return found


def _recorded(gradebook, assignment: str, student: str) -> tuple[dict[str, float], dict[str, float]]:
    """The scores of the student's submission that the gradebook holds, by grade id: those a person gave
    (``manual_score``) and those autograding gave (``auto_score``), each with any extra credit, as nbgrader's
    ``Grade.score`` adds it."""
    from nbgrader.api import MissingEntry

    try:
        submission = gradebook.find_submission(assignment, student)
    except MissingEntry:
        return {}, {}  # nbgrader never autograded this submission, so nobody could grade it in the formgrader
    manual, automatic = {}, {}
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            extra = grade.extra_credit or 0.0
            if grade.manual_score is not None:
                manual[grade.name] = grade.manual_score + extra
            elif grade.auto_score is not None:
                automatic[grade.name] = grade.auto_score + extra
    return manual, automatic
