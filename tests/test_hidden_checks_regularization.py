"""Do the hidden checks of `regularization` give full marks to correct answers and catch realistic mistakes?

The answers are the answer cells of tests/submissions/regularization.py, run as the
notebook runs them: correct ones in several styles, and wrong ones that each make one
mistake. A wrong answer must lose exactly the checks of the concept it gets wrong,
with a message that names it.
"""

import matplotlib.pyplot as plt
import pytest
import torch

from autograder.checks.registry import checks_for, run_checks
from tests.submissions import answer_cell_id, exec_answers, items_of, release_stubs
from tests.submissions.regularization import ALTERNATIVE_CORRECT, ASSIGNMENT, CHECK_LEVEL_WRONG, KNOWN_WRONG

GRADE_IDS = ("build_optimizer", "l2_penalty", "adam_vs_adamw", "build_net_with_dropout", "dropout_experiment",
             "plot_learning_curve", "BestModelTracker", "EarlyStopper", "grid_size")
MISTAKES = {**KNOWN_WRONG, **CHECK_LEVEL_WRONG}

# the checks each mistake must fail, space separated; every other check of its item must pass
FAILING = {
    "optimizer-is-adamw": "optimizer_is_adam",
    "optimizer-decouples-weight-decay": "optimizer_is_adam",
    "optimizer-is-sgd": "optimizer_is_adam",
    "optimizer-ignores-lr": "optimizer_uses_the_learning_rate",
    "optimizer-hard-codes-weight-decay": "optimizer_uses_the_weight_decay",
    "optimizer-of-a-new-net": "optimizer_updates_the_given_network",
    "optimizer-ignores-weight-decay": "optimizer_uses_the_weight_decay",
    "optimizer-with-adams-default-lr": "optimizer_uses_the_learning_rate",
    "optimizer-of-the-first-layer": "optimizer_updates_the_given_network",
    "penalty-of-the-first-layer": "penalty_value_is_half_weight_decay_times_squares penalty_matches_adam_weight_decay",
    "penalty-of-the-output-layer": "penalty_value_is_half_weight_decay_times_squares penalty_matches_adam_weight_decay",
    "penalty-of-a-copy-of-the-net": "penalty_matches_adam_weight_decay",
    "penalty-without-half": "penalty_value_is_half_weight_decay_times_squares penalty_matches_adam_weight_decay",
    "penalty-of-weights-only": "penalty_covers_the_biases penalty_matches_adam_weight_decay",
    "penalty-as-a-number": "penalty_is_a_differentiable_scalar penalty_matches_adam_weight_decay",
    "penalty-detached": "penalty_is_a_differentiable_scalar penalty_matches_adam_weight_decay",
    "penalty-of-norms-not-squares": "penalty_value_is_half_weight_decay_times_squares "
                                    "penalty_matches_adam_weight_decay",
    "adamw-decay-without-lr": "adamw_first_step_matches_torch",
    "adam-and-adamw-swapped": "adam_first_step_matches_torch adamw_first_step_matches_torch",
    "adam-l2-read-as-plain-decay": "adam_first_step_matches_torch",
    "adamw-adds-adams-normalised-step": "adamw_first_step_matches_torch",
    "first-step-changes-theta-in-place": "first_steps_leave_theta_unchanged",
    "dropout-after-last-layer": "no_dropout_on_the_input_or_the_output",
    "dropout-on-the-input": "no_dropout_on_the_input_or_the_output",
    "net-ends-with-softmax": "dropout_net_is_the_seed_mlp_in_eval_mode no_dropout_on_the_input_or_the_output",
    "dropout-active-in-eval-mode": "dropout_net_is_the_seed_mlp_in_eval_mode",
    "dropout-net-is-cached": "dropout_net_is_new_on_every_call",
    "dropout-forgotten": "dropout_net_is_random_in_training_mode dropout_after_the_first_linear_layer "
                         "dropout_after_the_second_linear_layer",
    "dropout-layers-shared-between-calls": "dropout_net_is_new_on_every_call",
    "dropout-after-first-layer-only": "dropout_after_the_second_linear_layer",
    "dropout-rate-is-keep-probability": "dropout_net_is_random_in_training_mode dropout_after_the_first_linear_layer "
                                        "dropout_after_the_second_linear_layer",
    "dropout-before-and-after-relu": "dropout_after_the_first_linear_layer dropout_after_the_second_linear_layer",
    "dropout-mask-unscaled": "dropout_after_the_first_linear_layer dropout_after_the_second_linear_layer",
    "dropout-net-with-other-sizes": "dropout_net_has_the_seed_layers dropout_net_is_the_seed_mlp_in_eval_mode "
                                    "dropout_net_is_random_in_training_mode dropout_after_the_first_linear_layer "
                                    "dropout_after_the_second_linear_layer no_dropout_on_the_input_or_the_output",
    "setup-optimizes-another-net": "setup_optimizer_is_adam_over_the_net",
    "setup-keeps-weight-decay": "setup_optimizer_settings",
    "setup-with-adamw": "setup_optimizer_is_adam_over_the_net setup_optimizer_settings",
    "setup-without-dropout": "setup_net_is_build_net_with_dropout_of_p",
    "setup-reuses-one-net-per-p": "setup_builds_a_new_network",
    "setup-ignores-lr": "setup_optimizer_settings",
    "setup-returns-optimizer-first": "setup_returns_net_and_optimizer setup_net_is_build_net_with_dropout_of_p "
                                     "setup_builds_a_new_network setup_optimizer_is_adam_over_the_net "
                                     "setup_optimizer_settings",
    "learning-curve-ignores-xscale": "plot_uses_the_x_scale",
    "learning-curve-without-y-labels": "plot_labels_both_axes",
    "learning-curve-of-the-first-epoch": "plot_shows_the_final_loss plot_shows_the_final_accuracy",
    "learning-curve-against-the-run-index": "plot_shows_the_final_loss plot_shows_the_final_accuracy",
    "learning-curve-of-validation-only": "plot_shows_the_final_loss plot_shows_the_final_accuracy",
    "learning-curve-on-one-axes": "plot_returns_a_figure_with_two_axes",
    "learning-curve-without-labels": "plot_labels_both_axes",
    "learning-curve-not-returned": "plot_returns_a_figure_with_two_axes",
    "best-net-is-the-training-net": "tracker_best_net_is_a_copy tracker_works_with_fit",
    "best-net-is-a-shallow-copy": "tracker_best_net_is_a_copy tracker_works_with_fit",
    "best-net-copied-every-epoch": "tracker_best_net_is_a_copy tracker_works_with_fit",
    "tracker-later-tie-wins": "tracker_finds_the_best_epoch",
    "tracker-state-on-the-class": "tracker_finds_the_best_epoch tracker_keeps_the_best_stats tracker_works_with_fit",
    "best-net-is-a-state-dict": "tracker_best_net_is_a_copy tracker_works_with_fit",
    "tracker-keeps-the-last-stats": "tracker_keeps_the_best_stats tracker_works_with_fit",
    "stopper-counts-ties-as-improvement": "stopper_stops_when_the_loss_stops_improving "
                                          "stopper_compares_with_the_best_loss stopper_uses_the_patience "
                                          "stopper_stops_fit",
    "stopper-counter-never-reset": "stopper_compares_with_the_best_loss stopper_keeps_going_while_improving",
    "stopper-state-on-the-class": "stopper_stops_when_the_loss_stops_improving stopper_compares_with_the_best_loss "
                                  "stopper_keeps_going_while_improving stopper_uses_the_patience "
                                  "stopper_state_is_per_instance stopper_stops_fit",
    "stopper-stops-one-epoch-late": "stopper_stops_when_the_loss_stops_improving stopper_compares_with_the_best_loss "
                                    "stopper_uses_the_patience stopper_stops_fit",
    "stopper-patience-fixed-at-5": "stopper_uses_the_patience stopper_stops_fit",
    "stopper-returns-a-string": "stopper_stops_when_the_loss_stops_improving stopper_compares_with_the_best_loss "
                                "stopper_uses_the_patience stopper_returns_stop_or_none stopper_stops_fit",
    "stopper-returns-false-to-go-on": "stopper_returns_stop_or_none",
    "stopper-compares-with-the-previous-epoch": "stopper_stops_when_the_loss_stops_improving "
                                                "stopper_compares_with_the_best_loss",
    "grid-is-a-sum": "grid_counts_every_combination",
    "grid-over-two-hyperparameters": "grid_counts_every_combination",
}

