"""Gradescope's results.json, one per submission."""

from pathlib import Path

from autograder.reports.common import failed, item_title, number, score, write_json_document
from autograder.reports.registry import report_format
from autograder.results import PASSED, ItemResult, SubmissionResult


def _gradescope_output(result: SubmissionResult) -> str:
    lines = [f"Autograded: {score(result.points, result.max_points)} points."]
    if result.written:
        names = ", ".join(item_title(item) for item in result.written)
        lines.append(f"Written answers ({names}) are graded by hand: {number(result.written_points)} more points, "
                     "not included in this score.")
    if result.notices:
        lines += ["", "Notices:", *(f"- {notice}" for notice in result.notices)]
    return "\n".join(lines)


def _gradescope_test(item: ItemResult) -> dict:
    return {
        "name": item_title(item),
        "score": item.points,
        "max_score": item.max_points,
        # Gradescope knows only passed/failed; reglab's finer status is kept in extra_data.
        "status": "passed" if item.status == PASSED and not failed(item) else "failed",
        "output": "\n".join(item.messages),
        "visibility": "visible",
        "extra_data": {"status": item.status},
    }


@report_format("gradescope/{student}/results.json", "Gradescope's autograder harness")
def write_gradescope(result: SubmissionResult, path) -> Path:
    """Gradescope's ``/autograder/results/results.json`` for one submission (its "Autograder Specifications").

    "score" is the autograded total and overrides the sum of the tests. Written answers are not tests:
    a test without a score counts as an informational pass/fail check, which a hand-graded answer is not,
    so they are named in "output" and graded in Gradescope's own manual-grading questions. All text is
    sent as "text" (Gradescope's default "simple_format" renders HTML, and messages can hold a student's).
    Validated by ``schemas/gradescope-results.schema.json``.
    """
    document = {
        "score": result.points,
        "execution_time": round(result.seconds, 3),
        "output": _gradescope_output(result),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",  # stdout is the grader's log, for instructors only
        "tests": [_gradescope_test(item) for item in result.items],
    }
    return write_json_document(document, path)
