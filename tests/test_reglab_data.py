"""Do the kit's offline stand-ins for FashionMNIST, MNIST and CIFAR-10 load through the real torchvision loaders?"""

import dataclasses
import struct
import urllib.error

import pytest
import torch
import torchvision

from reglab import data
from reglab.profiles import PROFILES, Profile


def test_synthetic_files_are_read_by_torchvision(tmp_path):
    """Does torchvision's own FashionMNIST class read the files the kit writes, with the right shapes and types?"""
    data.write_synthetic_fashion_mnist(tmp_path, n_train=120, n_test=30)
    train = torchvision.datasets.FashionMNIST(tmp_path, train=True, download=False)
    test = torchvision.datasets.FashionMNIST(tmp_path, train=False, download=False)
    assert train.data.shape == (120, 28, 28) and train.data.dtype == torch.uint8
    assert len(test) == 30
    assert set(train.targets.tolist()) <= set(range(10))
    image, label = train[0]  # a PIL image and an int, as for the real dataset
    assert image.size == (28, 28) and isinstance(label, int)


def test_synthetic_files_use_the_idx_header(tmp_path):
    """Do the image files start with the IDX magic number 2051 and their dimensions?"""
    raw = data.write_synthetic_fashion_mnist(tmp_path, n_train=7, n_test=3)
    header = (raw / "train-images-idx3-ubyte").read_bytes()[:16]
    assert struct.unpack(">IIII", header) == (2051, 7, 28, 28)


def test_synthetic_data_is_deterministic_and_kept(tmp_path):
    """Are the same files written twice (same seed), and left alone when they already fit?"""
    raw = data.write_synthetic_fashion_mnist(tmp_path / "a", n_train=50, n_test=10)
    other = data.write_synthetic_fashion_mnist(tmp_path / "b", n_train=50, n_test=10)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        assert (raw / name).read_bytes() == (other / name).read_bytes()
    before = (raw / "train-images-idx3-ubyte").stat().st_mtime_ns
    data.write_synthetic_fashion_mnist(tmp_path / "a", n_train=50, n_test=10)
    assert (raw / "train-images-idx3-ubyte").stat().st_mtime_ns == before


def test_every_class_appears_in_tiny_data(tmp_path):
    """Does the tiny profile's training set hold all ten classes?"""
    train, _ = data.load_fashion_mnist(PROFILES["tiny"], data_dir=tmp_path)
    assert set(train.tensors[1].tolist()) == set(range(10))


def test_load_returns_flat_images_in_the_profile_sizes(tmp_path):
    """Are samples 784 floats in [0, 1] with integer labels, split in the profile's sizes without overlap?"""
    profile = Profile("test", synthetic_data=True, purpose="test")
    train, validation = data.load_fashion_mnist(profile, data_dir=tmp_path, n_train=80, n_held_out=20)
    assert (len(train), len(validation)) == (80, 20)
    x, y = train.tensors
    assert x.shape == (80, 784) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min() >= 0 and x.max() <= 1
    train_rows = {tuple(row.tolist()) for row in x}
    assert not any(tuple(row.tolist()) in train_rows for row in validation.tensors[0])


def test_data_source_can_be_forced_to_synthetic(monkeypatch, tmp_path):
    """Does REGLAB_DATA=synthetic keep a download-profile offline?"""
    monkeypatch.setenv("REGLAB_DATA", "synthetic")
    profile = Profile("q", synthetic_data=False, purpose="test")
    train, _ = data.load_fashion_mnist(profile, data_dir=tmp_path, n_train=40, n_held_out=10)
    assert len(train) == 40
    assert not (tmp_path / "FashionMNIST").exists()  # nothing was downloaded


def test_failed_download_says_how_to_use_the_kits_own_data(monkeypatch, tmp_path):
    """Offline, does the default profile's download error say how to switch to the kit's synthetic data?"""
    class FashionMNIST:  # torchvision's class, offline
        def __init__(self, **kwargs):
            raise urllib.error.URLError("no network")

    monkeypatch.delenv("REGLAB_DATA", raising=False)
    monkeypatch.setitem(data.DATASETS, "fashion_mnist", dataclasses.replace(data.DATASETS["fashion_mnist"],
                                                                             loader=FashionMNIST))
    with pytest.raises(data.DownloadError, match="REGLAB_DATA=synthetic") as raised:
        data.load_fashion_mnist(PROFILES["quick"], data_dir=tmp_path)
    assert "no network" in str(raised.value) and isinstance(raised.value.__cause__, urllib.error.URLError)


def test_unknown_data_source_is_a_clear_error(monkeypatch, tmp_path):
    """Is a misspelt REGLAB_DATA an error naming the valid values?"""
    monkeypatch.setenv("REGLAB_DATA", "cifar")
    with pytest.raises(ValueError, match="'real' or 'synthetic'"):
        data.load_fashion_mnist(PROFILES["tiny"], data_dir=tmp_path)


def test_synthetic_data_can_be_learned_and_overfitted(tmp_path):
    """Does a small MLP learn the synthetic classes well above chance, and fit its training set better?"""
    from reglab import build_net, fit, seed_everything

    seed_everything(0)
    train, validation = data.load_fashion_mnist(PROFILES["tiny"], data_dir=tmp_path)
    net = build_net()
    history = fit(net, train, validation, torch.optim.Adam(net.parameters(), lr=1e-3), epochs=25,
                  batch_size=32, device="cpu", progress=False)
    assert history["validation accuracy"][-1] > 0.5  # chance is 0.1
    assert history["train accuracy"][-1] > history["validation accuracy"][-1]


