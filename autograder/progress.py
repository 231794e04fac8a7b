"""How far a grading run has got, on standard error: a bar on a terminal, one plain line per submission elsewhere.

A CI log or a Slurm output file is not a terminal, and a bar there is hundreds of carriage returns in one line;
a line per submission says which one was graded when, which is what a log is read for.
"""

import sys
from typing import TextIO

from autograder.reports.common import score
from autograder.results import SubmissionResult


def line(done: int, total: int, result: SubmissionResult) -> str:
    width = len(str(total))
    return (f"[{done:{width}}/{total}] {result.assignment}/{result.student}: "
            f"{score(result.points, result.max_points)} ({result.seconds:.1f} s)")


class Progress:
    """Call it with each result as grading ends (``grade.OnResult``); use it in a ``with`` to close the bar."""

    def __init__(self, total: int, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.bar = None
        if self.stream.isatty():
            from tqdm import tqdm  # reglab's own dependency: the training loop's bars

            self.bar = tqdm(total=total, file=self.stream, unit="notebook", dynamic_ncols=True)

    def __call__(self, done: int, total: int, result: SubmissionResult) -> None:
        if self.bar is None:
            print(line(done, total, result), file=self.stream, flush=True)
        else:
            self.bar.set_postfix_str(f"{result.assignment}/{result.student}", refresh=False)
            self.bar.update(1)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc_info) -> None:
        if self.bar is not None:
            self.bar.close()
