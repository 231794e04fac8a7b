"""Hidden checks of the `penalties` assignment: penalties on one layer, dropout, capacity, momentum, histograms.

One group of checks per graded item of autograder/specs/penalties.md. Each check
probes one behaviour on tiny synthetic tensors, so that an answer earns partial
credit for the parts it gets right. Where one answer uses another (train_epoch in
momentum_sweep), the kit's own version stands in for it while the item is graded
(STAND_INS, at the end), so that a mistake costs points on its own item only.
Failure messages name the concept that went wrong, never the probe or the numbers
it expects.
"""

import copy
import functools
import itertools

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from autograder.check_runner import CheckFailed
from autograder.checks.probes import (
    ModeProbe,
    accuracy_fault,
    answer,
    answer_figure,
    dropout_between,
    dropout_fault,
    evaluated_minibatches,
    histogram_in,
    kit_evaluate,
    kit_train_epoch,
    layers_of,
    loss_and_accuracy,
    loss_fault,
    parameter_values,
    penalty_value,
    recorded_calls,
    reference_sgd_epoch,
    relu_mlp,
    require_differentiable_scalar,
    require_plain_number,
    require_returned_figure,
    require_trained_parameters,
    require_trains,
    same_tensors,
    share_parameters,
)

IMAGE_PIXELS = 28 * 28
N_CLASSES = 10

# ---------------------------------------------------------------- shared helpers


