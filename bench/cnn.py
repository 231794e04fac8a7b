"""How fast does the kit train the CNN notebook's networks, against the seeds' own loops?

    python -m bench.cnn [--size full|small|tiny] [--runs 5] [--out bench/results]

Three comparisons, each the seed's loop (``bench/seed_cnn.py``, re-typed) against the kit's: the CNN notebook's
``run_experiment``, ``train_epoch`` and ``evaluate`` as its solution writes them, over ``reglab.DataLoader``,
the loader its cells build. Both loops train the same network from the same seed, on the kit's synthetic files
read by torchvision's own dataset classes, with torch's default threads, as the notebooks run:

- ``cnn``: seed 002's ``base`` on CIFAR-10-sized images (by default 25,000 training images, half of a 50,000
  training split as in the seed, and 10,000 test images), Adam (lr 0.001), batches of 128, augmented and
  normalized as the notebook's ``build_transforms(augment=True, normalize=True)`` does (random flip, random crop
  with padding 4, ToTensor, Normalize) by both loops; the seed loads with two worker processes, as it did;
- ``cnn2`` and ``cnn3``: seed 004's ``CNN2`` and ``CNN3`` on MNIST-sized images (by default 10,000 / 2,000),
  SGD (lr 0.001, momentum 0.9, weight decay 0.04), batches of 64, ToTensor and Normalize; both loops test the
  untrained network first, as the seed's ``main`` does.

A run is one epoch (training, then the test set) from a fresh network; the seed's and the kit's runs alternate
(which goes first alternates too) and each comparison's ratio is the median of the runs' paired ratios. Each
records the seed's statistics, compared with the kit's: equal up to the seed's rounding to 4 places where the
batches are the same (``check``: CIFAR normalized without augmentation, 2 epochs, and every MNIST run), only
close in the timed CIFAR runs, whose augmentation the seed's workers draw from their own generators.

Beside each comparison, the FLOP bound: the epoch's work (``bench.flop_count``'s count: a training image three
times its forward pass, a test image once) at this machine's matrix-multiply throughput.

``ideas`` times what was tried for the kit's CNN loop: a training step of the notebook's ``BaseCNN`` in
channels_last memory format and in torch's default layout, on one thread and on torch's default threads (and
what channels_last does to the seed's network, whose ``x.view`` it breaks), and the data path per image, torch's
DataLoader against reglab's.
"""

import argparse
import contextlib
import io
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torch.utils.data import Subset
from torchvision import transforms

import reglab
from autograder import course
from bench import cpu_use, flop_count, op_profile, seed_cnn, training
from bench import results as results_file
from reglab.data import SyntheticCIFAR10, write_synthetic_cifar10, write_synthetic_mnist

SIZES = {  # images per set; check_*: the exact comparison's; ideas_batch: the batch of the ideas' steps
    "full": {"cifar_train": 25_000, "cifar_test": 10_000, "mnist_train": 10_000, "mnist_test": 2_000,
             "check_train": 2_048, "check_test": 1_024, "ideas_batch": 128},
    "small": {"cifar_train": 5_000, "cifar_test": 2_000, "mnist_train": 3_000, "mnist_test": 1_000,
              "check_train": 1_024, "check_test": 512, "ideas_batch": 128},
    "tiny": {"cifar_train": 128, "cifar_test": 64, "mnist_train": 64, "mnist_test": 32, "check_train": 128,
             "check_test": 64, "ideas_batch": 16},
}
CIFAR_MEAN, CIFAR_STD = [0.4914, 0.4822, 0.4465], [0.247, 0.243, 0.261]  # the seed's
MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
CIFAR_SEED, MNIST_SEED = 4, 1  # the seeds' own torch.manual_seed
DATA_DIR = course.ROOT / "data" / "bench"


def kit_loop() -> dict:
    """The CNN notebook's solution of ``BaseCNN``, ``CNN2``, ``CNN3``, ``build_transforms``, ``train_epoch``,
    ``evaluate`` and ``run_experiment``."""
    from autograder.answers import solution_answers

    answers = solution_answers("cnn_regularization")
    namespace = {"torch": torch, "F": F, "nn": nn, "np": np, "transforms": transforms}
    for grade_id in ("flatten_size_answer", "base_cnn_answer", "build_transforms_answer", "train_epoch_answer",
                     "evaluate_answer", "run_experiment_answer", "cnn2_answer", "cnn3_answer"):
        exec(answers[grade_id], namespace)
    return namespace


