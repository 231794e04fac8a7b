"""Calibrate a grading node: before a shard grades any student, it grades each assignment's reference solution.

The solution (``solutions/ASSIGNMENT/ASSIGNMENT.ipynb``) is graded with the launcher and limits the students will
be graded with. It must earn every autograded point: where it does not, the node is too slow or too loaded for
the limits (a cell or the submission ran out of time) or its install is broken (an import fails), and every
student on it would be marked down for the node's sake. The shard then grades no one and says why
(``Calibration.failure_message``); its ``shard.json`` keeps the record, and the merge reports the shard as not
finished.

Speed is recorded as measured, with no made-up reference machine: the seconds the solution's grading took, and
that time as a share of the wall limit a submission has (``share_of_wall_limit``): 0.1 means the reference
solution needed a tenth of the time budget on this node, so a student's code ten times slower than the
solution's would still finish. Shards of one run can be compared by it, and a share near 1 warns that the
limits are tight on this node even where the solution still passed.

``--no-calibration`` skips all of it; the skip is recorded (``Calibration.skipped``) and the merge prints it.
A shard record without any calibration (an interrupted shard) counts as not calibrated: it fails closed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from autograder.limits import Limits
from autograder.results import SubmissionResult

TIGHT = 0.5  # a share of the wall limit above which the node is said to be near its limits (a warning only)

# grades one assignment's reference solution on this node, with the students' launcher and limits
GradeSolution = Callable[[str], SubmissionResult]


@dataclass(frozen=True)
class AssignmentCalibration:
    """One assignment's reference solution, graded on this node."""

    assignment: str
    points: float
    max_points: float
    seconds: float
    wall_limit_seconds: float
    shortfalls: list[str] = field(default_factory=list)  # every item short of full marks, and the grader's notes

    @property
    def passed(self) -> bool:
        return self.max_points > 0 and self.points >= self.max_points and not self.shortfalls

    @property
    def share_of_wall_limit(self) -> float:
        return round(self.seconds / self.wall_limit_seconds, 4) if self.wall_limit_seconds > 0 else float("inf")

    def describe(self) -> str:
        return (f"{self.assignment}: {self.points:g} / {self.max_points:g} points in {self.seconds:.1f} s "
                f"({self.share_of_wall_limit:.0%} of the {self.wall_limit_seconds:g} s wall limit)")

    def to_dict(self) -> dict:
        return {"assignment": self.assignment, "passed": self.passed, "points": self.points,
                "max_points": self.max_points, "seconds": self.seconds, "wall_limit_seconds": self.wall_limit_seconds,
                "share_of_wall_limit": self.share_of_wall_limit, "shortfalls": list(self.shortfalls)}

    @classmethod
    def from_dict(cls, fields_: dict) -> "AssignmentCalibration":
        return cls(fields_["assignment"], fields_["points"], fields_["max_points"], fields_["seconds"],
                   fields_["wall_limit_seconds"], list(fields_["shortfalls"]))


@dataclass(frozen=True)
class Calibration:
    """A node's calibration: each assignment's, or the record that it was skipped on purpose."""

    assignments: list[AssignmentCalibration] = field(default_factory=list)
    skipped: bool = False  # --no-calibration

    @property
    def passed(self) -> bool:
        return not self.skipped and bool(self.assignments) and all(a.passed for a in self.assignments)

    @property
    def failed(self) -> list[AssignmentCalibration]:
        return [a for a in self.assignments if not a.passed]

    def summary(self) -> str:
        if self.skipped:
            return "calibration skipped (--no-calibration): this node's speed and install were not checked"
        return "calibration " + ("passed" if self.passed else "FAILED") + ": " + "; ".join(
            a.describe() for a in self.assignments)

    def failure_message(self) -> str:
        """What went wrong and how to fix it, for a shard that must not grade."""
        lines = ["the reference solution did not earn full marks on this node, so no student was graded here:"]
        for failed in self.failed:
            lines.append(f"  {failed.describe()}")
            lines += [f"    {shortfall}" for shortfall in failed.shortfalls]
        lines.append("A solution that ran out of time (a cell, an item's checks or the submission) means this node "
                     "is too slow or too loaded for the limits: raise them (--limits cell=60,item=60,wall=360) for "
                     "every shard, or run this shard on a less loaded node. An error on an import or a missing "
                     "file means a broken install: rebuild the environment. Then grade this shard again.")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"skipped": self.skipped, "passed": self.passed,
                "assignments": [a.to_dict() for a in self.assignments]}

    @classmethod
    def from_dict(cls, fields_: dict) -> "Calibration":
        return cls([AssignmentCalibration.from_dict(a) for a in fields_["assignments"]], fields_["skipped"])


def calibrate(assignments: list[str], limits: Limits, grade_solution: GradeSolution) -> Calibration:
    """Grade each assignment's reference solution with ``grade_solution``, one after another (one worker: what a
    single submission gets), and say whether each earned full marks within ``limits``."""
    return Calibration([_one(assignment, limits, grade_solution) for assignment in sorted(set(assignments))])


def _one(assignment: str, limits: Limits, grade_solution: GradeSolution) -> AssignmentCalibration:
    try:
        result = grade_solution(assignment)
    except Exception as error:  # a broken install can fail anywhere; the shard must say so, not crash unexplained
        return AssignmentCalibration(assignment, 0.0, 0.0, 0.0, limits.wall_seconds,
                                     [f"grading the solution raised {type(error).__name__}: {error}"])
    shortfalls = [f"{item.label or item.grade_id} ({item.grade_id}): {item.points:g} / {item.max_points:g}, "
                  f"{item.status}" + (": " + " ".join(item.messages) if item.messages else "")
                  for item in result.items if item.points < item.max_points]
    if shortfalls or result.grader_notes:  # the notices explain a shortfall (a cell that stopped); once each
        shortfalls += [f"notice: {notice}" for notice in dict.fromkeys(result.notices)]
    shortfalls += [f"grader: {note}" for note in result.grader_notes]
    if not result.items:
        shortfalls.append("the solution's grading found no autograded items")
    return AssignmentCalibration(assignment, result.points, result.max_points, round(result.seconds, 2),
                                 limits.wall_seconds, shortfalls)
