"""Hidden checks of the `regularization` assignment: weight decay, dropout, early stopping.

One group of checks per graded item of the assignment's graded interface. Each
check probes one behaviour on tiny synthetic tensors (or 150 random samples when
it runs ``fit``), so that an answer earns partial credit for the parts it gets
right. Failure messages name the concept that went wrong, never the probe or the
numbers it expects.
"""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from autograder.check_runner import CheckFailed
from autograder.checks.probes import (
    answer,
    answer_figure,
    dropout_between,
    dropout_fault,
    layers_of,
    optimizer_settings,
    parameter_values,
    penalty_value,
    recorded_calls,
    relu_mlp,
    require_differentiable_scalar,
    require_parameters_of,
    require_returned_figure,
    require_trains,
    same_tensors,
    share_parameters,
)
from reglab import training
from reglab.models import build_net

# ---------------------------------------------------------------- shared helpers


def _stop_marker(namespace):
    """reglab's `Stop`, the one fit obeys: never the namespace's, which an answer cell could rebind."""
    return training.Stop


def _tiny_data():
    """Random images and labels: enough for a few quick epochs of `fit`."""

    def dataset(n):
        return TensorDataset(torch.randn(n, 784), torch.randint(0, 10, (n,)))

    return dataset(100), dataset(50)


def _fit(net, optimizer, after_epoch, epochs):
    """`fit` on tiny data, on the CPU and silently, with one batch per set (few, cheap steps)."""
    train, validation = _tiny_data()
    history = training.fit(net, train, validation, optimizer, epochs=epochs, batch_size=len(train),
                           after_epoch=after_epoch, device="cpu", progress=False)
    return history, validation


def _epoch_stats(epoch, validation_loss):
    """Statistics shaped like those of `fit`, whose values tell which epoch they come from."""
    return {"train loss": 2.0 - 0.1 * epoch, "validation loss": validation_loss,
            "train accuracy": 0.5 + 0.01 * epoch, "validation accuracy": 0.4 + 0.01 * epoch}


# ---------------------------------------------------------------- optimizers


