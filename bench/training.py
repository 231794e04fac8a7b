"""How fast does the kit train, against the seed's fit, and what does the whole assignment cost?

    python -m bench.training [--train 48000] [--validation 12000] [--epochs 5] [--out bench/results]

All loops train the seed's MLP with Adam (lr 1e-4) at batch size 32 on
FashionMNIST-sized tensors (the kit's synthetic images, 48,000 / 12,000), from
the same seed, recording every statistic the seed records: the seed's fit, the
kit's fit (one run at a time), and the kit's fit_together training the
assignment's sweeps as one stack (5 weight decays, 6 dropout rates, 4 learning
rates). Every figure is the median time of one epoch of one run over
``--epochs`` epochs, all measured in the same process, one after the other, so
compare them with each other rather than with other runs of the script.

The projections multiply those times by the assignment's 19 runs of 150 epochs
(the early-stopping runs counted in full) on all of FashionMNIST's 48,000 /
12,000 images: the biggest setting a student might try, 48 times the data of
the ``full`` profile (the original experiment's 1,000 / 500). Beside them, a
compute bound: the floating-point work divided by this machine's measured
matrix-multiply throughput.
"""

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench import results as results_file
from bench import seed_fit
from reglab import build_net, fit, seed_everything
from reglab.data import load_fashion_mnist
from reglab.profiles import Profile
from reglab.together import fit_together

# The assignment's runs: 5 weight decays, 6 dropout rates, 4 + 4 learning rates, of 150 epochs each
ALL_RUNS = 5 + 6 + 4 + 4
EPOCHS = 150
LAYERS = [(784, 128), (128, 64), (64, 10)]

# The assignment's sweeps, as its notebook trains them with fit_together: name -> (values, runs in the
# whole assignment trained at that stack size, net for a value, optimizer for a net and a value)
WEIGHT_DECAYS = [0, 0.0001, 0.001, 0.01, 0.1]
DROPOUTS = [0, 0.1, 0.3, 0.5, 0.7, 0.9]
LEARNING_RATES = [0.1, 0.01, 0.001, 0.0001]


def net_with_dropout(p: float) -> torch.nn.Sequential:
    """The assignment's solution of build_net_with_dropout."""
    return torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.Dropout(p), torch.nn.ReLU(),
                               torch.nn.Linear(128, 64), torch.nn.Dropout(p), torch.nn.ReLU(),
                               torch.nn.Linear(64, 10))


SWEEPS = {
    "weight_decay": (WEIGHT_DECAYS, 5, lambda v: build_net(),
                     lambda net, v: torch.optim.Adam(net.parameters(), lr=1e-4, weight_decay=v)),
    "dropout": (DROPOUTS, 6, net_with_dropout, lambda net, v: torch.optim.Adam(net.parameters(), lr=1e-4)),
    "learning_rate": (LEARNING_RATES, 4 + 4, lambda v: build_net(),
                      lambda net, v: torch.optim.Adam(net.parameters(), lr=v)),
}


def datasets(n_train: int, n_validation: int, folder: Path):
    profile = Profile("bench", synthetic_data=True, purpose="benchmark")
    return load_fashion_mnist(profile, data_dir=folder, n_train=n_train, n_held_out=n_validation)


def epoch_times(loop, train, validation, epochs: int, net=None, **options) -> tuple[list[float], dict]:
    """Train one network (by default the seed's) for ``epochs`` epochs with ``loop``; each epoch's seconds, the
    history."""
    seed_everything(0)
    net = build_net() if net is None else net
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
    stamps = [time.perf_counter()]

    def after_epoch(net, epoch, stats):
        stamps.append(time.perf_counter())

    kwargs = {"progress": False, **options} if loop is fit else {}
    history = loop(net, train, validation, optimizer, epochs=epochs, batch_size=32, after_epoch=after_epoch,
                   device="cpu", **kwargs)
    return [b - a for a, b in itertools.pairwise(stamps)], history


def sweep_epoch_times(sweep: str, train, validation, epochs: int, threads: int | None = 1):
    """Train a sweep's runs as one stack with fit_together; the seconds of each epoch per run, and the histories.

    The first run starts from the same seed, weights and random draws as the
    kit's fit in ``epoch_times``, so its history can be compared with fit's.
    """
    values, _, make_net, make_optimizer = SWEEPS[sweep]
    seed_everything(0)
    nets = [make_net(values[0])]
    first_run = torch.Generator()
    first_run.set_state(torch.get_rng_state())  # what fit would draw from after building the first net
    nets += [make_net(value) for value in values[1:]]
    generators = [first_run] + [torch.Generator().manual_seed(k) for k in range(1, len(values))]
    optimizers = [make_optimizer(net, value) for net, value in zip(nets, values, strict=True)]
    stamps = [time.perf_counter()]

    def after_epoch(net, epoch, stats):
        if net is nets[0]:
            stamps.append(time.perf_counter())

    histories = fit_together(nets, optimizers, train, validation, epochs=epochs, batch_size=32,
                             after_epoch=after_epoch, device="cpu", progress=False, generators=generators,
                             threads=threads)
    return [(b - a) / len(nets) for a, b in itertools.pairwise(stamps)], histories