def _loader(n, n_features, n_classes, batch_size, seed):
    """A fixed, unshuffled loader of random samples: every run sees the same minibatches."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_features, generator=generator)
    y = torch.randint(0, n_classes, (n,), generator=generator)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False)


# ---------------------------------------------------------------- l1_penalty and l2_penalty

# per kind: the term summed over every parameter, and its gradient with respect to θ (times strength);
# the L2 penalty is strength / 2 · Σθ², the kit's one convention, so that its gradient is strength · θ
_TERMS = {"l1_penalty": (torch.abs, torch.sign), "l2_penalty": (lambda theta: theta.square() / 2, lambda theta: theta)}
_STRENGTHS = (0.1, 0.02)


def _probe_layer():
    """A linear layer with positive and negative weights and biases, all well away from zero."""
    layer = nn.Linear(5, 4)
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.copy_(torch.sign(torch.randn_like(parameter)) * (0.2 + torch.rand_like(parameter)))
    return layer


def _require_differentiable_layer_penalty(namespace, name):
    require_differentiable_scalar(answer(namespace, name)(_probe_layer(), 0.1), name,
                                  summed_over="the weight and the bias", parameters="the layer's parameters")


def _require_value(namespace, name):
    term = _TERMS[name][0]
    layer = _probe_layer()
    weight, bias = layer.weight.detach(), layer.bias.detach()
    for strength in _STRENGTHS:
        value = penalty_value(namespace, name, layer, strength)
        expected = strength * float(term(weight).sum() + term(bias).sum())
        if np.isclose(value, expected, rtol=1e-5):
            continue
        if np.isclose(value, strength * float(term(weight).sum()), rtol=1e-5):
            raise CheckFailed(f"{name} leaves out the bias: the penalty covers every parameter of the layer, "
                              "the weight and the bias.")
        if np.isclose(value, strength * float(term(weight).sum()) + float(term(bias).sum()), rtol=1e-5):
            raise CheckFailed(f"{name} multiplies only the weight's term by strength: the whole sum, bias included, "
                              "is multiplied by strength.")
        if np.isclose(value, strength * float(term(weight).mean() + term(bias).mean()), rtol=1e-5) or \
                np.isclose(value, strength * float(torch.cat([term(weight).flatten(), term(bias)]).mean()), rtol=1e-5):
            raise CheckFailed(f"{name} averages over the parameters: the penalty is their sum, not their mean.")
        if name == "l1_penalty":
            squares = float(weight.square().sum() + bias.square().sum())
            if np.isclose(value, strength * squares, rtol=1e-5) or np.isclose(value, strength / 2 * squares, rtol=1e-5):
                raise CheckFailed("l1_penalty squares the parameters, as an L2 penalty does: L1 sums their "
                                  "absolute values.")
            raise CheckFailed("l1_penalty's value is not strength times the sum of the absolute values of the "
                              "layer's weights and biases (note that torch.linalg.norm(matrix, 1) is a matrix norm).")
        if np.isclose(value, strength * float(weight.square().sum() + bias.square().sum()), rtol=1e-5):
            raise CheckFailed("l2_penalty has no factor ½: the L2 penalty is strength / 2 · Σθ², so that its "
                              "gradient is strength · θ, like the optimizers' weight_decay=strength.")
        for scale in (1, 1 / 2):
            if np.isclose(value, scale * strength * float(weight.norm() + bias.norm()), rtol=1e-5) or \
                    np.isclose(value, scale * strength * float(torch.cat([weight.flatten(), bias]).norm()), rtol=1e-5):
                raise CheckFailed("l2_penalty uses the L2 norm itself: the penalty is half its square, "
                                  "strength / 2 · Σθ².")
        raise CheckFailed("l2_penalty's value is not strength / 2 times the sum of the squares of the layer's "
                          "weights and biases.")


def _require_gradient_on_the_layer_only(namespace, name):
    gradient_of = _TERMS[name][1]
    net = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), _probe_layer(), nn.ReLU(), nn.Linear(4, 3))
    layer, strength = net[2], 0.1
    penalty = answer(namespace, name)(layer, strength)
    if not (torch.is_tensor(penalty) and penalty.requires_grad and penalty.numel() == 1):
        raise CheckFailed(f"no gradient of {name} reaches the layer: it must be a differentiable scalar tensor.")
    penalty.backward()
    others = [p for module in (net[0], net[4]) for p in module.parameters()]
    if any(p.grad is not None and bool(p.grad.any()) for p in others):
        raise CheckFailed(f"{name} sends gradient to other layers: it must depend on the given layer only.")
    for parameter in layer.parameters():
        if parameter.grad is None or not torch.allclose(parameter.grad, strength * gradient_of(parameter.detach()),
                                                        rtol=1e-5, atol=1e-7):
            raise CheckFailed(f"the gradient of {name} with respect to the layer's weight and bias is not that of "
                              "its formula (strength · " + ("sign(θ)" if name == "l1_penalty" else "θ") +
                              "): every weight and bias of the layer must be penalised.")


def _penalties(weight=1):
    """The two penalty items as rows of one table: the same claim, each row graded on its own item."""
    return [pytest.param(name, marks=pytest.mark.grade(name, weight=weight), id=name) for name in _TERMS]


@pytest.mark.parametrize("name", _penalties())
def test_penalty_is_a_differentiable_scalar(namespace, name):
    _require_differentiable_layer_penalty(namespace, name)


@pytest.mark.parametrize("name", _penalties(weight=2))
def test_penalty_value_follows_its_formula(namespace, name):
    _require_value(namespace, name)


@pytest.mark.parametrize("name", _penalties())
def test_penalty_gradient_reaches_the_layer_only(namespace, name):
    _require_gradient_on_the_layer_only(namespace, name)


# ---------------------------------------------------------------- train_epoch

_LR = 0.1


def _small_net():
    return nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 4))


def _epoch_loader():
    # 40 samples in minibatches of 16: the last minibatch is smaller
    return _loader(40, 12, 4, batch_size=16, seed=1)


def _probe_penalty(net):
    """An L1 penalty on the middle linear layer only (the checks' own, not the student's)."""
    return 0.05 * (net[2].weight.abs().sum() + net[2].bias.abs().sum())


def _student_epoch(namespace, net, loader, lr, penalty=None):
    train_epoch = answer(namespace, "train_epoch")
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    if penalty is None:
        return train_epoch(net, loader, optimizer)
    return train_epoch(net, loader, optimizer, penalty=penalty)


def _trained(net, penalty=None, zero_grad=True):
    """The parameters of a copy of ``net`` after one reference epoch of SGD (see reference_sgd_epoch)."""
    reference = copy.deepcopy(net)
    reference_sgd_epoch(reference, _epoch_loader(), _LR, penalty, zero_grad)
    return parameter_values(reference)


@pytest.mark.grade("train_epoch")
def test_epoch_takes_one_sgd_step_per_minibatch(namespace):
    net = _small_net()
    student = copy.deepcopy(net)
    _student_epoch(namespace, student, _epoch_loader(), _LR)
    require_trained_parameters(
        student, _trained(net),
        "train_epoch does not take one optimizer step per minibatch on the cross-entropy loss of net(images) "
        "(without a penalty, the result differs from plain SGD).",
        known_mistakes=[(_trained(net, zero_grad=False), (
            "train_epoch lets the gradients accumulate from minibatch to minibatch: reset them "
            "(optimizer.zero_grad()) before every backward pass."))])


@pytest.mark.grade("train_epoch", weight=2)
def test_epoch_adds_the_penalty_to_the_loss(namespace):
    net = _small_net()
    student = copy.deepcopy(net)
    _student_epoch(namespace, student, _epoch_loader(), _LR, penalty=_probe_penalty)
    require_trained_parameters(
        student, _trained(net, _probe_penalty),
        "with a penalty, train_epoch does not take the SGD steps of cross-entropy + penalty(net) on every minibatch.",
        known_mistakes=[(_trained(net), (
            "the penalty's gradient never reaches the parameters: add penalty(net), as a tensor "
            "(not .item()), to the loss before loss.backward()."))])


def _returned_measures(namespace):
    """What the student's train_epoch returns, and what the epoch measures on each minibatch, for one epoch with
    the probe penalty and a zero learning rate: the network stays fixed, so every minibatch's loss and predictions
    are known however the steps are taken."""
    net = _small_net()
    minibatches = reference_sgd_epoch(copy.deepcopy(net), _epoch_loader(), 0.0, _probe_penalty)
    returned = _student_epoch(namespace, net, _epoch_loader(), 0.0, penalty=_probe_penalty)
    return loss_and_accuracy(returned, "train_epoch"), minibatches


@pytest.mark.grade("train_epoch")
def test_epoch_returns_the_mean_cross_entropy_per_sample(namespace):
    (loss, _), minibatches = _returned_measures(namespace)
    fault = loss_fault(loss, minibatches, "train_epoch")
    if fault is not None:
        raise CheckFailed(fault)


@pytest.mark.grade("train_epoch")
def test_epoch_returns_the_accuracy(namespace):
    (_, accuracy), minibatches = _returned_measures(namespace)
    fault = accuracy_fault(accuracy, minibatches, "train_epoch")
    if fault is not None:
        raise CheckFailed(fault)


@pytest.mark.grade("train_epoch")
def test_epoch_trains_in_training_mode(namespace):
    net = nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 4))
    net.eval()  # as evaluate leaves it
    _student_epoch(namespace, net, _epoch_loader(), 0.0)
    if not all(module.training for module in net.modules()):
        raise CheckFailed("train_epoch leaves the network in evaluation mode, where dropout is off: put it in "
                          "training mode (net.train()) before training (evaluate switches it to eval mode).")


# ---------------------------------------------------------------- dropout: shared probes


def _recorded_inputs(net, x):
    """Run `net` on `x`; return the input and the output of each call of its linear layers, and the result."""
    with recorded_calls(layers_of(net, nn.Linear)) as calls, torch.no_grad():
        result = net(x)
    return [call.input for call in calls], [call.output for call in calls], result


def _dropout_between(before, received):
    """The dropout between one linear layer's output (`before`) and the next one's input, which without
    dropout is relu(before); None when there is none."""
    return dropout_between(torch.relu(before), received)


# ---------------------------------------------------------------- MyNetworkWithDropout

_P = 0.3  # not 0.5, so that the probability of dropping and of keeping differ


def _dropout_net(namespace, p=None):
    network_class = answer(namespace, "MyNetworkWithDropout")
    net = network_class() if p is None else network_class(p=p)
    layers = [getattr(net, name, None) for name in ("fc1", "fc2", "fc3")]
    if not all(isinstance(layer, nn.Linear) for layer in layers):
        raise CheckFailed("MyNetworkWithDropout must keep MyNetwork's linear layers fc1, fc2 and fc3.")
    return net, layers


def _images(n=200):
    return torch.rand(n, IMAGE_PIXELS)


def _recorded_by_name(net, layers, x):
    """Input and output of the first call of each of fc1, fc2, fc3, by name, and the result."""
    with recorded_calls(layers) as calls, torch.no_grad():
        result = net(x)
    first = {}
    for call in calls:
        first.setdefault(id(call.layer), (call.input, call.output))
    records = {name: first[id(layer)] for name, layer in zip(("fc1", "fc2", "fc3"), layers, strict=True)
               if id(layer) in first}
    if set(records) != {"fc1", "fc2", "fc3"}:
        raise CheckFailed("the forward pass of MyNetworkWithDropout does not use each of fc1, fc2 and fc3.")
    return records, result


@pytest.mark.grade("MyNetworkWithDropout")
def test_dropout_net_is_my_network_in_eval_mode(namespace):
    net, layers = _dropout_net(namespace, 0.5)
    net.eval()
    x = _images(20)
    with torch.no_grad():
        first, second, reference = net(x), net(x), relu_mlp(layers, x)
    if not torch.equal(first, second):
        raise CheckFailed("dropout is still active in eval mode: outputs differ between calls (nn.Dropout, or "
                          "functional dropout with training=self.training, switches it off).")
    if first.shape != reference.shape or not torch.allclose(first, reference, rtol=1e-5, atol=1e-6):
        raise CheckFailed("in eval mode MyNetworkWithDropout does not compute what MyNetwork computes "
                          "(fc1, ReLU, fc2, ReLU, fc3).")
    if [(layer.in_features, layer.out_features) for layer in layers] != [(IMAGE_PIXELS, 128), (128, 64), (64, 10)]:
        raise CheckFailed("MyNetworkWithDropout's layers are not MyNetwork's: 784 → 128 → 64 → 10.")


@pytest.mark.grade("MyNetworkWithDropout")
def test_dropout_net_trains(namespace):
    net, _ = _dropout_net(namespace, _P)
    require_trains(net, _images(8), "MyNetworkWithDropout")


@pytest.mark.grade("MyNetworkWithDropout", weight=2)
def test_dropout_between_the_first_and_second_layer(namespace):
    net, layers = _dropout_net(namespace, _P)
    net.train()
    records, _ = _recorded_by_name(net, layers, _images())
    if _dropout_between(records["fc1"][1], records["fc2"][0]) is None:
        raise CheckFailed("in training mode there is no dropout between the first and the second layer "
                          "(on fc1's output, before fc2).")


@pytest.mark.grade("MyNetworkWithDropout")
def test_dropout_probability_is_p(namespace):
    for p in (_P, 0.6, None):
        net, layers = _dropout_net(namespace, p)
        net.train()
        records, _ = _recorded_by_name(net, layers, _images())
        measured = _dropout_between(records["fc1"][1], records["fc2"][0])
        if measured is None:
            continue  # no dropout there at all: the check above takes those points
        fault = dropout_fault(measured, 0.5 if p is None else p)
        if fault is None:
            continue
        if p is None and abs(measured.share - 0.5) >= 0.06:
            raise CheckFailed("MyNetworkWithDropout's default dropout probability is not 0.5, the seed's.")
        raise CheckFailed(f"the dropout after fc1 is wrong: {fault}.")


@pytest.mark.grade("MyNetworkWithDropout")
def test_no_dropout_elsewhere(namespace):
    net, layers = _dropout_net(namespace, _P)
    net.train()
    x = _images()
    records, result = _recorded_by_name(net, layers, x)
    if not torch.equal(records["fc1"][0], x):
        raise CheckFailed("the network drops input pixels: dropout belongs between the first and the second "
                          "layer only, not on the input.")
    if _dropout_between(records["fc2"][1], records["fc3"][0]) is not None:
        raise CheckFailed("the network also applies dropout between the second and the third layer: only between "
                          "the first and the second.")
    if not torch.allclose(result, records["fc3"][1], rtol=1e-5, atol=1e-6):
        raise CheckFailed("the network changes fc3's output (dropout or an activation on the output scores): "
                          "return fc3's output as it is.")


# ---------------------------------------------------------------- build_network

_ARCHITECTURES = ([128, 64], [256, 128, 64, 32], [64], [512, 256], [])


def _build(namespace, hidden_sizes, dropout=None):
    build_network = answer(namespace, "build_network")
    net = build_network(list(hidden_sizes)) if dropout is None else build_network(list(hidden_sizes), dropout=dropout)
    if not isinstance(net, nn.Module):
        raise CheckFailed("build_network must return a network (an nn.Module).")
    return net


def _without_relu(linears, x):
    """What the linear layers compute one after another, with no activation between them."""
    for layer in linears:
        x = layer(x)
    return x


@pytest.mark.grade("build_network")
def test_network_has_the_layer_sizes(namespace):
    for hidden_sizes in _ARCHITECTURES:
        sizes = [IMAGE_PIXELS, *hidden_sizes, N_CLASSES]
        linears = layers_of(_build(namespace, hidden_sizes), nn.Linear)
        shapes = [(layer.in_features, layer.out_features) for layer in linears]
        if shapes != list(itertools.pairwise(sizes)):
            raise CheckFailed(f"the linear layers of build_network({hidden_sizes}) do not go "
                              f"{' → '.join(map(str, sizes))}: one per hidden size, then one with 10 outputs.")


@pytest.mark.grade("build_network", weight=2)
def test_network_is_a_relu_mlp_in_eval_mode(namespace):
    x = _images(20)
    for hidden_sizes, dropout in (([32, 16], None), ([24], 0.5), ([16, 16, 8], 0.3)):
        net = _build(namespace, hidden_sizes, dropout)
        net.eval()
        linears = layers_of(net, nn.Linear)
        with torch.no_grad():
            output, again = net(x), net(x)
            if not torch.equal(output, again):
                raise CheckFailed("dropout is still active in eval mode: outputs differ between calls.")
            if output.shape != (len(x), N_CLASSES):
                raise CheckFailed("build_network's network does not give 10 scores per image.")
            if torch.allclose(output, relu_mlp(linears, x), rtol=1e-5, atol=1e-6):
                continue
            if torch.allclose(output, torch.relu(relu_mlp(linears, x)), rtol=1e-5, atol=1e-6):
                raise CheckFailed("build_network puts a ReLU after the output layer: the 10 scores are logits, "
                                  "with no activation.")
            if torch.allclose(output, _without_relu(linears, x), rtol=1e-5, atol=1e-6):
                raise CheckFailed("build_network has no ReLU between its linear layers: every hidden layer is "
                                  "followed by a ReLU.")
        raise CheckFailed("in eval mode build_network's network does not compute linear, ReLU, ..., linear "
                          "through its layers in order.")


@pytest.mark.grade("build_network")
def test_network_has_dropout_after_every_hidden_layer(namespace):
    for hidden_sizes, p in (([64, 48, 32], 0.4), ([64], 0.2)):
        net = _build(namespace, hidden_sizes, p)
        net.train()
        inputs, outputs, _ = _recorded_inputs(net, _images())
        for index in range(1, len(inputs)):
            measured = _dropout_between(outputs[index - 1], inputs[index])
            if measured is None:
                raise CheckFailed("with dropout > 0, build_network's network has no dropout after some hidden "
                                  "layer: every hidden layer's ReLU is followed by dropout.")
            fault = dropout_fault(measured, p)
            if fault is not None:
                raise CheckFailed(f"the dropout in build_network's network is not what the dropout argument ({p}) "
                                  f"asks: {fault}.")


@pytest.mark.grade("build_network")
def test_network_has_no_dropout_on_input_or_output(namespace):
    net = _build(namespace, [64, 32], 0.4)
    net.train()
    x = _images()
    inputs, outputs, result = _recorded_inputs(net, x)
    if not torch.equal(inputs[0], x):
        raise CheckFailed("build_network's network drops input pixels: dropout follows the hidden layers only, "
                          "not the input.")
    if not torch.allclose(result, outputs[-1], rtol=1e-5, atol=1e-6):
        raise CheckFailed("build_network's network changes the output layer's scores (dropout or an activation "
                          "after the last linear layer).")
    net = _build(namespace, [64, 32])
    net.train()
    inputs, outputs, _ = _recorded_inputs(net, x)
    if any(_dropout_between(outputs[i - 1], inputs[i]) is not None for i in range(1, len(inputs))):
        raise CheckFailed("with the default dropout=0.0 the network still drops units: add dropout only when "
                          "dropout > 0.")


@pytest.mark.grade("build_network")
def test_network_trains(namespace):
    require_trains(_build(namespace, [32, 16], 0.3), _images(8), "build_network's network")


@pytest.mark.grade("build_network")
def test_network_is_new_on_every_call(namespace):
    first, second = _build(namespace, [32, 16]), _build(namespace, [32, 16])
    if first is second or share_parameters(first, second):
        raise CheckFailed("two networks from build_network share layers: create new layers on every call.")


# ---------------------------------------------------------------- evaluate

_EVAL_BATCH = 16  # 50 images: minibatches of 16, 16, 16 and 2


def _labelled_loader(net, correct, n=50, n_features=12):
    """A loader of n images whose labels are `net`'s eval-mode predictions exactly at the indices `correct`."""
    x = torch.randn(n, n_features)
    net.eval()
    with torch.no_grad():
        predicted = net(x).argmax(dim=1)
    n_classes = layers_of(net, nn.Linear)[-1].out_features
    labels = (predicted + 1) % n_classes
    labels[list(correct)] = predicted[list(correct)]
    return DataLoader(TensorDataset(x, labels), batch_size=_EVAL_BATCH, shuffle=False)


