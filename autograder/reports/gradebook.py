"""gradebook.csv and the tables printed on the instructor's console after grading."""

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from autograder.reports.common import grade_ids, isolation_line, new_file, number, score, sorted_results
from autograder.reports.item_analysis import analysis_table
from autograder.reports.registry import report_format
from autograder.results import SubmissionResult


def _gradebook(results: list[SubmissionResult], cell: Callable[[float], object]) -> pd.DataFrame:
    """One row per student: each item's points, then the totals; ``cell`` formats each number.

    Items a submission lacks stay empty (NaN), so a missing cell is not mistaken for a zero.
    """
    rows = []
    for result in results:
        points = {item.grade_id: cell(item.points) for item in result.items}
        rows.append({"student": result.student, "notebook": result.notebook, **points})
    return pd.DataFrame(rows, columns=["student", "notebook", *grade_ids(results)])


@report_format("gradebook.csv", "instructors' spreadsheets, LMS imports")
def write_csv(results: list[SubmissionResult], path) -> Path:
    """The gradebook, for instructors and LMS imports: one row per student, one column per item's points,
    then the autograded total and maximum, the maximum of the written answers (graded by hand, so not in
    ``autograded``) and the number of notices."""
    results = sorted_results(results)
    table = _gradebook(results, cell=lambda value: round(value, 4))
    table["autograded"] = [result.points for result in results]
    table["autograded_max"] = [result.max_points for result in results]
    table["written_max"] = [result.written_points for result in results]
    table["notices"] = [len(result.notices) for result in results]
    path = new_file(path)
    table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


def isolation_summary(results: list[SubmissionResult]) -> str:
    """What the submissions ran inside, for the instructor's console: one line per distinct sandbox, and a
    warning above them when any was graded with --no-isolation."""
    kinds: dict[str, int] = {}
    for result in results:
        if result.isolation:
            line = isolation_line(result.isolation)
            kinds[line] = kinds.get(line, 0) + 1
    lines = [f"Isolation ({count} submission{'s' * (count != 1)}): {line}" for line, count in kinds.items()]
    if any(result.isolation and result.isolation["opt_out"] for result in results):
        lines.insert(0, "WARNING: graded WITHOUT isolation (--no-isolation): submissions could read and change "
                        "anything this user can. Every report records it.")
    return "\n".join(lines)


def score_table(results: list[SubmissionResult]) -> str:
    """The table the CLI prints after grading: each item's points, the autograded total / max, and the
    points that are left to grade by hand. Plain text, numbers right-aligned, at most 2 decimals."""
    results = sorted_results(results)
    table = _gradebook(results, cell=number).drop(columns="notebook").fillna("-")
    table["autograded"] = [score(result.points, result.max_points) for result in results]
    table["written (by hand)"] = [number(result.written_points) for result in results]
    return table.to_string(index=False)


def instructor_tables(results: list[SubmissionResult]) -> str:
    """What the instructor's console shows of one assignment after grading, merging or regrading: the score
    table, then the item analysis. One place, so that the three commands print the same."""
    return f"{score_table(results)}\n\n{analysis_table(results)}"
