"""Join the results of sharded grading runs into the reports one unsharded run writes.

    python -m autograder.merge DIR [DIR ...] --out REPORTS [--allow-incomplete]

Each DIR is the ``--out`` of one ``python -m autograder.grade --shard K/N`` run. The reports go to
``REPORTS/ASSIGNMENT/``, written by the same writers as an unsharded run's, so they are the same files but for
the timings; ``REPORTS/merge.json`` records the shards, the grader's identity and any opt-out. Merging the
same folders again writes the same bytes.

It refuses (exit 1, listing every problem) unless every planned submission was graded exactly once, by one
grader identity, under one plan. ``--allow-incomplete`` lets submissions be missing (a shard that never
finished), loudly and on record; results that disagree (two gradings of one submission, another grader, another
plan) are never merged, since there is no right one to pick. A shard whose node failed its calibration (or left
none: it was interrupted) did not finish, whatever its record says; one graded with ``--no-calibration`` is
merged, with a warning printed and its name in merge.json's ``uncalibrated``.
"""

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder import report_files, shard_files
from autograder.results import SubmissionResult
from autograder.shard_files import GradedSubmission, ShardOutput, ShardRecord
from autograder.shards import owner


@dataclass
class MergeCheck:
    """What is wrong with a set of shards' outputs; nothing, when every list is empty."""

    missing: list[str] = field(default_factory=list)  # planned, graded by no shard; --allow-incomplete lets these be
    conflicts: list[str] = field(default_factory=list)  # duplicated, mismatched or unplanned: never merged
    uncalibrated: list[str] = field(default_factory=list)  # shards graded with --no-calibration: merged, loudly

    @property
    def complete(self) -> bool:
        return not self.missing and not self.conflicts


def check(outputs: list[ShardOutput]) -> MergeCheck:
    """Compare every shard's record and result with the first shard's plan and grader identity."""
    found = MergeCheck()
    reference = outputs[0].record
    plan = {(assignment, student): notebook for assignment, student, notebook in reference.plan}
    count = reference.shard.count
    for output in outputs:
        record, where = output.record, output.folder
        for name in sorted(record.grader.keys() | reference.grader.keys()):
            if record.grader.get(name) != reference.grader.get(name):
                found.conflicts.append(f"{where}: mismatched grader: {name} is {record.grader.get(name)!r}, but "
                                       f"{reference.grader.get(name)!r} in {outputs[0].folder}")
        if shard_files.plan_sha256(record.plan) != shard_files.plan_sha256(reference.plan):
            changed = sorted(set(record.plan) ^ set(reference.plan))
            found.conflicts.append(f"{where}: mismatched plan: it planned {len(record.plan)} submissions, "
                                   f"{outputs[0].folder} {len(reference.plan)}; they differ in {_listed(changed)}")
        if record.shard.count != count:
            found.conflicts.append(f"{where}: mismatched shard count: shard {record.shard}, but {count} shards in "
                                   f"{outputs[0].folder}")
        if record.calibration is None:
            found.missing.append(f"{where}: shard {record.shard} did not finish: no calibration recorded")
        elif record.calibration.skipped:
            found.uncalibrated.append(f"{where}: shard {record.shard} was graded with --no-calibration")
        elif not record.calibration.passed:
            found.missing.append(f"{where}: shard {record.shard} did not finish: its calibration failed: "
                                 + "; ".join(a.describe() for a in record.calibration.failed))
        elif not record.finished:
            found.missing.append(f"{where}: shard {record.shard} did not finish")
        planned_as = shard_files.plan_sha256(record.plan)
        found.conflicts += [problem for graded in output.graded
                            for problem in _result_problems(graded, record, planned_as, plan)]
    numbers = Counter(output.record.shard.number for output in outputs)
    found.conflicts += [f"duplicated shard {number}/{count}: in "
                        + ", ".join(str(o.folder) for o in outputs if o.record.shard.number == number)
                        for number, times in sorted(numbers.items()) if times > 1]
    found.missing += [f"missing: shard {number}/{count}: no folder of it was given"
                      for number in range(1, count + 1) if number not in numbers]
    graded = Counter(graded.key for output in outputs for graded in output.graded)
    found.conflicts += [f"duplicated: {assignment}/{student}, graded {times} times: in "
                        + ", ".join(str(g.path) for o in outputs for g in o.graded if g.key == (assignment, student))
                        for (assignment, student), times in sorted(graded.items()) if times > 1]
    found.missing += [f"missing: {assignment}/{student} ({notebook}), of shard "
                      f"{owner(assignment, student, count)}/{count}"
                      for (assignment, student), notebook in sorted(plan.items())
                      if (assignment, student) not in graded]
    return found


def _result_problems(graded: GradedSubmission, record: ShardRecord, planned_as: str,
                     plan: dict[tuple[str, str], str]) -> list[str]:
    """What is wrong with one result file: against its own folder's record (a leftover of another run), and
    against the plan. Its folder's record was compared with the other shards' already."""
    key = graded.key
    problems = []
    if graded.grader != record.grader or graded.plan_sha256 != planned_as or graded.shard != record.shard:
        problems.append(f"{graded.path}: mismatched: graded as shard {graded.shard.number}/{graded.shard.count} "
                        f"by another grader or plan than its folder's shard {record.shard}: left from another run")
    if key not in plan:
        problems.append(f"{graded.path}: unplanned: {key[0]}/{key[1]} is in no shard's plan")
    elif graded.result.notebook != plan[key]:
        problems.append(f"{graded.path}: mismatched notebook: {graded.result.notebook}, planned {plan[key]}")
    elif owner(*key, record.shard.count) != record.shard.number:
        problems.append(f"{graded.path}: {key[0]}/{key[1]} belongs to shard "
                        f"{owner(*key, record.shard.count)}/{record.shard.count}, not {record.shard}")
    return problems