def _evaluated(namespace, net, loader):
    return loss_and_accuracy(answer(namespace, "evaluate")(net, loader), "evaluate")


def _evaluate_measures(namespace):
    """What the student's evaluate returns for a network and a loader of uneven minibatches, and what that network
    measures on each of them; 4 images of the first minibatch and the whole (small) last one are right."""
    net = nn.Linear(12, 4)
    loader = _labelled_loader(net, [0, 1, 2, 3, 48, 49])
    return _evaluated(namespace, net, loader), evaluated_minibatches(net, loader)


@pytest.mark.grade("evaluate")
def test_evaluate_returns_the_mean_cross_entropy_per_sample(namespace):
    (loss, _), minibatches = _evaluate_measures(namespace)
    fault = loss_fault(loss, minibatches, "evaluate")
    if fault is not None:
        raise CheckFailed(fault)


@pytest.mark.grade("evaluate")
def test_evaluate_counts_every_image(namespace):
    (_, accuracy), minibatches = _evaluate_measures(namespace)
    fault = accuracy_fault(accuracy, minibatches, "evaluate")
    if fault is not None:
        raise CheckFailed(fault)


def _probed_net():
    """A network with dropout whose ModeProbe (net[0]) records how evaluate runs it."""
    return nn.Sequential(ModeProbe(), nn.Linear(12, 32), nn.ReLU(), nn.Dropout(0.9), nn.Linear(32, 4))