def _require_plain_adam(optimizer, who):
    """Fail unless `optimizer` is `torch.optim.Adam` with coupled (L2) weight decay."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise CheckFailed(f"{who} does not give a torch.optim optimizer.")
    # AdamW subclasses Adam in recent torch, and Adam itself can decouple: reject both explicitly
    if isinstance(optimizer, torch.optim.AdamW) or optimizer.defaults.get("decoupled_weight_decay", False):
        raise CheckFailed(f"{who}: the optimizer is AdamW (decoupled weight decay); "
                          "the question asks for Adam with coupled (L2) weight decay.")
    if type(optimizer) is not torch.optim.Adam:
        raise CheckFailed(f"{who}: the optimizer is {type(optimizer).__name__}, not torch.optim.Adam.")


@pytest.mark.grade("build_optimizer")
def test_optimizer_is_adam(namespace):
    optimizer = answer(namespace, "build_optimizer")(build_net(), 0.01)
    _require_plain_adam(optimizer, "build_optimizer")


@pytest.mark.grade("build_optimizer")
def test_optimizer_updates_the_given_network(namespace):
    net = build_net()
    optimizer = answer(namespace, "build_optimizer")(net, 0.01)
    require_parameters_of(optimizer, net, "build_optimizer")


@pytest.mark.grade("build_optimizer")
def test_optimizer_uses_the_weight_decay(namespace):
    build_optimizer = answer(namespace, "build_optimizer")
    for weight_decay in (0.0, 0.001, 0.1):
        optimizer = build_optimizer(build_net(), weight_decay)
        if optimizer_settings(optimizer, "weight_decay") != {weight_decay}:
            raise CheckFailed("build_optimizer does not give the optimizer the weight_decay argument "
                              "(the optimizer's built-in weight decay).")


@pytest.mark.grade("build_optimizer")
def test_optimizer_uses_the_learning_rate(namespace):
    build_optimizer = answer(namespace, "build_optimizer")
    if optimizer_settings(build_optimizer(build_net(), 0.01, lr=0.003), "lr") != {0.003}:
        raise CheckFailed("build_optimizer does not give the optimizer the lr argument.")
    if optimizer_settings(build_optimizer(build_net(), 0.01), "lr") != {1e-4}:
        raise CheckFailed("build_optimizer's default learning rate is not 1e-4.")


# ---------------------------------------------------------------- l2_penalty


@pytest.mark.grade("l2_penalty")
def test_penalty_is_a_differentiable_scalar(namespace):
    require_differentiable_scalar(answer(namespace, "l2_penalty")(nn.Linear(3, 2), 0.1), "l2_penalty")


@pytest.mark.grade("l2_penalty")
def test_penalty_value_is_half_weight_decay_times_squares(namespace):
    # no biases here, so that this check does not depend on whether the biases are included
    net = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 4, bias=False), nn.ReLU(),
                        nn.Linear(4, 2, bias=False))
    squares = sum(float((parameter.detach() ** 2).sum()) for parameter in net.parameters())
    for weight_decay in (0.1, 0.02):
        value = penalty_value(namespace, "l2_penalty", net, weight_decay)
        if np.isclose(value, weight_decay * squares, rtol=1e-5):
            raise CheckFailed("l2_penalty is twice too large: the penalty is weight_decay / 2 times the sum of "
                              "squares, so that its gradient is weight_decay · θ.")
        if not np.isclose(value, weight_decay / 2 * squares, rtol=1e-5):
            raise CheckFailed("l2_penalty's value is not weight_decay / 2 times the sum of the squares of all "
                              "the network's parameters (of every layer).")


@pytest.mark.grade("l2_penalty")
def test_penalty_covers_the_biases(namespace):
    layer = nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.zero_()
    # only whether the biases count, not how much: the value check judges the formula
    if np.isclose(penalty_value(namespace, "l2_penalty", layer, 0.1), 0.0, rtol=0, atol=1e-12):
        raise CheckFailed("l2_penalty leaves out the biases: Adam's weight_decay acts on every parameter, "
                          "weights and biases.")


def _step(optimizer, loss):
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


@pytest.mark.grade("l2_penalty", weight=2)
def test_penalty_matches_adam_weight_decay(namespace):
    l2_penalty = answer(namespace, "l2_penalty")
    penalized = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    decayed = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    decayed.load_state_dict(penalized.state_dict())
    x, y = torch.randn(8, 4), torch.randn(8, 2)
    weight_decay = 0.1
    with_penalty = torch.optim.Adam(penalized.parameters(), lr=0.01)
    built_in = torch.optim.Adam(decayed.parameters(), lr=0.01, weight_decay=weight_decay)
    for _ in range(3):  # several steps, so that Adam's moments carry the penalty's gradient too
        _step(with_penalty, nn.functional.mse_loss(penalized(x), y) + l2_penalty(penalized, weight_decay))
        _step(built_in, nn.functional.mse_loss(decayed(x), y))
    if not same_tensors(parameter_values(penalized), parameter_values(decayed)):
        raise CheckFailed("Adam on loss + l2_penalty does not take the same steps as Adam with weight_decay: "
                          "the penalty's gradient must be weight_decay · θ for every parameter.")


# ---------------------------------------------------------------- adam_vs_adamw

# parameters with positive, negative and zero entries, far enough from zero that
# the approximation theta - lr * sign(theta) of Adam's step is within tolerance
_THETA = torch.tensor([[-2.0, -0.5, 0.0], [0.5, 1.5, 3.0]])
_STEP_SETTINGS = ((0.1, 0.1), (0.01, 0.5))  # (lr, weight_decay)


def _torch_first_step(optimizer_class, theta, lr, weight_decay):
    """The parameters after torch's own first step, with a zero loss gradient."""
    parameter = theta.clone().requires_grad_(True)
    optimizer = optimizer_class([parameter], lr=lr, weight_decay=weight_decay)
    parameter.grad = torch.zeros_like(parameter)
    optimizer.step()
    return parameter.detach()


def _require_first_step(namespace, name, optimizer_class, other_class):
    """Fail unless the student's `name` takes `optimizer_class`'s first step from _THETA."""
    for lr, weight_decay in _STEP_SETTINGS:
        result = answer(namespace, name)(_THETA.clone(), lr, weight_decay)
        if not torch.is_tensor(result) or result.shape != _THETA.shape:
            raise CheckFailed(f"{name} must return a tensor shaped like theta.")
        result = result.detach().float()
        if torch.allclose(result, _torch_first_step(optimizer_class, _THETA, lr, weight_decay), atol=1e-6):
            continue
        if torch.allclose(result, _torch_first_step(other_class, _THETA, lr, weight_decay), atol=1e-6):
            raise CheckFailed(f"{name} takes the first step of {other_class.__name__}, "
                              f"not of {optimizer_class.__name__}.")
        raise CheckFailed(f"{name} does not give the parameters after the first step of "
                          f"torch.optim.{optimizer_class.__name__} (default betas and eps) with a zero loss gradient.")


