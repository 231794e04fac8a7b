"""FashionMNIST for the assignments, and the kit's own offline stand-in for it.

Real use loads FashionMNIST through torchvision (downloaded into ``data/``).
Tests, CI and grading never download: they use synthetic images that this
module writes in FashionMNIST's own IDX file format, so that the very same
torchvision loader reads them.
"""

import math
import os
import struct
from pathlib import Path

import numpy as np
import torch
import torchvision
from torch.utils.data import TensorDataset

from reglab.profiles import Profile, active_profile

DATA_DIR_VARIABLE = "REGLAB_DATA_DIR"
DATA_SOURCE_VARIABLE = "REGLAB_DATA"  # "fashionmnist" or "synthetic"; overrides the profile
VALIDATION_SHARE = 0.2  # the seed's 48,000 / 12,000 split of the 60,000 training images
SPLIT_SEED = 12345
SYNTHETIC_SEED = 2024

# torchvision's file names for the four parts of the dataset (uncompressed)
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
IDX_UBYTE = 0x08  # IDX type code for unsigned bytes


def load_fashion_mnist(profile: Profile | None = None, data_dir: str | os.PathLike | None = None):
    """Return ``(train, validation)`` TensorDatasets of flattened images in [0, 1].

    Each sample is ``(x, y)`` with ``x`` a float32 vector of 784 pixels and ``y``
    the class index. Sizes and the data source follow the profile.
    """
    profile = profile or active_profile()
    data_dir = Path(data_dir or os.environ.get(DATA_DIR_VARIABLE, "data"))
    if _use_synthetic(profile):
        n_needed = _synthetic_size(profile)
        root = data_dir / f"synthetic-{n_needed}"
        write_synthetic_fashion_mnist(root, n_train=n_needed, n_test=max(100, n_needed // 6))
        dataset = torchvision.datasets.FashionMNIST(root=root, train=True, download=False)
    else:
        dataset = torchvision.datasets.FashionMNIST(root=data_dir, train=True, download=True)
    images = dataset.data.reshape(len(dataset.data), -1).float() / 255  # what ToTensor() would give, flattened
    labels = dataset.targets.long()
    train_idx, validation_idx = _split(len(labels))
    train_idx, validation_idx = train_idx[: profile.n_train], validation_idx[: profile.n_validation]
    return (
        TensorDataset(images[train_idx], labels[train_idx]),
        TensorDataset(images[validation_idx], labels[validation_idx]),
    )


def _use_synthetic(profile: Profile) -> bool:
    source = os.environ.get(DATA_SOURCE_VARIABLE, "").strip().lower()
    if source not in ("", "fashionmnist", "synthetic"):
        raise ValueError(f"{DATA_SOURCE_VARIABLE}={source!r}: choose 'fashionmnist' or 'synthetic'.")
    return source == "synthetic" or (source == "" and profile.synthetic_data)


def _synthetic_size(profile: Profile) -> int:
    """The fewest images whose train/validation split covers the profile's sizes."""
    if profile.n_train is None or profile.n_validation is None:
        return 60_000
    return max(
        math.ceil(profile.n_train / (1 - VALIDATION_SHARE)),
        math.ceil(profile.n_validation / VALIDATION_SHARE),
    )


def _split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed random 80/20 split, the same on every machine."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(SPLIT_SEED))
    n_validation = round(n * VALIDATION_SHARE)
    return order[n_validation:], order[:n_validation]


def write_synthetic_fashion_mnist(root: str | os.PathLike, n_train: int, n_test: int,
                                  seed: int = SYNTHETIC_SEED) -> Path:
    """Write a FashionMNIST look-alike into ``root/FashionMNIST/raw`` and return that folder.

    Ten classes of 28x28 greyscale images: each class is a fixed pattern of soft
    blobs, seen shifted, at varying contrast, overlaid with part of another
    class and with noise; a few labels are wrong. Small networks learn it
    within seconds yet can overfit it, which is what the assignments study.
    Files already written with the same sizes are kept.
    """
    raw = Path(root) / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    prototypes = _class_prototypes(rng)
    for part, n in (("train", n_train), ("test", n_test)):
        images_file, labels_file = (raw / name for name in IDX_FILES[part])
        if _idx_length(images_file) == n and _idx_length(labels_file) == n:
            continue
        images, labels = _synthetic_samples(prototypes, n, np.random.default_rng([seed, n, part == "train"]))
        _write_idx(images_file, images)
        _write_idx(labels_file, labels)
    return raw


def _class_prototypes(rng: np.random.Generator, n_classes: int = 10, n_blobs: int = 3) -> np.ndarray:
    yy, xx = np.mgrid[0:28, 0:28]
    prototypes = np.zeros((n_classes, 28, 28))
    for prototype in prototypes:
        for _ in range(n_blobs):
            cy, cx = rng.uniform(6, 22, size=2)
            sy, sx = rng.uniform(1.5, 5, size=2)
            prototype += rng.uniform(0.5, 1) * np.exp(-((yy - cy) ** 2 / (2 * sy**2) + (xx - cx) ** 2 / (2 * sx**2)))
        prototype /= prototype.max()
    return prototypes


def _synthetic_samples(prototypes: np.ndarray, n: int, rng: np.random.Generator):
    n_classes = len(prototypes)
    labels = rng.integers(n_classes, size=n)
    others = rng.integers(n_classes, size=n)
    shifts = rng.integers(-3, 4, size=(n, 2))
    images = np.empty((n, 28, 28))
    for i in range(n):
        images[i] = np.roll(prototypes[labels[i]], tuple(shifts[i]), axis=(0, 1))
        images[i] += rng.uniform(0, 0.6) * np.roll(prototypes[others[i]], tuple(-shifts[i]), axis=(0, 1))
    images *= rng.uniform(0.5, 1.0, size=(n, 1, 1))
    images += rng.normal(0, 0.2, size=images.shape)
    noisy = rng.random(n) < 0.05  # a few wrong labels give the networks something to overfit
    labels[noisy] = rng.integers(n_classes, size=noisy.sum())
    return (np.clip(images, 0, 1) * 255).round().astype(np.uint8), labels.astype(np.uint8)


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Write an array of unsigned bytes in the IDX format torchvision reads."""
    header = struct.pack(">BBBB", 0, 0, IDX_UBYTE, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    tmp = path.with_suffix(".partial")
    tmp.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    tmp.replace(path)  # never leave a half-written file under torchvision's name


def _idx_length(path: Path) -> int | None:
    try:
        with path.open("rb") as f:
            header = f.read(8)
    except FileNotFoundError:
        return None
    return struct.unpack(">I", header[4:8])[0] if len(header) == 8 else None