# (answers, item) of every correct answer: the solution on every item, and each other style on the items it answers
CORRECT = [pytest.param("solution", grade_id, id=f"solution-{grade_id}") for grade_id in GRADE_IDS] + [
    pytest.param(name, grade_id, id=name) for name, answers in ALTERNATIVE_CORRECT.items()
    for grade_id in items_of(answers)
]


def check_names(grade_id):
    return {item_check.name for item_check in checks_for(ASSIGNMENT)[grade_id]}


def correct_answers(name):
    return ALTERNATIVE_CORRECT.get(name, {})


def test_every_graded_item_has_checks():
    """Does every grade_id of the graded interface have hidden checks, and nothing else?"""
    assert set(checks_for(ASSIGNMENT)) == set(GRADE_IDS)


@pytest.mark.parametrize(("name", "grade_id"), CORRECT)
def test_correct_answer_gets_full_marks(name, grade_id):
    """Does a correct answer, in each style a student may write, pass every check?"""
    result = run_checks(ASSIGNMENT, grade_id, exec_answers(ASSIGNMENT, correct_answers(name)))
    assert result.messages == []
    assert result.fraction == 1.0


def test_correct_styles_cover_every_item():
    """Does every graded item have a correct answer in another style than the solution's?"""
    assert {grade_id for answers in ALTERNATIVE_CORRECT.values() for grade_id in items_of(answers)} == set(GRADE_IDS)


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_fails_the_checks_of_its_concept(name):
    """Does a realistic mistake lose exactly the checks of its concept, with a message naming it?"""
    mistake = MISTAKES[name]
    result = run_checks(ASSIGNMENT, mistake.item, exec_answers(ASSIGNMENT, mistake.answers))
    assert result.fraction < 1
    assert check_names(mistake.item) - set(result.passed) == set(FAILING[name].split())
    assert any(mistake.keyword.lower() in message.lower() for message in result.messages), result.messages


