"""How fast does the kit's fit train, against the seed's, and what does the whole assignment cost?

    python -m bench.training [--train 48000] [--validation 12000] [--epochs 5] [--out bench/results]

Both loops train the seed's MLP with Adam (lr 1e-4) at batch size 32 on
FashionMNIST-sized tensors (the kit's synthetic images, 48,000 / 12,000), from
the same seed, recording every statistic the seed records. The figure per loop
is the median time of one epoch over ``--epochs`` epochs. The projection
multiplies the kit's epoch time by the epochs of the assignment's ``full``
profile, beside a compute bound: its floating-point work divided by this
machine's measured matrix-multiply throughput.
"""

import argparse
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

# The assignment's runs in the full profile: 5 weight decays, 6 dropout rates, 4 + 4 learning rates
FULL_RUNS = 5 + 6 + 4 + 4
FULL_EPOCHS = 150
LAYERS = [(784, 128), (128, 64), (64, 10)]


def datasets(n_train: int, n_validation: int, folder: Path):
    profile = Profile("bench", n_train, n_validation, 1, synthetic_data=True, purpose="benchmark")
    return load_fashion_mnist(profile, data_dir=folder)


def epoch_times(loop, train, validation, epochs: int, **options) -> tuple[list[float], dict]:
    """Train one network for ``epochs`` epochs with ``loop``; the seconds of each epoch and the history."""
    seed_everything(0)
    net = build_net()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
    stamps = [time.perf_counter()]

    def after_epoch(net, epoch, stats):
        stamps.append(time.perf_counter())

    kwargs = {"progress": False, **options} if loop is fit else {}
    history = loop(net, train, validation, optimizer, epochs=epochs, batch_size=32, after_epoch=after_epoch,
                   device="cpu", **kwargs)
    return [b - a for a, b in zip(stamps, stamps[1:], strict=False)], history


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
    scale = (48_000 + 12_000) / (args.train + args.validation)  # project to the full data set
    gflops = matmul_gflops()
    results = {
        "train": args.train, "validation": args.validation, "epochs_timed": args.epochs,
        "threads": torch.get_num_threads(),
        "seed_fit_epoch_s": round(seed_epoch, 3),
        "kit_fit_epoch_s": round(kit_epoch, 3),
        "kit_fit_all_threads_epoch_s": round(statistics.median(all_threads_times), 3),
        "speedup": round(seed_epoch / kit_epoch, 2),
        "same_statistics": same_statistics(seed_history, kit_history),
        "full_profile_epochs": FULL_RUNS * FULL_EPOCHS,
        "full_assignment_seed_min": round(seed_epoch * scale * FULL_RUNS * FULL_EPOCHS / 60, 1),
        "full_assignment_kit_min": round(kit_epoch * scale * FULL_RUNS * FULL_EPOCHS / 60, 1),
        "matmul_gflops": round(gflops, 1),
        "compute_bound_min": round(epoch_gflop(48_000, 12_000) * FULL_RUNS * FULL_EPOCHS / gflops / 60, 1),
    }
    print(results_file.write(results, args.out, "training"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