@pytest.mark.grade("evaluate")
def test_evaluate_uses_eval_mode(namespace):
    net = _probed_net()
    loader = _labelled_loader(net, range(50))
    net[0].calls.clear()  # the loader's labels came from a call of its own
    net.train()  # as train_epoch leaves it
    answer(namespace, "evaluate")(net, loader)
    if not net[0].calls:
        raise CheckFailed("evaluate does not call the network on the loader's images.")
    if any(training for training, _ in net[0].calls):
        raise CheckFailed("evaluate measures with dropout active: switch the network to evaluation mode "
                          "(net.eval()) first.")


@pytest.mark.grade("evaluate")
def test_evaluate_builds_no_graph(namespace):
    net = _probed_net()
    loader = _labelled_loader(net, [0])
    net[0].calls.clear()  # the loader's labels came from a call of its own
    answer(namespace, "evaluate")(net, loader)
    if not net[0].calls:
        raise CheckFailed("evaluate does not call the network on the loader's images.")
    if any(grad for _, grad in net[0].calls):
        raise CheckFailed("evaluate builds a computational graph: run the network inside torch.no_grad().")


# ---------------------------------------------------------------- weight_histogram_data


def _deep_net():
    """Two hidden layers, so that the second linear layer is not the output layer."""
    return nn.Sequential(nn.Linear(20, 7), nn.ReLU(), nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3))