# ---------------------------------------------------------------- data


def cifar_sets(n_train: int, n_test: int, train_transform, test_transform, folder: Path = DATA_DIR):
    """Half of a synthetic CIFAR-10 training split of 2 x n_train images (as the seed halves it), and n_test test
    images, as torchvision's CIFAR10 reads them."""
    root = folder / f"cifar10-{2 * n_train}-{n_test}"
    write_synthetic_cifar10(root, n_train=2 * n_train, n_test=n_test)
    train = SyntheticCIFAR10(root, train=True, transform=train_transform)
    return Subset(train, range(len(train) // 2)), SyntheticCIFAR10(root, train=False, transform=test_transform)


def mnist_sets(n_train: int, n_test: int, folder: Path = DATA_DIR):
    root = folder / f"mnist-{n_train}-{n_test}"
    write_synthetic_mnist(root, n_train=n_train, n_test=n_test)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MNIST_MEAN, MNIST_STD)])
    return tuple(torchvision.datasets.MNIST(root, train=train, transform=transform, download=False)
                 for train in (True, False))


# ---------------------------------------------------------------- one run of each loop


def seed_cifar(sets, epochs: int = 1) -> tuple[list[float], dict]:
    torch.manual_seed(CIFAR_SEED)
    model = seed_cnn.base(3, 32, 3)
    stamps = []
    with contextlib.redirect_stdout(io.StringIO()):
        history = seed_cnn.learning(*sets, model, lr=0.001, epochs=epochs, stamps=stamps)
    return _durations(stamps), history


def kit_cifar(sets, kit: dict, epochs: int = 1) -> tuple[list[float], dict]:
    torch.manual_seed(CIFAR_SEED)
    net = seed_cnn.base(3, 32, 3)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
    train, test = sets  # the seed's loaders' arguments (it shuffled its test set too), without its workers
    loaders = reglab.DataLoader(train, batch_size=128, shuffle=True), reglab.DataLoader(test, batch_size=128,
                                                                                         shuffle=True)
    return _timed_experiment(kit, net, optimizer, loaders, epochs)


def seed_mnist(sets, net_class, epochs: int = 1) -> tuple[list[float], dict]:
    torch.manual_seed(MNIST_SEED)
    model = net_class()
    stamps = []
    with contextlib.redirect_stdout(io.StringIO()):
        history = seed_cnn.main(*sets, model, epochs=epochs, stamps=stamps)
    return _durations(stamps), history


def kit_mnist(sets, net_class, kit: dict, epochs: int = 1) -> tuple[list[float], dict]:
    torch.manual_seed(MNIST_SEED)
    net = net_class()
    optimizer = torch.optim.SGD(net.parameters(), lr=seed_cnn.learning_rate, momentum=seed_cnn.momentum,
                                weight_decay=seed_cnn.weight_decay)
    train, test = sets
    loaders = reglab.DataLoader(train, batch_size=64, shuffle=True), reglab.DataLoader(test, batch_size=64)
    kit["evaluate"](net, loaders[1])  # the untrained network, as the seed's main tests it first
    return _timed_experiment(kit, net, optimizer, loaders, epochs)


def _timed_experiment(kit, net, optimizer, loaders, epochs):
    """run_experiment, one epoch per call so that each epoch is timed alone; the history of all of them."""
    history, stamps = {}, [time.perf_counter()]
    with contextlib.redirect_stdout(io.StringIO()):
        for _ in range(epochs):
            for key, values in kit["run_experiment"](net, optimizer, *loaders, epochs=1).items():
                history.setdefault(key, []).extend(values)
            stamps.append(time.perf_counter())
    return _durations(stamps), history


def _durations(stamps: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(stamps)]


def largest_difference(seed_history: dict, kit_history: dict, rounding: int | None = None) -> float:
    """The largest absolute difference between the statistics both loops record (the kit's rounded as the seed
    rounds them, where it does)."""
    shared = [key for key in seed_history if key in kit_history]
    differences = [abs(float(s) - (round(float(k), rounding) if rounding is not None else float(k)))
                   for key in shared for s, k in zip(seed_history[key], kit_history[key], strict=True)]
    return max(differences, default=float("nan"))


