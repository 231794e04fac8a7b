"""Hidden checks of the `cnn_regularization` assignment: CNNs, normalization, augmentation, regularization.

One group of checks per graded item of autograder/specs/cnn_regularization.md.
Every check probes one behaviour on tiny tensors, tiny PIL images or tiny
networks (a CNN forward pass on a handful of 28x28 images at most), so that
grading takes seconds and an answer earns partial credit for the parts it gets
right. Failure messages name the concept that went wrong, never the probe.
"""

import contextlib
import io
import itertools

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision import transforms

from autograder.check_plugin import names_replaced
from autograder.check_runner import CheckFailed
from autograder.checks.probes import (
    ModeProbe,
    accuracy_fault,
    answer,
    as_float,
    dropout_between,
    dropout_fault,
    evaluated_minibatches,
    kit_evaluate,
    kit_train_epoch,
    layers_of,
    loss_and_accuracy,
    loss_fault,
    optimizer_settings,
    parameter_values,
    recorded_calls,
    reference_sgd_epoch,
    require_differentiable_scalar,
    require_parameters_of,
    require_scalar_tensor,
    require_trained_parameters,
    require_trains,
    with_weights_of,
)

# ---------------------------------------------------------------- shared helpers


def _build(namespace, name, *args, **kwargs):
    """An instance of the student's network class, or a failure that says the constructor is wrong."""
    try:
        return answer(namespace, name)(*args, **kwargs)
    except (CheckFailed, NotImplementedError):
        raise
    except Exception as error:
        arguments = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
        raise CheckFailed(f"{name}({arguments}) cannot be built ({type(error).__name__}: {error}).") from None


def _forward(net, x, who):
    try:
        return net(x)
    except (CheckFailed, NotImplementedError):
        raise
    except Exception as error:
        raise CheckFailed(f"{who} fails on a batch of {'x'.join(map(str, x.shape[1:]))} images "
                          f"({type(error).__name__}: {error}).") from None


# ---------------------------------------------------------------- flatten_size

CONV_CASES = [(32, 3, 0, 1), (28, 5, 2, 1), (17, 3, 1, 2), (31, 4, 0, 3), (10, 2, 0, 2), (9, 2, 0, 2), (20, 7, 3, 2)]


def _require_real_conv_widths(namespace, settings, message, whole_number=False):
    """Fail with `message` unless conv_output_width, given the settings of CONV_CASES named in `settings`
    ("padding", "stride"), gives the output width of a real nn.Conv2d with them, for every case (and a whole
    number, if asked)."""
    conv_output_width = answer(namespace, "conv_output_width")
    for width, kernel_size, padding, stride in CONV_CASES:
        given = {key: value for key, value in (("padding", padding), ("stride", stride)) if key in settings}
        real = nn.Conv2d(1, 1, kernel_size, **given)(torch.zeros(1, 1, width, width)).shape[-1]
        value = conv_output_width(width, kernel_size, **given)
        if value != real or (whole_number and not isinstance(value, (int, np.integer))):
            raise CheckFailed(message)


@pytest.mark.grade("flatten_size")
def test_conv_width_matches_a_real_convolution_without_padding(namespace):
    _require_real_conv_widths(namespace, (), "conv_output_width does not match a real nn.Conv2d without padding, "
                              "stride 1: a k x k kernel fits in width - k + 1 positions.")


@pytest.mark.grade("flatten_size")
def test_conv_width_counts_the_padding_on_both_sides(namespace):
    _require_real_conv_widths(namespace, ("padding",), "conv_output_width does not match a real nn.Conv2d with "
                              "padding: the padding adds `padding` pixels on each side, 2 * padding in all.")


@pytest.mark.grade("flatten_size")
def test_conv_width_divides_by_the_stride_and_rounds_down(namespace):
    _require_real_conv_widths(namespace, ("padding", "stride"), "conv_output_width does not match a real nn.Conv2d "
                              "(or max-pooling) with a stride: divide by the stride, round down, and return a whole "
                              "number.", whole_number=True)


def _reference_stack(in_channels, kernel_size):
    return nn.Sequential(nn.Conv2d(in_channels, 32, kernel_size), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, kernel_size), nn.ReLU(), nn.Conv2d(64, 128, kernel_size), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten())


def _reference_flatten_size(width, kernel_size):
    """The number of features after the reference stack, by a forward pass (the channels do not change it)."""
    with torch.no_grad():
        return _reference_stack(1, kernel_size)(torch.zeros(1, 1, width, width)).shape[1]


@pytest.mark.grade("flatten_size")
def test_flatten_size_matches_a_forward_pass(namespace):
    base_flatten_size = answer(namespace, "base_flatten_size")
    for width, kernel_size in ((32, 3), (32, 5), (28, 5), (33, 3), (29, 4), (24, 2)):
        real = _reference_flatten_size(width, kernel_size)
        value = base_flatten_size(width, kernel_size)
        if value == real and not isinstance(value, int | np.integer):
            raise CheckFailed(f"base_flatten_size gives {value!r}, not a whole number: nn.Linear needs an int (halve "
                              "with // for the poolings).")
        if value != real:
            raise CheckFailed("base_flatten_size does not match a forward pass through the base network's conv/pool "
                              "stack for every image width and kernel size (three convolutions, two poolings "
                              "that halve and round down, 128 channels).")


# ---------------------------------------------------------------- half_of


class _Numbered(Dataset):
    """Looks like a torchvision dataset: raw `data` and `targets`, and a transform applied on access."""

    def __init__(self, n):
        self.data = np.arange(n, dtype=np.uint8)
        self.targets = [int(i) % 10 for i in range(n)]
        self.loads = 0  # a random augmentation would give a new image on every load: here, a new count
        self.transform = lambda raw: torch.tensor([float(raw) + 0.5, float(self.loads)])

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        self.loads += 1
        return self.transform(self.data[index]), self.targets[index]


def _samples(dataset):
    return [dataset[i] for i in range(len(dataset))]


@pytest.mark.grade("half_of")
def test_half_has_half_the_samples(namespace):
    half_of = answer(namespace, "half_of")
    for n in (10, 11, 40):
        if len(half_of(_Numbered(n))) != n // 2:
            raise CheckFailed("half_of should keep half of the samples, rounded down.")


