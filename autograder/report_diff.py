"""Whose points changed between two report.json files of one assignment: after a regrade, or any two gradings.

    python -m autograder.report_diff OLD_report.json NEW_report.json [--format text|csv|json]

It lists the items whose points changed, student by student, with the old and new points, statuses and messages;
the students whose autograded total changed; and the students added and removed. An item whose status or
messages changed but not its points is no difference: points are what reach the gradebook.

Exit status, as ``diff``'s: 0 when no points changed and no student was added or removed, 1 when something did,
2 when a report cannot be read or the two are reports of different assignments.

``--format``: ``text`` for people (the default), ``csv`` (one row a change: ``change`` is ``points``, ``total``,
``added`` or ``removed``; messages one per line in their cell) and ``json`` (the fields of ``ReportDiff``).
"""

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.reports.common import grade_ids, number
from autograder.reports.json_report import read_json
from autograder.results import ItemResult, SubmissionResult


@dataclass(frozen=True)
class ItemChange:
    """An item whose points changed; None on the side where the submission lacks the item."""

    student: str
    item: str
    old_points: float | None
    old_max: float | None
    new_points: float | None
    new_max: float | None
    old_status: str | None
    new_status: str | None
    old_messages: list[str] = field(default_factory=list)
    new_messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TotalChange:
    """A student whose autograded total changed."""

    student: str
    old_points: float
    old_max: float
    new_points: float
    new_max: float


@dataclass(frozen=True)
class StudentTotal:
    """A student added or removed, with the autograded total of the report that holds them."""

    student: str
    points: float
    max_points: float


@dataclass
class ReportDiff:
    assignment: str
    items: list[ItemChange] = field(default_factory=list)  # by student, then in the assignment's item order
    totals: list[TotalChange] = field(default_factory=list)  # by student
    added: list[StudentTotal] = field(default_factory=list)  # in NEW only
    removed: list[StudentTotal] = field(default_factory=list)  # in OLD only

    @property
    def differs(self) -> bool:
        return bool(self.items or self.totals or self.added or self.removed)


def _same(old: float | None, new: float | None) -> bool:
    """Points as the reports round them (4 decimals): a float's last bits are no change of grade."""
    return (old is None) == (new is None) and (old is None or round(old, 4) == round(new, 4))


def _item_change(student: str, grade_id: str, old: ItemResult | None, new: ItemResult | None) -> ItemChange | None:
    def side(item: ItemResult | None) -> tuple:
        return (None, None, None, []) if item is None else (item.points, item.max_points, str(item.status),
                                                             list(item.messages))

    (old_points, old_max, old_status, old_messages), (new_points, new_max, new_status, new_messages) = \
        side(old), side(new)
    if _same(old_points, new_points) and _same(old_max, new_max):
        return None
    return ItemChange(student, grade_id, old_points, old_max, new_points, new_max, old_status, new_status,
                      old_messages, new_messages)


def diff(old: list[SubmissionResult], new: list[SubmissionResult]) -> ReportDiff:
    """What changed from ``old`` to ``new``, two reports' results of one assignment."""
    assignments = {result.assignment for result in [*old, *new]}
    if len(assignments) > 1:
        raise ValueError(f"reports of different assignments: {', '.join(sorted(assignments))}")
    found = ReportDiff(assignments.pop() if assignments else "")
    before = {result.student: result for result in old}
    after = {result.student: result for result in new}
    order = grade_ids([*new, *old]) if old or new else []
    for student in sorted(before.keys() & after.keys()):
        was = {item.grade_id: item for item in before[student].items}
        now = {item.grade_id: item for item in after[student].items}
        found.items += [change for grade_id in order if grade_id in was or grade_id in now
                        if (change := _item_change(student, grade_id, was.get(grade_id), now.get(grade_id)))]
        was_total, now_total = before[student], after[student]
        if not (_same(was_total.points, now_total.points) and _same(was_total.max_points, now_total.max_points)):
            found.totals.append(TotalChange(student, was_total.points, was_total.max_points, now_total.points,
                                            now_total.max_points))
    found.added = [StudentTotal(s, after[s].points, after[s].max_points) for s in sorted(after.keys() - before.keys())]
    found.removed = [StudentTotal(s, before[s].points, before[s].max_points)
                     for s in sorted(before.keys() - after.keys())]
    return found


