"""How fast does the grader grade? Latency of one solution and throughput of a batch.

    python -m bench.grading [--submissions 40] [--workers 2] [--repeats 3] [--out bench/results]

Writes a Markdown table and a JSON file. Each figure is the median of
``--repeats`` runs; the floor is a bare ``python -c "import torch, torchvision"``
measured in the same run, so ratios compare like with like on this machine.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder import grade
from autograder.course import ROOT
from bench import results as results_file

SOLUTION = ROOT / "examples" / "submitted" / "ada" / "regularization" / "regularization.ipynb"


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
    return _median_seconds(lambda: grade.grade_paths([SOLUTION], "regularization", workers=1), repeats)


def batch(n: int, workers: int, folder: Path) -> tuple[float, float]:
    """Seconds to grade ``n`` copies of the solution with ``workers``; and the points of the last one."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(n):
        shutil.copy(SOLUTION, folder / f"student{index:03d}.ipynb")
    start = time.perf_counter()
    results = grade.grade_paths([folder], "regularization", workers=workers)
    seconds = time.perf_counter() - start
    return seconds, results[-1].points


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.grading", description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=results_file.DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    floor = floor_seconds(args.repeats)
    latency = latency_seconds(args.repeats)
    with tempfile.TemporaryDirectory() as scratch:
        seconds, points = batch(args.submissions, args.workers, Path(scratch))
    results = {
        "floor_import_torch_s": round(floor, 2),
        "solution_latency_s": round(latency, 2),
        "latency_over_floor": round(latency / floor, 2),
        "batch_submissions": args.submissions,
        "batch_workers": args.workers,
        "batch_s": round(seconds, 1),
        "submissions_per_minute": round(args.submissions / seconds * 60, 1),
        "batch_solution_points": points,
    }
    print(results_file.write(results, args.out, "grading"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