@pytest.mark.grade("half_of")
def test_half_keeps_the_datasets_own_samples(namespace):
    half_of = answer(namespace, "half_of")
    for image, label in _samples(half_of(_Numbered(40))):
        index = float(image.reshape(-1)[0]) - 0.5 if torch.is_tensor(image) else -1
        if not torch.is_tensor(image) or image.shape != (2,) or index != int(index) or label != int(index) % 10:
            raise CheckFailed("half_of's samples are not the dataset's own samples: keep the dataset and its "
                              "transform (a Subset of it) instead of copying its raw data.")


@pytest.mark.grade("half_of")
def test_half_loads_samples_afresh(namespace):
    half = answer(namespace, "half_of")(_Numbered(40))
    if torch.equal(half[3][0], half[3][0]):
        raise CheckFailed("half_of freezes its samples: the dataset's transform must run every time a sample is "
                          "loaded (a random augmentation gives a new image every epoch), so return a Subset of the "
                          "dataset, not a list of its samples.")


@pytest.mark.grade("half_of")
def test_half_has_distinct_samples(namespace):
    half_of = answer(namespace, "half_of")
    indices = [float(image.reshape(-1)[0]) for image, _ in _samples(half_of(_Numbered(40)))]
    if len(set(indices)) != len(indices):
        raise CheckFailed("half_of repeats samples: draw distinct indices (without replacement).")


# ---------------------------------------------------------------- channel_stats


def _stats_probe(channels, n=300, size=4):
    """Images whose brightness varies from image to image, so that per-image and overall statistics differ."""
    generator = torch.Generator().manual_seed(channels)
    level = torch.rand(n, 1, 1, 1, generator=generator) * 2
    offsets = torch.linspace(-1, 1, channels).view(1, channels, 1, 1)
    images = level + offsets + 0.3 * torch.randn(n, channels, size, size, generator=generator)
    return [(image, 0) for image in images], images


def _stats(namespace, channels):
    dataset, images = _stats_probe(channels)
    mean, std = answer(namespace, "channel_stats")(dataset)
    mean, std = (torch.as_tensor(value, dtype=torch.float64).reshape(-1) for value in (mean, std))
    images = images.double()
    return mean, std, images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3))


@pytest.mark.grade("channel_stats")
def test_mean_is_over_every_pixel_of_every_image(namespace):
    for channels in (3, 1):
        mean, _, true_mean, _ = _stats(namespace, channels)
        if mean.shape != true_mean.shape:
            raise CheckFailed("channel_stats should return one mean and one std per channel.")
        if not torch.allclose(mean, true_mean, rtol=1e-3, atol=1e-4):
            raise CheckFailed("channel_stats's mean is not the mean of each channel over all pixels of every image "
                              "of the dataset (all batches, not only the first).")


@pytest.mark.grade("channel_stats")
def test_std_is_over_every_pixel_of_every_image(namespace):
    for channels in (3, 1):
        _, std, _, true_std = _stats(namespace, channels)
        if std.shape != true_std.shape or not torch.allclose(std, true_std, rtol=2e-3, atol=1e-4):
            raise CheckFailed("channel_stats's std is not the standard deviation of each channel over all pixels of "
                              "every image together (an average of per-image or per-batch stds is smaller).")


# ---------------------------------------------------------------- build_transforms

MEAN, STD = [0.9, 0.1, 0.5], [0.05, 0.2, 0.1]


def _random_image(seed=0):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (32, 32, 3), dtype=np.uint8))


def _transforms(namespace, augment, normalize):
    return answer(namespace, "build_transforms")(augment, normalize, MEAN, STD)


def _reference(image, normalize):
    x = transforms.ToTensor()(image)
    return transforms.Normalize(MEAN, STD)(x) if normalize else x


def _require_plain_conversion(namespace, image, settings, which, message, calls=1):
    """Fail with `message` unless, for every (augment, normalize) of `settings`, the `which` ("train" or "test")
    transform of build_transforms gives `image` as a tensor (normalized if asked), unchanged, on each of `calls`
    calls."""
    for augment, normalize in settings:
        train_transform, test_transform = _transforms(namespace, augment, normalize)
        transform = test_transform if which == "test" else train_transform
        if not all(torch.allclose(transform(image), _reference(image, normalize), atol=1e-5) for _ in range(calls)):
            raise CheckFailed(message)


@pytest.mark.grade("build_transforms")
def test_transform_never_augments(namespace):
    _require_plain_conversion(namespace, _random_image(), itertools.product((False, True), repeat=2), "test",
                              "the test transform changes the test images: it may only convert them to tensors (and "
                              "normalize them); augmentation is for the training images only.", calls=5)


@pytest.mark.grade("build_transforms")
def test_normalization_uses_the_given_training_statistics(namespace):
    image = _random_image(1)
    _require_plain_conversion(namespace, image, ((False, True), (True, True)), "test",
                              "with normalize, the images must be normalized with the training mean and std passed "
                              "in (not with fixed values, not left unnormalized).")
    _require_plain_conversion(namespace, image, ((False, True),), "train",
                              "with normalize, the training images must be normalized with the training mean and std.")


@pytest.mark.grade("build_transforms")
def test_no_augmentation_unless_asked(namespace):
    _require_plain_conversion(namespace, _random_image(2), ((False, False), (False, True)), "train",
                              "without augment, the training transform should not augment: only convert to tensors "
                              "(and normalize with the given statistics if asked).", calls=5)


@pytest.mark.grade("build_transforms")
def test_augmentation_is_random_and_normalized(namespace):
    image = _random_image(3)
    for normalize in (False, True):
        train_transform, _ = _transforms(namespace, augment=True, normalize=normalize)
        outputs = [train_transform(image) for _ in range(20)]
        if all(torch.allclose(outputs[0], x) for x in outputs[1:]):
            raise CheckFailed("with augment, the training transform should apply random augmentation "
                              "(every epoch sees a different version of each image).")
    # a grey image stays grey under flips, shifts and crops: its typical pixel shows the normalization
    grey = Image.fromarray(np.full((32, 32, 3), 128, dtype=np.uint8))
    train_transform, _ = _transforms(namespace, augment=True, normalize=True)
    for _ in range(5):
        pixels = train_transform(grey) * torch.tensor(STD).view(3, 1, 1) + torch.tensor(MEAN).view(3, 1, 1)
        if (pixels.reshape(3, -1).median(dim=1).values - 128 / 255).abs().max() > 0.15:
            raise CheckFailed("with augment and normalize, the augmented training images must still be normalized "
                              "with the training mean and std passed in.")