# --- formats ---------------------------------------------------------------------------------------------------

def _points(points: float | None, max_points: float | None) -> str:
    return "-" if points is None else f"{number(points)} / {number(max_points)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _messages(when: str, messages: list[str]) -> list[str]:
    """An item's messages, one a line, under the item they belong to."""
    first, *more = messages or ["(no message)"]
    return [f"    {when}: {first}", *(f"    {' ' * len(when)}  {message}" for message in more)]


def as_text(found: ReportDiff) -> str:
    """For people: a headline, then each change, the messages under the item they belong to."""
    if not found.differs:
        return f"{found.assignment}: no points changed; no student added or removed"
    students = len({change.student for change in found.items})
    headline = (f"{found.assignment}: points changed for {_plural(len(found.items), 'item')} of "
                f"{_plural(students, 'student')}; totals changed for {_plural(len(found.totals), 'student')}; "
                f"{len(found.added)} added, {len(found.removed)} removed")
    lines = [headline]
    if found.items:
        lines.append("Items:")
        for change in found.items:
            lines.append(f"  {change.student}  {change.item}: {_points(change.old_points, change.old_max)} -> "
                         f"{_points(change.new_points, change.new_max)}  ({change.old_status or 'absent'} -> "
                         f"{change.new_status or 'absent'})")
            lines += [*_messages("was", change.old_messages), *_messages("now", change.new_messages)]
    if found.totals:
        lines.append("Totals:")
        lines += [f"  {change.student}: {_points(change.old_points, change.old_max)} -> "
                  f"{_points(change.new_points, change.new_max)}" for change in found.totals]
    for heading, entries in (("Added", found.added), ("Removed", found.removed)):
        if entries:
            lines.append(f"{heading}:")
            lines += [f"  {entry.student}: {_points(entry.points, entry.max_points)}" for entry in entries]
    return "\n".join(lines)


CSV_COLUMNS = ["change", "student", "item", "old_points", "old_max", "new_points", "new_max", "old_status",
               "new_status", "old_messages", "new_messages"]


def as_csv(found: ReportDiff) -> str:
    """For spreadsheets: one row a change, every row with the same columns (empty where they do not apply)."""
    rows = [{**asdict(change), "change": "points", "old_messages": "\n".join(change.old_messages),
             "new_messages": "\n".join(change.new_messages)} for change in found.items]
    rows += [{**asdict(change), "change": "total"} for change in found.totals]
    rows += [{"change": "added", "student": entry.student, "new_points": entry.points, "new_max": entry.max_points}
             for entry in found.added]
    rows += [{"change": "removed", "student": entry.student, "old_points": entry.points, "old_max": entry.max_points}
             for entry in found.removed]
    text = io.StringIO()
    writer = csv.DictWriter(text, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().rstrip("\n")


def as_json(found: ReportDiff) -> str:
    """For tools: ``ReportDiff``'s fields, and ``differs``."""
    return json.dumps({**asdict(found), "differs": found.differs}, indent=2, ensure_ascii=False, allow_nan=False)


FORMATS: dict[str, Callable[[ReportDiff], str]] = {"text": as_text, "csv": as_csv, "json": as_json}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.report_diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path, metavar="OLD_report.json")
    parser.add_argument("new", type=Path, metavar="NEW_report.json")
    parser.add_argument("--format", choices=list(FORMATS), default="text")
    args = parser.parse_args(argv)
    try:
        found = diff(read_json(args.old).results, read_json(args.new).results)
    except (OSError, ValueError) as error:
        print(f"python -m autograder.report_diff: {error}", file=sys.stderr)
        return 2
    print(FORMATS[args.format](found))
    return 1 if found.differs else 0


if __name__ == "__main__":
    sys.exit(main())
