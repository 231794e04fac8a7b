"""What an LMS export holds, whatever the LMS: every roster student's grade on every exported assignment.

Autograded points come from the kit's reports (``reports/ASSIGNMENT/report.json``), written answers' points from
nbgrader's gradebook (``written_grades``), submission times from nbgrader's ``timestamp.txt`` files
(``submission_times``) and the penalty from the late policy (``late_policy``). What the export must refuse or list
is gathered in ``Export`` as data; the CLI decides, and the LMS modules only lay it out.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

from autograder import late_policy, submission_times, written_grades
from autograder.late_policy import Lateness, LatePolicy
from autograder.reports.common import grade_ids, number
from autograder.reports.json_report import read_json
from autograder.results import SubmissionResult
from autograder.roster import RosterEntry
from autograder.submission_times import SubmissionTime
from autograder.written_grades import WrittenScore

REPORT = "report.json"


@dataclass(frozen=True)
class AssignmentShape:
    """One exported assignment: its autograded items, in the notebook's order, and its points."""

    assignment: str
    items: list[str]
    autograded_max: float
    written_max: float
    deadline: str | None = None  # ISO 8601, as the late policy gives it; None without a policy

    @property
    def points_possible(self) -> float:
        return self.autograded_max + self.written_max


@dataclass(frozen=True)
class Grade:
    """One roster student's grade on one assignment; ``result`` is None when they handed nothing in."""

    student: str
    shape: AssignmentShape
    result: SubmissionResult | None = None
    written: list[WrittenScore] = field(default_factory=list)
    time: SubmissionTime | None = None  # None without --submitted
    lateness: Lateness | None = None  # None without a late policy

    @property
    def submitted(self) -> bool:
        return self.result is not None

    @property
    def items(self) -> dict[str, float]:
        return {item.grade_id: item.points for item in self.result.items} if self.result else {}

    @property
    def autograded(self) -> float:
        return self.result.points if self.result else 0.0

    @property
    def written_points(self) -> float:
        """The written answers' points known so far (graded, or 0 for an untouched stub)."""
        return sum(score.points for score in self.written if score.points is not None)

    @property
    def written_not_graded(self) -> list[WrittenScore]:
        return [score for score in self.written if score.points is None]

    @property
    def total_before_penalty(self) -> float:
        return round(self.autograded + self.written_points, 4)

    @property
    def penalty(self) -> float:
        return self.lateness.penalty if self.lateness else 0.0

    @property
    def total(self) -> float:
        """What the LMS gets: the points less the late penalty, never below 0."""
        return round(max(0.0, self.total_before_penalty - self.penalty), 4)

    @property
    def timestamp_missing(self) -> bool:
        return self.submitted and self.time is not None and self.time.submitted_at is None

    def notes(self) -> list[str]:
        """What a person reading the row should know, in words."""
        if not self.submitted:
            return ["no submission"]
        notes = []
        if self.lateness and self.lateness.late:
            days = self.lateness.days_late
            zone = self.lateness.deadline.tzinfo
            notes.append(f"{days} day{'s' * (days != 1)} late (submitted "
                         f"{self.lateness.submitted_at.astimezone(zone):%Y-%m-%d %H:%M %Z}, due "
                         f"{self.lateness.deadline:%Y-%m-%d %H:%M %Z}): -{number(self.penalty)} points")
        if self.lateness and self.lateness.within_grace:
            minutes = math.ceil((self.lateness.submitted_at - self.lateness.deadline).total_seconds() / 60)
            notes.append(f"submitted {minutes} minute{'s' * (minutes != 1)} after the deadline, within the grace "
                         "period: on time")
        if self.timestamp_missing:
            notes.append("no submission time (timestamp.txt): counted as on time")
        pending = self.written_not_graded
        if pending:
            notes.append(f"written answers not graded yet: {len(pending)} "
                         f"({number(sum(score.max_points for score in pending))} points), not in the total")
        return notes