def _upright_probe():
    """A red bar near the top and a blue bar near the bottom of a black image."""
    pixels = np.zeros((32, 32, 3), dtype=np.uint8)
    pixels[5:11, 6:26, 0] = 255
    pixels[21:27, 6:26, 2] = 255
    return Image.fromarray(pixels)


@pytest.mark.grade("build_transforms")
def test_augmentation_keeps_images_upright(namespace):
    probe = _upright_probe()
    rows = torch.arange(32, dtype=torch.float64).view(32, 1)
    for normalize in (False, True):
        train_transform, _ = _transforms(namespace, augment=True, normalize=normalize)
        for _ in range(60):
            x = train_transform(probe).double()
            if normalize:
                x = x * torch.tensor(STD).view(3, 1, 1).double() + torch.tensor(MEAN).view(3, 1, 1).double()
            red, blue = x[0].clamp(min=0), x[2].clamp(min=0)
            if red.sum() < 1e-3 or blue.sum() < 1e-3:
                continue  # cropped away: no evidence either way
            if (red * rows).sum() / red.sum() > (blue * rows).sum() / blue.sum():
                raise CheckFailed("the augmentation turns images upside down (a vertical flip or a large rotation): "
                                  "test images of ships, cars or animals are never upside down, so such training "
                                  "images no longer look like their class.")


# ---------------------------------------------------------------- base_cnn


def _reference_parameter_count(in_channels, width, kernel_size):
    flat = _reference_flatten_size(width, kernel_size)
    stack = sum(p.numel() for p in _reference_stack(in_channels, kernel_size).parameters())
    return stack + (flat * 100 + 100) + (100 * 50 + 50) + (50 * 10 + 10)


CNN_CASES = [(3, 32, 3), (1, 28, 5), (3, 24, 2), (2, 20, 3)]


@pytest.mark.grade("base_cnn")
def test_base_cnn_takes_any_channels_width_and_kernel(namespace):
    for in_channels, width, kernel_size in CNN_CASES:
        net = _build(namespace, "BaseCNN", in_channels=in_channels, width=width, kernel_size=kernel_size)
        with torch.no_grad():
            out = _forward(net, torch.rand(2, in_channels, width, width),
                           f"BaseCNN(in_channels={in_channels}, width={width}, kernel_size={kernel_size})")
        if tuple(out.shape) != (2, 10):
            raise CheckFailed("BaseCNN should give 10 class scores per image for every in_channels, width and "
                              "kernel_size.")


@pytest.mark.grade("base_cnn")
def test_base_cnn_has_the_base_layers(namespace):
    for in_channels, width, kernel_size in CNN_CASES:
        net = _build(namespace, "BaseCNN", in_channels=in_channels, width=width, kernel_size=kernel_size)
        if sum(p.numel() for p in net.parameters()) != _reference_parameter_count(in_channels, width, kernel_size):
            raise CheckFailed("BaseCNN's layers differ from the base network (convolutions with 32, 64 and 128 "
                              "channels and kernel_size, fully connected layers of 100, 50 and 10 units).")
    if sum(p.numel() for p in _build(namespace, "BaseCNN").parameters()) != _reference_parameter_count(3, 32, 3):
        raise CheckFailed("BaseCNN()'s defaults are not those of CIFAR-10 and the base network: in_channels=3, "
                          "width=32, kernel_size=3.")


def _reference_base_cnn(in_channels, width, kernel_size):
    """The base network as the spec gives it, built by the kit (not from the student's other answers)."""
    stack = _reference_stack(in_channels, kernel_size)
    flat = stack(torch.zeros(1, in_channels, width, width)).shape[1]
    return nn.Sequential(*stack, nn.Linear(flat, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))


BASE_COMPUTATION = ("each convolution and hidden linear layer is followed by a ReLU, max pooling (2) comes after the "
                    "first and the third convolution, and the last layer gives logits")


def _require_base_computation(net, in_channels, width, kernel_size, who):
    """Fail unless ``net`` (in its current mode) computes the base network's scores with its own weights."""
    x = torch.randn(4, in_channels, width, width)
    reference = with_weights_of(_reference_base_cnn(in_channels, width, kernel_size), net, x)
    if reference is None:
        raise CheckFailed(f"{who}'s layers differ from the base network (convolutions with 32, 64 and 128 channels "
                          "and kernel_size, fully connected layers of 100, 50 and 10 units).")
    with torch.no_grad():
        if not torch.allclose(_forward(net, x, who), reference(x), rtol=1e-4, atol=1e-5):
            raise CheckFailed(f"{who} does not compute the base network: {BASE_COMPUTATION}.")


@pytest.mark.grade("base_cnn")
def test_base_cnn_computes_the_base_network(namespace):
    """With the student's weights copied into the spec's network, both compute the same scores: the pooling,
    the activations and their places are checked, not only the shapes."""
    for in_channels, width, kernel_size in CNN_CASES[:2]:
        net = _build(namespace, "BaseCNN", in_channels=in_channels, width=width, kernel_size=kernel_size).eval()
        if sum(p.numel() for p in net.parameters()) != _reference_parameter_count(in_channels, width, kernel_size):
            return  # other layers: test_base_cnn_has_the_base_layers says so
        _require_base_computation(net, in_channels, width, kernel_size, "BaseCNN")


@pytest.mark.grade("base_cnn")
def test_base_cnn_trains(namespace):
    require_trains(_build(namespace, "BaseCNN"), torch.randn(4, 3, 32, 32), "BaseCNN()")


@pytest.mark.grade("base_cnn")
def test_base_cnn_returns_logits(namespace):
    net = _build(namespace, "BaseCNN")
    with torch.no_grad():
        out = _forward(net, torch.randn(16, 3, 32, 32) * 3, "BaseCNN()")
    ones = torch.ones(16)
    if torch.allclose(out.exp().sum(dim=1), ones, atol=1e-4) or torch.allclose(out.sum(dim=1), ones, atol=1e-4):
        raise CheckFailed("BaseCNN returns probabilities: return the logits, F.cross_entropy applies log-softmax.")
    if out.min() >= 0:
        raise CheckFailed("BaseCNN's class scores are never negative: no ReLU after the last layer, the outputs "
                          "are logits.")


# ---------------------------------------------------------------- dropout_cnn