def _histogram_data(namespace, net):
    pair = answer(namespace, "weight_histogram_data")(net)
    if not isinstance(pair, tuple | list) or len(pair) != 2:
        raise CheckFailed("weight_histogram_data must return a pair (hidden_weights, output_weights).")
    return pair


def _values(array):
    """The sorted values of an array or tensor (a histogram does not depend on their order)."""
    if torch.is_tensor(array):
        array = array.detach().cpu().numpy()
    return np.sort(np.asarray(array, dtype=float).ravel())


def _matches(array, tensors):
    values = _values(array)
    expected = np.sort(np.concatenate([t.detach().numpy().ravel() for t in tensors]))
    return values.shape == expected.shape and np.allclose(values, expected)


@pytest.mark.grade("weight_histogram_data")
def test_histogram_data_is_two_flat_numpy_arrays(namespace):
    for array, which in zip(_histogram_data(namespace, _deep_net()), ("hidden", "output"), strict=True):
        if torch.is_tensor(array):
            raise CheckFailed(f"the {which} weights are a tensor: return NumPy arrays (.detach().numpy()).")
        if not isinstance(array, np.ndarray):
            raise CheckFailed(f"the {which} weights are not a NumPy array.")
        if array.ndim != 1:
            raise CheckFailed(f"the {which} weights are a {array.ndim}-D array: flatten them into one dimension "
                              "(.flatten()), or plt.hist draws one histogram per column.")


@pytest.mark.grade("weight_histogram_data")
def test_histogram_data_hidden_is_the_first_layer_weights(namespace):
    net = _deep_net()
    linears = layers_of(net, nn.Linear)
    hidden, _ = _histogram_data(namespace, net)
    if _matches(hidden, [linears[0].weight]):
        return
    if _matches(hidden, [linears[0].bias]):
        raise CheckFailed("the hidden values are the first layer's biases: take its weights.")
    if _matches(hidden, [linears[0].weight, linears[0].bias]):
        raise CheckFailed("the hidden values include the first layer's biases: take its weights only.")
    if _matches(hidden, [linears[-1].weight]):
        raise CheckFailed("the hidden and output weights are swapped: return (hidden_weights, output_weights).")
    raise CheckFailed("the hidden values are not the weights of the first linear layer (the hidden layer).")