@pytest.mark.grade("adam_vs_adamw", weight=2)
def test_adam_first_step_matches_torch(namespace):
    _require_first_step(namespace, "adam_first_step", torch.optim.Adam, torch.optim.AdamW)


@pytest.mark.grade("adam_vs_adamw", weight=2)
def test_adamw_first_step_matches_torch(namespace):
    _require_first_step(namespace, "adamw_first_step", torch.optim.AdamW, torch.optim.Adam)


@pytest.mark.grade("adam_vs_adamw")
def test_first_steps_leave_theta_unchanged(namespace):
    for name in ("adam_first_step", "adamw_first_step"):
        theta = _THETA.clone()
        answer(namespace, name)(theta, 0.1, 0.1)
        if not torch.equal(theta, _THETA):
            raise CheckFailed(f"{name} changes its input tensor theta in place: step a copy of it.")


# ---------------------------------------------------------------- dropout networks

_SEED_LAYERS = ((784, 128), (128, 64), (64, 10))  # (in, out) of the seed MLP's linear layers
_ORDINALS = ("first", "second")


def _seed_linears(net, who):
    """The three linear layers of the seed MLP, in the order the data flows through them."""
    if not isinstance(net, nn.Module):
        raise CheckFailed(f"{who} does not give a network (an nn.Module).")
    linears = layers_of(net, nn.Linear)
    if sorted((linear.in_features, linear.out_features) for linear in linears) != sorted(_SEED_LAYERS):
        raise CheckFailed(f"{who}: the network's linear layers are not those of the seed MLP (784-128-64-10).")
    by_inputs = {linear.in_features: linear for linear in linears}
    return [by_inputs[n_in] for n_in, _ in _SEED_LAYERS]


def _dropout_net(namespace, p):
    net = answer(namespace, "build_net_with_dropout")(p)
    return net, _seed_linears(net, "build_net_with_dropout")


def _probe_training_mode(net, linears, n=200):
    """Run `net` in training mode on random images; return them, what each linear layer received last (None
    for a layer not called), the output."""
    with recorded_calls(linears) as calls:
        net.train()
        x = torch.randn(n, 784)
        with torch.no_grad():
            output = net(x)
    received = {id(call.layer): call.input for call in calls}
    return x, [received.get(id(linear)) for linear in linears], output


def _require_dropout_after(namespace, layer, p):
    """Fail unless, in build_net_with_dropout(p) in training mode, the input of linear layer `layer + 1` is
    ReLU(output of `layer`) after dropout of rate `p`.

    Dropout before or after the ReLU gives the same input, since ReLU(m·z) = m·ReLU(z)
    for a mask m >= 0, so both placements pass.
    """
    who = "build_net_with_dropout"
    net, linears = _dropout_net(namespace, p)
    _, received, _ = _probe_training_mode(net, linears)
    with torch.no_grad():
        undropped = torch.relu(linears[layer](received[layer]))
    seen = dropout_between(undropped, received[layer + 1])
    where = f"after the {_ORDINALS[layer]} linear layer"
    if seen is None or seen.share < 0.02:
        raise CheckFailed(f"{who}: no dropout {where} in training mode.")
    fault = dropout_fault(seen, p, tolerance=0.05)
    if fault is not None:
        raise CheckFailed(f"{who}: the dropout {where} is wrong: {fault}.")
    got = received[layer + 1]  # every kept unit, not only most of them, is scaled by exactly 1/(1-p)
    if not torch.allclose(got, torch.where(got != 0, undropped / (1 - p), 0.0), rtol=1e-4, atol=1e-6):
        raise CheckFailed(f"{who}: {where}, the units that dropout keeps are not scaled by 1/(1-p), "
                          "so eval mode sees activations of another size.")


@pytest.mark.grade("build_net_with_dropout")
def test_dropout_net_has_the_seed_layers(namespace):
    net, _ = _dropout_net(namespace, 0.5)
    net.eval()
    with torch.no_grad():
        shape = tuple(net(torch.randn(5, 784)).shape)
    if shape != (5, 10):
        raise CheckFailed("build_net_with_dropout: for N images of 784 pixels the network must give N × 10 outputs.")


@pytest.mark.grade("build_net_with_dropout")
def test_dropout_net_trains(namespace):
    net, _ = _dropout_net(namespace, 0.3)
    require_trains(net, torch.randn(8, 784), "build_net_with_dropout's network")


@pytest.mark.grade("build_net_with_dropout")
def test_dropout_net_is_new_on_every_call(namespace):
    build_net_with_dropout = answer(namespace, "build_net_with_dropout")
    first, second = build_net_with_dropout(0.5), build_net_with_dropout(0.5)
    if first is second:
        raise CheckFailed("build_net_with_dropout returns the same network on every call: build a new one each time.")
    if share_parameters(first, second):
        raise CheckFailed("two networks from build_net_with_dropout share parameters: "
                          "create new layers on every call.")


