"""Do the hidden checks of every assignment give full marks to correct answers and catch realistic mistakes?

The answers are the answer cells of the fixture tables (tests/submissions/<assignment>.py),
run as the notebook runs them: correct ones in several styles, and wrong ones that each
make one mistake. A wrong answer must lose exactly the checks its entry names in `fails`,
with a message that names its mistake. The last tests hold a few promises of one
assignment's graded interface that its tables do not cover.
"""

import importlib
import random

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from autograder.checks import check_names, run_checks
from tests.conftest import ASSIGNMENTS
from tests.submissions import (
    answer_builders,
    answer_cell_id,
    broken_answers,
    cases,
    defining_items,
    exec_answers,
    grade_ids,
    items_of,
    other_answers_used,
    release_stubs,
    tables,
    visible_failures,
)

TABLES = tables()


def mistakes(assignment) -> dict:
    return {**TABLES[assignment].KNOWN_WRONG, **TABLES[assignment].CHECK_LEVEL_WRONG}


def _correct(assignment):
    """(answers, item) of every correct answer: the solution on every item, and each other style on its items."""
    return [("solution", grade_id) for grade_id in grade_ids(assignment)] + [
        (name, grade_id) for name, answers in TABLES[assignment].ALTERNATIVE_CORRECT.items()
        for grade_id in items_of(answers)]


def failed_checks(assignment, result) -> set[str]:
    """The checks of the item of a CheckResult that did not pass."""
    return set(check_names(assignment)[result.grade_id]) - set(result.passed)


def correct_answers(assignment, name):
    return TABLES[assignment].ALTERNATIVE_CORRECT.get(name, {})


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_has_fixture_tables(assignment):
    """Does every assignment of source/ have its table of known-wrong and correct submissions?"""
    assert assignment in TABLES, f"add tests/submissions/{assignment}.py"


@pytest.mark.parametrize("assignment", TABLES)
def test_every_graded_item_has_checks(assignment):
    """Does every autograded test cell have hidden checks, and is every set of checks a test cell's?"""
    assert set(check_names(assignment)) == set(grade_ids(assignment))


@pytest.mark.parametrize(("assignment", "case"), cases(_correct))
def test_correct_answer_gets_full_marks(assignment, case):
    """Does a correct answer, in each style a student may write, pass every check?"""
    name, grade_id = case
    result = run_checks(assignment, grade_id, exec_answers(assignment, correct_answers(assignment, name)))
    assert result.messages == []
    assert result.fraction == 1.0


@pytest.mark.parametrize("assignment", TABLES)
def test_correct_styles_cover_every_item(assignment):
    """Does every graded item have a correct answer in another style than the solution's?"""
    alternatives = TABLES[assignment].ALTERNATIVE_CORRECT.values()
    covered = {grade_id for answers in alternatives for grade_id in items_of(answers)}
    assert covered == set(grade_ids(assignment))


@pytest.mark.parametrize(("assignment", "name"), cases(mistakes))
def test_mistake_fails_the_checks_of_its_concept(assignment, name):
    """Does a realistic mistake lose exactly the checks its entry names, with a message naming the mistake?"""
    mistake = mistakes(assignment)[name]
    result = run_checks(assignment, mistake.item, exec_answers(assignment, mistake.answers))
    assert result.fraction < 1
    assert failed_checks(assignment, result) == mistake.failing_checks
    assert any(mistake.keyword.lower() in message.lower() for message in result.messages), result.messages


@pytest.mark.parametrize("assignment", TABLES)
def test_mistakes_cover_every_item(assignment):
    """Is there a realistic mistake for every graded item?"""
    assert {mistake.item for mistake in mistakes(assignment).values()} == set(grade_ids(assignment))


# ---------------------------------------------------------------- items are graded independently


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_answer_another_item_uses_has_a_stand_in(assignment):
    """Does the kit stand in for exactly the other answers that each item's answer and visible checks call?"""
    declared = importlib.import_module(f"autograder.checks.{assignment}").STAND_INS
    assert {item: set(names) for item, names in declared.items()} == other_answers_used(assignment)


def _stand_in_cases(assignment):
    declared = importlib.import_module(f"autograder.checks.{assignment}").STAND_INS
    return [(item, name) for item, names in declared.items() for name in names]


@pytest.mark.parametrize(("assignment", "case"), cases(_stand_in_cases))
def test_a_broken_other_answer_costs_this_item_nothing(assignment, case):
    """Does an item keep full marks, hidden and visible checks, when another answer it calls raises?"""
    item, name = case
    answers = broken_answers(assignment, [name])
    owner = defining_items(assignment)[name]
    assert run_checks(assignment, owner, exec_answers(assignment, answers)).fraction < 1  # it is broken
    result = run_checks(assignment, item, exec_answers(assignment, answers))
    assert (result.fraction, result.messages) == (1.0, [])
    assert item not in visible_failures(assignment, answers)


