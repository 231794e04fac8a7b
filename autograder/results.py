"""What grading one submission produces: the data every report and feedback page is written from."""

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """Status of one autograded item, from the student's point of view (a str: reports write its value)."""

    PASSED = "passed"  # every check passed
    PARTIAL = "partial"  # some checks passed
    FAILED = "failed"  # no check passed
    NOT_ATTEMPTED = "not attempted"  # the stub is still there (the checks met NotImplementedError), or no answer cell
    ERROR = "error"  # grading of this item broke off (time limit, crash, tampering); zero points


PASSED, PARTIAL, FAILED, NOT_ATTEMPTED, ERROR = (Status.PASSED, Status.PARTIAL, Status.FAILED, Status.NOT_ATTEMPTED,
                                                 Status.ERROR)
STATUSES = tuple(Status)
# How an item's message starts when a visible check (an assert of the released test cell) failed: the student's own
# notebook shows that failure too, so reports may show it at once (Gradescope's results.json does).
VISIBLE_CHECK_FAILED = "a visible check failed: "


@dataclass
class ItemResult:
    """One autograded item (an nbgrader test cell, named by its grade_id)."""

    grade_id: str
    points: float  # earned
    max_points: float
    status: Status
    messages: list[str] = field(default_factory=list)  # for the student: what failed, never the check's code
    label: str = ""  # the question as the notebook numbers it, "3.2 (a)"; "" where it numbers none
    title: str = ""  # the question as the notebook asks it, "Complete build_optimizer"; "" where unknown

    @classmethod
    def from_dict(cls, fields: dict) -> "ItemResult":
        """An item of report.json read back (``asdict`` wrote it), its status typed again."""
        return cls(**{**fields, "status": Status(fields["status"])})


@dataclass
class WrittenItem:
    """One written answer, graded by hand."""

    grade_id: str
    max_points: float
    answered: bool  # False while the cell still holds the release's stub
    label: str = ""  # the question as the notebook numbers it, "3.2 (e)"
    title: str = ""  # the question as the notebook asks it


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    notebook: str  # the submitted file, relative to what was asked to grade
    items: list[ItemResult] = field(default_factory=list)
    written: list[WrittenItem] = field(default_factory=list)
    # whole-submission messages for the student: changed locked cells, cells that failed or timed out, files
    # that are not notebooks
    notices: list[str] = field(default_factory=list)
    # for the instructor only (reports, never the student's feedback): why the grader itself failed
    grader_notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # wall time spent grading it
    # what its code ran inside (``launchers.Isolation.to_dict``): for the instructor's reports, never the
    # student's feedback; None when none of its code ran (a file that is not a notebook)
    isolation: dict | None = None

    @property
    def points(self) -> float:
        return round(sum(item.points for item in self.items), 4)

    @property
    def max_points(self) -> float:
        return sum(item.max_points for item in self.items)

    @property
    def written_points(self) -> float:
        return sum(item.max_points for item in self.written)

    def to_dict(self) -> dict:
        return {**asdict(self), "points": self.points, "max_points": self.max_points,
                "written_points": self.written_points}

    @classmethod
    def from_dict(cls, fields: dict) -> "SubmissionResult":
        """The inverse of ``to_dict`` (a submission of report.json)."""
        derived = ("points", "max_points", "written_points")
        fields = {key: value for key, value in fields.items() if key not in derived}
        return cls(**{**fields, "items": [ItemResult.from_dict(item) for item in fields["items"]],
                      "written": [WrittenItem(**item) for item in fields["written"]]})