def _dropout_net(namespace, p):
    """DropoutCNN for 1x20x20 images (with its default p if None)."""
    given = {} if p is None else {"p": p}
    net = _build(namespace, "DropoutCNN", in_channels=1, width=20, kernel_size=3, **given)
    with torch.no_grad():  # larger biases keep the ReLUs of the fully connected part open
        for module in layers_of(net, nn.Linear):
            module.bias.add_(0.5)
    return net


def _convolutions_are_random(net, x):
    """Whether two forward passes in train mode give the convolutions different outputs (dropout among them)."""
    who = type(net).__name__
    with torch.no_grad(), recorded_calls(layers_of(net, nn.Conv2d)) as calls:
        _forward(net.train(), x, who)
        _forward(net, x, who)
    half = len(calls) // 2
    return any(not torch.equal(a.output, b.output) for a, b in zip(calls[:half], calls[half:], strict=True))


def _dropout_seen_at_linear_inputs(net, x):
    """For each linear layer of ``net`` in call order, the dropout seen at its input in train mode (None: none).

    The first layer's input is compared with the same pass in eval mode (batch normalization stays in eval
    mode throughout, so that only dropout differs), unless the convolutions are random themselves (dropout
    among them: then it is not measured); every later one with ReLU(the previous layer's output).
    """
    linears = layers_of(net, nn.Linear)
    with torch.no_grad():
        with recorded_calls(linears) as clean:
            _forward(net.eval(), x, type(net).__name__)
        net.train()
        for module in layers_of(net, nn.modules.batchnorm._BatchNorm):
            module.eval()
        with recorded_calls(linears) as noisy:
            net(x)
        net.train()
    if not clean or len(clean) != len(noisy):
        return []
    first = None if _convolutions_are_random(net, x) else dropout_between(clean[0].input, noisy[0].input)
    return [first,
            *(dropout_between(torch.relu(before.output), after.input) for before, after in itertools.pairwise(noisy))]


@pytest.mark.grade("dropout_cnn")
def test_dropout_cnn_computes_the_base_network(namespace):
    """In eval mode, and in train mode with p=0, DropoutCNN is the base network: with its weights copied into
    the spec's network, both compute the same scores."""
    for in_channels, width, kernel_size in CNN_CASES[:2]:
        net = _build(namespace, "DropoutCNN", in_channels=in_channels, width=width, kernel_size=kernel_size).eval()
        _require_base_computation(net, in_channels, width, kernel_size, "DropoutCNN in eval mode")
        net = _build(namespace, "DropoutCNN", in_channels=in_channels, width=width, kernel_size=kernel_size, p=0.0)
        _require_base_computation(net.train(), in_channels, width, kernel_size, "DropoutCNN(p=0) in train mode")
    net = _build(namespace, "DropoutCNN").eval()
    if sum(p.numel() for p in net.parameters()) != _reference_parameter_count(3, 32, 3):
        raise CheckFailed("DropoutCNN()'s defaults are not those of CIFAR-10 and the base network: in_channels=3, "
                          "width=32, kernel_size=3.")
    _require_base_computation(net, 3, 32, 3, "DropoutCNN()")


@pytest.mark.grade("dropout_cnn")
def test_dropout_cnn_trains(namespace):
    require_trains(_build(namespace, "DropoutCNN"), torch.randn(4, 3, 32, 32), "DropoutCNN()")


@pytest.mark.grade("dropout_cnn")
def test_dropout_drops_single_units_with_probability_p(namespace):
    """Measured at the input of every fully connected layer that has dropout: the share of units dropped, the
    scale of the kept ones, and that units are dropped one by one (not whole samples)."""
    x = torch.rand(32, 1, 20, 20)
    for p in (0.6, None):
        for seen in filter(None, _dropout_seen_at_linear_inputs(_dropout_net(namespace, p), x)):
            fault = dropout_fault(seen, 0.25 if p is None else p)
            if fault is not None:
                who = "DropoutCNN() (default p=0.25)" if p is None else f"DropoutCNN(p={p})"
                raise CheckFailed(f"{who}: the dropout before a fully connected layer is wrong: {fault}.")


@pytest.mark.grade("dropout_cnn")
def test_dropout_is_active_in_train_mode_and_uses_p(namespace):
    x = torch.rand(6, 1, 20, 20)
    net = _dropout_net(namespace, 0.5).train()
    with torch.no_grad():
        if torch.equal(_forward(net, x, "DropoutCNN"), _forward(net, x, "DropoutCNN")):
            raise CheckFailed("DropoutCNN has no dropout in train mode: two forward passes should differ.")
        net = _dropout_net(namespace, 0.0).train()
        if not torch.allclose(net(x), net(x)):
            raise CheckFailed("DropoutCNN(p=0) still drops units: use the dropout probability p.")


@pytest.mark.grade("dropout_cnn")
def test_dropout_is_off_in_eval_mode(namespace):
    x = torch.rand(6, 1, 20, 20)
    net = _dropout_net(namespace, 0.5).eval()
    with torch.no_grad():
        first = _forward(net, x, "DropoutCNN")
        if not torch.equal(first, net(x)):
            raise CheckFailed("DropoutCNN still drops units in eval mode: use nn.Dropout modules (or "
                              "F.dropout(x, p, training=self.training)).")
        net.train()
        net.eval()
        if not torch.allclose(first, net(x)):
            raise CheckFailed("DropoutCNN in eval mode changes after a switch to train mode and back.")


@pytest.mark.grade("dropout_cnn")
def test_dropout_only_in_the_fully_connected_part(namespace):
    if _convolutions_are_random(_dropout_net(namespace, 0.5), torch.rand(6, 1, 20, 20)):
        raise CheckFailed("DropoutCNN applies dropout in the convolutional part: put it in the fully connected "
                          "part only.")


@pytest.mark.grade("dropout_cnn")
def test_no_dropout_on_the_class_scores(namespace):
    net = _dropout_net(namespace, 0.5).train()
    with torch.no_grad():
        out = _forward(net, torch.rand(16, 1, 20, 20), "DropoutCNN")
    if (out == 0).float().mean() > 0.05:
        raise CheckFailed("DropoutCNN zeroes class scores: no dropout (or ReLU) after the last layer, whose "
                          "outputs are the logits.")


# ---------------------------------------------------------------- penalties


def _probe_net():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.copy_(torch.randn(parameter.shape))
    return net