@pytest.mark.grade("build_net_with_dropout", weight=2)
def test_dropout_net_is_the_seed_mlp_in_eval_mode(namespace):
    net, linears = _dropout_net(namespace, 0.5)
    net.eval()
    x = torch.randn(20, 784)
    with torch.no_grad():
        first, second, without_dropout = net(x), net(x), relu_mlp(linears, x)
    if not torch.equal(first, second):
        raise CheckFailed("dropout is still active in eval mode: outputs differ between calls "
                          "(nn.Dropout, or functional dropout with training=self.training, turns it off).")
    if not torch.allclose(first, without_dropout, rtol=1e-5, atol=1e-6):
        raise CheckFailed("in eval mode the network does not compute the seed MLP "
                          "(Linear, ReLU, Linear, ReLU, Linear, with dropout switched off).")


@pytest.mark.grade("build_net_with_dropout")
def test_dropout_net_is_random_in_training_mode(namespace):
    net, _ = _dropout_net(namespace, 0.5)
    net.train()
    x = torch.randn(20, 784)
    with torch.no_grad():
        if torch.equal(net(x), net(x)):
            raise CheckFailed("in training mode the output is the same on every call: dropout is not active.")
    net, _ = _dropout_net(namespace, 0.0)
    with torch.no_grad():
        trained, evaluated = net.train()(x), net.eval()(x)
    if not torch.allclose(trained, evaluated, rtol=1e-5, atol=1e-6):
        raise CheckFailed("with p=0 the network still drops units in training mode: "
                          "p is the probability of dropping a unit.")


@pytest.mark.grade("build_net_with_dropout")
def test_dropout_after_the_first_linear_layer(namespace):
    _require_dropout_after(namespace, 0, 0.3)


@pytest.mark.grade("build_net_with_dropout")
def test_dropout_after_the_second_linear_layer(namespace):
    _require_dropout_after(namespace, 1, 0.3)


@pytest.mark.grade("build_net_with_dropout")
def test_no_dropout_on_the_input_or_the_output(namespace):
    net, linears = _dropout_net(namespace, 0.3)
    x, received, output = _probe_training_mode(net, linears)
    if not torch.equal(received[0], x):
        raise CheckFailed("the network drops input pixels: dropout belongs after the linear layers, "
                          "not before the first.")
    with torch.no_grad():
        if not torch.allclose(output, linears[-1](received[-1]), rtol=1e-5, atol=1e-6):
            raise CheckFailed("the network applies dropout after the last linear layer: it drops the output scores "
                              "themselves.")


# ---------------------------------------------------------------- dropout_experiment


def _setup(namespace, p, lr=None):
    """The (net, optimizer) pair of the student's dropout_experiment_setup (with its default lr if None)."""
    setup = answer(namespace, "dropout_experiment_setup")
    result = setup(p) if lr is None else setup(p, lr=lr)
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise CheckFailed("dropout_experiment_setup must return a pair (net, optimizer).")
    net, optimizer = result
    if isinstance(net, torch.optim.Optimizer) and isinstance(optimizer, nn.Module):
        raise CheckFailed("dropout_experiment_setup returns (optimizer, net): the order is (net, optimizer).")
    if not isinstance(net, nn.Module) or not isinstance(optimizer, torch.optim.Optimizer):
        raise CheckFailed("dropout_experiment_setup must return a network and a torch.optim optimizer.")
    return net, optimizer


@pytest.mark.grade("dropout_experiment")
def test_setup_returns_net_and_optimizer(namespace):
    _setup(namespace, 0.3)


@pytest.mark.grade("dropout_experiment")
def test_setup_net_is_build_net_with_dropout_of_p(namespace):
    # Compared with the student's own build_net_with_dropout, so that a mistake
    # there costs points on that item only, not here a second time.
    net, _ = _setup(namespace, 0.3)
    reference = answer(namespace, "build_net_with_dropout")(0.3)
    if _architecture(net) != _architecture(reference):
        raise CheckFailed("dropout_experiment_setup's network is not build_net_with_dropout(p): "
                          "build it with your build_net_with_dropout, passing p.")


def _architecture(net) -> list:
    """The kinds of layers, their dropout probabilities and the parameter shapes of a network."""
    return ([(type(module).__name__, getattr(module, "p", None)) for module in net.modules()]
            + [tuple(parameter.shape) for parameter in net.parameters()])