def test_every_mistake_names_the_checks_it_fails():
    """Is every mistake of the tables held to the exact checks it must fail, and only those checks exist?"""
    assert set(FAILING) == set(MISTAKES)
    assert all(set(failing.split()) <= check_names(MISTAKES[name].item) for name, failing in FAILING.items())


def test_mistakes_cover_every_item():
    """Is there a realistic mistake for every graded item, and at least 25 in all?"""
    assert {mistake.item for mistake in MISTAKES.values()} == set(GRADE_IDS)
    assert len(MISTAKES) >= 25


@pytest.mark.parametrize("grade_id", GRADE_IDS)
def test_missing_answer_gets_zero_with_not_defined(grade_id):
    """Does a notebook whose answer cell is empty get no points, with a message to run the cell?"""
    result = run_checks(ASSIGNMENT, grade_id, exec_answers(ASSIGNMENT, {answer_cell_id(grade_id): ""}))
    assert result.fraction == 0
    assert result.messages
    assert all("is not defined" in message for message in result.messages)


@pytest.mark.parametrize("grade_id", [grade_id for grade_id in GRADE_IDS if grade_id != "grid_size"])
def test_stub_is_reported_as_not_attempted(grade_id):
    """Does an answer cell still holding the release's stub get no points, reported as not attempted?"""
    cell = answer_cell_id(grade_id)
    result = run_checks(ASSIGNMENT, grade_id, exec_answers(ASSIGNMENT, {cell: release_stubs(ASSIGNMENT)[cell]}))
    assert result.fraction == 0
    assert result.messages
    assert all("not attempted" in message for message in result.messages)


def test_checks_leave_the_notebook_state_alone():
    """Do the checks leave the notebook's random numbers and open figures as they found them?"""
    namespaces = [(grade_id, exec_answers(ASSIGNMENT, correct_answers(name))) for name, grade_id in
                  (param.values for param in CORRECT)]
    torch.manual_seed(1)
    rng_state = torch.get_rng_state()
    figure_numbers = plt.get_fignums()
    for grade_id, namespace in namespaces:
        run_checks(ASSIGNMENT, grade_id, namespace)
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert plt.get_fignums() == figure_numbers