def _penalty(namespace, name, net, lam):
    """The student's penalty on `net`, if it is one number kept as a tensor (whether it is differentiable is the
    business of another check)."""
    value = answer(namespace, name)(net, lam)
    require_scalar_tensor(value, name)
    return value


@pytest.mark.grade("penalties")
def test_penalties_are_differentiable(namespace):
    for name in ("l1_penalty", "l2_penalty"):
        net = _probe_net()
        require_differentiable_scalar(answer(namespace, name)(net, 0.1), name)


@pytest.mark.grade("penalties")
def test_l1_is_lambda_times_the_sum_of_absolute_values(namespace):
    net = _probe_net()
    for lam in (0.1, 0.003):
        value = float(_penalty(namespace, "l1_penalty", net, lam).detach())
        expected = lam * sum(float(p.detach().abs().sum()) for p in net.parameters())
        weights_only = lam * sum(float(m.weight.detach().abs().sum()) for m in net if isinstance(m, nn.Linear))
        if np.isclose(value, weights_only, rtol=1e-5):
            raise CheckFailed("l1_penalty leaves out the biases: sum over all parameters of the network.")
        if not np.isclose(value, expected, rtol=1e-5):
            raise CheckFailed("l1_penalty is not lam times the sum of the absolute values of all parameters.")


@pytest.mark.grade("penalties")
def test_l2_is_half_lambda_times_the_sum_of_squares(namespace):
    net = _probe_net()
    for lam in (0.1, 0.003):
        value = float(_penalty(namespace, "l2_penalty", net, lam).detach())
        squares = sum(float(p.detach().pow(2).sum()) for p in net.parameters())
        weights_only = lam * sum(float(m.weight.detach().pow(2).sum()) for m in net if isinstance(m, nn.Linear))
        if np.isclose(value, weights_only, rtol=1e-5) or np.isclose(value, weights_only / 2, rtol=1e-5):
            raise CheckFailed("l2_penalty leaves out the biases: sum over all parameters of the network.")
        norms = (squares ** 0.5, sum(float(p.detach().norm()) for p in net.parameters()))
        if any(np.isclose(value, scale * lam * norm, rtol=1e-5) for scale in (1, 1 / 2) for norm in norms):
            raise CheckFailed("l2_penalty uses the norm, not the squared norm: lam / 2 times the sum of the squares.")
        if np.isclose(value, lam * squares, rtol=1e-5):
            raise CheckFailed("l2_penalty has no factor ½: it is lam / 2 times the sum of the squares, so that its "
                              "gradient is lam · θ, like weight_decay=lam.")
        if not np.isclose(value, lam / 2 * squares, rtol=1e-5):
            raise CheckFailed("l2_penalty is not lam / 2 times the sum of the squares of all parameters.")


# ---------------------------------------------------------------- make_optimizer


def _optimizer(namespace, name, net, **kwargs):
    optimizer = answer(namespace, "make_optimizer")(name, net, **kwargs)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise CheckFailed(f"make_optimizer({name!r}, ...) does not give a torch.optim optimizer.")
    require_parameters_of(optimizer, net, f"make_optimizer({name!r}, ...)")
    return optimizer


@pytest.mark.grade("make_optimizer")
def test_sgd_uses_lr_momentum_and_weight_decay(namespace):
    for lr, momentum, weight_decay in ((0.05, 0.0, 0.0), (0.01, 0.9, 0.0005)):
        optimizer = _optimizer(namespace, "sgd", _probe_net(), lr=lr, momentum=momentum, weight_decay=weight_decay)
        if type(optimizer) is not torch.optim.SGD:
            raise CheckFailed(f"make_optimizer('sgd', ...) gives {type(optimizer).__name__}, not torch.optim.SGD.")
        if optimizer_settings(optimizer, "lr") != {lr}:
            raise CheckFailed("make_optimizer('sgd', ...) does not use the lr argument.")
        if optimizer_settings(optimizer, "momentum") != {momentum}:
            raise CheckFailed("make_optimizer('sgd', ...) does not use the momentum argument (plain SGD by default: "
                              "momentum 0).")
        if optimizer_settings(optimizer, "weight_decay") != {weight_decay}:
            raise CheckFailed("make_optimizer('sgd', ...) does not use the weight_decay argument.")


@pytest.mark.grade("make_optimizer")
def test_adam_uses_lr_and_weight_decay(namespace):
    for lr, weight_decay in ((0.001, 0.0), (0.01, 0.001)):
        optimizer = _optimizer(namespace, "adam", _probe_net(), lr=lr, weight_decay=weight_decay)
        if type(optimizer) is not torch.optim.Adam or optimizer.defaults.get("decoupled_weight_decay", False):
            raise CheckFailed(f"make_optimizer('adam', ...) gives {type(optimizer).__name__}, not torch.optim.Adam "
                              "(with its own, coupled weight decay).")
        if optimizer_settings(optimizer, "lr") != {lr}:
            raise CheckFailed("make_optimizer('adam', ...) does not use the lr argument.")
        if optimizer_settings(optimizer, "weight_decay") != {weight_decay}:
            raise CheckFailed("make_optimizer('adam', ...) does not use the weight_decay argument.")


@pytest.mark.grade("make_optimizer")
def test_unknown_names_raise_a_value_error(namespace):
    make_optimizer = answer(namespace, "make_optimizer")
    for name in ("rmsprop", "adamw"):
        try:
            make_optimizer(name, _probe_net(), lr=0.01)
        except ValueError:
            continue
        except NotImplementedError:
            raise  # the stub: not attempted, rather than a wrong exception
        except Exception as error:
            raise CheckFailed(f"make_optimizer with an unknown name raises {type(error).__name__}, not a ValueError "
                              "that lists the valid names.") from None
        raise CheckFailed("make_optimizer with an unknown name should raise a ValueError that lists the valid "
                          "names, not silently pick an optimizer.")


# ---------------------------------------------------------------- train_epoch and evaluate


