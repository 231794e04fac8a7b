"""The effects the regularization notebook's questions ask about (weight decay, dropout, early stopping)."""

import itertools

from bench.effects.effect import Effect, rounded

DATASETS = ("fashion_mnist",)
ALSO_PROFILES = ("full",)  # the original experiment: 1,000 / 500 images, 150 epochs


def _final(history: dict, key: str) -> float:
    return history[key][-1]


def _gap(history: dict, epoch: int) -> float:
    return history["train accuracy"][epoch] - history["validation accuracy"][epoch]


def gap_grows_without_regularization(ns):
    history = ns["histories_weight_decay"][ns["weight_decays"].index(0)]
    early = max(len(history["epochs"]) // 10, 1) - 1
    best = min(range(len(history["epochs"])), key=history["validation loss"].__getitem__)
    seen = _gap(history, -1) > _gap(history, early) + 0.02 and history["validation loss"][-1] > \
        history["validation loss"][best]
    return seen, (f"weight decay 0: train - validation accuracy {_gap(history, early):.3f} at epoch {early + 1}, "
                  f"{_gap(history, -1):.3f} at the end; validation loss lowest at epoch {best + 1} "
                  f"({history['validation loss'][best]:.3f}), {history['validation loss'][-1]:.3f} at the end")


def weight_decay_shrinks_weights(ns):
    weights = [_final(h, "train mean abs weight") for h in ns["histories_weight_decay"]]
    falling = all(later <= earlier * 1.02 for earlier, later in itertools.pairwise(weights))
    return falling and weights[-1] < weights[0] / 2, f"mean |w| for {ns['weight_decays']}: {rounded(weights)}"


def strong_weight_decay_underfits(ns):
    histories = ns["histories_weight_decay"]
    train = [_final(h, "train accuracy") for h in histories]
    validation = [_final(h, "validation accuracy") for h in histories]
    seen = train[-1] < train[0] - 0.05 and validation[-1] < max(validation) - 0.03 and \
        abs(train[-1] - validation[-1]) < abs(train[0] - validation[0])
    return seen, f"train accuracy {rounded(train)}; validation {rounded(validation)}"


def dropout_narrows_the_gap(ns):
    gaps = [_gap(h, -1) for h in ns["histories_dropout"]]
    return gaps[-1] < gaps[0] and min(gaps[1:]) < gaps[0], f"final train - validation accuracy: {rounded(gaps)}"


def dropout_slows_training(ns):
    losses = [_final(h, "train loss") for h in ns["histories_dropout"]]
    rising = all(later >= earlier * 0.98 for earlier, later in itertools.pairwise(losses))
    return rising and losses[-1] > losses[0] * 1.5, f"final train loss for {ns['dropouts']}: {rounded(losses)}"


def high_dropout_train_loss_above_validation(ns):
    history = ns["histories_dropout"][-1]
    train, validation = _final(history, "train loss"), _final(history, "validation loss")
    return train > validation, f"dropout {ns['dropouts'][-1]}: train loss {train:.3f}, validation loss {validation:.3f}"


def best_epoch_rises_as_lr_falls(ns):
    best = [tracker.best_epoch for tracker in ns["trackers"]]
    rising = all(later >= earlier for earlier, later in itertools.pairwise(best))
    return rising and best[-1] > best[0], f"best epoch for lr {ns['lrs']}: {best}"


def validation_loss_rises_after_best(ns):
    rose = []
    for history, tracker in zip(ns["histories_early_stop"], ns["trackers"], strict=True):
        rose.append(history["validation loss"][-1] - history["validation loss"][tracker.best_epoch])
    return rose[0] > 0 and rose[1] > 0, f"final minus best validation loss for lr {ns['lrs']}: {rounded(rose)}"


def early_stopping_fires_for_large_lrs(ns):
    epochs = len(ns["histories_early_stop"][0]["epochs"])
    ran = [len(h["epochs"]) for h in ns["histories_early_stop2"]]
    return ran[0] < epochs and ran[1] < epochs, f"epochs run with patience 5, of {epochs}, for lr {ns['lrs']}: {ran}"


EFFECTS = [
    Effect("q3_2_b", "without regularization the train-validation gap grows and the validation loss turns up",
           gap_grows_without_regularization),
    Effect("q3_2_c", "mean |w| falls as weight decay rises", weight_decay_shrinks_weights),
    Effect("q3_2_c", "weight decay 0.1 underfits: train and validation accuracy fall, together",
           strong_weight_decay_underfits),
    Effect("q3_3_e", "dropout narrows the train-validation gap", dropout_narrows_the_gap),
    Effect("q3_3_f", "dropout slows training: the more dropout, the higher the final training loss",
           dropout_slows_training),
    Effect("q3_3_g", "with high dropout the training loss ends above the validation loss",
           high_dropout_train_loss_above_validation),
    Effect("q3_4_b", "the validation loss rises after the best epoch for the larger learning rates",
           validation_loss_rises_after_best),
    Effect("q3_4_b", "the best epoch rises as the learning rate falls", best_epoch_rises_as_lr_falls),
    Effect("q3_4_f", "early stopping (patience 5) fires for the larger learning rates",
           early_stopping_fires_for_large_lrs),
]
