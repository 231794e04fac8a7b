"""The columns both LMS files give each assignment: the total that the LMS imports, then the details behind it.

Per assignment ``A``: ``A`` (the total: autograded and written points less the late penalty), then ``A: autograded``,
``A: written`` (the written answers' points graded so far), ``A: days late``, ``A: late penalty`` (points; both
empty without a late policy) and ``A: ITEM`` for every autograded item, by grade id, in the notebook's order. A
roster student with no submission gets the LMS's own "no grade" in every one of them.
"""

from collections.abc import Callable

from autograder.exports.grades import AssignmentShape, Grade
from autograder.reports.common import number

# Leading characters that make a spreadsheet read a cell as a formula (CSV injection): text cells that start with
# one get a leading apostrophe, which spreadsheets show as text. Ids are never changed: the LMS must match them.
_FORMULA_START = ("=", "+", "-", "@")


def total(grade: Grade) -> str:
    return number(grade.total)


def details(shape: AssignmentShape) -> list[tuple[str, Callable[[Grade], str]]]:
    """(header, cell) of each detail column of ``shape``; a cell is asked only of a submitted grade."""
    name = shape.assignment
    return [
        (f"{name}: autograded", lambda grade: number(grade.autograded)),
        (f"{name}: written", lambda grade: number(grade.written_points)),
        (f"{name}: days late", lambda grade: str(grade.lateness.days_late) if grade.lateness else ""),
        (f"{name}: late penalty", lambda grade: number(grade.penalty) if grade.lateness else ""),
        *[(f"{name}: {item}", lambda grade, item=item: number(grade.items[item]) if item in grade.items else "")
          for item in shape.items],
    ]


def notes(grade: Grade) -> str:
    return text("; ".join(grade.notes()))


def text(value: str) -> str:
    """A free-text cell (a name, a note) that no spreadsheet will run as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def unique(header: list[str]) -> list[str]:
    """``header``, refused if two columns share a name (a grade id that reads like a detail column's)."""
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ValueError(f"two columns would be named {', '.join(map(repr, repeated))}")
    return header