@dataclass
class Export:
    """Every roster student's grades, and what stands in the way of exporting them."""

    shapes: list[AssignmentShape]
    rows: list[tuple[RosterEntry, dict[str, Grade]]]  # in the roster's order; grades by assignment
    not_in_roster: list[str]  # graded students the roster lacks: not exported
    unreadable: list[str] = field(default_factory=list)  # timestamps nbgrader would misread: refused
    missing_deadlines: list[str] = field(default_factory=list)  # assignments the late policy gives no deadline

    @property
    def grades(self) -> list[Grade]:
        return [grades[shape.assignment] for _, grades in self.rows for shape in self.shapes]

    @property
    def no_submission(self) -> list[Grade]:
        return [grade for grade in self.grades if not grade.submitted]

    @property
    def missing_timestamps(self) -> list[Grade]:
        return [grade for grade in self.grades if grade.timestamp_missing]

    @property
    def written_not_graded(self) -> list[Grade]:
        return [grade for grade in self.grades if grade.written_not_graded]

    @property
    def late(self) -> list[Grade]:
        return [grade for grade in self.grades if grade.lateness and grade.lateness.late]


def reported_assignments(reports: Path) -> list[str]:
    """The assignments with a report in ``reports`` (``reports/ASSIGNMENT/report.json``)."""
    return sorted(path.parent.name for path in Path(reports).glob(f"*/{REPORT}"))


def read_report(reports: Path, assignment: str) -> list[SubmissionResult]:
    path = Path(reports) / assignment / REPORT
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no report of {assignment!r} (grade it first: python -m autograder.grade)")
    return read_json(path).results  # a file that is no report.json is refused with a ValueError saying so


def assemble(reports: Path, assignments: list[str], roster: list[RosterEntry], policy: LatePolicy | None = None,
             submitted: Path | None = None, gradebook: Path | None = None) -> Export:
    """Every roster student's grade on each of ``assignments``, from the reports and the other sources."""
    results = {assignment: {result.student: result for result in read_report(reports, assignment)}
               for assignment in assignments}
    shapes = [_shape(assignment, list(by_student.values()), policy) for assignment, by_student in results.items()]
    listed = {entry.student for entry in roster}
    graded = {student for by_student in results.values() for student in by_student}
    export = Export(shapes, [], not_in_roster=sorted(graded - listed))
    export.missing_deadlines = [shape.assignment for shape in shapes if policy and shape.deadline is None]
    with written_grades.open_gradebook(gradebook) as book:
        for entry in roster:
            grades = {}
            for shape in shapes:
                result = results[shape.assignment].get(entry.student)
                grades[shape.assignment] = _grade(entry.student, shape, result, book, policy, submitted, export)
            export.rows.append((entry, grades))
    return export


def _shape(assignment: str, results: list[SubmissionResult], policy: LatePolicy | None) -> AssignmentShape:
    deadline = policy.deadline(assignment) if policy else None
    return AssignmentShape(assignment, grade_ids(results), max(result.max_points for result in results),
                           max(result.written_points for result in results),
                           deadline.isoformat() if deadline else None)


def _grade(student: str, shape: AssignmentShape, result: SubmissionResult | None, gradebook,
           policy: LatePolicy | None, submitted: Path | None, export: Export) -> Grade:
    if result is None:
        return Grade(student, shape)
    written = written_grades.scores(result.written, gradebook, shape.assignment, student)
    time = lateness = None
    if submitted is not None:
        try:
            time = submission_times.read(submitted, student, shape.assignment)
        except submission_times.UnreadableTimestamp as error:
            export.unreadable.append(str(error))
    if policy is not None and shape.deadline is not None and time is not None:
        lateness = late_policy.assess(policy, shape.assignment, time.submitted_at, shape.points_possible)
    return Grade(student, shape, result, written, time, lateness)

