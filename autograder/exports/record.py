"""The export's record, ``FILE.json`` beside the CSV: what was exported, from what, what was let through, and each
grade's lateness (submitted at, days late, penalty, total before and after it).

Schema: ``autograder/schemas/lms-export.schema.json``. It is written when the export refuses too (``exported``
false, ``problems`` saying why, no CSV), so that what has to be fixed is on record as well as on the screen.
"""

from datetime import datetime
from pathlib import Path

from autograder.exports.grades import Export, Grade
from autograder.late_policy import LatePolicy
from autograder.reports.common import GENERATED_BY, write_json_document


def path_for(csv_path: Path) -> Path:
    return Path(f"{csv_path}.json")


def document(export: Export, *, lms: str, csv_path: Path, sources: dict[str, str | None],
             policy: LatePolicy | None, opt_outs: dict[str, bool], problems: list[str]) -> dict:
    return {
        "lms": lms,
        "generated_by": GENERATED_BY,
        "exported": not problems,
        "csv": Path(csv_path).name if not problems else None,
        "problems": problems,
        "sources": sources,
        "late_policy": policy.source if policy else None,
        "opt_outs": opt_outs,
        "assignments": [{"assignment": shape.assignment, "points_possible": shape.points_possible,
                         "autograded_max": shape.autograded_max, "written_max": shape.written_max,
                         "deadline": shape.deadline, "items": shape.items} for shape in export.shapes],
        "not_in_roster": export.not_in_roster,
        "no_submission": [_which(grade) for grade in export.no_submission],
        "missing_timestamps": [{**_which(grade), "path": str(grade.time.path)} for grade in export.missing_timestamps],
        "written_not_graded": [{**_which(grade), "grade_ids": [score.grade_id for score in grade.written_not_graded],
                                "points": sum(score.max_points for score in grade.written_not_graded)}
                               for grade in export.written_not_graded],
        "grades": [_grade(grade) for grade in export.grades if grade.submitted],
    }


def write(path: Path, document_: dict) -> Path:
    return write_json_document(document_, path)


def _which(grade: Grade) -> dict:
    return {"student": grade.student, "assignment": grade.shape.assignment}


def _grade(grade: Grade) -> dict:
    lateness, time = grade.lateness, grade.time
    return {
        **_which(grade),
        "timestamp": time.text if time else None,
        "submitted_at": _iso(time.submitted_at) if time else None,
        "deadline": _iso(lateness.deadline) if lateness else None,
        "days_late": lateness.days_late if lateness else None,
        "penalty": grade.penalty if lateness else None,
        "autograded": grade.autograded,
        "written": grade.written_points,
        "written_not_graded": [score.grade_id for score in grade.written_not_graded],
        "total_before_penalty": grade.total_before_penalty,
        "total": grade.total,
        "notes": grade.notes(),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