@pytest.mark.grade("weight_histogram_data")
def test_histogram_data_output_is_the_last_layer_weights(namespace):
    net = _deep_net()
    linears = layers_of(net, nn.Linear)
    _, output = _histogram_data(namespace, net)
    if _matches(output, [linears[-1].weight]):
        return
    if _matches(output, [linears[-1].bias]):
        raise CheckFailed("the output values are the output layer's biases: take its weights.")
    if _matches(output, [linears[-1].weight, linears[-1].bias]):
        raise CheckFailed("the output values include the output layer's biases: take its weights only.")
    if _matches(output, [linears[1].weight]):
        raise CheckFailed("the output values are the second linear layer's weights: the output layer is the last "
                          "linear layer, whatever the depth.")
    if _matches(output, [linears[0].weight]):
        raise CheckFailed("the hidden and output weights are swapped: return (hidden_weights, output_weights).")
    raise CheckFailed("the output values are not the weights of the last linear layer (the output layer).")


# ---------------------------------------------------------------- plot_weight_histograms

_TITLE = "Model under test"
_BINS = 50


def _histogram_inputs():
    generator = np.random.default_rng(3)
    return generator.normal(0, 0.3, size=400), generator.normal(0.5, 1.5, size=60)


def _histograms(namespace):
    """plot_weight_histograms, as a context that yields what it returned and its figure."""
    return answer_figure(namespace, "plot_weight_histograms", *_histogram_inputs(), _TITLE)


def _left_to_right(figure):
    return sorted(figure.axes, key=lambda ax: ax.get_position().x0)


def _panels(figure):
    """(hidden panel, output panel): found by their titles, else left and right."""
    axes = _left_to_right(figure)
    if len(axes) != 2:
        raise CheckFailed("the figure needs two panels: the hidden layer's histogram and the output layer's.")
    by_title = {word: [ax for ax in axes if word in ax.get_title().lower()] for word in ("hidden", "output")}
    if all(len(found) == 1 for found in by_title.values()) and by_title["hidden"] != by_title["output"]:
        return by_title["hidden"][0], by_title["output"][0]
    return axes[0], axes[1]


def _require_histogram_of(ax, weights, which, other):
    histogram = histogram_in(ax)
    if histogram is None:
        raise CheckFailed(f"the {which} panel shows no histogram: draw it with ax.hist (or plt.hist).")
    left, right = histogram.edges[0], histogram.edges[-1]
    if np.isclose(left, other.min()) and np.isclose(right, other.max()):
        raise CheckFailed(f"the {which} panel shows the other layer's weights: hidden_weights go in the hidden "
                          "panel (left), output_weights in the output panel (right).")
    if not (np.isclose(left, weights.min()) and np.isclose(right, weights.max())):
        raise CheckFailed(f"the {which} panel's histogram does not cover the range of the {which} weights.")
    if not np.isclose(histogram.heights.sum(), len(weights)):
        if np.isclose((histogram.heights * np.diff(histogram.edges)).sum(), 1.0):
            raise CheckFailed("the histograms show densities: show counts (frequencies), as the y label says.")
        raise CheckFailed(f"the {which} panel's bar heights do not count the {which} weights.")


@pytest.mark.grade("plot_weight_histograms")
def test_histograms_figure_is_returned_with_two_panels(namespace):
    with _histograms(namespace) as drawn:
        require_returned_figure(drawn, "plot_weight_histograms", 2,
                                "the figure needs two panels: the hidden layer's histogram and the output layer's.")


@pytest.mark.grade("plot_weight_histograms", weight=2)
def test_histograms_show_the_weights(namespace):
    hidden, output = _histogram_inputs()
    with _histograms(namespace) as (_, figure):
        hidden_panel, output_panel = _panels(figure)
        _require_histogram_of(hidden_panel, hidden, "hidden", output)
        _require_histogram_of(output_panel, output, "output", hidden)


@pytest.mark.grade("plot_weight_histograms")
def test_histograms_have_50_bins(namespace):
    with _histograms(namespace) as (_, figure):
        histograms = [histogram_in(ax) for ax in _panels(figure)]
        if any(histogram is None or len(histogram.heights) != _BINS for histogram in histograms):
            raise CheckFailed("each histogram should have 50 bins, as in the seed (bins=50).")


@pytest.mark.grade("plot_weight_histograms")
def test_histograms_are_labelled(namespace):
    with _histograms(namespace) as (_, figure):
        axes = _left_to_right(figure)
        titles = [ax.get_title().lower() for ax in axes]
        if len(axes) != 2 or "hidden" not in titles[0] or "output" not in titles[1]:
            raise CheckFailed("title the panels: 'Hidden layer weights' on the left, 'Output layer weights' "
                              "on the right.")
        if not all(ax.get_xlabel().strip() and ax.get_ylabel().strip() for ax in axes):
            raise CheckFailed("label both axes of both panels (weight value, frequency).")