@pytest.mark.grade("dropout_experiment")
def test_setup_builds_a_new_network(namespace):
    build = answer(namespace, "build_net_with_dropout")
    if share_parameters(build(0.3), build(0.3)):
        return  # build_net_with_dropout already loses points for reusing its network
    (first, _), (second, _) = _setup(namespace, 0.3), _setup(namespace, 0.3)
    if share_parameters(first, second):
        raise CheckFailed("two calls of dropout_experiment_setup return networks that share parameters: "
                          "every run needs a new network.")


@pytest.mark.grade("dropout_experiment")
def test_setup_optimizer_is_adam_over_the_net(namespace):
    net, optimizer = _setup(namespace, 0.3)
    _require_plain_adam(optimizer, "dropout_experiment_setup")
    require_parameters_of(optimizer, net, "dropout_experiment_setup")


@pytest.mark.grade("dropout_experiment")
def test_setup_optimizer_settings(namespace):
    _, optimizer = _setup(namespace, 0.3, lr=0.003)
    if optimizer_settings(optimizer, "lr") != {0.003}:
        raise CheckFailed("dropout_experiment_setup does not give the optimizer the lr argument.")
    if optimizer_settings(optimizer, "weight_decay") != {0}:
        raise CheckFailed("dropout_experiment_setup's optimizer uses weight decay: this experiment isolates dropout.")
    _, optimizer = _setup(namespace, 0.3)
    if optimizer_settings(optimizer, "lr") != {1e-4}:
        raise CheckFailed("dropout_experiment_setup's default learning rate is not 1e-4.")


# ---------------------------------------------------------------- plot_learning_curve

_VALUES = (0.1, 0.3, 0.5)
_XLABEL = "dropout probability"
_PHASES = ("train", "validation")


def _fake_histories(n_epochs=4):
    """One history per value, every statistic different per epoch and per run."""
    start = {"train loss": 2.0, "validation loss": 2.2, "train accuracy": 0.3, "validation accuracy": 0.25}
    step = {"loss": -0.3, "accuracy": 0.1}
    return [{"epochs": list(range(n_epochs)),
             **{key: [first + step[key.split()[1]] * epoch + 0.07 * run for epoch in range(n_epochs)]
                for key, first in start.items()}}
            for run in range(len(_VALUES))]


def _learning_curve(namespace, xscale="linear"):
    """plot_learning_curve on fake histories, as a context that yields what it returned and its figure."""
    return answer_figure(namespace, "plot_learning_curve", _fake_histories(), list(_VALUES), _XLABEL, xscale=xscale)


def _series(axes):
    """The (x, y) data of everything plotted on the axes: lines and scattered points."""
    series = [(line.get_xdata(orig=False), line.get_ydata(orig=False)) for line in axes.get_lines()]
    series += [tuple(np.asarray(points).T) for points in (c.get_offsets() for c in axes.collections) if len(points)]
    return [(np.asarray(x, dtype=float), np.asarray(y, dtype=float)) for x, y in series]


def _has(series, y, x=None):
    """Whether one of the series has these y values (and these x values, if given)."""
    return any(len(ys) == len(y) and np.allclose(ys, y) and (x is None or np.allclose(xs, x)) for xs, ys in series)


def _require_curve(figure, stat):
    """Fail unless one axes plots the final train and validation `stat` of every history against the values."""
    histories = _fake_histories()

    def per_history(epoch):
        return [[history[f"{phase} {stat}"][epoch] for history in histories] for phase in _PHASES]

    if any(all(_has(_series(axes), y, _VALUES) for y in per_history(-1)) for axes in figure.axes):
        return
    everything = [series for axes in figure.axes for series in _series(axes)]
    if any(_has(everything, y) for y in per_history(0)):
        raise CheckFailed(f"the learning curve shows the first epoch's {stat}: use each history's final epoch.")
    if all(_has(everything, y) for y in per_history(-1)):
        raise CheckFailed(f"the final {stat} is not plotted against `values` (they are the x coordinates), "
                          "or train and validation are on different axes.")
    raise CheckFailed(f"no axes shows the final-epoch train and validation {stat} of every history.")


@pytest.mark.grade("plot_learning_curve")
def test_plot_returns_a_figure_with_two_axes(namespace):
    with _learning_curve(namespace) as drawn:
        require_returned_figure(drawn, "plot_learning_curve", 2,
                                "the learning curve figure needs two axes: one for the loss, one for the accuracy.")


@pytest.mark.grade("plot_learning_curve")
def test_plot_shows_the_final_loss(namespace):
    with _learning_curve(namespace) as (_, figure):
        _require_curve(figure, "loss")


