"""Do the hidden checks of `cnn_regularization` fail for the right reason, and fast?

The fixture tables (tests/submissions/cnn_regularization.py) say which checks each
wrong answer must fail; these tests hold the checks to exactly that, and to the few
promises of the graded interface that the tables do not cover.
"""

import time

import pytest

from autograder.checks import run_checks
from autograder.checks.registry import checks_for
from tests.submissions import answer_cell_id, exec_answers
from tests.submissions.cnn_regularization import ASSIGNMENT, CHECK_LEVEL_WRONG, FAILING, KNOWN_WRONG

WRONG = {**KNOWN_WRONG, **CHECK_LEVEL_WRONG}


def failed_checks(answers, item) -> set[str]:
    result = run_checks(ASSIGNMENT, item, exec_answers(ASSIGNMENT, answers))
    return {c.name for c in checks_for(ASSIGNMENT)[item]} - set(result.passed)


def test_every_wrong_answer_names_its_failing_checks():
    """Does FAILING list every known-wrong and check-level-wrong answer, and no other?"""
    assert set(FAILING) == set(WRONG)


@pytest.mark.parametrize("name", WRONG)
def test_wrong_answer_fails_exactly_the_expected_checks(name):
    """Does each wrong answer fail exactly the checks FAILING names for it, on its own item?"""
    variant = WRONG[name]
    assert failed_checks(variant.answers, variant.item) == set(FAILING[name].split())


def test_all_checks_of_the_solution_take_seconds():
    """Do the hidden checks of every item run in a few seconds together (tiny tensors and networks)?"""
    namespace = exec_answers(ASSIGNMENT)
    start = time.monotonic()
    fractions = {item: run_checks(ASSIGNMENT, item, namespace).fraction for item in checks_for(ASSIGNMENT)}
    assert time.monotonic() - start < 10
    assert set(fractions.values()) == {1.0}


@pytest.mark.parametrize("augmentation", [
    "transforms.RandomRotation(180)",
    "transforms.RandomVerticalFlip(p=0.1)",
])
def test_upside_down_augmentations_are_caught(augmentation):
    """Is any augmentation that can turn an image upside down rejected, not only the seed's vertical flip?"""
    source = f"""
def build_transforms(augment, normalize, mean, std):
    tail = [transforms.ToTensor()] + ([transforms.Normalize(mean, std)] if normalize else [])
    head = [transforms.RandomHorizontalFlip(), {augmentation}] if augment else []
    return transforms.Compose(head + tail), transforms.Compose(tail)
"""
    answers = {answer_cell_id("build_transforms"): source}
    assert failed_checks(answers, "build_transforms") == {"augmentation_keeps_images_upright"}
