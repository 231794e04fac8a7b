"""The report formats, each registered once by the module that writes it; ``write_all``, the grader's closing
message, the docs and the tests all iterate over ``FORMATS``, so a new format is one module and one import."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.reports.common import checked_student_id, inside, sorted_results
from autograder.results import SubmissionResult

STUDENT = "{student}"  # in a format's path: one file per student


@dataclass(frozen=True)
class ReportFormat:
    path: str  # relative to an assignment's report folder; with STUDENT, one file per student
    reader: str  # who reads it, for the docs
    write: Callable  # (results, path) for one file per assignment, (result, path) for one per student
    keeps_regrades: bool = False  # its writer also takes ``regrades=``: the history of regrades merged into it

    @property
    def per_student(self) -> bool:
        return STUDENT in self.path


FORMATS: list[ReportFormat] = []  # one file per assignment first, then one per student, each by path


def report_format(path: str, reader: str, keeps_regrades: bool = False):
    """Register the decorated writer as the format written to ``path``."""

    def register(write: Callable) -> Callable:
        FORMATS.append(ReportFormat(path, reader, write, keeps_regrades))
        FORMATS.sort(key=lambda report: (report.per_student, report.path))
        return write

    return register


def write_all(results: list[SubmissionResult], out_dir, regrades: Sequence = ()) -> dict[str, Path]:
    """Write every registered format into ``out_dir``; return each file keyed by its path relative to out_dir.

    ``regrades`` (``json_report.Regrade``, oldest first) go to the formats that keep them; a grading from scratch
    has none. Student ids are checked before anything is written, so a hostile id leaves no partial reports behind.
    """
    out_dir = Path(out_dir)
    results = sorted_results(results)
    for result in results:
        checked_student_id(result.student)
    paths = []
    for report in FORMATS:
        if report.per_student:
            paths += [report.write(result, inside(out_dir, *report.path.format(student=result.student).split("/")))
                      for result in results]
        elif report.keeps_regrades:
            paths.append(report.write(results, out_dir / report.path, regrades=regrades))
        else:
            paths.append(report.write(results, out_dir / report.path))
    return {path.relative_to(out_dir).as_posix(): path for path in paths}


def listing(out_dir: str = "DIR") -> str:
    """The files a grading run writes, for the grader's closing message."""
    return ", ".join(f"{out_dir}/{report.path.replace(STUDENT, 'STUDENT')}" for report in FORMATS)