def _listed(entries: list, shown: int = 5) -> str:
    text = ", ".join("/".join(entry[:2]) for entry in entries[:shown])
    return text + (f" and {len(entries) - shown} more" if len(entries) > shown else "")


def merged_results(outputs: list[ShardOutput]) -> dict[str, list[SubmissionResult]]:
    """Every result, by assignment, sorted by student (the reports sort again; this keeps merge.json stable)."""
    by_assignment: dict[str, list[SubmissionResult]] = {}
    for graded in sorted((g for output in outputs for g in output.graded), key=lambda g: g.key):
        by_assignment.setdefault(graded.result.assignment, []).append(graded.result)
    return by_assignment


def speed_factors(outputs: list[ShardOutput]) -> dict[Path, float | None]:
    """Each node's seconds to grade the reference solutions over the fastest node's (1: the fastest; None: no
    passed calibration). Every shard grades the same solutions, so this compares the nodes themselves."""
    seconds = {o.folder: sum(a.seconds for a in o.record.calibration.assignments) for o in outputs
               if o.record.calibration is not None and o.record.calibration.passed}
    fastest = min(seconds.values(), default=0)
    return {o.folder: round(seconds[o.folder] / fastest, 2) if o.folder in seconds and fastest > 0 else None
            for o in outputs}


def write_record(path: Path, outputs: list[ShardOutput], found: MergeCheck, allowed_incomplete: bool) -> None:
    """``merge.json`` (``schemas/merge.schema.json``): which shards were merged, by which grader, how fast each
    node was, and what was let through."""
    record = outputs[0].record
    speed = speed_factors(outputs)
    document = {
        "shards": sorted(({"folder": str(o.folder), "shard": str(o.record.shard), "results": len(o.graded),
                           "calibration": None if o.record.calibration is None else o.record.calibration.to_dict(),
                           "speed_factor": speed[o.folder]}
                          for o in outputs), key=lambda entry: (entry["shard"], entry["folder"])),
        "grader": record.grader,
        "plan": {"count": len(record.plan), "sha256": shard_files.plan_sha256(record.plan)},
        "complete": found.complete,
        "allowed_incomplete": allowed_incomplete,
        "missing": found.missing,
        "uncalibrated": found.uncalibrated,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    from autograder import reports

    parser = argparse.ArgumentParser(prog="python -m autograder.merge", description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, metavar="DIR", help="the --out of each shard's grading")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="where the reports go (default: reports)")
    parser.add_argument("--allow-incomplete", action="store_true",
                        help="write the reports though planned submissions are missing; recorded in merge.json")
    args = parser.parse_args(argv)
    try:
        outputs = [shard_files.read(folder) for folder in dict.fromkeys(args.folders)]
        # in shard order, whatever order the folders came in: the first is what the others are compared with
        outputs.sort(key=lambda output: (output.record.shard.number, str(output.folder)))
    except (OSError, ValueError, KeyError) as error:
        print(f"python -m autograder.merge: {error}", file=sys.stderr)
        return 1
    found = check(outputs)
    problems = found.conflicts + found.missing
    if found.conflicts or (found.missing and not args.allow_incomplete):
        print(f"python -m autograder.merge: refusing to merge: {len(problems)} problem(s):", file=sys.stderr)
        print("\n".join(f"  {problem}" for problem in problems), file=sys.stderr)
        if not found.conflicts:
            print("Grade the missing shards again (or pass --allow-incomplete to report without them).",
                  file=sys.stderr)
        return 1
    results = merged_results(outputs)
    for assignment, group in sorted(results.items()):
        reports.write_all(group, args.out / assignment)
        print(f"{assignment}\n{reports.instructor_tables(group)}\n")
    write_record(args.out / report_files.MERGE_RECORD, outputs, found, args.allow_incomplete)
    print(reports.isolation_summary([result for group in results.values() for result in group]))
    if found.missing:
        print(f"WARNING: INCOMPLETE (--allow-incomplete): {len(found.missing)} problem(s); the reports lack these "
              "submissions (recorded in merge.json):\n" + "\n".join(f"  {problem}" for problem in found.missing),
              file=sys.stderr)
    if found.uncalibrated:
        print(f"WARNING: UNCALIBRATED: {len(found.uncalibrated)} shard(s) graded without checking that the "
              "reference solutions earn full marks on their nodes (recorded in merge.json):\n"
              + "\n".join(f"  {line}" for line in found.uncalibrated), file=sys.stderr)
    measured = [factor for factor in speed_factors(outputs).values() if factor is not None]
    if len(measured) > 1:
        print(f"Nodes: the slowest graded the reference solutions {max(measured):.2f}x as long as the fastest "
              "(speed_factor in merge.json)")
    print(f"Reports: {reports.listing(f'{args.out}/ASSIGNMENT')}, {args.out}/merge.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
