"""When a submission was handed in: nbgrader's ``submitted/STUDENT/ASSIGNMENT/timestamp.txt``.

nbgrader's exchange writes the file when a student submits (``nbgrader submit``, and ``nbgrader collect`` copies
it): ``datetime.now(tz).strftime(timestamp_format)``, with ``Exchange.timestamp_format`` defaulting to
``"%Y-%m-%d %H:%M:%S.%f %Z"`` and ``Exchange.timezone`` to ``"UTC"``, so ``2026-11-20 17:03:12.123456 UTC``.
nbgrader reads it back with ``nbgrader.utils.parse_utc`` (``CourseDirectory.get_existing_timestamp``), which this
module calls too, so that the kit and nbgrader's gradebook agree on every time they both accept.

``parse_utc`` reads some timestamps wrongly without a word, and those are refused here instead (checked with
nbgrader 0.9.6): a zone abbreviation that dateutil does not know ("CEST", "EDT", "BST", "PST": what ``%Z``
writes for many configured time zones) is dropped, so the time is read as UTC; a numeric offset ("+0100") is taken
as that many *seconds*; a time with no zone at all is read as UTC. An empty file is what nbgrader treats as no
timestamp (it logs a warning), and so does the kit.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dateutil.parser
import dateutil.tz
from nbgrader.utils import parse_utc

TIMESTAMP_FILE = "timestamp.txt"
_NUMERIC_ZONE = re.compile(r"^[+-]?\d+$")


class UnreadableTimestamp(ValueError):
    """A timestamp.txt that nbgrader would misread or not read; the message names the file and why."""


@dataclass(frozen=True)
class SubmissionTime:
    submitted_at: datetime | None  # aware, in UTC; None when the file is missing or empty
    text: str | None  # the file's text as written, for the record; None when there is no file
    path: Path


def timestamp_path(submitted: Path, student: str, assignment: str) -> Path:
    return Path(submitted) / student / assignment / TIMESTAMP_FILE


def read(submitted: Path, student: str, assignment: str) -> SubmissionTime:
    """The submission's time from ``submitted/STUDENT/ASSIGNMENT/timestamp.txt``."""
    path = timestamp_path(submitted, student, assignment)
    if not path.is_file():
        return SubmissionTime(None, None, path)
    text = path.read_text(encoding="utf-8").strip()
    return SubmissionTime(parse(text, path) if text else None, text, path)


def parse(text: str, where: Path | str = "timestamp") -> datetime:
    """``text`` as nbgrader reads it, as an aware UTC datetime; refused where nbgrader would misread it."""
    parts = text.split(" ")
    if len(parts) == 3:
        zone = parts[2]
        if _NUMERIC_ZONE.match(zone):
            raise UnreadableTimestamp(f"{where}: {text!r}: nbgrader reads the offset {zone!r} as {zone} seconds; "
                                      "write the zone's name (UTC, Europe/Berlin) instead")
        if dateutil.tz.gettz(zone) is None:
            raise UnreadableTimestamp(f"{where}: {text!r}: nbgrader does not know the time zone {zone!r} and would "
                                      "read the time as UTC; write UTC or a zone's name (Europe/Berlin)")
    else:
        try:
            naive = dateutil.parser.parse(text).tzinfo is None
        except (ValueError, OverflowError) as error:
            raise UnreadableTimestamp(f"{where}: {text!r} is not a time: {error}") from None
        if naive:
            raise UnreadableTimestamp(f"{where}: {text!r} has no time zone, and nbgrader would read it as UTC; "
                                      "nbgrader writes e.g. '2026-11-20 17:03:12.123456 UTC'")
    try:
        return parse_utc(text).replace(tzinfo=UTC)
    except (ValueError, OverflowError) as error:
        raise UnreadableTimestamp(f"{where}: {text!r} is not a time: {error}") from None
