"""How much faster is a batch graded in shards? A batch graded as 1, 2 and 4 shards on this machine, and merged.

    python -m bench.shards [--submissions 200] [--assignment regularization] [--counts 1,2,4] [--repeats 1]
                           [--limits NAME=VALUE,...] [--keep DIR] [--out bench/results]

What is measured (issue 15, item 7), every grading a ``python -m autograder.grade`` process as a course runs it:
- the batch: ``--submissions`` notebooks, nbgrader-shaped (``studentNNN/ASSIGNMENT/ASSIGNMENT.ipynb``), cycling
  over the bundled examples of the assignment (ada: the solution, ben: the untouched release, cleo: typical
  mistakes), so that full, zero and partial marks are mixed as in a real batch (an untouched notebook is graded
  in no time, which a batch of solutions alone would hide);
- the baseline: the batch graded unsharded with one worker;
- for each count C: C shard processes started at once (``--shard K/C``, one worker each), timed from the first
  start to the last end, so each shard's calibration (grading the reference solution first) is included, as a
  course pays it; then ``python -m autograder.merge`` of their folders, timed on its own;
- the ratio of each count's throughput to one shard's (``shards_C_vs_1``), and one shard's to the unsharded
  run's (``shards_1_vs_unsharded``: what calibrating and writing result files cost);
- how many cores other processes kept busy meanwhile (``*_others_busy_cores``, ``bench.cpu_use``): the machine
  is shared, and a figure measured beside another job's is slower for that job's sake, not the grader's.

The merged reports of every count must equal the unsharded run's apart from the timings
(``autograder.report_files``); where they do not, the benchmark stops with the files that differ rather than
report the throughput of a broken merge. A shard that exits non-zero (a failed calibration on a loaded node)
stops it too, with the end of that shard's output: pass ``--limits`` to give the limits headroom, never skip
calibration. ``--keep DIR`` grades in DIR instead of a temporary folder, to read every log and report after.

One run per count by default: on 2 cores 200 submissions take about 10 to 15 minutes per configuration, and the
whole benchmark about 45. ``--repeats R`` grades every configuration R times and reports medians; each repeat
runs the configurations in the opposite order to the previous one, so that a machine that slows down (heat,
another user's job) weighs on every configuration alike rather than on the last.

The shards share this machine's cores: on N cores, C > N shards contend for them, and the ratio shows what
sharding gains on one machine, not across C machines (there each shard would take about 1/C of the grading,
plus its calibration).
"""

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder import course, report_files, shard_files
from autograder.course import ROOT
from bench import cpu_use
from bench import results as results_file

EXAMPLES = ROOT / "examples" / "submitted"
# full marks, zero (the untouched release) and partial marks: the bundled students, in the order the batch cycles
EXAMPLE_STUDENTS = ("ada", "ben", "cleo")
UNSHARDED = "unsharded"
LOG_TAIL_CHARACTERS = 4000  # of a failed process's output, in the error that stops the benchmark


class BenchmarkFailed(RuntimeError):
    """A grading or merge failed, or the merge's reports are not the unsharded run's: no throughput to report."""


@dataclass(frozen=True)
class Timed:
    """Processes run at once: the wall seconds from the first start to the last end, and the cores others kept
    busy meanwhile (``bench.cpu_use``; None where not measured)."""

    seconds: float
    others_busy_cores: float | None


@dataclass
class ShardedRun:
    """One count's shards, graded at once and merged."""

    count: int
    grading: Timed  # first shard's start to last shard's end, calibrations included
    merge_seconds: float
    calibration_seconds: float  # the longest any shard spent grading the reference solutions
    calibration_share_of_wall_limit: float  # the largest share of the wall limit a reference solution needed
    largest_shard: int  # submissions in the fullest shard: the hash slices are not even for a few hundred


def generate_batch(folder: Path, assignment: str, submissions: int) -> Path:
    """``submissions`` copies of the bundled examples of ``assignment``, cycling over ada, ben and cleo."""
    examples = [EXAMPLES / student / assignment / f"{assignment}.ipynb" for student in EXAMPLE_STUDENTS]
    if missing := [str(example) for example in examples if not example.is_file()]:
        raise BenchmarkFailed(f"no bundled example submissions of {assignment}: {', '.join(missing)}")
    for number in range(submissions):
        target = folder / f"student{number:03d}" / assignment
        target.mkdir(parents=True)
        shutil.copy(examples[number % len(examples)], target / f"{assignment}.ipynb")
    return folder


