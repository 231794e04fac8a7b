"""The assignments' datasets (FashionMNIST, MNIST, CIFAR-10), and the kit's own offline stand-ins for them.

Real use loads the datasets through torchvision (downloaded into ``data/``).
Tests, CI and grading never download: they use synthetic images that this
module writes in each dataset's own file format (IDX for MNIST and
FashionMNIST, pickled batches for CIFAR-10), so that the very same
torchvision classes read them.
"""

import hashlib
import json
import math
import os
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision
from torch.utils.data import TensorDataset

from reglab.profiles import DATA_SOURCE_VARIABLE, Profile, active_profile

DATA_DIR_VARIABLE = "REGLAB_DATA_DIR"
VALIDATION_SHARE = 0.2  # the seeds' 48,000 / 12,000 split of the 60,000 training images
SPLIT_SEED = 12345


@dataclass(frozen=True)
class DatasetInfo:
    loader: type  # the torchvision class that reads the files
    shape: tuple[int, ...]  # of one image: (height, width) or (height, width, channels)
    full_train_size: int
    synthetic_seed: int  # each dataset's stand-in looks different from the others'


DATASETS = {
    "fashion_mnist": DatasetInfo(torchvision.datasets.FashionMNIST, (28, 28), 60_000, 2024),
    "mnist": DatasetInfo(torchvision.datasets.MNIST, (28, 28), 60_000, 1998),
    "cifar10": DatasetInfo(torchvision.datasets.CIFAR10, (32, 32, 3), 50_000, 2009),
}
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


# ---------------------------------------------------------------- loading


def load_dataset(name: str, train: bool = True, transform=None, profile: Profile | None = None,
                 data_dir: str | os.PathLike | None = None, n: int | None = None):
    """One split of a dataset as torchvision's own dataset class, yielding ``(transform(image), label)``.

    - name: ``"fashion_mnist"``, ``"mnist"`` or ``"cifar10"``
    - train: the training split (True) or the test split (False)
    - transform: applied to every PIL image, as in torchvision
    - profile: decides between the real data (downloaded) and the kit's synthetic files
    - n: the number of synthetic training images (by default the profile's, or as
      many as the real dataset has); the synthetic test split has ``max(100, n // 6)``.
      Real data comes whole.
    """
    info = _info(name)
    profile = profile or active_profile()
    data_dir = Path(data_dir or os.environ.get(DATA_DIR_VARIABLE, "data"))
    if not profile.uses_synthetic_data():
        try:
            return info.loader(root=data_dir, train=train, transform=transform, download=True)
        except (OSError, RuntimeError) as error:  # no network, a refused mirror, a damaged file
            raise DownloadError(_download_advice(info, data_dir, error)) from error
    n = n or profile.synthetic_images or info.full_train_size
    root = data_dir / f"synthetic-{name}-{n}"
    if name == "cifar10":
        write_synthetic_cifar10(root, n_train=n, n_test=_test_size(n))
        return SyntheticCIFAR10(root=root, train=train, transform=transform)
    _write_synthetic_idx(root, info, n_train=n, n_test=_test_size(n))
    return info.loader(root=root, train=train, transform=transform, download=False)


def load_fashion_mnist(profile: Profile | None = None, data_dir: str | os.PathLike | None = None, *,
                       n_train: int | None = None, n_held_out: int | None = None, held_out: str = "validation"):
    """Return FashionMNIST's ``(train, held_out)`` sets as TensorDatasets of flattened images in [0, 1].

    Each sample is ``(x, y)`` with ``x`` a float32 vector of 784 pixels and ``y``
    the class index.

    - n_train, n_held_out: how many images each set keeps (None: all of them)
    - held_out: ``"validation"``, a fixed fifth of the training split (the
      other four fifths, 48,000 images, are for training), or ``"test"``, the
      dataset's own test split (then all 60,000 training images are for training)
    - profile: decides between the real data (downloaded) and the kit's synthetic files
    """
    return _flat_split("fashion_mnist", profile, data_dir, n_train, n_held_out, held_out)