TINY = Profile("test", synthetic_data=True, purpose="test", synthetic_images=100)


@pytest.mark.parametrize(("name", "loader", "mode", "size"), [
    ("mnist", torchvision.datasets.MNIST, "L", (28, 28)),
    ("fashion_mnist", torchvision.datasets.FashionMNIST, "L", (28, 28)),
    ("cifar10", torchvision.datasets.CIFAR10, "RGB", (32, 32)),
])
def test_load_dataset_is_torchvisions_class_on_synthetic_files(tmp_path, name, loader, mode, size):
    """Is each dataset torchvision's own class, with PIL images through the transform, in both splits?"""
    train = data.load_dataset(name, train=True, transform=torchvision.transforms.ToTensor(), profile=TINY,
                              data_dir=tmp_path)
    test = data.load_dataset(name, train=False, profile=TINY, data_dir=tmp_path)
    assert isinstance(train, loader) and isinstance(test, loader)
    assert (len(train), len(test)) == (100, 100)  # the profile's synthetic images, and the smallest test split
    image, label = test[0]
    assert image.mode == mode and image.size == size and label in range(10)
    x, _ = train[0]
    channels = 3 if mode == "RGB" else 1
    assert x.shape == (channels, *size) and x.min() >= 0 and x.max() <= 1
    assert set(test.targets if isinstance(test.targets, list) else test.targets.tolist()) == set(range(10))


def test_load_dataset_takes_an_explicit_size(tmp_path):
    """Does ``n`` set the number of synthetic training images, and the test split follow it?"""
    assert len(data.load_dataset("cifar10", n=1200, profile=TINY, data_dir=tmp_path)) == 1200
    assert len(data.load_dataset("cifar10", train=False, n=1200, profile=TINY, data_dir=tmp_path)) == 200


def test_datasets_differ(tmp_path):
    """Do MNIST's and FashionMNIST's stand-ins hold different images (so an assignment cannot mix them up unseen)?"""
    mnist = data.load_dataset("mnist", profile=TINY, data_dir=tmp_path)
    fashion = data.load_dataset("fashion_mnist", profile=TINY, data_dir=tmp_path)
    assert not torch.equal(mnist.data, fashion.data)


def test_synthetic_cifar10_uses_cifars_batch_format(tmp_path):
    """Are there five training batches and a test batch of 3072-byte rows, as in the real CIFAR-10?"""
    import pickle

    folder = data.write_synthetic_cifar10(tmp_path, n_train=50, n_test=10)
    batches = [pickle.loads((folder / f"data_batch_{i}").read_bytes()) for i in range(1, 6)]
    assert sum(len(batch["labels"]) for batch in batches) == 50
    assert all(batch["data"].shape[1] == 3072 for batch in batches)
    assert pickle.loads((folder / "batches.meta").read_bytes())["label_names"][0] == "airplane"


def test_corrupted_synthetic_cifar10_is_refused(tmp_path):
    """Does the checksum check torchvision runs still catch a damaged file?"""
    folder = data.write_synthetic_cifar10(tmp_path, n_train=50, n_test=10)
    with (folder / "data_batch_3").open("ab") as f:
        f.write(b"garbage")
    with pytest.raises(RuntimeError, match="corrupted"):
        data.SyntheticCIFAR10(tmp_path, train=True)


def test_unknown_dataset_is_a_clear_error(tmp_path):
    """Is a misspelt dataset name an error naming the valid ones?"""
    with pytest.raises(ValueError, match="cifar10"):
        data.load_dataset("cifar", profile=TINY, data_dir=tmp_path)


def test_load_mnist_returns_flat_images(tmp_path):
    """Does MNIST come as flattened 784-pixel vectors in the sizes asked for, like FashionMNIST?"""
    train, validation = data.load_mnist(TINY, data_dir=tmp_path, n_train=80, n_held_out=20)
    assert train.tensors[0].shape == (80, 784) and len(validation) == 20


def test_the_held_out_set_can_be_the_test_split(tmp_path):
    """With held_out='test', do the images come from the training split (all of it) and the separate test split,
    as the original exercises used them?"""
    train, test = data.load_mnist(TINY, data_dir=tmp_path, n_train=500, n_held_out=100, held_out="test")
    assert (len(train), len(test)) == (500, 100)
    assert len(data.load_dataset("mnist", profile=TINY, data_dir=tmp_path, n=600)) == 600  # no bigger set written
    everything, _ = data.load_mnist(TINY, data_dir=tmp_path / "all", held_out="test")
    assert len(everything) == 100  # None: the whole training split, here the profile's 100 synthetic images
    with pytest.raises(ValueError, match="'validation' or 'test'"):
        data.load_mnist(TINY, data_dir=tmp_path, held_out="train")


def test_real_data_is_found_where_torchvision_keeps_it(tmp_path):
    """Does the effects benchmark find real data only where all of torchvision's files are?"""
    assert not data.real_data_present("mnist", tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for files in data.IDX_FILES.values():
        for name in files:
            (raw / name).touch()
    assert data.real_data_present("mnist", tmp_path) and not data.real_data_present("cifar10", tmp_path)
