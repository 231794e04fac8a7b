"""What every run of the hidden checks shares, under the grader and under plain ``pytest``: the marker and the
seeded, quiet state each check runs in.

A hidden check is a pytest test of ``autograder/checks/<assignment>.py``, marked with the graded item it
belongs to and its share of that item's points::

    @pytest.mark.grade("build_optimizer", weight=2)
    def test_optimizer_is_adam(namespace): ...

``namespace`` is the student's notebook after it ran: the grader's runner (``autograder.check_runner``)
provides it in the sandbox, ``autograder/checks/conftest.py`` when an instructor runs ``pytest``.
"""

import random
import warnings
from collections.abc import Iterator

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


