"""``DataLoader``: torch's DataLoader, cutting each batch out of an in-memory dataset at once.

Torch's DataLoader fetches every sample on its own and stacks them: over torchvision's MNIST, FashionMNIST and
CIFAR10 each sample becomes a PIL image that the transforms turn into a tensor, and over a ``TensorDataset``
each sample is a row copied on its own. This DataLoader takes the whole batch from the dataset's memory in one
step instead, and applies the transforms the assignments use (``ToTensor``, ``Normalize``, random horizontal and
vertical flips, ``RandomCrop`` with constant padding) to the batch as a whole.

The batches are torch's, to the bit: the same sampler chooses the samples, and the random transforms draw each
image's parameters from torch's global generator with the calls torchvision makes, image by image, in the same
order, so for the same seed this loader gives the batches torch's DataLoader gives and leaves the generator
where it leaves it (a network's dropout draws in between stay where they were). Anything else (other datasets
or transforms, workers, a collate function, pinned memory) is torch's own DataLoader, unchanged.
"""

from dataclasses import dataclass

import torch
import torchvision
from torch.utils import data
from torchvision import transforms

from reglab._loop import cpu_threads

# torchvision's datasets whose images sit in memory as bytes: the class whose __getitem__ they use, and the
# layout of their ``data`` (an array of N images of height x width, with a last axis of channels for CIFAR10)
IMAGE_DATASETS = {
    torchvision.datasets.CIFAR10: "NHWC",
    torchvision.datasets.MNIST: "NHW",  # also FashionMNIST, KMNIST: subclasses with MNIST's __getitem__
}


class DataLoader(data.DataLoader):
    """``torch.utils.data.DataLoader``, with the same arguments and the same batches, faster over in-memory data.

    Over a ``TensorDataset``, or torchvision's ``MNIST``, ``FashionMNIST`` or
    ``CIFAR10`` with a transform of ``ToTensor``, ``Normalize``,
    ``RandomHorizontalFlip``, ``RandomVerticalFlip`` and ``RandomCrop``, each
    inside any ``Subset``, a batch is cut out of the dataset's memory at once
    and transformed as a whole (for CIFAR10 at batch size 128, about 10 times
    faster than one PIL image at a time). Every other dataset is loaded as torch
    loads it.
    """

    def __iter__(self):
        source = _batched_source(self)
        if source is None:
            return super().__iter__()
        batches = iter(self.batch_sampler)  # the sampler draws its seed at the first batch, as in torch
        # The seed torch's DataLoader draws for its workers when an epoch starts, used or not
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)
        return (source.batch(indices) for indices in batches)


def _one_thread(batch):
    """Cut and transform a batch on one thread: its copies and arithmetic are too small to share, and a second
    thread that another program holds up stalls every one of them (measured: 3 ms instead of 35 µs for one
    division of a CIFAR batch on a busy 2-core machine)."""
    def on_one_thread(self, indices):
        with cpu_threads(1):
            return batch(self, indices)

    return on_one_thread


def _batched_source(loader: data.DataLoader):
    """What cuts whole batches out of the loader's dataset, or None where torch's own loading is needed."""
    if loader.num_workers or loader.pin_memory or loader.batch_sampler is None \
            or loader.collate_fn is not data.default_collate:
        return None
    dataset, positions = _under_subsets(loader.dataset)
    if dataset is None:
        return None
    if type(dataset) is data.TensorDataset:
        return _Tensors(dataset.tensors, positions)
    return _images(dataset, positions)


def _under_subsets(dataset):
    """The dataset under any ``Subset`` layers, and which of its samples the outer dataset's positions are (None:
    the same); (None, None) where the subsets' indices are not whole numbers."""
    positions = None
    while type(dataset) is data.Subset:
        try:
            indices = torch.as_tensor(dataset.indices)
        except (TypeError, ValueError, RuntimeError):
            return None, None
        if indices.dim() != 1 or indices.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
            return None, None
        indices = indices.long()
        positions = indices if positions is None else indices[positions]
        dataset = dataset.dataset
    return dataset, positions


