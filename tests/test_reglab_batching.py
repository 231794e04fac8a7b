"""Does reglab's DataLoader give torch's DataLoader's batches, to the bit, and leave torch's generator where torch's
leaves it, whether it cuts the batches out at once or hands them to torch?"""

import pytest
import torch
from torch.utils.data import DataLoader as TorchDataLoader
from torch.utils.data import Subset, TensorDataset, default_collate
from torchvision import transforms

from reglab import DataLoader
from reglab.batching import _batched_source
from reglab.data import SyntheticCIFAR10, write_synthetic_cifar10, write_synthetic_mnist
from reglab.profiles import Profile


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    write_synthetic_cifar10(folder, n_train=70, n_test=20)
    write_synthetic_mnist(folder, n_train=70, n_test=20)
    return folder


def _cifar(folder, transform):
    return SyntheticCIFAR10(folder, train=True, transform=transform)


def _mnist(folder, transform):
    from torchvision.datasets import MNIST

    return MNIST(folder, train=True, transform=transform, download=False)


def _epochs(loader_class, dataset, epochs=2, **options):
    """Every batch of ``epochs`` epochs, with a draw from torch's generator between batches (a network's dropout)
    and the generator's state at the end."""
    torch.manual_seed(4)
    loader = loader_class(dataset, **options)
    batches = []
    for _ in range(epochs):
        for batch in loader:
            batches.append(batch)
            torch.rand(3)
    return batches, torch.get_rng_state()


def _same_as_torch(dataset, **options):
    ours, our_state = _epochs(DataLoader, dataset, **options)
    theirs, their_state = _epochs(TorchDataLoader, dataset, **options)
    assert len(ours) == len(theirs)
    for mine, torch_batch in zip(ours, theirs, strict=True):
        assert type(mine) is type(torch_batch) and len(mine) == len(torch_batch)
        for a, b in zip(mine, torch_batch, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape and a.is_contiguous()
            assert torch.equal(a, b)
    assert torch.equal(our_state, their_state)


MEAN, STD = [0.49, 0.48, 0.45], [0.25, 0.24, 0.26]
CIFAR_TRANSFORMS = {
    "to tensor": transforms.ToTensor(),
    "normalized": transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)]),
    "the assignment's augmentation": transforms.Compose([
        transforms.RandomHorizontalFlip(), transforms.RandomCrop(32, padding=4),
        transforms.ToTensor(), transforms.Normalize(torch.tensor(MEAN), torch.tensor(STD))]),
    "crop first, vertical flip, after ToTensor": transforms.Compose([
        transforms.RandomCrop(28), transforms.ToTensor(), transforms.RandomVerticalFlip(0.3),
        transforms.RandomHorizontalFlip(0.7)]),
    "uneven padding and a fill": transforms.Compose([
        transforms.RandomCrop((30, 34), padding=(1, 2, 3, 4), fill=9), transforms.ToTensor()]),
    "padding for the size": transforms.Compose([
        transforms.RandomCrop(36, padding=1, pad_if_needed=True), transforms.ToTensor()]),
    "nested compose, crop as big as the image": transforms.Compose([
        transforms.Compose([transforms.RandomCrop(32)]), transforms.ToTensor()]),
}


@pytest.mark.parametrize("name", CIFAR_TRANSFORMS)
def test_cifar_batches_are_torch_s(image_folder, name):
    """Are CIFAR10's batches, shuffled and augmented, the ones torch's DataLoader makes from the same seed, cut out
    at once (not handed to torch)?"""
    dataset = Subset(Subset(_cifar(image_folder, CIFAR_TRANSFORMS[name]), range(60)), range(0, 50, 2))
    assert _batched_source(DataLoader(dataset, batch_size=8)) is not None
    _same_as_torch(dataset, batch_size=8, shuffle=True)
    _same_as_torch(dataset, batch_size=8, shuffle=False, drop_last=True)