def same_statistics(seed_history: dict, kit_history: dict) -> dict:
    """Which of the seed's statistics the kit records, and the largest relative difference between them."""
    shared = [key for key in seed_history if "outputs" not in key and key != "time"]
    missing = [key for key in shared if key not in kit_history]
    worst = max((float(np.max(np.abs(np.subtract(seed_history[k], kit_history[k])) /
                             np.maximum(np.abs(seed_history[k]), 1e-12))) for k in shared if k in kit_history),
                default=0.0)
    return {"statistics": len(shared), "missing": missing, "max_relative_difference": worst}


def matmul_gflops(size: int = 1024, repeats: int = 10) -> float:
    """This machine's float32 matrix-multiply throughput, with torch's default threads."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm up
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


def epoch_gflop(n_train: int, n_validation: int) -> float:
    """Floating-point work of one epoch: a forward pass is 2·in·out per layer; training adds about twice that."""
    forward = sum(2 * fan_in * fan_out for fan_in, fan_out in LAYERS)
    return (3 * forward * n_train + forward * n_validation) / 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.training", description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=48_000)
    parser.add_argument("--validation", type=int, default=12_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=results_file.DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        train, validation = datasets(args.train, args.validation, Path(folder))
    seed_times, seed_history = epoch_times(seed_fit.fit, train, validation, args.epochs)
    kit_times, kit_history = epoch_times(fit, train, validation, args.epochs)
    all_threads_times, _ = epoch_times(fit, train, validation, args.epochs, threads=None)
    seed_epoch, kit_epoch = statistics.median(seed_times), statistics.median(kit_times)
    dropout_times, _ = epoch_times(fit, train, validation, args.epochs, net=net_with_dropout(0.5))
    together, together_histories = {}, {}
    for sweep in SWEEPS:
        times, together_histories[sweep] = sweep_epoch_times(sweep, train, validation, args.epochs)
        together[sweep] = statistics.median(times)
    all_threads_together, _ = sweep_epoch_times("weight_decay", train, validation, args.epochs, threads=None)
    scale = (48_000 + 12_000) / (args.train + args.validation)  # project to all of FashionMNIST
    together_minutes = sum(together[sweep] * SWEEPS[sweep][1] for sweep in SWEEPS) * scale * EPOCHS / 60
    gflops = matmul_gflops()
    results = {
        "train": args.train, "validation": args.validation, "epochs_timed": args.epochs,
        "threads": torch.get_num_threads(),
        "seed_fit_epoch_s": round(seed_epoch, 3),
        "kit_fit_epoch_s": round(kit_epoch, 3),
        "kit_fit_all_threads_epoch_s": round(statistics.median(all_threads_times), 3),
        "speedup": round(seed_epoch / kit_epoch, 2),
        "same_statistics": same_statistics(seed_history, kit_history),
        "kit_fit_dropout_epoch_s": round(statistics.median(dropout_times), 3),
        "together_weight_decay_k5_run_epoch_s": round(together["weight_decay"], 3),
        "together_dropout_k6_run_epoch_s": round(together["dropout"], 3),
        "together_learning_rate_k4_run_epoch_s": round(together["learning_rate"], 3),
        "together_weight_decay_k5_all_threads_run_epoch_s": round(statistics.median(all_threads_together), 3),
        "together_speedup_over_kit_fit": round(kit_epoch / together["weight_decay"], 2),
        "together_speedup_over_seed_fit": round(seed_epoch / together["weight_decay"], 2),
        # run 0 of the weight-decay stack (weight decay 0) against the kit's fit from the same seed and draws
        "together_same_statistics": same_statistics(kit_history, together_histories["weight_decay"][0]),
        "all_data_epochs": ALL_RUNS * EPOCHS,
        "all_data_assignment_seed_min": round(seed_epoch * scale * ALL_RUNS * EPOCHS / 60, 1),
        "all_data_assignment_kit_min": round(kit_epoch * scale * ALL_RUNS * EPOCHS / 60, 1),
        # every sweep stacked: 5 weight decays, 6 dropout rates, 2 x 4 learning rates; no run trains alone
        "all_data_assignment_together_min": round(together_minutes, 1),
        "matmul_gflops": round(gflops, 1),
        "compute_bound_min": round(epoch_gflop(48_000, 12_000) * ALL_RUNS * EPOCHS / gflops / 60, 1),
    }
    print(results_file.write(results, args.out, "training"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