def _loop_net():
    torch.manual_seed(1)
    return nn.Sequential(ModeProbe(), nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def _loop_data():
    generator = torch.Generator().manual_seed(2)
    return TensorDataset(torch.randn(22, 4, generator=generator), torch.randint(0, 3, (22,), generator=generator))


def _loader(dataset=None, batch_size=8):
    return DataLoader(dataset or _loop_data(), batch_size=batch_size, shuffle=False)  # batches of 8, 8 and 6


def _counting_sgd(parameters, lr):
    """Plain SGD that counts its steps (on the instance: a subclass would change torch's patched classes)."""
    optimizer = torch.optim.SGD(parameters, lr=lr)
    optimizer.steps = 0
    step = optimizer.step

    def counted_step(*args, **kwargs):
        optimizer.steps += 1
        return step(*args, **kwargs)

    optimizer.step = counted_step
    return optimizer


def _reference_parameters(lr, penalty=None, zero_grad=True):
    """The parameters after the expected epoch (or, with zero_grad=False, after one that lets gradients accumulate)."""
    net = _loop_net()
    reference_sgd_epoch(net, _loader(), lr, penalty, zero_grad)
    return parameter_values(net)


def _reference_minibatches(lr, penalty=None):
    """What the expected epoch measures on each mini-batch on the way."""
    return reference_sgd_epoch(_loop_net(), _loader(), lr, penalty)


def _student_epoch(namespace, penalty=None, lr=0.5):
    net = _loop_net()
    optimizer = _counting_sgd(net.parameters(), lr=lr)
    loss, accuracy = loss_and_accuracy(answer(namespace, "train_epoch")(net, _loader(), optimizer, penalty),
                                       "train_epoch")
    return net, optimizer, loss, accuracy


def _penalty_probe(net):
    return 0.5 * sum(p.pow(2).sum() for p in net.parameters())


@pytest.mark.grade("train_epoch")
def test_one_step_per_batch_from_fresh_gradients(namespace):
    net, optimizer, _, _ = _student_epoch(namespace)
    batches = len(_loader())
    if optimizer.steps != batches:
        raise CheckFailed(f"train_epoch takes {optimizer.steps} optimizer step(s) for {batches} mini-batches: "
                          "one optimizer.step() for every batch, inside the loop.")
    expected, accumulated = _reference_parameters(0.5), _reference_parameters(0.5, zero_grad=False)
    require_trained_parameters(
        net, expected,
        "after train_epoch the parameters differ from one SGD step per batch on the cross-entropy of that batch.",
        known_mistakes=[(accumulated, ("train_epoch lets gradients accumulate across batches: "
                                       "call optimizer.zero_grad() before every backward pass."))],
        atol=1e-5)


@pytest.mark.grade("train_epoch")
def test_penalty_is_added_to_the_loss(namespace):
    net, _, _, _ = _student_epoch(namespace, penalty=_penalty_probe, lr=0.1)
    expected = _reference_parameters(0.1, penalty=_penalty_probe)
    require_trained_parameters(
        net, expected, "train_epoch does not add penalty(net) to the loss of every batch before backward().",
        atol=1e-5)


@pytest.mark.grade("train_epoch")
def test_returns_mean_loss_per_sample_and_accuracy(namespace):
    _, _, loss, accuracy = _student_epoch(namespace)
    minibatches = _reference_minibatches(0.5)
    fault = loss_fault(loss, minibatches, "train_epoch") or accuracy_fault(accuracy, minibatches, "train_epoch")
    if fault is not None:
        raise CheckFailed(fault)
    _, _, loss, _ = _student_epoch(namespace, penalty=_penalty_probe, lr=0.1)
    fault = loss_fault(loss, _reference_minibatches(0.1, penalty=_penalty_probe), "with a penalty, train_epoch")
    if fault is not None:
        raise CheckFailed(fault)


@pytest.mark.grade("train_epoch")
def test_trains_in_train_mode(namespace):
    net = _loop_net().eval()  # as evaluate leaves it
    answer(namespace, "train_epoch")(net, _loader(), torch.optim.SGD(net.parameters(), lr=0.1), None)
    if not net[0].calls or not all(training for training, _ in net[0].calls):
        raise CheckFailed("train_epoch does not put the network in train mode (net.train()): after evaluate it "
                          "would train with dropout off and batch norm frozen.")


def _bn_net():
    torch.manual_seed(3)
    return nn.Sequential(ModeProbe(), nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))


def _student_evaluation(namespace, net):
    return loss_and_accuracy(answer(namespace, "evaluate")(net, _loader()), "evaluate")


@pytest.mark.grade("evaluate")
def test_evaluates_in_eval_mode_without_gradients(namespace):
    net = _bn_net().train()
    buffers = [b.clone() for b in net.buffers()]
    _student_evaluation(namespace, net)
    if not net[0].calls or any(training for training, _ in net[0].calls) or \
            not all(torch.equal(a, b) for a, b in zip(buffers, net.buffers(), strict=True)):
        raise CheckFailed("evaluate does not put the network in eval mode (net.eval()): dropout stays on and batch "
                          "norm uses and updates batch statistics.")
    if any(grad for _, grad in net[0].calls):
        raise CheckFailed("evaluate computes gradients: wrap the loop in torch.no_grad().")


@pytest.mark.grade("evaluate")
def test_returns_mean_loss_per_sample_and_accuracy_on_the_loader(namespace):
    net = _bn_net()
    with torch.no_grad():
        net(torch.randn(32, 4))  # running statistics that differ from the defaults
    loss, accuracy = _student_evaluation(namespace, net)
    minibatches = evaluated_minibatches(net, _loader())
    fault = loss_fault(loss, minibatches, "evaluate") or accuracy_fault(accuracy, minibatches, "evaluate")
    if fault is not None:
        raise CheckFailed(fault)


# ---------------------------------------------------------------- run_experiment

HISTORY_KEYS = ("epochs", "train loss", "train accuracy", "test loss", "test accuracy")


@contextlib.contextmanager
def _recorded_loop(namespace, test_loader):
    """Swap the notebook's train_epoch and evaluate for recorders, so this item is judged on its own.

    Each recorded call returns values that tell which call it was: train epoch e
    gives (10 + e, 0.1 * e); an evaluation gives (20 + number of train epochs so
    far, 0.5 + 0.01 * epochs so far) on the test loader and negative values on
    any other loader.
    """
    log = []

    def train_epoch(net, loader, optimizer, penalty=None):
        log.append(("train", loader, penalty))
        epoch = sum(1 for kind, *_ in log if kind == "train") - 1
        return 10.0 + epoch, 0.1 * epoch

    def evaluate(net, loader):
        log.append(("evaluate", loader, None))
        trained = sum(1 for kind, *_ in log if kind == "train")
        return (20.0 + trained, 0.5 + 0.01 * trained) if loader is test_loader else (-1.0, -1.0)

    with names_replaced(namespace, {"train_epoch": train_epoch, "evaluate": evaluate}):
        yield log


