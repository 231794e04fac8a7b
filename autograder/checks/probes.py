"""What the checks of every assignment share: finding an answer, reading returned values, probing networks,
optimizers, training epochs and penalties, catching a figure.

Randomness needs nothing here: the ``own_random_state`` fixture (``autograder.check_plugin``) gives every
check its own seeded generator state, so checks see the same tensors on every run and leave the notebook's
generator as they found it.
"""

import contextlib
import itertools
from collections.abc import Callable, Iterable
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle, StepPatch
from torch import nn

from autograder.check_runner import CheckFailed

# ---------------------------------------------------------------- answers and returned values


def answer(namespace: dict, name: str):
    """The student's object called ``name``, or a failure that says which cell to run."""
    try:
        return namespace[name]
    except KeyError:
        raise CheckFailed(f"`{name}` is not defined: run the cell where you define it.") from None


def as_float(value) -> float:
    """A single number an answer gave, a tensor (detached) or not, as a float; no judgement of its type."""
    return float(value.detach()) if torch.is_tensor(value) else float(value)


def require_plain_number(value, who: str) -> float:
    """A number ``who`` returned, as a float, if it is a plain number; a tensor or anything else is a failure
    that says what to return."""
    if torch.is_tensor(value):
        raise CheckFailed(f"{who} returns a tensor: return a Python float (with .item()).")
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise CheckFailed(f"{who} returns {type(value).__name__}, not a number (a Python float).")
    return float(value)


# ---------------------------------------------------------------- networks and their parameters


def layers_of(net: nn.Module, kind: type | tuple[type, ...]) -> list[nn.Module]:
    """The submodules of ``net`` (itself included) of type ``kind``, in registration order."""
    return [module for module in net.modules() if isinstance(module, kind)]


def relu_mlp(linears: list[nn.Module], x: torch.Tensor) -> torch.Tensor:
    """What the linear layers compute with a ReLU after each but the last: Linear, ReLU, ..., Linear."""
    for index, layer in enumerate(linears):
        x = layer(x)
        if index < len(linears) - 1:
            x = torch.relu(x)
    return x


def share_parameters(first: nn.Module, second: nn.Module) -> bool:
    """Whether two networks hold any parameter tensor in common (one is not a copy of the other)."""
    return not {id(parameter) for parameter in first.parameters()}.isdisjoint(map(id, second.parameters()))


def parameter_values(net: nn.Module) -> list[torch.Tensor]:
    """Detached copies of the parameters of ``net``: what they hold now, whatever happens to them later."""
    return [parameter.detach().clone() for parameter in net.parameters()]


