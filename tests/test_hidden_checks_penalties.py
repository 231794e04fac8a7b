"""Penalties-specific questions about the hidden checks, beyond the generic table-driven tests.

The generic tests (tests/test_fixture_submissions.py and the hidden-check tests) hold
the tables of tests/submissions/penalties.py to the checks; these cover what only
this assignment does.
"""

import random

import numpy as np
import torch

from autograder.checks.registry import run_checks
from tests.submissions import exec_answers
from tests.submissions.penalties import ASSIGNMENT


def test_checks_leave_every_generator_alone_when_an_answer_reseeds():
    """Does grading momentum_sweep, whose answer calls reglab.seed_everything, leave torch's, numpy's and
    Python's random numbers where the notebook had them?"""
    namespace = exec_answers(ASSIGNMENT)
    torch.manual_seed(1)
    np.random.seed(2)
    random.seed(3)
    states = torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()
    result = run_checks(ASSIGNMENT, "momentum_sweep", namespace)
    assert result.fraction == 1.0, result.messages
    assert torch.equal(torch.get_rng_state(), states[0])
    assert np.array_equal(np.random.get_state()[1], states[1])
    assert random.getstate() == states[2]


def test_penalty_checks_follow_the_kits_l2_convention():
    """Do the penalty checks take λ·Σ|θ| (the seed's) and the kit's (λ/2)·Σθ², and not the seed's λ·Σθ²?"""
    kit_style = {
        "l1_penalty_answer": "def l1_penalty(layer, strength):\n"
                             "    return strength * sum(torch.sum(torch.abs(p)) for p in layer.parameters())",
        "l2_penalty_answer": "def l2_penalty(layer, strength):\n"
                             "    return strength / 2 * sum(torch.sum(p ** 2) for p in layer.parameters())",
    }
    seed_l2 = {"l2_penalty_answer": kit_style["l2_penalty_answer"].replace("strength / 2 *", "strength *")}
    namespace = exec_answers(ASSIGNMENT, kit_style)
    assert run_checks(ASSIGNMENT, "l1_penalty", namespace).fraction == 1.0
    assert run_checks(ASSIGNMENT, "l2_penalty", namespace).fraction == 1.0
    assert run_checks(ASSIGNMENT, "l2_penalty", exec_answers(ASSIGNMENT, seed_l2)).fraction < 1.0