def _grade_command(batch: Path, assignment: str, out: Path, limits: str, shard: str | None = None) -> list[str]:
    command = [sys.executable, "-m", "autograder.grade", str(batch), "--assignment", assignment, "--workers", "1",
               "--out", str(out)]
    return command + (["--shard", shard] if shard else []) + (["--limits", limits] if limits else [])


def _environment() -> dict[str, str]:
    """This process's environment with this checkout first on the path, so each process grades with this kit."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def _failure(what: str, log: Path, returncode: int) -> BenchmarkFailed:
    output = log.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARACTERS:]
    return BenchmarkFailed(f"{what} exited {returncode} (its log: {log}, kept with --keep DIR); the end of its "
                           f"output:\n{output}")


def run_processes(commands: Sequence[list[str]], logs: Sequence[Path]) -> Timed:
    """Start every command at once, each writing to its log; wait for all; time from first start to last end.
    Raises ``BenchmarkFailed`` with the failed command's log where any exits non-zero."""
    with cpu_use.Watch() as watch:
        start = time.perf_counter()
        running = []
        for command, log in zip(commands, logs, strict=True):
            with log.open("w", encoding="utf-8") as output:  # the child holds its own copy of the file
                running.append(subprocess.Popen(command, cwd=ROOT, env=_environment(), stdout=output,
                                                stderr=subprocess.STDOUT))
        returncodes = [process.wait() for process in running]
        seconds = time.perf_counter() - start
    for command, log, returncode in zip(commands, logs, returncodes, strict=True):
        if returncode != 0:
            raise _failure(" ".join(command[1:]), log, returncode)
    return Timed(seconds, watch.others_busy_cores)


def grade_unsharded(batch: Path, assignment: str, out: Path, limits: str) -> Timed:
    return run_processes([_grade_command(batch, assignment, out, limits)], [out.with_suffix(".log")])


def grade_sharded(batch: Path, assignment: str, count: int, folder: Path, limits: str) -> ShardedRun:
    """Grade ``batch`` as ``count`` shard processes at once into ``folder``/shard-K, then merge them into
    ``folder``/merged."""
    folder.mkdir(parents=True)
    outs = [folder / f"shard-{number}" for number in range(1, count + 1)]
    commands = [_grade_command(batch, assignment, out, limits, f"{number}/{count}")
                for number, out in enumerate(outs, start=1)]
    grading = run_processes(commands, [out.with_suffix(".log") for out in outs])
    merge = [sys.executable, "-m", "autograder.merge", *map(str, outs), "--out", str(folder / "merged")]
    merging = run_processes([merge], [folder / "merge.log"]).seconds
    shards = [shard_files.read(out) for out in outs]
    calibrations = [shard.record.calibration for shard in shards]
    return ShardedRun(count, grading, merging,
                      max(sum(a.seconds for a in c.assignments) for c in calibrations),
                      max(a.share_of_wall_limit for c in calibrations for a in c.assignments),
                      max(len(shard.graded) for shard in shards))


def check_merged(unsharded: Path, merged: Path, count: int) -> None:
    """Stop the benchmark unless the merged reports are the unsharded run's, timings apart."""
    if differences := report_files.differences(unsharded, merged):
        raise BenchmarkFailed(f"the merge of {count} shard(s) ({merged}) did not write the unsharded run's reports "
                              f"({unsharded}), timings apart; {len(differences)} file(s):\n  "
                              + "\n  ".join(differences[:20]))


def _orders(configurations: list, repeats: int) -> list[list]:
    """Each repeat's order of the configurations: as given, then reversed, and so on."""
    return [configurations if repeat % 2 == 0 else configurations[::-1] for repeat in range(repeats)]


def measure(batch: Path, assignment: str, counts: list[int], repeats: int, scratch: Path,
            limits: str = "") -> tuple[list[Timed], dict[int, list[ShardedRun]]]:
    """Grade ``batch`` unsharded and as each count of shards, ``repeats`` times; each merge is checked, as soon as
    it is written, against the first unsharded run's reports (the first repeat grades unsharded first)."""
    unsharded: list[Timed] = []
    sharded: dict[int, list[ShardedRun]] = {count: [] for count in counts}
    reference = scratch / "repeat-0" / UNSHARDED
    for repeat, order in enumerate(_orders([UNSHARDED, *counts], repeats)):
        for configuration in order:
            folder = scratch / f"repeat-{repeat}" / str(configuration)
            if configuration == UNSHARDED:
                folder.parent.mkdir(parents=True, exist_ok=True)
                unsharded.append(grade_unsharded(batch, assignment, folder, limits))
                print(f"unsharded: {unsharded[-1].seconds:.1f} s", file=sys.stderr)
                continue
            run = grade_sharded(batch, assignment, configuration, folder, limits)
            check_merged(reference, folder / "merged", configuration)
            sharded[configuration].append(run)
            print(f"{configuration} shard(s): {run.grading.seconds:.1f} s grading, {run.merge_seconds:.1f} s merge; "
                  "the merged reports equal the unsharded run's", file=sys.stderr)
    return unsharded, sharded


