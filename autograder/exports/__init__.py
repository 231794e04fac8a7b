"""LMS exports: the kit's grades as a file a learning management system imports.

One module per LMS lays the grades out (``canvas``, ``moodle``); ``grades`` gathers them, ``record`` writes what
was exported and why beside the file. ``FORMATS`` lists the LMSs for the CLI, its help and the tests.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autograder.exports import canvas, moodle
from autograder.exports.grades import Export
from autograder.roster import RosterEntry


@dataclass(frozen=True)
class LmsFormat:
    name: str
    table: Callable[[Export], list[list[str]]]  # every row of the file, header first
    identity_problems: Callable[[list[RosterEntry]], list[str]]  # roster rows the LMS could not match
    import_steps: Callable[[Export], str]  # what to do in the LMS with the file, printed after writing it
    no_grade: str  # what a cell holds for "no grade" (a roster student with no submission)


FORMATS = {module.NAME: LmsFormat(module.NAME, module.table, module.identity_problems, module.import_steps,
                                  module.NO_GRADE) for module in (canvas, moodle)}


def write_csv(rows: list[list[str]], path: Path) -> Path:
    """UTF-8, comma-separated, "\\n" line ends (both importers read them), every field quoted only where needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file, lineterminator="\n").writerows(rows)
    return path
