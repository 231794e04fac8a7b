"""Item analysis, for the instructor: how the class did on each autograded item, and what went wrong most often.

Each submission's item falls in exactly one outcome, so that the shares of an item add up to 1:

- ``error`` and ``not_attempted`` by its status (grading broke off; the answer still holds its stub),
- otherwise by its points: ``full`` (all of them), ``partial`` (some), ``zero`` (none).

The most common failures are the messages of the items that fell short and were graded (partial, zero, error),
counted once per submission. Messages that differ only in their numbers ("expected 0.25, got 0.31" and
"expected 0.25, got 0.4") are one failure: a numeric answer wrong by different amounts is the same mistake.
A failure is shown in the students' wording where they all read the same text, and with each number written
as ``#`` where they read variants of it. Numbers inside names (``l1_penalty``, ``conv2d``) are not numbers.

In report.json's summary and on the instructor's console after grading, merging and regrading; never in a
student's feedback (a student would learn from it how classmates did).
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from autograder.reports.common import grade_ids, number
from autograder.results import ERROR, NOT_ATTEMPTED, ItemResult, SubmissionResult

OUTCOMES = ("full", "partial", "zero", "not_attempted", "error")
GRADED_SHORT = ("partial", "zero", "error")  # outcomes whose messages say what went wrong
TOP_FAILURES = 3
# A number standing alone: "0.25", "-3", "1e-05"; not the digits of a name ("l1_penalty", "q3", "conv2d").
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?!\w)")
SHOWN_CHARACTERS = 110  # of a failure message on the console; report.json keeps it whole


def outcome(item: ItemResult) -> str:
    """Which of ``OUTCOMES`` one submission's item is."""
    if item.status == ERROR:
        return "error"
    if item.status == NOT_ATTEMPTED:
        return "not_attempted"
    if item.points >= item.max_points:
        return "full"
    return "partial" if item.points > 0 else "zero"


def without_numbers(message: str) -> str:
    """``message`` with each number written as "#": the key that groups wordings differing only in numbers."""
    return NUMBER.sub("#", message)


@dataclass(frozen=True)
class Failure:
    message: str  # the students' wording; with "#" for the numbers where their wordings differ in them
    count: int  # submissions whose item said it


@dataclass(frozen=True)
class ItemAnalysis:
    grade_id: str
    count: int  # submissions that have the item (one that could not be read still has every item, as errors)
    mean_points: float
    max_points: float
    shares: dict[str, float]  # by outcome, in the order of OUTCOMES; they add up to 1
    top_failures: list[Failure] = field(default_factory=list)  # most common first, at most TOP_FAILURES

    def to_dict(self) -> dict:
        """The item's entry in report.json's ``summary.item_analysis`` (its grade id is the entry's key)."""
        return {"count": self.count, "mean_points": self.mean_points, "max_points": self.max_points,
                "shares": self.shares,
                "top_failures": [{"message": failure.message, "count": failure.count}
                                 for failure in self.top_failures]}


def analyse(results: list[SubmissionResult]) -> list[ItemAnalysis]:
    """One analysis per autograded item, in the assignment's item order."""
    by_item: dict[str, list[ItemResult]] = {grade_id: [] for grade_id in grade_ids(results)}
    for result in results:
        for item in result.items:
            by_item[item.grade_id].append(item)
    return [_analyse(grade_id, items) for grade_id, items in by_item.items()]


def _analyse(grade_id: str, items: list[ItemResult]) -> ItemAnalysis:
    outcomes = Counter(outcome(item) for item in items)
    met: Counter[str] = Counter()  # by the message without its numbers: the submissions that met it
    wordings: dict[str, set[str]] = {}  # by the same key: the texts the students read
    for item in items:
        if outcome(item) in GRADED_SHORT:
            for message in item.messages:
                wordings.setdefault(without_numbers(message), set()).add(message)
            met.update({without_numbers(message) for message in item.messages})
    failures = [Failure(next(iter(wordings[key])) if len(wordings[key]) == 1 else key, count)
                for key, count in met.items()]
    failures.sort(key=lambda failure: (-failure.count, failure.message))
    return ItemAnalysis(grade_id, len(items), round(sum(item.points for item in items) / len(items), 4),
                        max(item.max_points for item in items),
                        {name: round(outcomes[name] / len(items), 4) for name in OUTCOMES},
                        failures[:TOP_FAILURES])


def _percent(share: float) -> str:
    return f"{share:.0%}"


def _shortened(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def analysis_table(results: list[SubmissionResult]) -> str:
    """The compact table printed after the score table: per item its mean points, the shares of each outcome,
    then the most common failures of each item with how many submissions met them."""
    analyses = analyse(results)
    headers = ["item", "mean / max", "full", "partial", "zero", "not attempted", "error"]
    rows = [[a.grade_id, f"{number(a.mean_points)} / {number(a.max_points)}",
             *(_percent(a.shares[name]) for name in OUTCOMES)] for a in analyses]
    widths = [max(len(row[column]) for row in [headers, *rows]) for column in range(len(headers))]

    def line(cells: list[str]) -> str:  # the item's name left-aligned, the numbers right-aligned
        return "  ".join([cells[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(
            cells[1:], widths[1:], strict=True))])

    count = max(a.count for a in analyses)
    lines = [f"Item analysis ({count} submission{'s' * (count != 1)}):", line(headers), *map(line, rows)]
    failing = [a for a in analyses if a.top_failures]
    if failing:
        lines.append("Most common failures (submissions; # stands for numbers that differ between them):")
        for analysis in failing:
            lines += [f"  {analysis.grade_id}: {failure.count}× {_shortened(failure.message)}"
                      for failure in analysis.top_failures]
    return "\n".join(lines)