@pytest.mark.grade("plot_learning_curve")
def test_plot_shows_the_final_accuracy(namespace):
    with _learning_curve(namespace) as (_, figure):
        _require_curve(figure, "accuracy")


@pytest.mark.grade("plot_learning_curve")
def test_plot_uses_the_x_scale(namespace):
    for xscale in ("log", "linear"):
        with _learning_curve(namespace, xscale) as (_, figure):
            if any(axes.get_xscale() != xscale for axes in figure.axes):
                raise CheckFailed(f"with xscale='{xscale}' the x axes are not on a {xscale} scale: "
                                  "use the xscale argument.")


@pytest.mark.grade("plot_learning_curve")
def test_plot_labels_both_axes(namespace):
    with _learning_curve(namespace) as (_, figure):
        if not all(_XLABEL in axes.get_xlabel() for axes in figure.axes):
            raise CheckFailed("label every x axis with the xlabel argument.")
        if not all(axes.get_ylabel().strip() for axes in figure.axes):
            raise CheckFailed("label every y axis with what it shows (loss, accuracy).")


# ---------------------------------------------------------------- BestModelTracker

# validation losses per epoch, and the best epoch: the first with the lowest loss
_TIED_MINIMUM = ([0.9, 0.7, 0.5, 0.6, 0.5, 0.8], 2)
_LATER_TIE = 4  # the epoch of _TIED_MINIMUM with the same loss as its best
_FIRST_IS_BEST = ([0.6, 0.9, 0.7], 0)
_HIGHER_LOSSES = ([0.95, 0.8, 0.85], 1)  # all above _TIED_MINIMUM's best: state shared between trackers misses it
_UNIQUE_MINIMUM = ([0.9, 0.5, 0.7, 0.8], 1)  # no tie, so the copy checks do not depend on how ties are handled


def _marked(net):
    """The parameters that tell epochs apart: the biases (small, so cheap to change every epoch)."""
    return [parameter for name, parameter in net.named_parameters() if name.endswith("bias")]


def _track(namespace, losses):
    """Drive a new tracker by hand; after each epoch the training network's biases all equal epoch + 1."""
    tracker = answer(namespace, "BestModelTracker")()
    net = build_net()  # the seed's network, so that a tracker may also copy it by loading a state_dict
    all_stats = []
    for epoch, loss in enumerate(losses):
        with torch.no_grad():  # as an optimizer does: the same parameters, changed in place
            for parameter in _marked(net):
                parameter.fill_(epoch + 1.0)
        all_stats.append(_epoch_stats(epoch, loss))
        tracker(net, epoch, all_stats[-1])
    return tracker, net, all_stats


def _holds(net, value):
    marked = _marked(net)
    return bool(marked) and all(torch.all(parameter == value) for parameter in marked)


@pytest.mark.grade("BestModelTracker")
def test_tracker_finds_the_best_epoch(namespace):
    losses, best = _TIED_MINIMUM
    tracker, _, _ = _track(namespace, losses)
    if tracker.best_epoch == _LATER_TIE:
        raise CheckFailed("best_epoch moves to a later epoch with an equal validation loss: "
                          "only a strictly lower loss counts as better.")
    if tracker.best_epoch != best:
        raise CheckFailed("best_epoch is not the epoch with the lowest validation loss.")
    losses, best = _HIGHER_LOSSES
    if _track(namespace, losses)[0].best_epoch != best:
        raise CheckFailed("a new BestModelTracker does not start afresh: it remembers an earlier tracker's best "
                          "(keep the state on self, set in __init__, not on the class).")
    losses, best = _FIRST_IS_BEST
    if _track(namespace, losses)[0].best_epoch != best:
        raise CheckFailed("best_epoch is not the epoch with the lowest validation loss when that is the first epoch.")


@pytest.mark.grade("BestModelTracker")
def test_tracker_keeps_the_best_stats(namespace):
    losses, best = _UNIQUE_MINIMUM
    tracker, _, all_stats = _track(namespace, losses)
    stats = tracker.best_stats

    def equal(expected):
        return hasattr(stats, "get") and all(stats.get(key) == value for key, value in expected.items())

    if equal(all_stats[-1]):
        raise CheckFailed("best_stats are the last epoch's statistics, not the best epoch's.")
    if not equal(all_stats[best]):
        raise CheckFailed("best_stats are not the statistics (epoch_stats) of the best epoch.")


