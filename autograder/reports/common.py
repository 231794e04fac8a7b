"""What every report writer shares: the order of the results, number formats, safe file names and writes."""

import json
import re
from collections.abc import Iterable
from pathlib import Path

from autograder.launchers import Isolation
from autograder.results import ItemResult, SubmissionResult

GENERATED_BY = "reglab autograder"
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"

# Ids become file names: refuse path separators, "..", NUL and control characters, and ":" (on Windows
# "C:x" names another drive). Refusing beats renaming: two renamed ids could collide and swap feedback.
_UNSAFE_ID = re.compile(r"[/\\:\x00-\x1f]|\.\.|^\.?$")
# Characters XML 1.0 cannot hold at all (ANSI escapes in tracebacks are the usual ones): ElementTree would
# write them and every XML reader would then reject the whole file; in HTML and Markdown they are garbage.
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def sorted_results(results: Iterable[SubmissionResult]) -> list[SubmissionResult]:
    """The results of one assignment, one per student, sorted by student (the order of every report)."""
    results = sorted(results, key=lambda result: result.student)
    if not results:
        raise ValueError("no results to report")
    students = [result.student for result in results]
    if len(set(students)) != len(students):
        raise ValueError(f"more than one result for a student: {students}")
    assignments = {result.assignment for result in results}
    if len(assignments) != 1:
        raise ValueError(f"results of more than one assignment: {sorted(assignments)}")
    return results


def grade_ids(results: list[SubmissionResult]) -> list[str]:
    """The autograded items of the assignment, in its order: a submission that lacks some (read first) must
    not push the others to the end."""
    most_complete_first = sorted(results, key=lambda result: -len(result.items))
    return list(dict.fromkeys(item.grade_id for result in most_complete_first for item in result.items))


def number(value: float) -> str:
    """Points for people: at most 2 decimals, no trailing zeros (10, 7.5, 0.33)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def score(points: float, max_points: float) -> str:
    return f"{number(points)} / {number(max_points)}"


def printable(text: str) -> str:
    return _UNPRINTABLE.sub("\ufffd", text)


def failed(item: ItemResult) -> bool:
    return item.points < item.max_points


def new_file(path) -> Path:
    """``path`` as a Path whose folder exists."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_text(path, text: str) -> Path:
    """Write UTF-8 with "\\n" line ends whatever the platform, so that the bytes are the same everywhere."""
    path = new_file(path)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_json_document(document: dict, path) -> Path:
    # allow_nan=False: NaN is not JSON, and a consumer would choke on it far from here.
    return write_text(path, json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def checked_student_id(student: str) -> str:
    if _UNSAFE_ID.search(student):
        raise ValueError(f"student id {student!r} cannot be used as a file name")
    return student


def inside(root: Path, *parts: str) -> Path:
    """``root / parts``, refusing any path that would land outside ``root`` (second line of defence)."""
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"{path} is outside {root}")
    return path


def item_title(item) -> str:
    """How a student knows an item: its question's label and title ("3.2 (a) Complete build_optimizer"); the
    grade id, an instructor's name for it, only where the notebook gives neither."""
    return " ".join(part for part in (item.label, item.title or (item.grade_id if not item.label else "")) if part)


def isolation_line(isolation: dict) -> str:
    """One line of what a submission ran inside, from its recorded ``launchers.Isolation.to_dict``."""
    return Isolation(**isolation).summary()