@pytest.mark.grade("plot_weight_histograms")
def test_histograms_have_the_figure_title(namespace):
    with _histograms(namespace) as (_, figure):
        if _TITLE not in figure.get_suptitle():
            raise CheckFailed("the figure does not show the title argument above both panels (fig.suptitle(title)).")


# ---------------------------------------------------------------- sparsity

# |w| < 0.001 for 4 of these 10 weights; 8 are below 0.05
_WEIGHTS = [[-0.5, -0.0005, 0.0, 0.0002, 0.002], [-0.002, 0.01, 0.3, -0.04, 0.0007]]


def _sparsity(namespace, *threshold):
    weights = torch.tensor(_WEIGHTS, requires_grad=True)  # as a layer's weight: sparsity must not need .numpy()
    return answer(namespace, "sparsity")(weights, *threshold)


@pytest.mark.grade("sparsity", weight=2)
def test_sparsity_is_the_share_near_zero(namespace):
    share = require_plain_number(_sparsity(namespace, 1e-3), "sparsity")
    if np.isclose(share, 0.4):
        return
    if np.isclose(share, 4):
        raise CheckFailed("sparsity returns a count: return the share of the weights (between 0 and 1).")
    if np.isclose(share, 0.6):
        raise CheckFailed("sparsity returns the share of weights away from zero: return the share near zero "
                          "(|w| < threshold).")
    if np.isclose(share, 0.7):
        raise CheckFailed("sparsity counts every negative weight as near zero: compare the absolute value |w| "
                          "with the threshold.")
    if np.isclose(share, 0.1):
        raise CheckFailed("sparsity counts only exact zeros: count the weights with |w| below the threshold.")
    raise CheckFailed("sparsity is not the share of the entries with |w| < threshold.")


@pytest.mark.grade("sparsity")
def test_sparsity_uses_the_threshold(namespace):
    if not np.isclose(require_plain_number(_sparsity(namespace, 0.05), "sparsity"), 0.8):
        raise CheckFailed("sparsity does not use its threshold argument.")
    between = torch.tensor([0.0015, -0.0015, 0.0005, 0.5], requires_grad=True)  # 1e-3 < |w| < 2e-3 for two
    if not np.isclose(require_plain_number(_sparsity(namespace), "sparsity"), 0.4) or not np.isclose(
            require_plain_number(answer(namespace, "sparsity")(between), "sparsity"), 0.25):
        raise CheckFailed("sparsity's default threshold is not 1e-3.")


@pytest.mark.grade("sparsity")
def test_sparsity_counts_strictly_below_the_threshold(namespace):
    at = torch.tensor([0.5, -0.5, 0.25, 0.0015, -0.75], requires_grad=True)  # two of them exactly at 0.5
    share = require_plain_number(answer(namespace, "sparsity")(at, 0.5), "sparsity")
    if np.isclose(share, 0.8):
        raise CheckFailed("sparsity counts weights with |w| equal to the threshold: only |w| < threshold count.")
    if not np.isclose(share, 0.4):
        raise CheckFailed("sparsity is not the share of the entries with |w| < threshold.")


@pytest.mark.grade("sparsity")
def test_sparsity_returns_a_float(namespace):
    share = _sparsity(namespace, 1e-3)
    if not isinstance(share, float | np.floating):
        raise CheckFailed(f"sparsity returns {type(share).__name__}: return a Python float (.item()).")


# ---------------------------------------------------------------- momentum_sweep

_MOMENTUMS = (0.0, 0.5, 0.9)
_SWEEP = {"epochs": 2, "lr": 0.05, "seed": 7}


def _sweep_net():
    return nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))


def _sweep_loaders():
    return _loader(48, 12, 3, batch_size=16, seed=4), _loader(30, 12, 3, batch_size=16, seed=5)


@functools.lru_cache(maxsize=1)
def _seeded_start(seed):
    """The parameters of a new network built right after seeding: where every run must start."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return parameter_values(_sweep_net())


def _run_sweep(namespace, momentums=_MOMENTUMS, *, defaults=False):
    """Run the student's sweep with a make_net that records every network it builds and its starting weights;
    with ``defaults``, without lr and seed."""
    built = []

    def make_net():
        net = _sweep_net()
        built.append((net, parameter_values(net)))
        return net

    train_loader, test_loader = _sweep_loaders()
    given = {} if defaults else {"lr": _SWEEP["lr"], "seed": _SWEEP["seed"]}
    result = answer(namespace, "momentum_sweep")(list(momentums), make_net, train_loader, test_loader,
                                                  _SWEEP["epochs"], **given)
    return result, built


def _trained_from(namespace, start, momentum, lr, epochs):
    """The parameters after training from `start` with the student's train_epoch and SGD(lr, momentum)."""
    net = _sweep_net()
    with torch.no_grad():
        for parameter, value in zip(net.parameters(), start, strict=True):
            parameter.copy_(value)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    for _ in range(epochs):
        answer(namespace, "train_epoch")(net, _sweep_loaders()[0], optimizer)
    return parameter_values(net)


@pytest.mark.grade("momentum_sweep")
def test_sweep_returns_an_accuracy_per_momentum(namespace):
    result, _ = _run_sweep(namespace)
    if not isinstance(result, dict):
        raise CheckFailed("momentum_sweep must return a dict {momentum: accuracy}.")
    if list(result) != list(_MOMENTUMS):
        raise CheckFailed("the keys of momentum_sweep's dict must be the momentum values, in the given order.")
    for value in result.values():  # whether they are the right numbers is judged below
        if isinstance(value, tuple | list) and len(value) == 2:
            raise CheckFailed("momentum_sweep's values are evaluate's whole (loss, accuracy) pairs: keep the "
                              "test accuracy only.")
        require_plain_number(value, "momentum_sweep's accuracy")