# ---------------------------------------------------------------- comparisons


def compare(seed_run, kit_run, runs: int) -> dict:
    """Alternating runs of the seed's loop and the kit's (which goes first alternates): their epoch times, the
    median of the paired ratios, the load, and the histories of the first pair."""
    seed_times, kit_times, others, histories = [], [], [], {}
    for index in range(runs):
        order = (("seed", seed_run), ("kit", kit_run)) if index % 2 == 0 else (("kit", kit_run), ("seed", seed_run))
        for name, run in order:
            with cpu_use.Watch() as watch:
                (seconds,), history = run()
            (seed_times if name == "seed" else kit_times).append(seconds)
            print(f"  {name}: {seconds:.1f} s per epoch", flush=True)
            others.append(watch.others_busy_cores)
            histories.setdefault(name, history)
    ratios = [s / k for s, k in zip(seed_times, kit_times, strict=True)]
    busy = [value for value in others if value is not None]
    return {"seed_epoch_s": round(statistics.median(seed_times), 3),
            "kit_epoch_s": round(statistics.median(kit_times), 3), "kit_vs_seed": round(statistics.median(ratios), 2),
            "ratios": [round(r, 2) for r in ratios],
            "seed_epochs_s": [round(t, 3) for t in seed_times], "kit_epochs_s": [round(t, 3) for t in kit_times],
            "others_busy_cores": round(statistics.median(busy), 2) if busy else None,
            "load_1min": round(os.getloadavg()[0], 2), "histories": histories}


def forward_flop(net: nn.Module, image_shape: tuple[int, ...]) -> int:
    """The operations of one image's forward pass through the network's linear and convolution layers."""
    counted = []
    hooks = [module.register_forward_hook(lambda module, inputs, output: counted.append(
        flop_count.layer_flop(module, output))) for module in net.modules()]
    with torch.no_grad():
        net(torch.zeros(1, *image_shape))
    for hook in hooks:
        hook.remove()
    return sum(counted)


def with_bound(found: dict, net: nn.Module, image_shape, n_train: int, n_test: int, gflops: float) -> dict:
    """The epoch's work (training three times a forward pass, as bench.flop_count counts it) and the seconds it
    would take at the machine's matrix-multiply throughput, beside the two loops' seconds."""
    flop = (3 * n_train + n_test) * forward_flop(net, image_shape)
    bound = flop / (gflops * 1e9)
    return {**found, "epoch_flop": flop, "flop_bound_s": round(bound, 2),
            "seed_over_bound": round(found["seed_epoch_s"] / bound, 2),
            "kit_over_bound": round(found["kit_epoch_s"] / bound, 2)}


def cifar_comparison(size: dict, runs: int, kit: dict) -> dict:
    print("seed 002's CNN on CIFAR-10-sized images", flush=True)
    augmented, plain = kit["build_transforms"](True, True, CIFAR_MEAN, CIFAR_STD)
    sets = cifar_sets(size["cifar_train"], size["cifar_test"], augmented, plain)
    timed = compare(lambda: seed_cifar(sets), lambda: kit_cifar(sets, kit), runs)
    histories = timed.pop("histories")
    timed["timed_runs_largest_difference"] = round(largest_difference(histories["seed"], histories["kit"], 4), 4)
    timed["profile"] = {"seed": op_profile.top_operators(lambda: seed_cifar(sets)),
                        "kit": op_profile.top_operators(lambda: kit_cifar(sets, kit))}
    # The exact check: without augmentation the seed's workers draw nothing, so both loops see the same batches
    _, normalized = kit["build_transforms"](False, True, CIFAR_MEAN, CIFAR_STD)
    check_sets = cifar_sets(size["check_train"], size["check_test"], normalized, normalized)
    _, seed_history = seed_cifar(check_sets, epochs=2)
    _, kit_history = kit_cifar(check_sets, kit, epochs=2)
    timed["check"] = {"images": [size["check_train"], size["check_test"]], "epochs": 2,
                      "statistics": sorted(set(seed_history) & set(kit_history)),
                      "largest_difference": largest_difference(seed_history, kit_history, 4),
                      "seed": seed_history, "kit": {key: [round(v, 4) for v in values]
                                                    for key, values in kit_history.items() if key in seed_history}}
    return timed