@pytest.mark.grade("BestModelTracker", weight=2)
def test_tracker_best_net_is_a_copy(namespace):
    losses, _ = _UNIQUE_MINIMUM
    tracker, net, _ = _track(namespace, losses)
    best_net = tracker.best_net
    if not isinstance(best_net, nn.Module):
        raise CheckFailed("best_net is not a network (an nn.Module) after training.")
    if best_net is net:
        raise CheckFailed("best_net is the training network itself, not a copy: it changes after later epochs.")
    if share_parameters(best_net, net):
        raise CheckFailed("best_net changes after later epochs: it shares its parameters with the training network "
                          "(a shallow copy); it needs a deep copy.")
    if _holds(best_net, len(losses)):
        raise CheckFailed("best_net holds the last epoch's parameters, not the best epoch's.")
    if not (isinstance(tracker.best_epoch, int) and _holds(best_net, tracker.best_epoch + 1)):
        raise CheckFailed("best_net does not hold the parameters the network had at best_epoch.")


@pytest.mark.grade("BestModelTracker")
def test_tracker_works_with_fit(namespace):
    net = build_net()
    tracker = answer(namespace, "BestModelTracker")()
    history, validation = _fit(net, torch.optim.Adam(net.parameters(), lr=0.01), tracker, epochs=4)
    losses = history["validation loss"]
    best = int(np.argmin(losses))  # the first of equal minima, as strictly lower is better
    if not isinstance(tracker.best_net, nn.Module):
        raise CheckFailed("with fit, best_net is not a network (an nn.Module).")
    if tracker.best_epoch != best:
        raise CheckFailed("with fit, best_epoch is not the epoch with the lowest validation loss.")
    stats = tracker.best_stats
    if not hasattr(stats, "get") or not np.isclose(stats.get("validation loss", np.nan), losses[best], rtol=1e-6):
        raise CheckFailed("with fit, best_stats are not the statistics of the best epoch.")
    images, labels = validation.tensors
    tracker.best_net.eval()
    with torch.no_grad():
        loss = float(nn.functional.cross_entropy(tracker.best_net(images), labels))
    if not np.isclose(loss, losses[best], rtol=1e-4):
        raise CheckFailed("with fit, best_net does not have the best epoch's validation loss: "
                          "it does not hold that epoch's parameters.")


# ---------------------------------------------------------------- EarlyStopper

# (situation, validation losses, patience or None for the default, 0-based epoch of the first Stop or None);
# only _USES_PATIENCE varies the patience, and its losses never improve after the best, so that each
# table catches its own mistake
_STOPS_WITHOUT_IMPROVEMENT = (
    ("when the validation loss stays constant (default patience)", [1.0] * 8, None, 5),
    ("when the validation loss keeps rising", [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2], 5, 5),
    ("when the validation loss stops improving", [1.0, 0.8, 0.6, 0.7, 0.6, 0.65, 0.9, 0.61, 0.62], 5, 7),
)
_COUNTS_FROM_THE_BEST = (
    ("when the loss improves again after a plateau", [1.0, 1.1, 1.2, 1.3, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3, 1.4], 5, 9),
    ("when the loss improves on the previous epoch but not on the best so far",
     [1.0, 0.5, 0.8, 0.7, 0.6, 0.55, 0.52, 0.51], 5, 6),
    ("when the loss returns to the best so far without beating it", [1.0, 0.9, 1.0, 0.9, 1.0, 0.9, 1.0, 0.9], 5, 6),
)
_KEEPS_GOING = (
    ("while the validation loss keeps decreasing", [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3], 5, None),
    ("while the loss improves at least every `patience` epochs", [1.0, 1.1, 0.9, 1.0, 0.8, 0.85, 0.7], 2, None),
)
_USES_PATIENCE = (
    ("with patience 1", [1.0, 0.9, 0.95, 0.8, 0.85, 0.9], 1, 2),
    ("with patience 2", [1.0, 0.8, 0.9, 1.0, 0.7], 2, 3),
    ("with patience 3", [1.0] * 6, 3, 3),
)


def _stopper(namespace, patience=None):
    early_stopper = answer(namespace, "EarlyStopper")
    return early_stopper() if patience is None else early_stopper(patience=patience)


def _decisions(namespace, stopper, losses):
    """What the stopper returns after each epoch, up to its first Stop (where fit ends training)."""
    net = nn.Linear(2, 1)
    decisions = []
    for epoch, loss in enumerate(losses):
        decisions.append(stopper(net, epoch, _epoch_stats(epoch, loss)))
        if decisions[-1] is _stop_marker(namespace):
            break
    return decisions


