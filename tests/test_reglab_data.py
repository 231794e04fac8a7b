"""Does the kit's offline FashionMNIST stand-in load through the real torchvision loader?"""

import struct

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
    profile = Profile("test", n_train=80, n_validation=20, epochs=1, synthetic_data=True, purpose="test")
    train, validation = data.load_fashion_mnist(profile, data_dir=tmp_path)
    assert (len(train), len(validation)) == (80, 20)
    x, y = train.tensors
    assert x.shape == (80, 784) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min() >= 0 and x.max() <= 1
    train_rows = {tuple(row.tolist()) for row in x}
    assert not any(tuple(row.tolist()) in train_rows for row in validation.tensors[0])


def test_data_source_can_be_forced_to_synthetic(monkeypatch, tmp_path):
    """Does REGLAB_DATA=synthetic keep a download-profile offline?"""
    monkeypatch.setenv("REGLAB_DATA", "synthetic")
    profile = Profile("q", n_train=40, n_validation=10, epochs=1, synthetic_data=False, purpose="test")
    train, _ = data.load_fashion_mnist(profile, data_dir=tmp_path)
    assert len(train) == 40
    assert not (tmp_path / "FashionMNIST").exists()  # nothing was downloaded


def test_unknown_data_source_is_a_clear_error(monkeypatch, tmp_path):
    """Is a misspelt REGLAB_DATA an error naming the valid values?"""
    monkeypatch.setenv("REGLAB_DATA", "cifar")
    with pytest.raises(ValueError, match="'fashionmnist' or 'synthetic'"):
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