def mnist_comparison(size: dict, runs: int, kit: dict, net_class) -> dict:
    print(f"seed 004's {net_class.__name__} on MNIST-sized images", flush=True)
    sets = mnist_sets(size["mnist_train"], size["mnist_test"])
    timed = compare(lambda: seed_mnist(sets, net_class), lambda: kit_mnist(sets, net_class, kit), runs)
    histories = timed.pop("histories")
    timed["check"] = {"statistics": sorted(set(histories["seed"]) & set(histories["kit"])),
                      "largest_difference": largest_difference(histories["seed"], histories["kit"]),
                      "seed": histories["seed"],
                      "kit": {key: values for key, values in histories["kit"].items() if key in histories["seed"]}}
    return timed


# ---------------------------------------------------------------- ideas


def step_ms(net_class, memory_format, threads: int | None, batch: int = 128, steps: int = 3) -> float | str:
    """The median time of a training step (Adam) of a CIFAR network in this memory format, or the error that
    stops it."""
    with reglab._loop.cpu_threads(threads):
        torch.manual_seed(0)
        net = net_class().to(memory_format=memory_format)
        optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
        x = torch.rand(batch, 3, 32, 32).contiguous(memory_format=memory_format)
        y = torch.randint(0, 10, (batch,))
        times = []
        for _ in range(steps + 1):
            start = time.perf_counter()
            optimizer.zero_grad()
            try:
                F.cross_entropy(net(x), y).backward()
            except RuntimeError as error:  # the seed's x.view(x.size(0), -1) on channels_last
                return f"{type(error).__name__}: {str(error).split('(')[0].strip()}"
            optimizer.step()
            times.append(time.perf_counter() - start)
    return round(statistics.median(times[1:]) * 1000, 1)


def data_path_us(loader_class, sets) -> float:
    """Microseconds per image to load one epoch of the augmented CIFAR training set."""
    start, images = time.perf_counter(), 0
    for x, _ in loader_class(sets[0], batch_size=128, shuffle=True):
        images += len(x)
    return round((time.perf_counter() - start) / images * 1e6, 1)


def ideas(size: dict, kit: dict) -> dict:
    augmented, plain = kit["build_transforms"](True, True, CIFAR_MEAN, CIFAR_STD)
    sets = cifar_sets(size["cifar_train"], size["cifar_test"], augmented, plain)
    default_threads = torch.get_num_threads()
    batch = size["ideas_batch"]
    found = {f"train_step_ms_{name}_{threads}_threads": step_ms(kit["BaseCNN"], memory_format, threads, batch)
             for threads in sorted({1, default_threads})
             for name, memory_format in (("nchw", torch.contiguous_format), ("channels_last", torch.channels_last))}
    found["train_step_batch"] = batch
    found["seed_net_channels_last"] = step_ms(lambda: seed_cnn.base(3, 32, 3), torch.channels_last, 1, batch, 0)
    found["data_path_us_per_image_torch"] = data_path_us(torch.utils.data.DataLoader, sets)
    found["data_path_us_per_image_reglab"] = data_path_us(reglab.DataLoader, sets)
    found["load_1min"] = round(os.getloadavg()[0], 2)
    return found


def measure(size_name: str = "full", runs: int = 5) -> dict:
    size, kit = SIZES[size_name], kit_loop()
    gflops = training.matmul_gflops()
    mnist = (size["mnist_train"], size["mnist_test"], gflops)
    return {"size": size_name, **size, "threads": torch.get_num_threads(), "runs": runs,
            "matmul_gflops": round(gflops, 1),
            "cnn": with_bound(cifar_comparison(size, runs, kit), seed_cnn.base(3, 32, 3), (3, 32, 32),
                              size["cifar_train"], size["cifar_test"], gflops),
            "cnn2": with_bound(mnist_comparison(size, runs, kit, seed_cnn.CNN2), seed_cnn.CNN2(), (1, 28, 28), *mnist),
            "cnn3": with_bound(mnist_comparison(size, runs, kit, seed_cnn.CNN3), seed_cnn.CNN3(), (1, 28, 28), *mnist),
            "ideas": ideas(size, kit)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cnn", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=results_file.DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    print(results_file.write(measure(args.size, args.runs), args.out, "cnn"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