@pytest.mark.grade("momentum_sweep")
def test_sweep_builds_a_new_network_per_momentum(namespace):
    _, built = _run_sweep(namespace)
    if len(built) != len(_MOMENTUMS):
        raise CheckFailed("momentum_sweep must build a new network with make_net() for every momentum value, "
                          "so that no run continues training another run's network.")


@pytest.mark.grade("momentum_sweep")
def test_sweep_starts_every_run_from_the_same_weights(namespace):
    _, built = _run_sweep(namespace)
    start = _seeded_start(_SWEEP["seed"])
    if not all(same_tensors(initial, start, rtol=0, atol=0) for _, initial in built):
        raise CheckFailed("not every run starts from the same weights: call reglab.seed_everything(seed), "
                          "with the seed argument, right before building each network.")


@pytest.mark.grade("momentum_sweep", weight=2)
def test_sweep_trains_with_sgd_and_the_momentum(namespace):
    _, built = _run_sweep(namespace)
    if len(built) != len(_MOMENTUMS):
        return  # a network reused for every momentum loses the points of the check above
    epochs, lr = _SWEEP["epochs"], _SWEEP["lr"]
    for (net, start), momentum in zip(built, _MOMENTUMS, strict=True):
        final = parameter_values(net)
        if same_tensors(final, _trained_from(namespace, start, momentum, lr, epochs)):
            continue
        if same_tensors(final, _trained_from(namespace, start, 0.0, lr, epochs)):
            raise CheckFailed("momentum_sweep does not give each momentum to the SGD optimizer (momentum=...).")
        if same_tensors(final, _trained_from(namespace, start, momentum, 0.01, epochs)):
            raise CheckFailed("momentum_sweep does not use its lr argument as the SGD learning rate.")
        if same_tensors(final, _trained_from(namespace, start, momentum, lr, 1)):
            raise CheckFailed("momentum_sweep trains for one epoch only: train for `epochs` epochs.")
        raise CheckFailed("momentum_sweep does not train each network for `epochs` epochs with train_epoch and "
                          "torch.optim.SGD(lr=lr, momentum=momentum).")


@pytest.mark.grade("momentum_sweep")
def test_sweep_defaults_to_the_seeds_lr_and_seed(namespace):
    """Without lr and seed, every run starts from the weights seed 12345 gives and trains with lr = 0.01."""
    _, built = _run_sweep(namespace, [0.0], defaults=True)  # momentum 0: any use of the momentum gives the same
    if len(built) != 1:
        return  # a sweep that builds no network, or several, loses the points of the checks above
    net, start = built[0]
    if not same_tensors(start, _seeded_start(12345), rtol=0, atol=0):
        raise CheckFailed("momentum_sweep's default seed is not 12345: keep the signature's seed=12345.")
    if not same_tensors(parameter_values(net), _trained_from(namespace, start, 0.0, 0.01, _SWEEP["epochs"])):
        raise CheckFailed("momentum_sweep's default learning rate is not 0.01: keep the signature's lr=0.01.")


@pytest.mark.grade("momentum_sweep")
def test_sweep_measures_the_test_accuracy(namespace):
    result, built = _run_sweep(namespace)
    if len(built) != len(_MOMENTUMS) or not isinstance(result, dict) or list(result) != list(_MOMENTUMS):
        return  # the checks above take these points
    train_loader, test_loader = _sweep_loaders()
    evaluate = answer(namespace, "evaluate")  # the kit's: (mean cross-entropy per sample, accuracy)
    for (net, _), momentum in zip(built, _MOMENTUMS, strict=True):
        accuracy = require_plain_number(result[momentum], "momentum_sweep's accuracy")
        test_loss, test_accuracy = evaluate(net, test_loader)
        if np.isclose(accuracy, test_accuracy):
            continue
        if np.isclose(accuracy, evaluate(net, train_loader)[1]):
            raise CheckFailed("momentum_sweep measures the accuracy on the training data: use evaluate on "
                              "test_loader.")
        if np.isclose(accuracy, test_loss):
            raise CheckFailed("momentum_sweep records the test loss: keep the accuracy, the second value that "
                              "evaluate returns.")
        raise CheckFailed("momentum_sweep's accuracy is not the accuracy evaluate(net, test_loader) gives for the "
                          "trained network.")


# ---------------------------------------------------------------- the kit's versions of answers other answers call


def _kit_build_network(hidden_sizes, dropout=0.0):
    layers, n_inputs = [], IMAGE_PIXELS
    for n_units in hidden_sizes:
        layers += [nn.Linear(n_inputs, n_units), nn.ReLU(), *([nn.Dropout(dropout)] if dropout > 0 else [])]
        n_inputs = n_units
    return nn.Sequential(*layers, nn.Linear(n_inputs, N_CLASSES))


# While an item is graded, the other answers it calls are these (autograder.check_plugin.answers_standing_in)
STAND_INS = {
    "momentum_sweep": {"train_epoch": kit_train_epoch, "evaluate": kit_evaluate},
    "weight_histogram_data": {"build_network": _kit_build_network},  # its visible checks build a network
}
