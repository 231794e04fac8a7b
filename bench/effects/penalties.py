"""The effects the penalties notebook's questions ask about (L1 and L2 on one layer, dropout, capacity, momentum,
weight histograms)."""

from bench.effects.effect import Effect, rounded

DATASETS = ("mnist", "fashion_mnist")
ALSO_PROFILES = ("full",)  # the original exercises: all 60,000 / 10,000 images, 5 and 40 epochs


def _loss(run: dict) -> list[float]:
    """The training loss per epoch that the notebook's train_and_test records (the cross-entropy alone)."""
    return run["loss"]


def _gap(run: dict) -> float:
    return run["train accuracy"][-1] - run["test accuracy"][-1]


def l1_sparser_than_l2(ns):
    l1, l2 = ns["penalty_runs"]["L1, strength 0.01"], ns["penalty_runs"]["L2, strength 0.01"]
    return l1["fc2 sparsity"] > l2["fc2 sparsity"] + 0.05, \
        f"share of fc2 weights below 0.001 at strength 0.01: L1 {l1['fc2 sparsity']:.3f}, L2 {l2['fc2 sparsity']:.3f}"


def l1_costs_accuracy_faster(ns):
    runs, strengths = ns["penalty_runs"], ns["strengths"]
    l1 = [runs[f"L1, strength {s}"]["test accuracy"][-1] for s in strengths]
    l2 = [runs[f"L2, strength {s}"]["test accuracy"][-1] for s in strengths]
    return l1[-1] < l2[-1] and l1[-1] < l1[0], \
        f"test accuracy for strengths {strengths}: L1 {rounded(l1)}; L2 {rounded(l2)}"


def dropout_raises_training_loss(ns):
    baseline, dropout = _loss(ns["baseline"])[-1], _loss(ns["with_dropout"])[-1]
    return dropout > baseline, f"final training loss: baseline {baseline:.3f}, dropout {dropout:.3f}"


def dropout_narrows_the_gap(ns):
    baseline, dropout = _gap(ns["baseline"]), _gap(ns["with_dropout"])
    return dropout < baseline, f"train - test accuracy: baseline {baseline:.3f}, dropout {dropout:.3f}"


def _epochs_until(run: dict, loss: float) -> int:
    """The epochs a run takes to bring its training loss below ``loss`` (all of them, plus one, if it never does)."""
    losses = _loss(run)
    return next((epoch + 1 for epoch, value in enumerate(losses) if value < loss), len(losses) + 1)


def deeper_starts_slowly(ns):
    runs = ns["capacity_runs"]
    normal, deeper = runs["normal (128, 64)"], runs["deeper (256, 128, 64, 32)"]
    late, early = _epochs_until(deeper, 2.0), _epochs_until(normal, 2.0)
    return late > early, (f"epochs until the training loss falls below 2.0 (ln 10 = 2.30 is chance): normal {early}, "
                          f"deeper {late}; test accuracy at the end {normal['test accuracy'][-1]:.3f}, "
                          f"{deeper['test accuracy'][-1]:.3f}")


def narrower_underfits(ns):
    runs = ns["capacity_runs"]
    wide, narrow = runs["wider (512, 256)"], runs["narrower (64, 32)"]
    seen = _loss(narrow)[-1] > _loss(wide)[-1] and wide["train accuracy"][-1] >= narrow["train accuracy"][-1]
    return seen, (f"final training loss: wider {_loss(wide)[-1]:.3f}, narrower {_loss(narrow)[-1]:.3f}; train accuracy "
                  f"wider {wide['train accuracy'][-1]:.3f}, narrower {narrow['train accuracy'][-1]:.3f}")


def momentum_trains_faster(ns):
    plain, momentum = ns["baseline"], ns["with_momentum"]
    seen = _loss(momentum)[-1] < _loss(plain)[-1] and momentum["test accuracy"][-1] > plain["test accuracy"][-1]
    return seen, (f"final training loss {_loss(plain)[-1]:.3f} without momentum, {_loss(momentum)[-1]:.3f} with 0.9; "
                  f"test accuracy {plain['test accuracy'][-1]:.3f}, {momentum['test accuracy'][-1]:.3f}")


def momentum_overfits_more(ns):
    plain, momentum = _gap(ns["baseline"]), _gap(ns["with_momentum"])
    return momentum > plain, f"train - test accuracy: without momentum {plain:.3f}, with 0.9 {momentum:.3f}"


def too_much_momentum_hurts(ns):
    accuracies = ns["momentum_accuracies"]
    best = max(accuracies.values())
    return accuracies[0.99] < best - 0.01, \
        f"test accuracy per momentum: {', '.join(f'{m}: {a:.3f}' for m, a in accuracies.items())}"


def regularized_model_overfits_less(ns):
    one, two = _gap(ns["fashion_run_1"]), _gap(ns["fashion_run_2"])
    return two < one, f"train - test accuracy: Model 1 {one:.3f}, Model 2 {two:.3f}"


def histograms_differ(ns):
    stds = []
    for model in (ns["model_1"], ns["model_2"]):
        hidden, output = ns["weight_histogram_data"](model)
        stds.append((float(hidden.std()), float(output.std())))
    (h1, o1), (h2, o2) = stds
    return o1 > h1 and o2 > h2, (f"std of the hidden / output weights: Model 1 {h1:.3f} / {o1:.3f}, "
                                 f"Model 2 {h2:.3f} / {o2:.3f}")


EFFECTS = [
    Effect("q1_c", "L1 leaves more near-zero weights than L2", l1_sparser_than_l2),
    Effect("q1_c", "at strength 0.01 L1 costs more test accuracy than L2", l1_costs_accuracy_faster),
    Effect("q2_a", "dropout leaves the training loss higher", dropout_raises_training_loss),
    Effect("q2_a", "dropout narrows the train-test gap", dropout_narrows_the_gap),
    Effect("q3_a", "the deeper network starts slowly", deeper_starts_slowly),
    Effect("q3_b", "the narrower network ends with a higher loss than the wider one", narrower_underfits),
    Effect("q4_a", "momentum 0.9 lowers the loss and raises the test accuracy", momentum_trains_faster),
    Effect("q4_a", "with momentum the train-test gap grows", momentum_overfits_more),
    Effect("q4_c", "momentum 0.99 is worse than the best momentum", too_much_momentum_hurts),
    Effect("q5_1", "the output weights spread wider than the hidden weights, in both models", histograms_differ),
    Effect("q5_2", "Model 2 (L2 and dropout) overfits less than Model 1", regularized_model_overfits_less),
]
