"""Does fit keep the seed's protocol: history keys, after_epoch, Stop, any nn.Module?"""

import copy
import pickle

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from reglab import HistoryPlotter, Stop, build_net, fit, seed_everything

SEED_KEYS = {"train loss", "validation loss", "train accuracy", "validation accuracy", "train mean abs grad",
             "train mean abs weight", "train steps", "validation steps", "epochs", "time"}


@pytest.fixture
def tiny_sets():
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(50, 784, generator=generator)
    y = torch.randint(0, 10, (50,), generator=generator)
    return TensorDataset(x[:40], y[:40]), TensorDataset(x[40:], y[40:])


def _fit(net, sets, **kwargs):
    train, validation = sets
    kwargs.setdefault("optimizer", torch.optim.SGD(net.parameters(), lr=0.1))
    return fit(net, train, validation, device="cpu", progress=False, **kwargs)


def test_history_has_the_seed_keys_per_epoch(tiny_sets):
    """Does the history hold every statistic the seed records, one value per epoch?"""
    history = _fit(build_net(), tiny_sets, epochs=3, batch_size=16)
    assert set(history) >= SEED_KEYS
    assert "train 0: Linear output mean" in history and "validation 4: Linear output std" in history
    assert all(len(history[key]) == 3 for key in SEED_KEYS)
    assert history["epochs"] == [0, 1, 2]
    assert history["train steps"] == [3, 6, 9]  # cumulative update steps: 40 samples in batches of 16


def test_after_epoch_gets_zero_based_epochs_and_fresh_stats(tiny_sets):
    """Is after_epoch called once per epoch with the net, a 0-based epoch and a new stats dict?"""
    calls = []
    net = build_net()
    _fit(net, tiny_sets, epochs=3, after_epoch=lambda n, epoch, stats: calls.append((n, epoch, stats)))
    assert [epoch for _, epoch, _ in calls] == [0, 1, 2]
    assert all(n is net for n, _, _ in calls)
    assert len({id(stats) for _, _, stats in calls}) == 3
    assert {"train loss", "validation loss", "validation accuracy"} <= set(calls[0][2])


def test_returning_stop_ends_training(tiny_sets):
    """Does training end right after the epoch whose after_epoch returns Stop?"""
    history = _fit(build_net(), tiny_sets, epochs=10,
                   after_epoch=lambda net, epoch, stats: Stop if epoch == 2 else None)
    assert history["epochs"] == [0, 1, 2]


@pytest.mark.parametrize("not_stop", ["stop", "Stop", True, 1])
def test_only_the_stop_marker_stops(tiny_sets, not_stop):
    """Is Stop compared by identity, so that strings and truthy values do not stop training?"""
    history = _fit(build_net(), tiny_sets, epochs=3, after_epoch=lambda *args: not_stop)
    assert history["epochs"] == [0, 1, 2]


def test_stop_stays_unique_through_copies():
    """Is a copied, deep-copied or unpickled Stop still the one Stop?"""
    assert copy.copy(Stop) is Stop and copy.deepcopy(Stop) is Stop
    assert pickle.loads(pickle.dumps(Stop)) is Stop
    assert type(Stop)() is Stop
    assert repr(Stop) == "Stop"


class SubclassNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(784, 32)
        self.output = nn.Linear(32, 10)

    def forward(self, x):
        return self.output(torch.relu(self.hidden(x)))


def test_fit_accepts_a_module_subclass(tiny_sets):
    """Does fit train a network that is not an nn.Sequential, tracking its first linear layer?"""
    net = SubclassNet()
    history = _fit(net, tiny_sets, epochs=2)
    expected = net.hidden.weight.abs().mean().item()
    assert history["train mean abs weight"][-1] == pytest.approx(expected, rel=0.05)
    assert "train 0: Linear output mean" in history


def test_hooks_are_removed_after_fit(tiny_sets):
    """Does a second fit of the same network record each statistic once (the seed's hooks piled up)?"""
    net = build_net()
    _fit(net, tiny_sets, epochs=1)
    assert all(not layer._forward_hooks for layer in net)
    second = _fit(net, tiny_sets, epochs=1)
    single = _fit(build_net(), tiny_sets, epochs=1)
    assert set(second) == set(single)


def test_losses_are_means_over_batches(tiny_sets):
    """Is the validation loss the mean of the per-batch cross-entropies, as in the seed?"""
    net = build_net()
    history = _fit(net, tiny_sets, epochs=1, batch_size=4, optimizer=torch.optim.SGD(net.parameters(), lr=0.0))
    _, validation = tiny_sets
    with torch.no_grad():
        losses = [nn.functional.cross_entropy(net(x), y).item() for x, y in DataLoader(validation, batch_size=4)]
    assert history["validation loss"][0] == pytest.approx(sum(losses) / len(losses), rel=1e-5)


def test_tensor_datasets_batch_like_a_shuffling_dataloader(tiny_sets):
    """Does the in-memory batching give the same training result as the seed's DataLoader for the same seed?"""
    train, validation = tiny_sets

    class NotTensorDataset(torch.utils.data.Dataset):  # forces fit onto the DataLoader path
        def __init__(self, inner):
            self.inner = inner

        def __len__(self):
            return len(self.inner)

        def __getitem__(self, i):
            return self.inner[i]

    results = []
    for wrap in (lambda d: d, NotTensorDataset):
        seed_everything(3)
        net = build_net()
        history = fit(net, wrap(train), wrap(validation), torch.optim.Adam(net.parameters(), lr=1e-3), epochs=2,
                      batch_size=8, device="cpu", progress=False)
        results.append((history["train loss"], net[0].weight.detach().clone()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-5)
    torch.testing.assert_close(results[0][1], results[1][1])


def test_history_plotter_plots_and_tabulates(tiny_sets):
    """Does HistoryPlotter draw one panel per plot and experiment, and tabulate the chosen epoch with its parameter?"""
    history = _fit(build_net(), tiny_sets, epochs=3)
    plotter = HistoryPlotter(plots=[{"x": "epochs", "y": ["train loss", "validation loss"]},
                                    {"x": "epochs", "y": ["train accuracy", "validation accuracy"]}],
                             table=["validation loss", "epochs"], param_names=["lr"], rows=1, cols=1)
    plotter.add("lr=0.1", history, row=0, col=0, epoch=1, param=0.1)
    table = plotter.table_frame()
    assert list(table.columns) == ["experiment", "lr", "validation loss", "epochs"]
    assert table.loc[0, "epochs"] == 1 and table.loc[0, "lr"] == 0.1
    loss_axes, accuracy_axes = plotter.axs[0]
    assert len(loss_axes.lines) == 4  # two curves and the two stars of the chosen epoch
    assert accuracy_axes.get_ylim() == (0, 1.01)
    assert all(float(tick).is_integer() for tick in loss_axes.get_xticks())  # whole epochs: no tick at 0.5
    plotter.done()
