"""The registry of hidden checks and the functions that run them."""

import contextlib
import importlib
import math
import random
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch


class CheckFailed(AssertionError):
    """An answer does not behave as required; the message is shown to the student."""


@dataclass(frozen=True)
class Check:
    assignment: str
    grade_id: str
    name: str
    weight: float  # this check's share of the item's points, relative to the item's other checks
    run: Callable[[dict], None]


@dataclass
class CheckResult:
    grade_id: str
    fraction: float  # of the item's points, in [0, 1]
    passed: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # one per failed check, for the student
    not_attempted: bool = False  # every check that failed met the answer's stub (NotImplementedError)


_REGISTRY: dict[str, dict[str, list[Check]]] = {}


def check(grade_id: str, weight: float = 1.0):
    """Register the decorated ``function(namespace)`` as a hidden check of ``grade_id``.

    The assignment is the name of the module that defines the check.
    """

    def register(function: Callable[[dict], None]) -> Callable[[dict], None]:
        assignment = function.__module__.rsplit(".", 1)[-1]
        _REGISTRY.setdefault(assignment, {}).setdefault(grade_id, []).append(
            Check(assignment, grade_id, function.__name__, weight, function)
        )
        return function

    return register


def checks_for(assignment: str) -> dict[str, list[Check]]:
    """All checks of an assignment, by grade_id (importing its module on first use)."""
    importlib.import_module(f"autograder.checks.{assignment}")
    return _REGISTRY[assignment]


def run_checks(assignment: str, grade_id: str, namespace: dict) -> CheckResult:
    """Run every check of one graded item against a notebook namespace."""
    item_checks = checks_for(assignment).get(grade_id)
    if not item_checks:
        raise KeyError(f"no hidden checks for {assignment}/{grade_id}")
    result = CheckResult(grade_id, 0.0)
    earned = 0.0
    failed = stubbed = 0
    for item_check in item_checks:
        try:
            # nbgrader gives zero to a test cell that writes to stderr. Checks run in the student's
            # kernel: each draws from its own seeded generator state, so that it sees the same
            # tensors on every run and leaves what the notebook draws next unchanged.
            with warnings.catch_warnings(), _own_random_state():
                warnings.simplefilter("ignore")
                item_check.run(namespace)
        except CheckFailed as failure:
            failed += 1
            result.messages.append(str(failure))
        except NotImplementedError:
            failed, stubbed = failed + 1, stubbed + 1
            result.messages.append(f"{grade_id}: not attempted (the answer still raises NotImplementedError).")
        except Exception as error:  # an answer that crashes is wrong, and says how it crashed
            failed += 1
            where = traceback.extract_tb(error.__traceback__)[-1]
            result.messages.append(
                f"{type(error).__name__}: {error} (while checking {item_check.name.replace('_', ' ')},"
                f" raised at line {where.lineno} of {where.name})"
            )
        else:
            earned += item_check.weight
            result.passed.append(item_check.name)
    total = sum(item_check.weight for item_check in item_checks)
    result.fraction = earned / total if total else 0.0
    result.not_attempted = failed > 0 and stubbed == failed
    # one wrong answer can fail several checks for the same reason: say it once
    result.messages = list(dict.fromkeys(result.messages))
    return result


@contextlib.contextmanager
def _own_random_state():
    """Seed torch for one check, and give torch's, numpy's and Python's generators back as they were.

    Some answers reseed every generator themselves (a sweep that calls
    ``reglab.seed_everything``), so numpy's and Python's states are restored too.
    """
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            yield
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def grade_cell(assignment: str, grade_id: str, namespace: dict, points: float) -> float:
    """Run an item's hidden checks inside a notebook and return the points earned.

    nbgrader reads a number returned by the last line of a test cell as partial
    credit, so the cell ends with this call; ``points`` are the cell's points
    (a test keeps them equal to the cell's nbgrader metadata).
    """
    result = run_checks(assignment, grade_id, namespace)
    for message in result.messages:
        print(f"✗ {message}")
    if not result.messages:
        print("✓ All hidden checks passed.")
    return points_earned(result.fraction, points)


def points_earned(fraction: float, points: float) -> float:
    """An item's points for the share of its checks that passed, in hundredths, never rounded up.

    nbgrader's test cells and the standalone grader both score with this, so
    their grades agree to the hundredth; the epsilon keeps 0.29 * 100 from
    flooring to 28.
    """
    return math.floor(fraction * points * 100 + 1e-9) / 100
