"""report.json: every submission of one assignment, in full, and a summary, for tools."""

from pathlib import Path

from autograder.reports.common import GENERATED_BY, grade_ids, sorted_results, write_json_document
from autograder.reports.item_analysis import analyse
from autograder.reports.registry import report_format
from autograder.results import SubmissionResult


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


@report_format("report.json", "tools; schemas/report.schema.json")
def write_json(results: list[SubmissionResult], path) -> Path:
    """The full report, for tools: every submission as ``SubmissionResult.to_dict`` plus a summary.

    Validated by ``schemas/report.schema.json``.
    """
    results = sorted_results(results)
    document = {
        "assignment": results[0].assignment,
        "generated_by": GENERATED_BY,
        "submissions": [result.to_dict() for result in results],
        "summary": _summary(results),
    }
    return write_json_document(document, path)
