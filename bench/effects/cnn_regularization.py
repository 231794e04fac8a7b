"""The effects the CNN notebook's questions ask about (normalization, augmentation, dropout, L1 and L2, optimizers
and learning rates, weight decay, batch normalization)."""

import math

from bench.effects.effect import Effect

DATASETS = ("cifar10", "mnist", "fashion_mnist")
ALSO_PROFILES = ()  # full (the original: 25,000 CIFAR-10 images, 40 epochs) takes hours on a CPU


def _last(history: dict, key: str) -> float:
    return history[key][-1]


def _end(history: dict, key: str) -> float:
    """The mean of the last three epochs: one epoch's test loss jumps by a tenth from epoch to epoch here."""
    return sum(history[key][-3:]) / len(history[key][-3:])


def _loss_gap(history: dict) -> float:
    """Test loss minus training loss at the end: how much better the network does on the images it trains on."""
    return _end(history, "test loss") - _end(history, "train loss")


def _rise(history: dict) -> float:
    """How far the test loss ends above its lowest value, relative to it: the sign of overfitting."""
    return _end(history, "test loss") / min(history["test loss"]) - 1


def _gap(history: dict) -> float:
    return _end(history, "train accuracy") - _end(history, "test accuracy")


def _configurations(ns) -> dict:
    return ns["histories_configurations"]


def _optimizer_run(ns, name: str, lr: float) -> dict:
    return ns["histories_optimizers"][f"{name} lr={lr}"]  # the notebook's run names


def baseline_overfits(ns):
    history = _configurations(ns)["baseline"]
    best = min(range(len(history["test loss"])), key=history["test loss"].__getitem__)
    seen = _end(history, "train loss") < history["train loss"][best] * 0.8 and _rise(history) > 0.1
    return seen, (f"test loss lowest at epoch {best + 1} ({history['test loss'][best]:.3f}), {_rise(history):.0%} "
                  f"above that at the end; training loss {history['train loss'][best]:.3f} then, "
                  f"{_end(history, 'train loss'):.3f} at the end (train - test accuracy {_gap(history):.3f})")


def normalization_trains_faster(ns):
    baseline, normalized = _configurations(ns)["baseline"], _configurations(ns)["normalization"]
    half = len(baseline["train loss"]) // 2
    seen = normalized["train loss"][half] < baseline["train loss"][half]
    return seen, (f"training loss at epoch {half + 1}: baseline {baseline['train loss'][half]:.3f}, "
                  f"normalization {normalized['train loss'][half]:.3f}")


def _regularizes(runs: str, name: str, narrower: float):
    """A regularizer narrows the gap between test and training loss (to ``narrower`` of the baseline's or less),
    and the test loss rises less."""
    def measure(ns):
        baseline, regularized = ns[runs]["baseline"], ns[runs][name]
        seen = _loss_gap(regularized) < _loss_gap(baseline) * narrower and _rise(regularized) < _rise(baseline)
        return seen, (f"test - training loss at the end: baseline {_loss_gap(baseline):.3f}, {name} "
                      f"{_loss_gap(regularized):.3f}; test loss above its lowest: {_rise(baseline):.0%}, "
                      f"{_rise(regularized):.0%}")
    return measure


def adam_large_lr_is_worse(ns):
    large, good, small = (_last(_optimizer_run(ns, "adam", lr), "train loss") for lr in ns["LEARNING_RATES"])
    return large > good and small > good, (f"final training loss with Adam, lr {ns['LEARNING_RATES']}: "
                                           f"{large:.3f}, {good:.3f}, {small:.3f}")


def sgd_is_slower_than_adam(ns):
    lr = 0.001
    sgd, adam = (_last(_optimizer_run(ns, name, lr), "train loss") for name in ("sgd", "adam"))
    return sgd > adam, f"final training loss at lr {lr}: SGD {sgd:.3f}, Adam {adam:.3f}"


def too_large_lr_diverges(ns):
    yours, large = ns["histories_sgd"]["yours"], ns["histories_sgd"]["lr x 100"]
    loss = _last(large, "train loss")
    diverged = math.isnan(loss) or loss > 2.0 or _last(large, "test accuracy") < 0.2
    return diverged, (f"learning rate x 100: final training loss {loss:.3f}, test accuracy "
                      f"{_last(large, 'test accuracy'):.3f} (yours: {_last(yours, 'train loss'):.3f}, "
                      f"{_last(yours, 'test accuracy'):.3f})")


def too_small_lr_is_slow(ns):
    yours, small = ns["histories_sgd"]["yours"], ns["histories_sgd"]["lr / 100"]
    return _last(small, "train loss") > _last(yours, "train loss") * 1.5, (
        f"final training loss: yours {_last(yours, 'train loss'):.3f}, learning rate / 100 "
        f"{_last(small, 'train loss'):.3f}")


def large_weight_decay_underfits(ns):
    none, large = ns["histories_sgd"]["no weight decay"], ns["histories_sgd"]["weight decay 0.1"]
    seen = _last(large, "train loss") > _last(none, "train loss") * 1.5
    return seen, (f"final training loss: no weight decay {_last(none, 'train loss'):.3f}, weight decay 0.1 "
                  f"{_last(large, 'train loss'):.3f}")


def batch_norm_trains_faster(ns):
    cnn2, cnn3 = ns["history_cnn2_fashion"], ns["history_cnn3_fashion"]
    first2, first3 = cnn2["train loss"][0], cnn3["train loss"][0]
    return first3 < first2 * 0.9, (f"training loss of the first epoch: CNN2 {first2:.3f}, CNN3 {first3:.3f} "
                                   f"(with dropout, which slows training by itself)")


EFFECTS = [
    Effect("q1_5_a", "the baseline overfits: its training loss keeps falling while its test loss turns up",
           baseline_overfits),
    Effect("q1_5_b", "normalization makes the training loss fall faster", normalization_trains_faster),
    Effect("q1_5_c", "augmentation halves the gap between test and training loss, and the test loss rises less",
           _regularizes("histories_configurations", "augmentation", 1 / 2)),
    Effect("q1_6_c", "dropout narrows the gap between test and training loss by a quarter or more, and the test "
           "loss rises less", _regularizes("histories_regularization", "dropout", 3 / 4)),
    Effect("q1_6_d", "L1 narrows the gap between test and training loss by a quarter or more, and the test loss "
           "rises less", _regularizes("histories_regularization", "L1", 3 / 4)),
    Effect("q1_6_e", "L2 narrows the gap between test and training loss by a quarter or more, and the test loss "
           "rises less", _regularizes("histories_regularization", "L2", 3 / 4)),
    Effect("q1_7_a", "Adam: the large and the small learning rate train worse than the middle one",
           adam_large_lr_is_worse),
    Effect("q1_7_b", "plain SGD learns more slowly than Adam at the same learning rate", sgd_is_slower_than_adam),
    Effect("q2_1_b", "a learning rate 100 times too large diverges or stalls near chance", too_large_lr_diverges),
    Effect("q2_1_b", "a learning rate 100 times too small learns slowly", too_small_lr_is_slow),
    Effect("q2_1_c", "weight decay 0.1 underfits", large_weight_decay_underfits),
    Effect("q2_4_b", "batch normalization (CNN3) trains faster than CNN2", batch_norm_trains_faster),
]