def same_tensors(first, second, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Whether two sequences of tensors are equal in number, shapes and (within tolerance) values, pairwise."""
    return len(first) == len(second) and all(
        a.shape == b.shape and torch.allclose(a, b, rtol=rtol, atol=atol) for a, b in zip(first, second, strict=True))


class LayerCall(NamedTuple):
    """One call of a layer: the layer, a copy of its (first) input and a copy of its output."""

    layer: nn.Module
    input: torch.Tensor
    output: torch.Tensor


@contextlib.contextmanager
def recorded_calls(layers: Iterable[nn.Module]):
    """Yield a list that gets a ``LayerCall`` for every call of one of ``layers`` while the block runs, in call order.

    Input and output are copied when the layer is called, so that a later in-place
    operation (``ReLU(inplace=True)``, say) does not change what was recorded. The
    hooks return None, so the network computes what it would without them.
    """
    calls: list[LayerCall] = []

    def record(layer, args, output):
        calls.append(LayerCall(layer, args[0].detach().clone(), output.detach().clone()))

    hooks = [layer.register_forward_hook(record) for layer in {id(layer): layer for layer in layers}.values()]
    try:
        yield calls
    finally:
        for hook in hooks:
            hook.remove()


def weighted_layers_in_call_order(net: nn.Module, x: torch.Tensor) -> list[nn.Module]:
    """The convolutions and linear layers of ``net`` in the order its forward pass on ``x`` calls them."""
    with recorded_calls(layers_of(net, nn.Conv2d | nn.Linear)) as calls, torch.no_grad():
        net(x)
    return [call.layer for call in calls]


def with_weights_of(reference: nn.Module, net: nn.Module, x: torch.Tensor) -> nn.Module | None:
    """``reference`` (a network built to the spec) holding the weights of the student's ``net``: its
    convolutions and linear layers get those of ``net`` in call order. None when the two have other layers
    (other shapes, another number), which a check of the layers reports."""
    theirs = weighted_layers_in_call_order(net, x)
    ours = layers_of(reference, nn.Conv2d | nn.Linear)
    if [tuple(p.shape) for layer in theirs for p in layer.parameters()] != [
            tuple(p.shape) for layer in ours for p in layer.parameters()]:
        return None
    with torch.no_grad():
        for mine, student in zip(ours, theirs, strict=True):
            for own, given in zip(mine.parameters(), student.parameters(), strict=True):
                own.copy_(given)
    return reference


def require_trains(net: nn.Module, x: torch.Tensor, who: str) -> None:
    """Fail unless, in train mode, backward() from the scores of ``net`` on ``x`` reaches every parameter."""
    try:
        scores = net.train()(x)
    except (CheckFailed, NotImplementedError):
        raise
    except Exception as error:
        raise CheckFailed(f"{who} fails on a batch of {'x'.join(map(str, x.shape[1:]))} inputs "
                          f"({type(error).__name__}: {error}).") from None
    if not scores.requires_grad:
        raise CheckFailed(f"{who}'s scores are cut from its parameters (.detach(), .data or torch.no_grad() in "
                          "forward): no gradient can train it.")
    F.cross_entropy(scores, torch.arange(len(x)) % scores.shape[1]).backward()
    if any(p.grad is None or not bool(p.grad.any()) for p in net.parameters()):
        raise CheckFailed(f"some of {who}'s parameters get no gradient: every layer must be used in forward.")


# ---------------------------------------------------------------- dropout


class DropoutSeen(NamedTuple):
    """What dropout did to the units a layer receives, compared with what it would receive without it."""

    share: float  # of the units carrying a signal, the share set to zero
    scale: float  # the factor (median) by which the kept units were multiplied
    whole_rows: float  # of the samples with many active units, the share that lost all of them at once


def dropout_between(undropped: torch.Tensor, received: torch.Tensor) -> DropoutSeen | None:
    """Dropout between what a layer would receive (``undropped``) and what it did receive; None if nothing
    was dropped. Only units that carry a signal (> 0) count: zero stays zero under dropout."""
    if received.shape != undropped.shape:
        raise CheckFailed("the layers are not connected in order (one layer's output feeds the next).")
    if torch.allclose(received, undropped, rtol=1e-5, atol=1e-6):
        return None
    active = undropped > 1e-4
    dropped = (received == 0) & active
    kept = active & ~dropped
    scale = float((received[kept] / undropped[kept]).median()) if kept.any() else float("nan")
    rows_active, rows_dropped = active.flatten(1).sum(1), dropped.flatten(1).sum(1)
    many = rows_active >= 20  # with 20 units, a row loses all of them by chance with probability p**20
    whole = float((rows_dropped[many] == rows_active[many]).float().mean()) if many.any() else 0.0
    return DropoutSeen(float(dropped.sum()) / max(1, int(active.sum())), scale, whole)


def dropout_fault(seen: DropoutSeen, p: float, tolerance: float = 0.06) -> str | None:
    """What is wrong with dropout seen where dropout of probability ``p`` belongs (None: nothing), in words."""
    if seen.whole_rows > 0.05:
        return ("it drops whole samples at once instead of single units (nn.Dropout1d or nn.Dropout2d on a batch "
                "of feature vectors treat each sample as a channel): use nn.Dropout(p)")
    if abs(seen.share - p) >= tolerance:
        if abs(seen.share - (1 - p)) < tolerance:
            return "it drops units with probability 1 - p: p is the probability of dropping a unit, not of keeping it"
        return f"it drops units with a probability of about {seen.share:.0%}, not with the probability p = {p:.0%}"
    if not np.isclose(seen.scale, 1 / (1 - p), rtol=1e-3):
        return "the units it keeps are not scaled by 1/(1-p), as nn.Dropout(p) does, so eval mode sees other sizes"
    return None


# ---------------------------------------------------------------- optimizers


def optimizer_settings(optimizer: torch.optim.Optimizer, key: str) -> set:
    """The values of one hyperparameter over all parameter groups (None for a group without it)."""
    return {group.get(key) for group in optimizer.param_groups}


def require_parameters_of(optimizer: torch.optim.Optimizer, net: nn.Module, who: str) -> None:
    """Fail unless the optimizer updates exactly the parameters of ``net``."""
    optimized = {id(parameter) for group in optimizer.param_groups for parameter in group["params"]}
    own = {id(parameter) for parameter in net.parameters()}
    if optimized - own:
        raise CheckFailed(f"{who}: the optimizer updates parameters that are not those of the network "
                          "(is another network built for it?).")
    if own - optimized:
        raise CheckFailed(f"{who}: the optimizer leaves some parameters of the network out.")


# ---------------------------------------------------------------- training epochs and evaluation: one contract

# Every assignment's train_epoch(net, loader, optimizer, penalty=None) and evaluate(net, loader) return
# (loss, accuracy): the mean cross-entropy per sample, without the penalty (so that runs with and without a
# penalty compare), and the fraction of the samples classified correctly. The helpers below judge that pair.


class Minibatch(NamedTuple):
    """What one minibatch of a reference epoch gave, measured before its optimizer step."""

    size: int  # samples in the minibatch
    cross_entropy: float  # the mean cross-entropy of the minibatch alone
    loss: float  # what was back-propagated: the cross-entropy, plus the penalty if there is one
    correct: int  # samples the network classified correctly


def reference_sgd_epoch(net: nn.Module, loader, lr: float, penalty: Callable[[nn.Module], torch.Tensor] | None = None,
                        zero_grad: bool = True) -> list[Minibatch]:
    """Train ``net`` (in train mode) for one epoch of plain SGD with learning rate ``lr``, one step per minibatch
    on its cross-entropy plus ``penalty(net)`` if given; ``zero_grad=False`` lets the gradients accumulate, as a
    forgotten ``optimizer.zero_grad()`` does. A ``Minibatch`` per minibatch, in order."""
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    net.train()
    minibatches = []
    for x, y in loader:
        if zero_grad:
            optimizer.zero_grad()
        output = net(x)
        cross_entropy = nn.functional.cross_entropy(output, y)
        loss = cross_entropy if penalty is None else cross_entropy + penalty(net)
        loss.backward()
        optimizer.step()
        correct = (output.argmax(dim=1) == y).sum().item()
        minibatches.append(Minibatch(len(y), cross_entropy.item(), loss.item(), correct))
    return minibatches


def measured(minibatches: Iterable[Minibatch]) -> tuple[float, float]:
    """The mean cross-entropy per sample and the accuracy of these minibatches: every sample weighs alike."""
    minibatches = list(minibatches)
    seen = sum(minibatch.size for minibatch in minibatches)
    return (sum(minibatch.cross_entropy * minibatch.size for minibatch in minibatches) / seen,
            sum(minibatch.correct for minibatch in minibatches) / seen)


def evaluated_minibatches(net: nn.Module, loader) -> list[Minibatch]:
    """What ``net`` measures on each minibatch of ``loader`` in eval mode and without gradients, in order."""
    net.eval()
    minibatches = []
    with torch.no_grad():
        for x, y in loader:
            output = net(x)
            cross_entropy = F.cross_entropy(output, y).item()
            correct = (output.argmax(dim=1) == y).sum().item()
            minibatches.append(Minibatch(len(y), cross_entropy, cross_entropy, correct))
    return minibatches


class ModeProbe(nn.Module):
    """Identity that records, per call, whether it ran in train mode and with gradients on: put it first in a
    network to see how a training or an evaluation loop runs that network."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return x


def loss_and_accuracy(result, who: str) -> tuple[float, float]:
    """The ``(loss, accuracy)`` pair that ``who`` (a training or an evaluation loop) returned, as floats; anything
    else is a failure that says what to return."""
    try:
        loss, accuracy = result
        return as_float(loss), as_float(accuracy)
    except (TypeError, ValueError, RuntimeError):
        raise CheckFailed(f"{who} should return a pair (loss, accuracy) of numbers.") from None


def loss_fault(loss: float, minibatches: list[Minibatch], who: str) -> str | None:
    """What is wrong with the loss ``who`` returned for these minibatches, which should be their mean
    cross-entropy per sample without any penalty (None: nothing), in words."""
    expected, _ = measured(minibatches)
    if np.isclose(loss, expected, rtol=1e-4):
        return None
    sizes = [minibatch.size for minibatch in minibatches]
    with_penalty = [minibatch.loss for minibatch in minibatches]
    if any(minibatch.loss != minibatch.cross_entropy for minibatch in minibatches) and any(
            np.isclose(loss, mean, rtol=1e-4) for mean in (np.average(with_penalty, weights=sizes),
                                                             np.mean(with_penalty))):
        return (f"{who}'s loss includes the penalty: return the cross-entropy alone (the penalty still goes into "
                "the loss that is back-propagated), so that runs with and without a penalty compare.")
    cross_entropies = [minibatch.cross_entropy for minibatch in minibatches]
    if np.isclose(loss, np.mean(cross_entropies), rtol=1e-4):
        return (f"{who} averages the minibatches' mean losses, but the last minibatch is smaller: return the mean "
                "cross-entropy per sample (weight each minibatch's loss by its number of samples).")
    if np.isclose(loss, cross_entropies[-1], rtol=1e-4):
        return f"{who} returns the loss of the last minibatch: return the mean cross-entropy per sample of them all."
    if np.isclose(loss, cross_entropies[0], rtol=1e-4):
        return f"{who} returns after the first minibatch: go through the whole loader before returning."
    if any(np.isclose(loss, total, rtol=1e-4) for total in (sum(cross_entropies), expected * sum(sizes))):
        return f"{who} returns a sum of losses: return the mean cross-entropy per sample."
    return (f"{who}'s loss is not the mean cross-entropy per sample over the loader (measured on each minibatch "
            "as it comes, weighted by its number of samples).")


def accuracy_fault(accuracy: float, minibatches: list[Minibatch], who: str) -> str | None:
    """What is wrong with the accuracy ``who`` returned for these minibatches, which should be the fraction of
    their samples classified correctly (None: nothing), in words."""
    _, expected = measured(minibatches)
    if np.isclose(accuracy, expected, rtol=0, atol=1e-6):
        return None
    if np.isclose(accuracy, 100 * expected, rtol=0, atol=1e-4):
        return f"{who}'s accuracy is a percentage: return the fraction of samples classified correctly (0 to 1)."
    if np.isclose(accuracy, np.mean([minibatch.correct / minibatch.size for minibatch in minibatches]),
                  rtol=0, atol=1e-6):
        return (f"{who} averages the accuracies of the minibatches, but the last one is smaller: count the correct "
                "predictions over all samples and divide by their number.")
    if np.isclose(accuracy, minibatches[0].correct / minibatches[0].size, rtol=0, atol=1e-6):
        return f"{who} returns after the first minibatch: go through the whole loader before returning."
    if np.isclose(accuracy, sum(minibatch.correct for minibatch in minibatches)):
        return f"{who} returns the number of correct predictions: divide it by the number of samples."
    return f"{who}'s accuracy is not the fraction of the loader's samples whose predicted class is the label."


def kit_train_epoch(net: nn.Module, loader, optimizer: torch.optim.Optimizer,
                    penalty: Callable[[nn.Module], torch.Tensor] | None = None) -> tuple[float, float]:
    """The kit's ``train_epoch``, which stands in for a student's while another item that calls it is graded:
    one step per minibatch on the cross-entropy (+ ``penalty(net)``); returns the mean cross-entropy per sample,
    without the penalty and measured before each step, and the fraction classified correctly."""
    device = next(net.parameters()).device
    net.train()
    total = correct = seen = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        scores = net(x)
        loss = F.cross_entropy(scores, y)
        (loss if penalty is None else loss + penalty(net)).backward()
        optimizer.step()
        total += loss.item() * len(y)
        correct += (scores.argmax(dim=1) == y).sum().item()
        seen += len(y)
    return total / seen, correct / seen


def kit_evaluate(net: nn.Module, loader) -> tuple[float, float]:
    """The kit's ``evaluate``, which stands in for a student's while another item that calls it is graded: the
    mean cross-entropy per sample and the fraction classified correctly, in eval mode and without gradients."""
    device = next(net.parameters()).device
    net.eval()
    total = correct = seen = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            scores = net(x)
            total += F.cross_entropy(scores, y, reduction="sum").item()
            correct += (scores.argmax(dim=1) == y).sum().item()
            seen += len(y)
    return total / seen, correct / seen


def require_trained_parameters(net: nn.Module, expected: list[torch.Tensor], message: str,
                               known_mistakes: Iterable[tuple[list[torch.Tensor], str]] = (),
                               atol: float = 1e-6) -> None:
    """Fail unless the parameters of ``net`` hold the ``expected`` values (a reference's, after training).

    ``known_mistakes`` pairs the values a known mistake would have given with what
    to say about it: the failure says the first that the parameters hold, else ``message``.
    """
    trained = parameter_values(net)
    if same_tensors(trained, expected, atol=atol):
        return
    for values, mistake in known_mistakes:
        if same_tensors(trained, values, atol=atol):
            raise CheckFailed(mistake)
    raise CheckFailed(message)


# ---------------------------------------------------------------- penalties


def penalty_value(namespace: dict, name: str, module: nn.Module, strength: float) -> float:
    """The value of the student's penalty ``name`` on ``module``, as a float: a tensor's entries summed, so that
    the value is judged whatever the shape (which a check of its own judges)."""
    penalty = answer(namespace, name)(module, strength)
    return as_float(penalty.sum()) if torch.is_tensor(penalty) else float(penalty)


def require_scalar_tensor(value, who: str, summed_over: str = "all parameters") -> None:
    """Fail unless the penalty ``who`` returned is one number kept as a tensor (summed over ``summed_over``)."""
    if not torch.is_tensor(value):
        raise CheckFailed(f"{who} returns a plain number, not a tensor: without .item() or float() "
                          "it stays differentiable.")
    if value.numel() != 1:
        raise CheckFailed(f"{who} must return one number (a scalar tensor), summed over {summed_over}.")


def require_differentiable_scalar(value, who: str, summed_over: str = "all parameters",
                                  parameters: str = "the parameters") -> None:
    """Fail unless the penalty ``who`` returned is a scalar tensor that gradients flow through to ``parameters``."""
    require_scalar_tensor(value, who, summed_over)
    if not value.requires_grad:
        raise CheckFailed(f"{who} is detached from {parameters} (.detach(), .data or torch.no_grad()), "
                          "so it adds no gradient to the loss.")


# ---------------------------------------------------------------- figures


def _show_nothing(*args, **kwargs) -> None:
    """plt.show while a check draws: the figure stays open for the check, whatever the backend."""


class Histogram(NamedTuple):
    """A histogram as a plot shows it: its bin edges (one more than the bins) and the height of each bin."""

    edges: np.ndarray
    heights: np.ndarray


def histogram_in(ax) -> Histogram | None:
    """The histogram an axes shows, whatever drew it: bars (``ax.hist``, ``ax.bar``, seaborn's ``histplot``),
    stairs (``ax.stairs``) or a step outline, open or filled (``ax.hist`` with ``histtype='step'`` or
    ``'stepfilled'``). None when it shows none."""
    for patch in ax.patches:
        if isinstance(patch, StepPatch):
            values, edges, _ = patch.get_data()
            return Histogram(np.asarray(edges, dtype=float), np.asarray(values, dtype=float))
    bars = sorted((patch for patch in ax.patches if isinstance(patch, Rectangle)), key=lambda bar: bar.get_x())
    if bars:
        edges = [bar.get_x() for bar in bars] + [bars[-1].get_x() + bars[-1].get_width()]
        return Histogram(np.array(edges, dtype=float), np.array([bar.get_height() for bar in bars], dtype=float))
    for patch in ax.patches:
        if isinstance(patch, Polygon):  # a step outline: each bin's top is a segment from left to right
            xy = np.asarray(patch.get_xy(), dtype=float)
            tops = [(x0, x1, y0) for (x0, y0), (x1, y1) in itertools.pairwise(xy) if y0 == y1 and x1 > x0]
            if tops:
                return Histogram(np.array([x0 for x0, _, _ in tops] + [tops[-1][1]]),
                                 np.array([height for _, _, height in tops]))
    return None


@contextlib.contextmanager
def drawn_figure(draw: Callable[[], object], who: str):
    """Call ``draw``; yield what it returned and the figure it returned or drew; close every figure it opened.

    A figure drawn with pyplot but not returned still earns the checks of its
    content, so a forgotten ``return`` costs only the check that asks for it,
    also where the answer calls ``plt.show()``, which closes every figure under
    Jupyter's inline backend (as in the grader's shell and nbgrader's kernel).
    """
    open_before = set(plt.get_fignums())
    returned = None
    show = plt.show
    plt.show = _show_nothing  # Jupyter's inline backend closes every figure on show(): keep the drawn one open
    try:
        try:
            returned = draw()
        finally:
            plt.show = show
        figure = returned if isinstance(returned, Figure) else None
        if figure is None and set(plt.get_fignums()) - open_before:
            figure = plt.gcf()
        if figure is None:
            raise CheckFailed(f"{who} neither returns nor draws a matplotlib Figure.")
        yield returned, figure
    finally:
        for number in set(plt.get_fignums()) - open_before:
            plt.close(number)
        if isinstance(returned, Figure):
            plt.close(returned)


@contextlib.contextmanager
def answer_figure(namespace: dict, name: str, *args, **kwargs):
    """Call the student's plotting function ``name`` with these arguments, as ``drawn_figure`` calls ``draw``."""
    plot = answer(namespace, name)
    with drawn_figure(lambda: plot(*args, **kwargs), name) as drawn:
        yield drawn


def require_returned_figure(drawn: tuple, who: str, n_axes: int, wrong_axes: str) -> None:
    """Fail unless ``who`` returned the figure it drew (``drawn`` is what ``drawn_figure`` yields) and that figure
    has ``n_axes`` axes; ``wrong_axes`` says what the axes should be."""
    returned, figure = drawn
    if not isinstance(returned, Figure):
        raise CheckFailed(f"{who} does not return the matplotlib Figure it draws.")
    if len(figure.axes) != n_axes:
        raise CheckFailed(wrong_axes)
