"""What every run of the hidden checks shares, under the grader and under plain ``pytest``: the marker and the
seeded, quiet state each check runs in.

A hidden check is a pytest test of ``autograder/checks/<assignment>.py``, marked with the graded item it
belongs to and its share of that item's points::

    @pytest.mark.grade("build_optimizer", weight=2)
    def test_optimizer_is_adam(namespace): ...

``namespace`` is the student's notebook after it ran: the grader's runner (``autograder.check_runner``)
provides it in the sandbox, ``autograder/checks/conftest.py`` when an instructor runs ``pytest``.

Items are graded independently: an answer that calls another answer (``run_experiment`` calls ``train_epoch``)
is checked with the kit's own version of that other answer in the namespace. A check module declares them in
``STAND_INS = {grade_id: {name: the kit's object}}``; ``answers_standing_in`` puts them in place for every check
of that item, and the grader for its visible checks too.
"""

import contextlib
import importlib
import random
import sys
import warnings
from collections.abc import Iterator, Mapping

import numpy as np
import pytest
import torch

GRADE_MARKER = "grade"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{GRADE_MARKER}(grade_id, weight=1): the graded item a hidden check belongs to, and its share "
        "of the item's points relative to the item's other checks")


def grade_of(item: pytest.Item) -> tuple[str, float]:
    """(grade_id, weight) of a hidden check; a check without the marker is an authoring error."""
    marker = item.get_closest_marker(GRADE_MARKER)
    if marker is None or not marker.args:
        raise pytest.UsageError(f"{item.nodeid}: a hidden check needs @pytest.mark.{GRADE_MARKER}(grade_id)")
    return marker.args[0], float(marker.kwargs.get("weight", 1.0))


@pytest.fixture(autouse=True)
def own_random_state() -> Iterator[None]:
    """Seed torch for one check, and give torch's, numpy's and Python's generators back as they were.

    Checks run in the student's process: each draws from its own seeded state, so that it sees the same tensors
    on every run and leaves what the notebook draws next unchanged. Some answers reseed every generator
    themselves (a sweep that calls ``reglab.seed_everything``), so numpy's and Python's states are restored too.
    Warnings are silenced: nbgrader gives zero to a test cell that writes to stderr.
    """
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        with warnings.catch_warnings(), torch.random.fork_rng(devices=[]):
            warnings.simplefilter("ignore")
            torch.manual_seed(0)
            yield
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def stand_ins(assignment_module: object, grade_id: str) -> Mapping[str, object]:
    """The kit's versions of the other answers that item ``grade_id`` calls, by name (see ``STAND_INS``)."""
    return getattr(assignment_module, "STAND_INS", {}).get(grade_id, {})


@contextlib.contextmanager
def names_replaced(namespace: dict, replacements: Mapping[str, object]) -> Iterator[None]:
    """Bind ``replacements`` in ``namespace`` while the block runs; then give every name its own value back
    (or none, if it had none)."""
    saved = {name: namespace[name] for name in replacements if name in namespace}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name in replacements:
            if name in saved:
                namespace[name] = saved[name]
            else:
                namespace.pop(name, None)


@pytest.fixture(autouse=True)
def answers_standing_in(request: pytest.FixtureRequest) -> Iterator[None]:
    """The other answers a check's item calls are the kit's while the check runs (a no-op for most items)."""
    replacements = stand_ins(request.module, grade_of(request.node)[0])
    if not replacements:
        yield
        return
    with names_replaced(request.getfixturevalue("namespace"), replacements):
        yield


def stand_in_for_the_cell(assignment: str, grade_id: str, namespace: dict) -> None:
    """For nbgrader's test cells: the kit's versions of the other answers that ``grade_id`` calls stand in until
    the end of the running cell, so that its visible asserts judge this item alone, as the grader does.

    Outside IPython (no cell to end) nothing is replaced.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    replacing = names_replaced(namespace, stand_ins(importlib.import_module(f"autograder.checks.{assignment}"),
                                                    grade_id))
    replacing.__enter__()

    def restore(*_: object) -> None:
        shell.events.unregister("post_run_cell", restore)
        replacing.__exit__(None, None, None)

    shell.events.register("post_run_cell", restore)