def test_mnist_batches_are_torch_s(image_folder):
    """And MNIST's, normalized, with a list of indices for the subset?"""
    dataset = Subset(_mnist(image_folder, transforms.Compose([transforms.ToTensor(),
                                                               transforms.Normalize((0.1307,), (0.3081,))])),
                     [5, 3, 64, 0, 7, 7, 12, 40, 41, 2])
    assert _batched_source(DataLoader(dataset, batch_size=4)) is not None
    _same_as_torch(dataset, batch_size=4, shuffle=True)


def test_tensor_dataset_batches_are_torch_s():
    """Are a TensorDataset's batches torch's?"""
    generator = torch.Generator().manual_seed(0)
    dataset = TensorDataset(torch.rand(37, 5, generator=generator), torch.randint(0, 10, (37,), generator=generator))
    _same_as_torch(dataset, batch_size=8, shuffle=True)
    _same_as_torch(Subset(dataset, torch.arange(30, 0, -3)), batch_size=4, shuffle=False)


@pytest.mark.parametrize("case", [
    "an unknown transform", "a target transform", "no ToTensor", "normalize before ToTensor", "reflect padding",
    "workers", "a collate function", "a dataset of pairs"])
def test_everything_else_is_torch_s_own_loading(image_folder, case):
    """Is what the batched path does not know loaded by torch itself, with torch's batches?"""
    jitter = transforms.Compose([transforms.ColorJitter(0.5), transforms.ToTensor()])
    datasets = {
        "an unknown transform": _cifar(image_folder, jitter),
        "a target transform": _cifar(image_folder, transforms.ToTensor()),
        "no ToTensor": _cifar(image_folder, transforms.RandomHorizontalFlip()),
        "normalize before ToTensor": _cifar(image_folder, transforms.Compose([transforms.Normalize(MEAN, STD),
                                                                             transforms.ToTensor()])),
        "reflect padding": _cifar(image_folder, transforms.Compose([
            transforms.RandomCrop(32, padding=4, padding_mode="reflect"), transforms.ToTensor()])),
        "a dataset of pairs": [(torch.full((2,), float(i)), i) for i in range(10)],
    }
    dataset = datasets.get(case, _cifar(image_folder, transforms.ToTensor()))
    if case == "a target transform":
        dataset.target_transform = lambda label: label + 1
    options = {"batch_size": 4, "shuffle": True}
    if case == "workers":
        options["num_workers"] = 1
    if case == "a collate function":
        options["collate_fn"] = lambda samples: default_collate(samples)  # the same, but not known to be
    assert _batched_source(DataLoader(dataset, **options)) is None
    if case in ("no ToTensor", "normalize before ToTensor"):  # torch's own error, not another
        with pytest.raises(TypeError):
            next(iter(DataLoader(dataset, **options)))
        return
    if case != "workers":  # worker processes draw their own seeds: the state check holds, batches too, but slowly
        _same_as_torch(dataset, **options)


def test_it_is_a_torch_data_loader(image_folder):
    """Is it a DataLoader (isinstance, len, dataset, batch_size), so that code written for torch's keeps working?"""
    dataset = _cifar(image_folder, transforms.ToTensor())
    loader = DataLoader(dataset, batch_size=16)
    assert isinstance(loader, TorchDataLoader)
    assert len(loader) == 5 and loader.dataset is dataset and loader.batch_size == 16


def test_synthetic_profile_datasets_are_batched(tmp_path):
    """Do the datasets the notebooks load (reglab.load_dataset) take the batched path?"""
    from reglab import load_dataset

    profile = Profile("test", synthetic_data=True, purpose="test", synthetic_images=60)
    for name in ("cifar10", "mnist", "fashion_mnist"):
        dataset = load_dataset(name, transform=transforms.ToTensor(), profile=profile, data_dir=tmp_path)
        assert _batched_source(DataLoader(dataset, batch_size=8)) is not None, name
