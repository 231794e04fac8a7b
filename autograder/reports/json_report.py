"""report.json: every submission of one assignment, in full, a summary, and the regrades merged into it, for
tools; and report.json read back, to merge a regrade into it or to compare two of them."""

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.reports.common import GENERATED_BY, grade_ids, sorted_results, write_json_document
from autograder.reports.item_analysis import analyse
from autograder.reports.registry import report_format
from autograder.results import SubmissionResult


@dataclass(frozen=True)
class Regrade:
    """One regrade merged into a report (``python -m autograder.grade --only ITEM --student ID``)."""

    at: str  # when, in UTC, ISO 8601 to the second ("2025-11-30T08:40:12Z")
    students: list[str]  # whose submissions were graded again, sorted
    items: list[str] | None  # the items graded again (--only), sorted; None: every autograded item
    checks_sha256: str  # the hidden checks it graded with (``grader_identity.files_sha256``)

    @classmethod
    def from_dict(cls, fields: dict) -> "Regrade":
        return cls(**fields)


@dataclass
class Report:
    """report.json, read back."""

    assignment: str
    results: list[SubmissionResult]
    regrades: list[Regrade] = field(default_factory=list)  # oldest first; none for a report never regraded


def _summary(results: list[SubmissionResult]) -> dict:
    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 4)

    item_points = {grade_id: [] for grade_id in grade_ids(results)}
    for result in results:
        for item in result.items:
            item_points[item.grade_id].append(item.points)
    return {
        "count": len(results),
        "mean_points": mean([result.points for result in results]),
        "max_points": max(result.max_points for result in results),
        "written_max_points": max(result.written_points for result in results),
        "item_means": {grade_id: mean(points) for grade_id, points in item_points.items()},
        "item_analysis": {analysis.grade_id: analysis.to_dict() for analysis in analyse(results)},
        "isolation": sorted({result.isolation["launcher"] for result in results if result.isolation}),
        "graded_without_isolation": sum(bool(result.isolation and result.isolation["opt_out"]) for result in results),
    }


@report_format("report.json", "tools; schemas/report.schema.json", keeps_regrades=True)
def write_json(results: list[SubmissionResult], path, regrades: Sequence[Regrade] = ()) -> Path:
    """The full report, for tools: every submission as ``SubmissionResult.to_dict``, a summary, and the regrades
    merged into it, oldest first (the key is left out of a report never regraded).

    Validated by ``schemas/report.schema.json``.
    """
    results = sorted_results(results)
    document = {
        "assignment": results[0].assignment,
        "generated_by": GENERATED_BY,
        "submissions": [result.to_dict() for result in results],
        "summary": _summary(results),
    }
    if regrades:
        document["regrades"] = [asdict(regrade) for regrade in regrades]
    return write_json_document(document, path)


def read_json(path) -> Report:
    """A report.json as ``write_json`` wrote it. Raises OSError, or ValueError for what is not such a report."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("generated_by") != GENERATED_BY:
        raise ValueError(f"{path} is not a report.json written by the {GENERATED_BY}")
    try:
        return Report(document["assignment"], [SubmissionResult.from_dict(s) for s in document["submissions"]],
                      [Regrade.from_dict(r) for r in document.get("regrades", [])])
    except (KeyError, TypeError, ValueError) as error:  # a field missing, unknown or of another type
        raise ValueError(f"{path} cannot be read as a report: {type(error).__name__}: {error}") from None
