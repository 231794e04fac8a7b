"""What a shard leaves in its ``--out`` folder, for ``python -m autograder.merge`` to read back.

    DIR/shard.json                        the shard (K of N), the grader's identity, the whole plan, the node's
                                          calibration (``autograder.calibration``; null until it is done),
                                          finished?
    DIR/results/ASSIGNMENT/STUDENT.json   one graded submission: ``SubmissionResult.to_dict`` with the shard,
                                          the grader's identity and the plan's hash it was graded under

Every result carries its own identity and plan hash, not only the shard's record, so that results of two runs
mixed in one folder are told apart. Files are written whole or not at all (a temporary file, then a rename):
a job killed mid-write leaves a missing result, which the merge reports, never a truncated one.
"""

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.calibration import Calibration
from autograder.reports.common import checked_student_id, inside
from autograder.results import SubmissionResult
from autograder.shards import Shard

FORMAT = 2  # of these files; the merge refuses others (2: the calibration)
MANIFEST = "shard.json"
RESULTS = "results"

PlanEntry = tuple[str, str, str]  # (assignment, student, notebook as reports show it)


def plan_sha256(plan: list[PlanEntry]) -> str:
    return hashlib.sha256(json.dumps(sorted(plan)).encode()).hexdigest()


@dataclass
class ShardRecord:
    """The record of one shard's run (``shard.json``)."""

    shard: Shard
    grader: dict  # ``grader_identity.identity``
    plan: list[PlanEntry]  # every submission of every shard, sorted
    finished: bool = False
    calibration: Calibration | None = None  # None: not calibrated (yet), which the merge counts as not finished

    def to_dict(self) -> dict:
        return {"format": FORMAT, "shard": {"number": self.shard.number, "count": self.shard.count,
                                            "source": self.shard.source},
                "grader": self.grader, "finished": self.finished,
                "calibration": None if self.calibration is None else self.calibration.to_dict(),
                "plan": {"count": len(self.plan), "sha256": plan_sha256(self.plan),
                         "submissions": [list(entry) for entry in self.plan]}}

    @classmethod
    def from_dict(cls, fields: dict) -> "ShardRecord":
        if fields.get("format") != FORMAT:
            raise ValueError(f"shard record format {fields.get('format')!r}, not {FORMAT}: "
                             "graded by another version of the grader")
        shard = fields["shard"]
        calibration = fields["calibration"]
        return cls(Shard(shard["number"], shard["count"], shard["source"]), fields["grader"],
                   [tuple(entry) for entry in fields["plan"]["submissions"]], fields["finished"],
                   None if calibration is None else Calibration.from_dict(calibration))


@dataclass
class GradedSubmission:
    """One result file: a submission's result and what it was graded under."""

    result: SubmissionResult
    shard: Shard
    grader: dict
    plan_sha256: str
    path: Path  # where it was read from, for the merge's messages

    @property
    def key(self) -> tuple[str, str]:
        return self.result.assignment, self.result.student


@dataclass
class ShardOutput:
    """Everything one shard's folder holds."""

    folder: Path
    record: ShardRecord
    graded: list[GradedSubmission]


def start(folder: Path, record: ShardRecord) -> None:
    """Make ``folder`` this shard's, replacing a previous run of a shard there (a re-run of a failed one)."""
    manifest, results = folder / MANIFEST, folder / RESULTS
    if results.exists() and not manifest.exists():
        raise FileExistsError(f"{results} exists but {manifest} does not: not a shard's output, so it is left "
                              "alone; pass an empty or new --out folder")
    if results.exists():
        shutil.rmtree(results)
    _write_json(manifest, record.to_dict())


def calibrated(folder: Path, record: ShardRecord, calibration: Calibration) -> None:
    """Record the node's calibration (passed, failed or skipped) before any student is graded."""
    record.calibration = calibration
    _write_json(folder / MANIFEST, record.to_dict())


def finish(folder: Path, record: ShardRecord) -> None:
    record.finished = True
    _write_json(folder / MANIFEST, record.to_dict())


def write_result(folder: Path, record: ShardRecord, result: SubmissionResult) -> Path:
    path = inside(folder / RESULTS, result.assignment, f"{checked_student_id(result.student)}.json")
    _write_json(path, {"format": FORMAT, "shard": {"number": record.shard.number, "count": record.shard.count},
                       "grader": record.grader, "plan_sha256": plan_sha256(record.plan),
                       "result": result.to_dict()})
    return path


def read(folder: Path) -> ShardOutput:
    """A shard's folder as it was left; ``FileNotFoundError`` or ``ValueError`` when it is not one."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(f"{folder}: no {MANIFEST}, so no shard's output (was it graded with --shard?)")
    record = ShardRecord.from_dict(json.loads(manifest.read_text(encoding="utf-8")))
    graded = []
    for path in sorted((folder / RESULTS).glob("*/*.json")):
        fields = json.loads(path.read_text(encoding="utf-8"))
        if fields.get("format") != FORMAT:
            raise ValueError(f"{path}: result format {fields.get('format')!r}, not {FORMAT}")
        shard = Shard(fields["shard"]["number"], fields["shard"]["count"], str(path))
        graded.append(GradedSubmission(SubmissionResult.from_dict(fields["result"]), shard, fields["grader"],
                                       fields["plan_sha256"], path))
    return ShardOutput(folder, record, graded)


def _write_json(path: Path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(partial, path)
