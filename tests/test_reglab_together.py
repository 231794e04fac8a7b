"""Does fit_together train a sweep's runs as fit trains them one by one (issue 4)?"""

import copy

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from reglab import Stop, build_net, fit
from reglab.together import fit_together, stacking_problem

EPOCHS, BATCH = 3, 16
SEEDS = [11, 12, 13, 14, 15, 16]


@pytest.fixture(scope="module")
def tiny_sets():
    """40 training and 20 validation images: both end with a smaller batch."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(60, 784, generator=generator)
    y = torch.randint(0, 10, (60,), generator=generator)
    return TensorDataset(x[:40], y[:40]), TensorDataset(x[40:], y[40:])


def net_with_dropout(p):
    """Dropout before and after a ReLU, as students place it either way."""
    return nn.Sequential(nn.Linear(784, 32), nn.Dropout(p), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(),
                         nn.Dropout(p), nn.Linear(16, 10))


# name: (values swept, net for a value, optimizer for a net and a value)
SWEEPS = {
    "adam-weight-decay": ([0, 1e-3, 1e-2, 0.1], lambda v: build_net(),
                          lambda net, v: torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=v)),
    "adamw-weight-decay": ([0, 1e-2, 0.5], lambda v: build_net(),
                           lambda net, v: torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=v)),
    "adam-amsgrad-foreach": ([0, 1e-2], lambda v: build_net(),  # not fused: torch's functional adam() steps
                             lambda net, v: torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=v, amsgrad=True,
                                                             foreach=True)),
    "dropout": ([0, 0.1, 0.5, 0.9, 1.0], net_with_dropout,
                lambda net, v: torch.optim.Adam(net.parameters(), lr=1e-3)),
    "sgd-momentum": ([0.0, 0.5, 0.9], lambda v: build_net(),
                     lambda net, v: torch.optim.SGD(net.parameters(), lr=0.05, momentum=v, weight_decay=1e-3,
                                                    nesterov=v > 0.6)),
    "adam-learning-rate": ([3e-3, 1e-3, 1e-4], lambda v: build_net(),
                           lambda net, v: torch.optim.Adam(net.parameters(), lr=v)),
}


def one_by_one(nets, make_optimizer, values, sets, after_epoch=None):
    """The reference: torch.manual_seed(s_k), then fit, run by run."""
    histories, optimizers = [], []
    for k, (net, value) in enumerate(zip(nets, values, strict=True)):
        torch.manual_seed(SEEDS[k])
        optimizers.append(make_optimizer(net, value))
        callback = after_epoch[k] if isinstance(after_epoch, list) else after_epoch
        histories.append(fit(net, *sets, optimizers[-1], epochs=EPOCHS, batch_size=BATCH, after_epoch=callback,
                             device="cpu", progress=False))
    return histories, optimizers


def together(nets, make_optimizer, values, sets, after_epoch=None, epochs=EPOCHS):
    optimizers = [make_optimizer(net, value) for net, value in zip(nets, values, strict=True)]
    generators = [torch.Generator().manual_seed(seed) for seed in SEEDS[:len(nets)]]
    histories = fit_together(nets, optimizers, *sets, epochs=epochs, batch_size=BATCH, after_epoch=after_epoch,
                             device="cpu", progress=False, generators=generators)
    return histories, optimizers


def twin_nets(make_net, values):
    torch.manual_seed(0)
    nets = [make_net(value) for value in values]
    return nets, copy.deepcopy(nets)


def assert_same_history(history, reference):
    """The same keys in the same order, and the same values up to float rounding (time aside)."""
    assert list(history) == list(reference)
    for key, values in reference.items():
        if key != "time":
            assert history[key] == pytest.approx(values, rel=1e-4, abs=1e-6), key


def assert_same_weights(net, reference, atol=1e-5):
    for p, q in zip(net.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=atol)


@pytest.mark.parametrize("sweep", SWEEPS)
def test_a_sweep_trained_together_matches_training_run_by_run(tiny_sets, sweep):
    """Do the stacked runs end with fit's histories and weights, for every optimizer and dropout rate?"""
    values, make_net, make_optimizer = SWEEPS[sweep]
    nets, reference_nets = twin_nets(make_net, values)
    optimizers = [make_optimizer(net, value) for net, value in zip(nets, values, strict=True)]
    assert stacking_problem(nets, optimizers, *tiny_sets) is None
    histories, _ = together(nets, make_optimizer, values, tiny_sets)
    references, _ = one_by_one(reference_nets, make_optimizer, values, tiny_sets)
    # Adam divides a gradient by its own size: where a weight's gradient is at rounding level, the two
    # roundings can step it by up to lr in different directions (seen: 1 weight in 100,000 at lr 3e-3).
    atol = 5e-5 if sweep == "adam-learning-rate" else 1e-5
    for history, reference, net, reference_net in zip(histories, references, nets, reference_nets, strict=True):
        assert_same_history(history, reference)
        assert_same_weights(net, reference_net, atol)