def _most_others_busy_cores(timings: list[Timed]) -> float | None:
    """The most cores others kept busy in any repeat: a figure to distrust when it is far from 0."""
    measured = [timed.others_busy_cores for timed in timings if timed.others_busy_cores is not None]
    return round(max(measured), 2) if measured else None


def summarise(submissions: int, assignment: str, limits: str, load_average: float, unsharded_runs: list[Timed],
              sharded: dict[int, list[ShardedRun]]) -> dict:
    """One flat dict of medians, so that the Markdown table reads as a list of measures."""
    def per_minute(seconds: float) -> float:
        return round(submissions / seconds * 60, 1)

    unsharded = statistics.median(timed.seconds for timed in unsharded_runs)
    results = {"submissions": submissions, "assignment": assignment,
               "mix": f"cycling {', '.join(EXAMPLE_STUDENTS)} (full, zero and partial marks)",
               "limits": limits or "the grader's defaults", "cpu_count": os.cpu_count(),
               "load_average_at_start": round(load_average, 2),
               "repeats": len(unsharded_runs),
               "unsharded_wall_s": round(unsharded, 1), "unsharded_per_min": per_minute(unsharded),
               "unsharded_others_busy_cores": _most_others_busy_cores(unsharded_runs)}
    grading = {count: statistics.median(run.grading.seconds for run in runs) for count, runs in sharded.items()}
    for count, runs in sharded.items():
        results |= {
            f"shards_{count}_wall_s": round(grading[count], 1),
            f"shards_{count}_per_min": per_minute(grading[count]),
            f"shards_{count}_calibration_s": round(statistics.median(run.calibration_seconds for run in runs), 1),
            f"shards_{count}_calibration_share_of_wall_limit":
                max(run.calibration_share_of_wall_limit for run in runs),
            f"shards_{count}_largest_shard": runs[0].largest_shard,
            f"shards_{count}_merge_s": round(statistics.median(run.merge_seconds for run in runs), 2),
            f"shards_{count}_others_busy_cores": _most_others_busy_cores([run.grading for run in runs]),
        }
    if 1 in grading:
        results["shards_1_vs_unsharded"] = round(unsharded / grading[1], 2)
        results |= {f"shards_{count}_vs_1": round(grading[1] / grading[count], 2) for count in grading if count != 1}
    # the merge reads result files and writes reports: its cost hardly depends on the count, so one figure
    merges = [run.merge_seconds for runs in sharded.values() for run in runs]
    results["merge_seconds_per_submission"] = round(statistics.median(merges) / submissions, 4)
    results["merged_equals_unsharded"] = True  # measure() stops the benchmark otherwise
    return results


@contextlib.contextmanager
def _scratch(keep: Path | None):
    """``keep`` if given (left behind), else a temporary folder (removed)."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as scratch:
        yield Path(scratch)


def _counts(text: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"--counts {text!r}: write the shard counts as e.g. 1,2,4") from None
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"--counts {text!r}: each count must be at least 1, e.g. 1,2,4")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.shards", description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--assignment", default="regularization", choices=course.assignments())
    parser.add_argument("--counts", type=_counts, default=[1, 2, 4],
                        help="the shard counts, comma-separated; 1 is needed for the ratios (default: 1,2,4)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="grade every configuration this many times and report medians (default: 1)")
    parser.add_argument("--limits", default="", metavar="NAME=VALUE,...",
                        help="passed to every grading (e.g. wall=360), and recorded; default: the grader's own")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="grade in DIR (new or empty) and leave the batch, logs and reports there")
    parser.add_argument("--out", type=Path, default=results_file.DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: not empty; give a new or empty folder")
    load = os.getloadavg()[0]  # the machine is shared: say how busy it was when the measuring began
    with _scratch(args.keep) as scratch:
        batch = generate_batch(scratch / "batch", args.assignment, args.submissions)
        unsharded, sharded = measure(batch, args.assignment, args.counts, args.repeats, scratch / "runs",
                                     args.limits)
    results = summarise(args.submissions, args.assignment, args.limits, load, unsharded, sharded)
    print(results_file.write(results, args.out, "shards"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