def _stop_epoch(namespace, stopper, losses):
    """The epoch at which the stopper first returns Stop, or None."""
    decisions = _decisions(namespace, stopper, losses)
    return len(decisions) - 1 if decisions[-1] is _stop_marker(namespace) else None


def _require_stops(namespace, cases):
    for situation, losses, patience, expected in cases:
        stopped = _stop_epoch(namespace, _stopper(namespace, patience), losses)
        if stopped == expected:
            continue
        if expected is None:
            raise CheckFailed(f"{situation}, EarlyStopper stops training although the loss improves in time.")
        if stopped is None:
            raise CheckFailed(f"{situation}, EarlyStopper never returns Stop.")
        if stopped < expected:
            raise CheckFailed(f"{situation}, EarlyStopper stops too early: it must wait until `patience` epochs "
                              "in a row have not improved on the best loss.")
        raise CheckFailed(f"{situation}, EarlyStopper stops too late: it must stop as soon as `patience` epochs "
                          "in a row have not improved on the best loss.")


@pytest.mark.grade("EarlyStopper")
@pytest.mark.parametrize("cases", [
    pytest.param(_STOPS_WITHOUT_IMPROVEMENT, id="stops_when_the_loss_stops_improving"),
    pytest.param(_COUNTS_FROM_THE_BEST, id="compares_with_the_best_loss"),
    pytest.param(_KEEPS_GOING, id="keeps_going_while_improving"),
    pytest.param(_USES_PATIENCE, id="uses_the_patience"),
])
def test_stopper_decides(namespace, cases):
    _require_stops(namespace, cases)


@pytest.mark.grade("EarlyStopper")
def test_stopper_returns_stop_or_none(namespace):
    stop = _stop_marker(namespace)
    # a loss that rises every epoch, so that every stopper that ever stops stops here
    decisions = _decisions(namespace, _stopper(namespace, patience=2), [1.0 + 0.1 * epoch for epoch in range(12)])
    others = [decision for decision in decisions if decision is not None and decision is not stop]
    if not others:
        if decisions[-1] is not stop:
            raise CheckFailed("EarlyStopper never returns Stop.")
        return
    returned = others[0]
    if isinstance(returned, str):
        raise CheckFailed(f"EarlyStopper returns the string {returned!r}: return the Stop marker, "
                          "which fit compares with `is`.")
    if returned is False:
        raise CheckFailed("EarlyStopper returns False while training should go on: return None.")
    raise CheckFailed(f"EarlyStopper returns {returned!r} to stop training: return the Stop marker.")


@pytest.mark.grade("EarlyStopper")
def test_stopper_state_is_per_instance(namespace):
    _decisions(namespace, _stopper(namespace, patience=2), [1.0] * 6)
    if _stop_epoch(namespace, _stopper(namespace, patience=2), [2.0, 1.9, 1.8, 1.7]) is not None:
        raise CheckFailed("a new EarlyStopper continues where an earlier one left off: keep its state on self "
                          "(set in __init__), not on the class.")


@pytest.mark.grade("EarlyStopper")
def test_stopper_stops_fit(namespace):
    net = build_net()
    # a zero learning rate keeps the validation loss exactly constant
    history, _ = _fit(net, torch.optim.SGD(net.parameters(), lr=0.0), _stopper(namespace, patience=2), epochs=8)
    if len(history["epochs"]) != 3:
        raise CheckFailed("with fit, EarlyStopper does not end training as soon as `patience` epochs "
                          "have passed without improvement.")


# ---------------------------------------------------------------- grid_size


@pytest.mark.grade("grid_size")
def test_grid_counts_every_combination(namespace):
    n_experiments = answer(namespace, "N_GRID_EXPERIMENTS")
    if n_experiments == 4 + 5 + 6:
        raise CheckFailed("N_GRID_EXPERIMENTS adds up the numbers of values: a grid search runs every "
                          "combination of learning rate, weight decay and dropout rate, not their sum.")
    if n_experiments != 4 * 5 * 6:
        raise CheckFailed("N_GRID_EXPERIMENTS is not the number of runs of a full grid: think about all "
                          "combinations of the learning rates, weight decays and dropout rates of this assignment.")


# ---------------------------------------------------------------- the kit's versions of answers other answers call


def _kit_net_with_dropout(p):
    return nn.Sequential(nn.Linear(784, 128), nn.Dropout(p), nn.ReLU(), nn.Linear(128, 64), nn.Dropout(p), nn.ReLU(),
                         nn.Linear(64, 10))


# While an item is graded, the other answers it calls are these (autograder.check_plugin.answers_standing_in)
STAND_INS = {"dropout_experiment": {"build_net_with_dropout": _kit_net_with_dropout}}