@dataclass
class _Tensors:
    tensors: tuple
    positions: torch.Tensor | None

    @_one_thread
    def batch(self, indices: list[int]) -> list:
        rows = _rows(indices, self.positions)
        return [tensor[rows] for tensor in self.tensors]  # a list, as torch's default_collate makes of tuples


def _rows(indices: list[int], positions: torch.Tensor | None) -> torch.Tensor:
    rows = torch.tensor(indices, dtype=torch.int64)
    return rows if positions is None else positions[rows]


# ---------------------------------------------------------------- torchvision's image datasets


def _images(dataset, positions):
    layout = next((layout for kind, layout in IMAGE_DATASETS.items()
                   if isinstance(dataset, kind) and type(dataset).__getitem__ is kind.__getitem__), None)
    if layout is None or dataset.target_transform is not None or dataset.transform is None:
        return None
    pixels = torch.as_tensor(dataset.data)  # no copy: CIFAR10's numpy array, MNIST's tensor
    if pixels.dtype != torch.uint8 or pixels.dim() != len(layout):
        return None
    shape = (pixels.shape[3], *pixels.shape[1:3]) if layout == "NHWC" else (1, *pixels.shape[1:])
    steps = _steps(dataset.transform, shape)
    if steps is None:
        return None
    return _Images(pixels, layout == "NHWC", torch.as_tensor(dataset.targets).long(), positions, steps)


@dataclass
class _Images:
    pixels: torch.Tensor  # the dataset's bytes: N x H x W x C (channels_last) or N x H x W
    channels_last: bool
    targets: torch.Tensor
    positions: torch.Tensor | None
    steps: list

    @_one_thread
    def batch(self, indices: list[int]) -> list:
        rows = _rows(indices, self.positions)
        drawing = [step for step in self.steps if step.draws]
        # Each image draws its parameters as the transforms draw them: image by image, and in each image step by step
        drawn = iter(zip(*[[step.draw() for step in drawing] for _ in indices], strict=True))
        images = self.pixels[rows]  # whole rows of bytes, then B x C x H x W bytes: a quarter of floats' traffic
        images = images.permute(0, 3, 1, 2).contiguous() if self.channels_last else images.unsqueeze(1)
        for step in self.steps:
            images = step.apply(images, next(drawn) if step.draws else None)
        return [images.contiguous(), self.targets[rows]]


def _steps(transform, shape: tuple[int, int, int]) -> list | None:
    """The transform as steps on whole batches, or None where some part is not one of the known transforms or
    would fail (torch's own loading then raises the transform's own error)."""
    parts = _flattened(transform)
    steps, converted = [], False
    for part in parts:
        if type(part) is transforms.ToTensor and not converted:
            step, converted = _ToTensor(), True
        elif type(part) is transforms.Normalize and converted:
            step = _Normalize.of(part, shape)
        elif type(part) in (transforms.RandomHorizontalFlip, transforms.RandomVerticalFlip) \
                and isinstance(part.p, (int, float)):
            step = _Flip(float(part.p), -1 if type(part) is transforms.RandomHorizontalFlip else -2)
        elif type(part) is transforms.RandomCrop:
            step = _Crop.of(part, shape, converted)
        else:
            return None
        if step is None:
            return None
        steps.append(step)
        shape = step.shape_after(shape)
    return steps if converted else None  # without ToTensor the samples are PIL images, which torch cannot stack


def _flattened(transform) -> list:
    if type(transform) is transforms.Compose:
        return [part for inner in transform.transforms for part in _flattened(inner)]
    return [transform]


class _Step:
    draws = False

    def shape_after(self, shape):
        return shape


class _ToTensor(_Step):
    def apply(self, images, params):
        return images.contiguous().to(torch.get_default_dtype()).div(255)  # ToTensor's own arithmetic on bytes