def load_mnist(profile: Profile | None = None, data_dir: str | os.PathLike | None = None, *,
               n_train: int | None = None, n_held_out: int | None = None, held_out: str = "validation"):
    """Return MNIST's ``(train, held_out)`` sets, shaped and chosen like ``load_fashion_mnist``'s."""
    return _flat_split("mnist", profile, data_dir, n_train, n_held_out, held_out)


def real_data_present(name: str, data_dir: str | os.PathLike = "data") -> bool:
    """Whether the real dataset's files are already in ``data_dir`` (so that loading it downloads nothing)."""
    info = _info(name)
    if name == "cifar10":
        return (Path(data_dir) / CIFAR10_FOLDER / "data_batch_1").exists()
    raw = Path(data_dir) / info.loader.__name__ / "raw"
    return all((raw / file).exists() for files in IDX_FILES.values() for file in files)


def _flat_split(name: str, profile: Profile | None, data_dir, n_train: int | None, n_held_out: int | None,
                held_out: str) -> tuple[TensorDataset, TensorDataset]:
    if held_out not in ("validation", "test"):
        raise ValueError(f"held_out={held_out!r}: choose 'validation' or 'test'.")
    profile = profile or active_profile()
    n = _synthetic_size(n_train, n_held_out, held_out)
    train_images, train_labels = _flat(load_dataset(name, train=True, profile=profile, data_dir=data_dir, n=n))
    if held_out == "test":
        test_images, test_labels = _flat(load_dataset(name, train=False, profile=profile, data_dir=data_dir, n=n))
        return (TensorDataset(train_images[:n_train], train_labels[:n_train]),
                TensorDataset(test_images[:n_held_out], test_labels[:n_held_out]))
    train_idx, validation_idx = _split(len(train_labels))
    train_idx, validation_idx = train_idx[:n_train], validation_idx[:n_held_out]
    return (
        TensorDataset(train_images[train_idx], train_labels[train_idx]),
        TensorDataset(train_images[validation_idx], train_labels[validation_idx]),
    )


def _flat(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """A torchvision MNIST-style dataset as (images flattened to floats in [0, 1], labels), as ToTensor() gives."""
    return dataset.data.reshape(len(dataset.data), -1).float() / 255, dataset.targets.long()


def _info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"no dataset {name!r}; choose one of: {', '.join(DATASETS)}.") from None


class DownloadError(RuntimeError):
    """A real dataset could not be downloaded or read; the message says how to use the kit's own data instead."""


def _download_advice(info: DatasetInfo, data_dir: Path, error: Exception) -> str:
    return (f"Could not download or read {info.loader.__name__} in '{data_dir}' ({type(error).__name__}: {error}). "
            f"Without a network, use the kit's own synthetic images instead: start Jupyter with "
            f"{DATA_SOURCE_VARIABLE}=synthetic (for example `{DATA_SOURCE_VARIABLE}=synthetic jupyter lab`), or run "
            f"`import os; os.environ['{DATA_SOURCE_VARIABLE}'] = 'synthetic'` in a cell and run this cell again. "
            f"They are ten classes of blob patterns, not the real images: the experiments show the same effects, "
            f"with other numbers. Or copy the dataset's files into '{data_dir}'.")


def _synthetic_size(n_train: int | None, n_held_out: int | None, held_out: str) -> int | None:
    """The fewest synthetic training images whose sets cover the sizes asked for (None: all of them are asked for)."""
    if n_train is None or n_held_out is None:
        return None
    if held_out == "test":  # the synthetic test split has _test_size(n) images
        return max(n_train, 6 * n_held_out)
    return max(math.ceil(n_train / (1 - VALIDATION_SHARE)), math.ceil(n_held_out / VALIDATION_SHARE))