def _run(namespace, epochs, penalty=None):
    net = nn.Linear(4, 3)
    train_loader, test_loader = _loader(), _loader(batch_size=5)
    # the per-epoch lines are for the notebook, not the report
    with _recorded_loop(namespace, test_loader) as log, contextlib.redirect_stdout(io.StringIO()):
        history = answer(namespace, "run_experiment")(net, torch.optim.SGD(net.parameters(), lr=0.1), train_loader,
                                                       test_loader, epochs, penalty=penalty)
    if not isinstance(history, dict) or any(key not in history for key in HISTORY_KEYS):
        raise CheckFailed(f"run_experiment should return a dictionary with the keys {', '.join(HISTORY_KEYS)}.")
    return {key: [as_float(v) for v in history[key]] for key in HISTORY_KEYS}, log, train_loader


@pytest.mark.grade("run_experiment")
def test_logs_one_value_per_epoch(namespace):
    history, log, train_loader = _run(namespace, 4)
    trains = [entry for entry in log if entry[0] == "train"]
    if len(trains) != 4 or any(loader is not train_loader for _, loader, _ in trains):
        raise CheckFailed("run_experiment should call train_epoch once per epoch, on the training loader.")
    if any(len(history[key]) != 4 for key in HISTORY_KEYS):
        raise CheckFailed("run_experiment should log one value per epoch for every curve (append inside the loop).")
    if history["epochs"] != [0, 1, 2, 3]:
        raise CheckFailed("the history's 'epochs' should count the epochs 0, 1, 2, ...")
    if history["train loss"] != [10.0, 11.0, 12.0, 13.0] or not np.allclose(history["train accuracy"],
                                                                               [0.0, 0.1, 0.2, 0.3]):
        raise CheckFailed("run_experiment's 'train loss' and 'train accuracy' should be what train_epoch returned "
                          "in each epoch.")


@pytest.mark.grade("run_experiment")
def test_logs_the_test_set_after_each_epochs_training(namespace):
    history, _, _ = _run(namespace, 3)
    if history["test loss"] != [21.0, 22.0, 23.0] or not np.allclose(history["test accuracy"], [0.51, 0.52, 0.53]):
        if history["test loss"] == [20.0, 21.0, 22.0]:
            raise CheckFailed("run_experiment evaluates before each epoch's training: the test curves must be "
                              "measured after that epoch's training.")
        raise CheckFailed("run_experiment's 'test loss' and 'test accuracy' should come from evaluate(net, "
                          "test_loader) after each epoch's training.")


@pytest.mark.grade("run_experiment")
def test_passes_the_penalty_on(namespace):
    def penalty(net):
        return 0.0

    _, log, _ = _run(namespace, 2, penalty=penalty)
    if any(kind == "train" and given is not penalty for kind, _, given in log):
        raise CheckFailed("run_experiment does not pass its penalty on to train_epoch.")


# ---------------------------------------------------------------- sgd_settings


@pytest.mark.grade("sgd_settings")
def test_learning_rate_suits_sgd_with_momentum(namespace):
    lr = answer(namespace, "SGD_LEARNING_RATE")
    if not isinstance(lr, (int, float)) or not 1e-3 <= lr <= 0.1:
        raise CheckFailed("SGD_LEARNING_RATE is not a learning rate that trains this CNN well with momentum 0.9 "
                          "(too large diverges, too small hardly learns in a few epochs).")


@pytest.mark.grade("sgd_settings")
def test_weight_decay_is_moderate(namespace):
    weight_decay = answer(namespace, "SGD_WEIGHT_DECAY")
    if not isinstance(weight_decay, (int, float)) or not 0 <= weight_decay <= 5e-3:
        raise CheckFailed("SGD_WEIGHT_DECAY is too large: such a weight decay pulls the weights to zero faster "
                          "than the data can move them, and the network underfits.")


# ---------------------------------------------------------------- cnn2 and cnn3

MNIST_BATCH = (5, 1, 28, 28)


def _log_probabilities(out, who):
    if tuple(out.shape) != (MNIST_BATCH[0], 10):
        raise CheckFailed(f"{who} should give 10 outputs per image, for every batch size.")
    if not torch.allclose(out.exp().sum(dim=1), torch.ones(len(out)), atol=1e-4):
        raise CheckFailed(f"{who} does not return log-probabilities: end with F.log_softmax(x, dim=1) "
                          "(the exp of every row sums to 1).")


@pytest.mark.grade("cnn2")
def test_cnn2_returns_log_probabilities_per_image(namespace):
    net = _build(namespace, "CNN2")
    with torch.no_grad():
        for batch in (1, MNIST_BATCH[0]):
            out = _forward(net, torch.rand(batch, 1, 28, 28), "CNN2")
            if out.shape[0] != batch:
                raise CheckFailed("CNN2 gives a different number of outputs than images: flatten each image "
                                  "(x.flatten(1)) into the right number of features.")
        _log_probabilities(_forward(net, torch.rand(*MNIST_BATCH), "CNN2"), "CNN2")


@pytest.mark.grade("cnn2")
def test_cnn2_convolutions_preserve_the_size(namespace):
    net = _build(namespace, "CNN2")
    with torch.no_grad(), recorded_calls(layers_of(net, nn.Conv2d)) as calls:
        _forward(net, torch.rand(*MNIST_BATCH), "CNN2")
    shapes = [(tuple(call.input.shape[1:]), tuple(call.output.shape[1:])) for call in calls]
    if [(i[0], o[0]) for i, o in shapes] != [(1, 32), (32, 64)]:
        raise CheckFailed("CNN2 should have two convolutions, with 32 and 64 filters.")
    if any(i[1:] != o[1:] for i, o in shapes):
        raise CheckFailed("CNN2's convolutions do not preserve the size of their input: a 5x5 convolution with "
                          "stride 1 needs padding 2.")


@pytest.mark.grade("cnn2")
def test_cnn2_flattens_64_by_7_by_7_features(namespace):
    net = _build(namespace, "CNN2")
    with torch.no_grad(), recorded_calls(layers_of(net, nn.Linear)) as calls:
        _forward(net, torch.rand(*MNIST_BATCH), "CNN2")
    if [(call.input.shape[-1], call.output.shape[-1]) for call in calls] != [(64 * 7 * 7, 256), (256, 10)]:
        raise CheckFailed("CNN2's fully connected part should take the 64x7x7 = 3136 flattened features (after two "
                          "poolings), then have 256 and 10 units.")