@dataclass
class _Normalize(_Step):
    mean: torch.Tensor
    std: torch.Tensor

    @classmethod
    def of(cls, part, shape):
        dtype = torch.get_default_dtype()
        mean, std = torch.as_tensor(part.mean, dtype=dtype), torch.as_tensor(part.std, dtype=dtype)
        if (std == 0).any() or mean.dim() > 1 or std.dim() > 1:
            return None
        return cls(mean.view(-1, 1, 1) if mean.dim() == 1 else mean, std.view(-1, 1, 1) if std.dim() == 1 else std)

    def apply(self, images, params):
        return images.sub_(self.mean).div_(self.std)  # torchvision's normalize: subtract, then divide


@dataclass
class _Flip(_Step):
    p: float
    axis: int  # -1: horizontal (left-right), -2: vertical
    draws = True

    def draw(self) -> bool:
        return bool(torch.rand(1) < self.p)  # RandomHorizontalFlip's and RandomVerticalFlip's own draw

    def apply(self, images, flips):
        chosen = torch.tensor(flips).view(-1, 1, 1, 1)
        return torch.where(chosen, images.flip(self.axis), images)


@dataclass
class _Crop(_Step):
    padding: tuple[int, int, int, int]  # left, right, top, bottom, as torch.nn.functional.pad takes them
    fill: float
    padded: tuple[int, int]  # height and width after padding
    size: tuple[int, int]

    @property
    def draws(self) -> bool:
        return self.padded != self.size  # RandomCrop.get_params draws nothing when the crop is the whole image

    @classmethod
    def of(cls, part, shape, converted):
        if part.padding_mode != "constant" or not isinstance(part.fill, (int, float)) \
                or (not converted and (not isinstance(part.fill, int) or not 0 <= part.fill <= 255)):
            return None
        padding = _padding(part.padding)
        if padding is None:
            return None
        left, right, top, bottom = padding
        height, width = shape[1] + top + bottom, shape[2] + left + right
        th, tw = part.size
        if part.pad_if_needed and width < tw:  # RandomCrop pads both sides by the missing width
            left, right, width = left + tw - width, right + tw - width, width + 2 * (tw - width)
        if part.pad_if_needed and height < th:
            top, bottom, height = top + th - height, bottom + th - height, height + 2 * (th - height)
        if height < th or width < tw:
            return None
        return cls((left, right, top, bottom), float(part.fill), (height, width), (th, tw))

    def shape_after(self, shape):
        return (shape[0], *self.size)

    def draw(self) -> tuple[int, int]:
        (height, width), (th, tw) = self.padded, self.size
        i = torch.randint(0, height - th + 1, size=(1,)).item()  # RandomCrop.get_params's own draws, in its order
        j = torch.randint(0, width - tw + 1, size=(1,)).item()
        return i, j

    def apply(self, images, corners):
        if any(self.padding):
            images = torch.nn.functional.pad(images, self.padding, value=self.fill)
        th, tw = self.size
        if corners is None:
            return images[..., :th, :tw]
        cropped = images.new_empty((*images.shape[:2], th, tw))
        for image, out, (top, left) in zip(images, cropped, corners, strict=True):
            out.copy_(image[:, top:top + th, left:left + tw])
        return cropped


def _padding(padding) -> tuple[int, int, int, int] | None:
    """torchvision's padding (an int, or 1, 2 or 4 numbers) as (left, right, top, bottom); None if not whole
    numbers of at least 0."""
    if padding is None:
        return 0, 0, 0, 0
    values = [padding] if isinstance(padding, int) else list(padding)
    if not values or not all(isinstance(v, int) and v >= 0 for v in values) or len(values) not in (1, 2, 4):
        return None
    if len(values) == 1:
        return (values[0],) * 4
    if len(values) == 2:  # left and right, top and bottom
        return values[0], values[0], values[1], values[1]
    left, top, right, bottom = values
    return left, right, top, bottom