def _test_size(n_train: int) -> int:
    return max(100, n_train // 6)


def _split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed random 80/20 split, the same on every machine."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(SPLIT_SEED))
    n_validation = round(n * VALIDATION_SHARE)
    return order[n_validation:], order[:n_validation]


# ---------------------------------------------------------------- synthetic images


def _synthetic_images(shape: tuple[int, ...], n: int, seed: int, tag) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images of ten classes, as uint8 arrays of ``shape``, and their labels.

    Each class is a fixed pattern of soft blobs (coloured, for three channels),
    seen shifted, at varying contrast, overlaid with part of another class and
    with noise; a few labels are wrong. Small networks learn it within seconds
    yet can overfit it, which is what the assignments study.
    """
    prototypes = _class_prototypes(np.random.default_rng(seed), shape)
    rng = np.random.default_rng([seed, n, *tag])
    n_classes = len(prototypes)
    labels = rng.integers(n_classes, size=n)
    others = rng.integers(n_classes, size=n)
    shifts = rng.integers(-3, 4, size=(n, 2))
    images = np.empty((n, *shape))
    for i in range(n):
        images[i] = np.roll(prototypes[labels[i]], tuple(shifts[i]), axis=(0, 1))
        images[i] += rng.uniform(0, 0.6) * np.roll(prototypes[others[i]], tuple(-shifts[i]), axis=(0, 1))
    images *= rng.uniform(0.5, 1.0, size=(n,) + (1,) * len(shape))
    images += rng.normal(0, 0.2, size=images.shape)
    noisy = rng.random(n) < 0.05  # a few wrong labels give the networks something to overfit
    labels[noisy] = rng.integers(n_classes, size=noisy.sum())
    return (np.clip(images, 0, 1) * 255).round().astype(np.uint8), labels.astype(np.uint8)


def _class_prototypes(rng: np.random.Generator, shape: tuple[int, ...], n_classes: int = 10,
                      n_blobs: int = 3) -> np.ndarray:
    height, width = shape[:2]
    yy, xx = np.mgrid[0:height, 0:width]
    prototypes = np.zeros((n_classes, *shape))
    for prototype in prototypes:
        for _ in range(n_blobs):
            cy, cx = rng.uniform(6, 22, size=2) * (height / 28, width / 28)  # FashionMNIST's blobs kept as they were
            sy, sx = rng.uniform(1.5, 5, size=2)
            blob = rng.uniform(0.5, 1) * np.exp(-((yy - cy) ** 2 / (2 * sy**2) + (xx - cx) ** 2 / (2 * sx**2)))
            if len(shape) == 3:  # a colour of its own per blob
                blob = blob[..., None] * rng.uniform(0.2, 1, size=shape[2])
            prototype += blob
        prototype /= prototype.max()
    return prototypes


# ---------------------------------------------------------------- IDX files (MNIST, FashionMNIST)

# torchvision's file names for the four parts of MNIST and FashionMNIST (uncompressed)
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
IDX_UBYTE = 0x08  # IDX type code for unsigned bytes


def write_synthetic_fashion_mnist(root: str | os.PathLike, n_train: int, n_test: int) -> Path:
    """Write a FashionMNIST look-alike into ``root/FashionMNIST/raw`` and return that folder."""
    return _write_synthetic_idx(root, DATASETS["fashion_mnist"], n_train, n_test)


def write_synthetic_mnist(root: str | os.PathLike, n_train: int, n_test: int) -> Path:
    """Write an MNIST look-alike into ``root/MNIST/raw`` and return that folder."""
    return _write_synthetic_idx(root, DATASETS["mnist"], n_train, n_test)


def _write_synthetic_idx(root, info: DatasetInfo, n_train: int, n_test: int) -> Path:
    """Write the four IDX files where ``info.loader`` looks for them; files of the same sizes are kept."""
    raw = Path(root) / info.loader.__name__ / "raw"  # torchvision's own layout
    raw.mkdir(parents=True, exist_ok=True)
    for part, n in (("train", n_train), ("test", n_test)):
        images_file, labels_file = (raw / name for name in IDX_FILES[part])
        if _idx_length(images_file) == n and _idx_length(labels_file) == n:
            continue
        images, labels = _synthetic_images(info.shape, n, info.synthetic_seed, (part == "train",))
        _write_idx(images_file, images)
        _write_idx(labels_file, labels)
    return raw


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Write an array of unsigned bytes in the IDX format torchvision reads."""
    header = struct.pack(">BBBB", 0, 0, IDX_UBYTE, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    _write_atomically(path, header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def _idx_length(path: Path) -> int | None:
    try:
        with path.open("rb") as f:
            header = f.read(8)
    except FileNotFoundError:
        return None
    return struct.unpack(">I", header[4:8])[0] if len(header) == 8 else None


def _write_atomically(path: Path, content: bytes) -> None:
    tmp = path.with_suffix(".partial")
    tmp.write_bytes(content)
    tmp.replace(path)  # never leave a half-written file under the dataset's name


# ---------------------------------------------------------------- CIFAR-10 batches

CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_TRAIN_BATCHES = 5
CHECKSUMS_FILE = "synthetic-checksums.json"


def write_synthetic_cifar10(root: str | os.PathLike, n_train: int, n_test: int) -> Path:
    """Write a CIFAR-10 look-alike into ``root/cifar-10-batches-py`` and return that folder.

    The files are CIFAR-10's own: five pickled training batches, a test batch and
    ``batches.meta``, each a dict with ``data`` (N x 3072 bytes, the red, green and
    blue planes of every 32x32 image) and ``labels``. Their MD5 sums go to
    ``synthetic-checksums.json``, against which ``SyntheticCIFAR10`` checks them
    as torchvision checks the real files against its built-in sums.
    """
    folder = Path(root) / CIFAR10_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    checksums_path = folder / CHECKSUMS_FILE
    sizes = {"train": n_train, "test": n_test}
    if checksums_path.exists() and json.loads(checksums_path.read_text()).get("sizes") == sizes:
        return folder
    info = DATASETS["cifar10"]
    files = {}
    for part, n in sizes.items():
        images, labels = _synthetic_images(info.shape, n, info.synthetic_seed, (part == "train",))
        planes = images.transpose(0, 3, 1, 2).reshape(n, -1)  # CIFAR stores channel planes, row by row
        names = [f"data_batch_{i + 1}" for i in range(CIFAR10_TRAIN_BATCHES)] if part == "train" else ["test_batch"]
        for name, rows in zip(names, np.array_split(np.arange(n), len(names)), strict=True):
            batch = {"batch_label": f"synthetic {name}", "labels": labels[rows].tolist(), "data": planes[rows]}
            files[name] = pickle.dumps(batch)
    files["batches.meta"] = pickle.dumps({"label_names": CIFAR10_CLASSES, "num_vis": 3072})
    for name, content in files.items():
        _write_atomically(folder / name, content)
    checksums = {name: hashlib.md5(content).hexdigest() for name, content in files.items()}
    checksums_path.write_text(json.dumps({"sizes": sizes, "md5": checksums}, indent=1))
    return folder


class SyntheticCIFAR10(torchvision.datasets.CIFAR10):
    """torchvision's CIFAR10, checking the kit's synthetic files against their own checksums.

    torchvision refuses files whose MD5 differs from the real dataset's; this
    class only swaps in the sums written with the synthetic files, so that a
    corrupted or half-written file is still refused.
    """

    def __init__(self, root, train: bool = True, transform=None, target_transform=None):
        checksums = json.loads((Path(root) / CIFAR10_FOLDER / CHECKSUMS_FILE).read_text())["md5"]
        self.train_list = [[f"data_batch_{i + 1}", checksums[f"data_batch_{i + 1}"]]
                           for i in range(CIFAR10_TRAIN_BATCHES)]
        self.test_list = [["test_batch", checksums["test_batch"]]]
        self.meta = {**self.meta, "md5": checksums["batches.meta"]}
        super().__init__(root, train=train, transform=transform, target_transform=target_transform, download=False)
