"""The late policy: a deadline per assignment, a grace period, a penalty per started day late, and a cap.

The policy is a TOML file::

    deadline = 2026-11-20T18:00:00        # every assignment's deadline, unless [deadlines] names its own
    timezone = "Europe/Berlin"            # what a deadline without an offset means (IANA name)
    grace_minutes = 15                    # up to this long after the deadline is on time
    penalty_unit = "fraction"             # "fraction" of the assignment's points possible, or "points"
    penalty_per_day = 0.10                # taken off for every started day late
    cap = 0.30                            # the most a submission can lose, in the same unit

    [deadlines]                           # an assignment's own deadline, overriding `deadline`
    penalties = 2026-11-27T18:00:00

A deadline is a TOML date-time: with an offset (``2026-11-20T18:00:00+01:00``) it is that instant; without one it
is a wall-clock time in ``timezone`` (daylight saving time included), which must then be given. Every assignment
that is exported needs a deadline; the export refuses otherwise.

**How late a submission is.** On time up to ``deadline + grace``. After that, the days late are the started
24-hour periods since the deadline itself (the grace period only decides whether a submission is late at all):
17 minutes late is 1 day, 23 hours is 1 day, 24 hours and 1 minute is 2 days. A day is 24 hours whatever the
calendar does (a daylight-saving change moves no submission into another day). The penalty is
``days late * penalty_per_day``, at most ``cap``; with ``penalty_unit = "fraction"`` both are fractions of the
assignment's points possible (autograded and written), the way Canvas's automatic late policy deducts a
percentage of the points possible, so that the penalty does not depend on the score. A total never falls below 0.

A submission with no timestamp is on time, and listed as such by the export.
"""

import math
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY = timedelta(days=1)
UNITS = ("fraction", "points")
KEYS = ("deadline", "timezone", "grace_minutes", "penalty_unit", "penalty_per_day", "cap", "deadlines")


class InvalidPolicy(ValueError):
    """The policy file cannot be used as it is; the message says why."""


@dataclass(frozen=True)
class LatePolicy:
    deadlines: dict[str, datetime]  # per assignment, aware
    default_deadline: datetime | None  # aware; for assignments [deadlines] does not name
    grace: timedelta
    penalty_unit: str  # one of UNITS
    penalty_per_day: float
    cap: float
    source: dict = field(default_factory=dict)  # the file as read, for the export's record

    def deadline(self, assignment: str) -> datetime | None:
        return self.deadlines.get(assignment, self.default_deadline)

    def points(self, amount: float, points_possible: float) -> float:
        """``amount`` in the policy's unit, as points of an assignment worth ``points_possible``."""
        return amount * points_possible if self.penalty_unit == "fraction" else amount


@dataclass(frozen=True)
class Lateness:
    """How late one submission was and what it costs."""

    deadline: datetime
    submitted_at: datetime | None  # None: no timestamp, so on time
    days_late: int
    penalty: float  # points taken off, before the total's floor at 0

    @property
    def late(self) -> bool:
        return self.days_late > 0

    @property
    def within_grace(self) -> bool:
        """After the deadline, but within the grace period: on time."""
        return not self.late and self.submitted_at is not None and self.submitted_at > self.deadline


def assess(policy: LatePolicy, assignment: str, submitted_at: datetime | None, points_possible: float) -> Lateness:
    """The days late and the penalty of a submission handed in at ``submitted_at`` (aware)."""
    deadline = policy.deadline(assignment)
    if deadline is None:
        raise InvalidPolicy(f"the late policy gives no deadline for {assignment!r}")
    if submitted_at is None:
        return Lateness(deadline, None, 0, 0.0)
    late_by = submitted_at - deadline
    days = -(-late_by // DAY) if late_by > policy.grace else 0  # started days: a ceiling, in whole microseconds
    per_day, cap = (policy.points(amount, points_possible) for amount in (policy.penalty_per_day, policy.cap))
    return Lateness(deadline, submitted_at, days, round(min(days * per_day, cap), 4))


def load(path: Path) -> LatePolicy:
    """Read and check a policy file; ``InvalidPolicy`` says what is wrong with it."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InvalidPolicy(f"{path}: not TOML: {error}") from None
    try:
        return from_document(document)
    except InvalidPolicy as error:
        raise InvalidPolicy(f"{path}: {error}") from None


def from_document(document: dict) -> LatePolicy:
    unknown = sorted(set(document) - set(KEYS))
    if unknown:
        raise InvalidPolicy(f"unknown key(s) {', '.join(unknown)}; the keys are: {', '.join(KEYS)}")
    zone = _zone(document.get("timezone"))
    deadlines = document.get("deadlines", {})
    if not isinstance(deadlines, dict):
        raise InvalidPolicy("[deadlines] must be a table of assignment = date-time")
    if "deadline" not in document and not deadlines:
        raise InvalidPolicy("no deadline: give `deadline`, or an assignment's own under [deadlines]")
    unit = document.get("penalty_unit", "fraction")
    if unit not in UNITS:
        raise InvalidPolicy(f"penalty_unit {unit!r}: it is one of {', '.join(UNITS)}")
    grace_minutes = _number(document, "grace_minutes", 0)
    per_day = _number(document, "penalty_per_day", None)
    cap = _number(document, "cap", None)
    if unit == "fraction" and not (per_day <= 1 and cap <= 1):
        raise InvalidPolicy("penalty_per_day and cap are fractions of the points possible (0 to 1) with "
                            "penalty_unit = \"fraction\"; use penalty_unit = \"points\" for points")
    return LatePolicy(
        deadlines={assignment: _deadline(value, zone, f"deadlines.{assignment}")
                   for assignment, value in deadlines.items()},
        default_deadline=_deadline(document["deadline"], zone, "deadline") if "deadline" in document else None,
        grace=timedelta(minutes=grace_minutes),
        penalty_unit=unit,
        penalty_per_day=float(per_day),
        cap=float(cap),
        source=_as_json(document),
    )


def _zone(name: object) -> ZoneInfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidPolicy(f"timezone {name!r} is not an IANA time zone name (Europe/Berlin, America/New_York, "
                            "UTC)") from None


def _number(document: dict, key: str, default: float | None) -> float:
    value = document.get(key, default)
    if value is None:
        raise InvalidPolicy(f"no {key}")
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or math.isnan(value):
        raise InvalidPolicy(f"{key} = {value!r}: it is a number, 0 or more")
    return value


def _deadline(value: object, zone: ZoneInfo | None, key: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidPolicy(f"{key} = {value!r}: it is a TOML date-time, e.g. 2026-11-20T18:00:00")
    if value.tzinfo is not None:
        return value
    if zone is None:
        raise InvalidPolicy(f"{key} = {value.isoformat()} has no offset: give `timezone` (e.g. \"Europe/Berlin\"), "
                            "or write the offset (2026-11-20T18:00:00+01:00)")
    return value.replace(tzinfo=zone)


def _as_json(value: object) -> object:
    """The TOML document with its dates and times written as ISO 8601 text."""
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, date | time):
        return value.isoformat()
    return value