@pytest.mark.parametrize(("assignment", "grade_id"), cases(grade_ids))
def test_missing_answer_gets_zero_with_not_defined(assignment, grade_id):
    """Does a notebook whose answer cell is empty get no points, with a message to run the cell?"""
    result = run_checks(assignment, grade_id, exec_answers(assignment, {answer_cell_id(grade_id): ""}))
    assert result.fraction == 0
    assert result.messages
    assert all("is not defined" in message for message in result.messages)


def _stubbed_items(assignment):
    """The items whose release stub defines a function or class that raises NotImplementedError.

    A stub for a constant raises at once, so the constant stays undefined: the test above covers it.
    """
    stubs = {grade_id: release_stubs(assignment)[answer_cell_id(grade_id)] for grade_id in grade_ids(assignment)}
    return [grade_id for grade_id, stub in stubs.items()
            if "NotImplementedError" in stub and ("def " in stub or "class " in stub)]


@pytest.mark.parametrize(("assignment", "grade_id"), cases(_stubbed_items))
def test_stub_is_reported_as_not_attempted(assignment, grade_id):
    """Does an answer cell still holding the release's stub get no points, reported as not attempted?"""
    cell = answer_cell_id(grade_id)
    result = run_checks(assignment, grade_id, exec_answers(assignment, {cell: release_stubs(assignment)[cell]}))
    assert result.fraction == 0
    assert result.messages
    assert all("not attempted" in message for message in result.messages)


@pytest.mark.parametrize("assignment", TABLES)
def test_checks_leave_the_notebook_state_alone(assignment):
    """Do the checks leave torch's, NumPy's and Python's random numbers and the open figures as the notebook had
    them, even for an answer that reseeds (penalties' momentum_sweep calls reglab.seed_everything)?"""
    namespaces = [(grade_id, exec_answers(assignment, correct_answers(assignment, name)))
                  for name, grade_id in _correct(assignment)]
    torch.manual_seed(1)
    np.random.seed(2)
    random.seed(3)
    states = torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()
    figure_numbers = plt.get_fignums()
    for grade_id, namespace in namespaces:
        run_checks(assignment, grade_id, namespace)
    assert torch.equal(torch.get_rng_state(), states[0])
    assert np.array_equal(np.random.get_state()[1], states[1])
    assert random.getstate() == states[2]
    assert plt.get_fignums() == figure_numbers


# ---------------------------------------------------------------- promises of one assignment


@pytest.mark.parametrize("augmentation", ["transforms.RandomRotation(180)", "transforms.RandomVerticalFlip(p=0.1)"])
def test_cnn_regularization_catches_every_upside_down_augmentation(augmentation):
    """Is any augmentation that can turn an image upside down rejected as the seed's vertical flip is
    (the known mistake flips-images-upside-down), not only that flip?"""
    assignment = "cnn_regularization"
    seeds_flip = TABLES[assignment].KNOWN_WRONG["flips-images-upside-down"]
    answers = answer_builders(assignment).cell(
        seeds_flip.item, replace={"transforms.RandomCrop(32, padding=4)": augmentation})
    result = run_checks(assignment, seeds_flip.item, exec_answers(assignment, answers))
    assert failed_checks(assignment, result) == seeds_flip.failing_checks


def test_penalties_l2_checks_follow_the_kits_convention():
    """Do the penalty checks take λ·Σ|θ| (the seed's) and the kit's (λ/2)·Σθ², and not the seed's λ·Σθ²?"""
    assignment = "penalties"
    kit_style = {
        "l1_penalty_answer": "def l1_penalty(layer, strength):\n"
                             "    return strength * sum(torch.sum(torch.abs(p)) for p in layer.parameters())",
        "l2_penalty_answer": "def l2_penalty(layer, strength):\n"
                             "    return strength / 2 * sum(torch.sum(p ** 2) for p in layer.parameters())",
    }
    seed_l2 = {"l2_penalty_answer": kit_style["l2_penalty_answer"].replace("strength / 2 *", "strength *")}
    namespace = exec_answers(assignment, kit_style)
    assert run_checks(assignment, "l1_penalty", namespace).fraction == 1.0
    assert run_checks(assignment, "l2_penalty", namespace).fraction == 1.0
    assert run_checks(assignment, "l2_penalty", exec_answers(assignment, seed_l2)).fraction < 1.0


def _calls_show(assignment):
    """The mistakes whose answers call plt.show()."""
    return [name for name, mistake in mistakes(assignment).items()
            if any("plt.show()" in source for source in mistake.answers.values())]


def test_figure_checks_judge_alike_under_jupyters_inline_backend():
    """Under the inline backend of the grader's shell and nbgrader's kernel, plt.show() closes every figure: a
    mistake that calls it still loses exactly its own checks (the plot is checked, the return asked for)."""
    cases = [(assignment, name) for assignment in TABLES for name in _calls_show(assignment)]
    assert cases, "no mistake of the tables calls plt.show(): add one"
    backend = plt.get_backend()
    plt.switch_backend("module://matplotlib_inline.backend_inline")
    try:
        for assignment, name in cases:
            mistake = mistakes(assignment)[name]
            result = run_checks(assignment, mistake.item, exec_answers(assignment, mistake.answers))
            assert failed_checks(assignment, result) == mistake.failing_checks, name
    finally:
        plt.switch_backend(backend)