def test_optimizers_keep_the_state_torch_would_have(tiny_sets):
    """Does every optimizer end with the step count and moments that fit leaves in it, so it can go on?"""
    values, make_net, make_optimizer = SWEEPS["adam-weight-decay"]
    nets, reference_nets = twin_nets(make_net, values)
    _, optimizers = together(nets, make_optimizer, values, tiny_sets)
    _, reference_optimizers = one_by_one(reference_nets, make_optimizer, values, tiny_sets)
    for optimizer, reference in zip(optimizers, reference_optimizers, strict=True):
        for p, q in zip(optimizer.param_groups[0]["params"], reference.param_groups[0]["params"], strict=True):
            state, expected = optimizer.state[p], reference.state[q]
            assert set(state) == set(expected)
            assert float(state["step"]) == float(expected["step"]) == EPOCHS * 3  # 40 images in batches of 16
            torch.testing.assert_close(state["exp_avg"], expected["exp_avg"], rtol=1e-3, atol=1e-7)
            torch.testing.assert_close(state["exp_avg_sq"], expected["exp_avg_sq"], rtol=1e-3, atol=1e-10)


class StopAt:
    """An after_epoch that copies the net every epoch (like an early-stopping tracker) and stops at an epoch."""

    def __init__(self, epoch):
        self.epoch, self.copies = epoch, []

    def __call__(self, net, epoch, epoch_stats):
        self.copies.append(copy.deepcopy(net))
        return Stop if epoch == self.epoch else None


def test_a_run_that_returns_stop_ends_there_and_the_others_go_on(tiny_sets):
    """Does Stop end only its own run, with the history and weights fit has when it stops there?"""
    values, make_net, make_optimizer = SWEEPS["dropout"]
    values = values[:3]
    nets, reference_nets = twin_nets(make_net, values)
    stop_epochs = [0, None, 1]
    trackers, reference_trackers = [StopAt(e) for e in stop_epochs], [StopAt(e) for e in stop_epochs]
    histories, _ = together(nets, make_optimizer, values, tiny_sets, after_epoch=trackers)
    references, _ = one_by_one(reference_nets, make_optimizer, values, tiny_sets, after_epoch=reference_trackers)
    assert [history["epochs"] for history in histories] == [[0], [0, 1, 2], [0, 1]]
    for k in range(len(values)):
        assert_same_history(histories[k], references[k])
        assert_same_weights(nets[k], reference_nets[k])
        assert len(trackers[k].copies) == len(reference_trackers[k].copies)
        for copied, reference_copy in zip(trackers[k].copies, reference_trackers[k].copies, strict=True):
            assert_same_weights(copied, reference_copy)  # the callback saw the run's weights of that epoch


def test_one_after_epoch_function_is_called_for_every_run(tiny_sets):
    """Is a single after_epoch called once per run and epoch, with that run's own net and statistics?"""
    nets = [build_net() for _ in range(3)]
    optimizers = [torch.optim.Adam(net.parameters(), lr=10.0 ** -k) for k, net in enumerate(nets, start=2)]
    calls = []
    histories = fit_together(nets, optimizers, *tiny_sets, epochs=2, batch_size=BATCH, device="cpu", progress=False,
                             after_epoch=lambda net, epoch, stats: calls.append((net, epoch, stats)))
    assert [(nets.index(net), epoch) for net, epoch, _ in calls] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]
    for net, epoch, stats in calls:
        history = histories[nets.index(net)]
        assert stats["validation loss"] == history["validation loss"][epoch]
        assert stats["train steps"] == 3 and stats["validation steps"] == 2  # per epoch, as fit passes them


class SmallSubclassNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden, self.output = nn.Linear(784, 8), nn.Linear(8, 10)

    def forward(self, x):
        return self.output(torch.relu(self.hidden(x)))


# name: (nets, optimizers) that are not stacked
UNSTACKED = {
    "rmsprop": lambda: ([build_net() for _ in range(2)],
                        lambda nets: [torch.optim.RMSprop(net.parameters(), lr=1e-3) for net in nets]),
    "module-subclass": lambda: ([SmallSubclassNet() for _ in range(2)],
                                lambda nets: [torch.optim.Adam(net.parameters(), lr=1e-3) for net in nets]),
    "architectures-differ": lambda: ([build_net(), net_with_dropout(0.5)],
                                     lambda nets: [torch.optim.Adam(net.parameters(), lr=1e-3) for net in nets]),
    "parameter-groups": lambda: ([build_net() for _ in range(2)],
                                 lambda nets: [torch.optim.Adam([{"params": net[0].parameters()},
                                                                 {"params": net[2:].parameters(), "lr": 1e-2}],
                                                                lr=1e-3) for net in nets]),
}


@pytest.mark.parametrize("case", UNSTACKED)
def test_what_cannot_be_stacked_is_trained_run_by_run_exactly(tiny_sets, case):
    """Does an unsupported sweep fall back to fit, run by run, with exactly fit's results (with and without
    generators)?"""
    nets, make_optimizers = UNSTACKED[case]()
    assert stacking_problem(nets, make_optimizers(nets), *tiny_sets) is not None
    for with_generators in (True, False):
        copies, references = copy.deepcopy(nets), copy.deepcopy(nets)
        torch.manual_seed(3)
        generators = [torch.Generator().manual_seed(seed) for seed in SEEDS[:len(nets)]] if with_generators else None
        histories = fit_together(copies, make_optimizers(copies), *tiny_sets, epochs=2, batch_size=BATCH,
                                 device="cpu", progress=False, generators=generators)
        torch.manual_seed(3)
        for k, (net, optimizer) in enumerate(zip(references, make_optimizers(references), strict=True)):
            if with_generators:
                torch.manual_seed(SEEDS[k])
            expected = fit(net, *tiny_sets, optimizer, epochs=2, batch_size=BATCH, device="cpu", progress=False)
            assert {k: v for k, v in histories[k].items() if k != "time"} == \
                   {k: v for k, v in expected.items() if k != "time"}
            for p, q in zip(copies[k].parameters(), net.parameters(), strict=True):
                assert torch.equal(p, q)


def test_without_generators_a_global_seed_makes_the_sweep_repeatable(tiny_sets):
    """Are the runs' generators drawn from torch's global generator, so that seeding it repeats the sweep?"""
    results = []
    for _ in range(2):
        torch.manual_seed(5)
        nets = [net_with_dropout(0.5) for _ in range(2)]
        histories = fit_together(nets, [torch.optim.Adam(net.parameters(), lr=1e-3) for net in nets], *tiny_sets,
                                 epochs=2, batch_size=BATCH, device="cpu", progress=False)
        results.append([history["train loss"] for history in histories])
    assert results[0] == results[1]
    assert results[0][0] != results[0][1]  # each run draws its own masks and orders


def test_mismatched_arguments_fail_fast(tiny_sets):
    """Is a sweep with a missing optimizer, generator or after_epoch refused with a message that says so?"""
    nets = [build_net() for _ in range(2)]
    optimizers = [torch.optim.Adam(net.parameters()) for net in nets]
    with pytest.raises(ValueError, match="one optimizer per net"):
        fit_together(nets, optimizers[:1], *tiny_sets, epochs=1)
    with pytest.raises(ValueError, match="one generator per net"):
        fit_together(nets, optimizers, *tiny_sets, epochs=1, generators=[torch.Generator()])
    with pytest.raises(ValueError, match="after_epoch"):
        fit_together(nets, optimizers, *tiny_sets, epochs=1, after_epoch=[None])
