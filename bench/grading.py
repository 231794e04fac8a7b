"""How fast does the grader grade? Latency of one submission and throughput of a batch.

    python -m bench.grading [--submissions 100] [--repeats 5] [--out bench/results]

Every figure is a median of ``--repeats`` runs, measured in the same run as
what it is compared with:
- latency: grading the solution notebook, against the floor (a bare
  ``python -c "import torch, torchvision"``) and against ``nbgrader autograde``
  of the same submission;
- throughput: ``--submissions`` copies with 1 and with 2 workers, the speed-up,
  and the peak memory (resident set) of the largest worker process;
- hidden checks: every item's checks of each assignment against its solution, in
  this process (one pytest run, as the worker runs them), against one pytest run
  that only collects them: what running the checks costs over pytest itself.
"""

import argparse
import functools
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.converters import Autograde

from autograder import build, check_runner, course, grade, nbgrader_grading, prepare
from autograder.course import ROOT
from bench import results as results_file

SOLUTION = ROOT / "examples" / "submitted" / "ada" / "regularization" / "regularization.ipynb"
ASSIGNMENT = "regularization"


def _median_seconds(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def floor_seconds(repeats: int) -> float:
    """A fresh interpreter importing torch and torchvision: no grader can start faster."""
    return _median_seconds(lambda: subprocess.run([sys.executable, "-c", "import torch, torchvision"], check=True),
                           repeats)


def latency_seconds(repeats: int) -> float:
    """Grading the solution notebook alone, from the grader's call to its result."""
    return _median_seconds(lambda: grade.grade_paths([SOLUTION], ASSIGNMENT, workers=1), repeats)


def nbgrader_seconds(repeats: int, folder: Path) -> float:
    """``nbgrader autograde`` of the same submission in a scratch course (its release is built first, untimed)."""
    folder.mkdir(parents=True, exist_ok=True)
    gradebook = folder / "gradebook.db"
    build.build_release(ASSIGNMENT, output_root=folder, gradebook=gradebook)
    target = folder / "submissions" / "ada" / ASSIGNMENT
    target.mkdir(parents=True)
    shutil.copy(SOLUTION, target)
    nbgrader_grading.collect(folder / "submissions", ASSIGNMENT, root=folder)
    config = course.config(ROOT, gradebook, folder)
    return _median_seconds(lambda: course.run(Autograde, ASSIGNMENT, config, student="*"), repeats)


def batch_seconds(n: int, workers: int, folder: Path) -> float:
    """Seconds to grade ``n`` copies of the solution with ``workers`` (checked: each gets full marks)."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(n):
        shutil.copy(SOLUTION, folder / f"student{index:03d}.ipynb")
    start = time.perf_counter()
    results = grade.grade_paths([folder], ASSIGNMENT, workers=workers)
    seconds = time.perf_counter() - start
    if any(result.points != result.max_points for result in results):
        raise RuntimeError("a copy of the solution lost points: the benchmark measured a broken grader")
    return seconds


def _run_every_check(checks: check_runner.Session) -> None:
    for grade_id in checks.items:
        checks.run(grade_id)


def checks_seconds(repeats: int) -> dict[str, float]:
    """Per assignment: all hidden checks against the solution, and a pytest run that only collects them."""
    measured = {}
    for assignment in course.assignments():
        namespace, _ = prepare.run_in_process(course.solution_notebook(assignment), assignment)
        run_all = functools.partial(check_runner.run_session, assignment, namespace, _run_every_check)
        measured[f"checks_{assignment}_s"] = round(_median_seconds(run_all, repeats), 3)
        collect = functools.partial(check_runner.check_names, assignment)
        measured[f"collect_only_{assignment}_s"] = round(_median_seconds(collect, repeats), 3)
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.grading", description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=results_file.DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        floor = floor_seconds(args.repeats)
        latency = latency_seconds(args.repeats)
        nbgrader = nbgrader_seconds(args.repeats, Path(scratch) / "course")
        one = batch_seconds(args.submissions, 1, Path(scratch) / "one")
        two = batch_seconds(args.submissions, 2, Path(scratch) / "two")
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child, in KiB on Linux
    results = {
        "floor_import_torch_s": round(floor, 2),
        "solution_latency_s": round(latency, 2),
        "latency_over_floor": round(latency / floor, 2),
        "nbgrader_autograde_s": round(nbgrader, 2),
        "nbgrader_over_latency": round(nbgrader / latency, 2),
        "submissions": args.submissions,
        "one_worker_per_min": round(args.submissions / one * 60, 1),
        "two_workers_per_min": round(args.submissions / two * 60, 1),
        "speedup_two_workers": round(one / two, 2),
        "peak_worker_rss_mib": round(peak_mib),
        **checks_seconds(args.repeats),
    }
    print(results_file.write(results, args.out, "grading"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