def _reference_cnn2():
    """CNN2 as the spec gives it, built by the kit."""
    return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 10), nn.LogSoftmax(dim=1))


CNN2_COMPUTATION = ("5x5 convolutions with 32 and 64 filters and padding 2, each followed by a ReLU and 2x2 max "
                    "pooling, then fully connected 3136 → 256, a ReLU, 256 → 10 and log-softmax")


def _require_cnn2_computation(net, who):
    """Fail unless ``net`` (in its current mode) computes CNN2's log-probabilities with its own weights."""
    x = torch.rand(*MNIST_BATCH)
    reference = with_weights_of(_reference_cnn2(), net, x)
    if reference is None:
        raise CheckFailed(f"{who}'s convolutions and fully connected layers are not CNN2's: {CNN2_COMPUTATION}.")
    with torch.no_grad():
        if not torch.allclose(_forward(net, x, who), reference(x), rtol=1e-4, atol=1e-5):
            raise CheckFailed(f"{who} does not compute CNN2's network: {CNN2_COMPUTATION}.")


@pytest.mark.grade("cnn2")
def test_cnn2_computes_the_corrected_network(namespace):
    """With CNN2's weights copied into the spec's network, both compute the same log-probabilities."""
    _require_cnn2_computation(_build(namespace, "CNN2"), "CNN2")


@pytest.mark.grade("cnn2")
def test_cnn2_trains(namespace):
    require_trains(_build(namespace, "CNN2"), torch.rand(*MNIST_BATCH), "CNN2")


def _cnn3(namespace, p):
    return _build(namespace, "CNN3", p=p)


@pytest.mark.grade("cnn3")
def test_cnn3_returns_log_probabilities(namespace):
    net = _cnn3(namespace, 0.2).eval()
    with torch.no_grad():
        _log_probabilities(_forward(net, torch.rand(*MNIST_BATCH), "CNN3"), "CNN3")


@pytest.mark.grade("cnn3")
def test_cnn3_uses_batch_statistics_in_train_mode(namespace):
    net = _cnn3(namespace, 0.0).train()
    x = torch.rand(*MNIST_BATCH)
    other = x.clone()
    other[1:] = other[1:] * 3 + 1  # the same first image in a different batch
    buffers = [b.clone() for b in net.buffers()]
    with torch.no_grad():
        alone = _forward(net, x, "CNN3")[0]
        together = net(other)[0]
    if torch.allclose(alone, together, atol=1e-5):
        raise CheckFailed("CNN3 has no batch normalization in train mode: the output for an image should depend "
                          "on the mini-batch's statistics (nn.BatchNorm2d).")
    if all(torch.equal(a, b) for a, b in zip(buffers, net.buffers(), strict=False)) or not buffers:
        raise CheckFailed("CNN3's batch normalization does not update running statistics in train mode.")


@pytest.mark.grade("cnn3")
def test_cnn3_uses_running_statistics_and_no_dropout_in_eval_mode(namespace):
    net = _cnn3(namespace, 0.5).train()
    with torch.no_grad():
        for _ in range(3):
            _forward(net, torch.rand(*MNIST_BATCH) * 2, "CNN3")  # running statistics away from their start
        net.eval()
        x = torch.rand(*MNIST_BATCH)
        other = x.clone()
        other[1:] = other[1:] * 3 + 1
        first = net(x)
        if not torch.equal(first, net(x)):
            raise CheckFailed("CNN3 is random in eval mode: dropout must be off (nn.Dropout, or "
                              "F.dropout(x, p, training=self.training)).")
        if not torch.allclose(first[0], net(other)[0], atol=1e-5):
            raise CheckFailed("CNN3's batch normalization uses batch statistics in eval mode: it should use its "
                              "running statistics (keep track_running_stats on).")


@pytest.mark.grade("cnn3")
def test_cnn3_has_dropout_with_probability_p(namespace):
    x = torch.rand(*MNIST_BATCH)
    with torch.no_grad():
        net = _cnn3(namespace, 0.5).train()
        if torch.equal(_forward(net, x, "CNN3"), net(x)):
            raise CheckFailed("CNN3 has no dropout in train mode: two forward passes should differ.")
        net = _cnn3(namespace, 0.0).train()
        if not torch.allclose(net(x), net(x), atol=1e-6):
            raise CheckFailed("CNN3(p=0) still drops units: use the dropout probability p.")


@pytest.mark.grade("cnn3")
def test_cnn3_is_cnn2_with_regularization(namespace):
    """A new CNN3 in eval mode is CNN2: its batch normalization still holds its initial statistics (mean 0,
    variance 1, scale 1, shift 0), which leave activations as they are, and dropout is off."""
    _require_cnn2_computation(_cnn3(namespace, 0.2).eval(), "CNN3 in eval mode, without regularization,")


@pytest.mark.grade("cnn3")
def test_cnn3_trains(namespace):
    require_trains(_build(namespace, "CNN3"), torch.rand(*MNIST_BATCH), "CNN3()")


@pytest.mark.grade("cnn3")
def test_cnn3_drops_single_units_with_probability_p(namespace):
    """Measured at the input of every fully connected layer that has dropout, with the default p and another."""
    x = torch.rand(16, 1, 28, 28)
    for p in (0.6, None):
        net = _build(namespace, "CNN3") if p is None else _cnn3(namespace, p)
        for seen in filter(None, _dropout_seen_at_linear_inputs(net, x)):
            fault = dropout_fault(seen, 0.2 if p is None else p)
            if fault is not None:
                who = "CNN3() (default p=0.2)" if p is None else f"CNN3(p={p})"
                raise CheckFailed(f"{who}: the dropout before a fully connected layer is wrong: {fault}.")


# ---------------------------------------------------------------- the kit's versions of answers other answers call


# While an item is graded, the other answers it calls are these (autograder.check_plugin.answers_standing_in)
STAND_INS = {
    "base_cnn": {"base_flatten_size": _reference_flatten_size},
    "dropout_cnn": {"base_flatten_size": _reference_flatten_size},
    "run_experiment": {"train_epoch": kit_train_epoch, "evaluate": kit_evaluate},
}
