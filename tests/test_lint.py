"""Is the code clean by the project's broad ruff rule set (pyproject.toml), so that CI enforces it?"""

import subprocess
import sys

from tests.conftest import ROOT


def test_ruff_finds_nothing():
    """Does `ruff check` pass on the kit's Python: grader, checks, helper package, benchmarks and tests?"""
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "autograder", "reglab", "bench", "tests"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
