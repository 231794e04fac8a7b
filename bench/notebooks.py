"""Every notebook's minutes per profile, its peak memory, and the bound its floating-point work sets.

    python -m bench.notebooks [--size full|tiny] [--data-dir data] [--out bench/results]

Each solution notebook is executed from top to bottom in a Jupyter kernel (nbclient, offline, on the kit's
synthetic data, with torch's default threads), as ``bench.effects`` executes it, with two cells around it: one
before that counts the work of every linear and convolution layer as it runs (``bench/flop_count.py``), and
two after that test its effects (``bench.effects``) and report the count and the kernel's peak memory. The
minutes are the notebook's own cells (kernel start excluded).

``cnn_regularization`` in ``full`` (the original experiments: 13 CIFAR-10 runs of 40 epochs over 25,000 images,
then 8 MNIST-sized runs of one epoch over 60,000) would take hours on a CPU, so it is projected instead: a few
batches of each of its networks, trained and tested with the notebook's own loop and loaders, give the seconds
per image, times the images of every run, plus the minutes of the notebook's ``tiny`` run for everything but
the training.

Beside each figure, the FLOP bound: the counted work at this machine's float32 matrix-multiply throughput
(``bench.training.matmul_gflops``), the minutes the notebook would take if every operation ran as fast as one
large matrix product.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import torch

import reglab
from autograder import course
from bench import cnn, cpu_use, effects, flop_count, seed_cnn, training
from bench import results as results_file

PROFILES = ("tiny", "quick", "full")
PROJECTED = {("cnn_regularization", "full")}
TINY_RUNS = {("regularization", "tiny")}  # --size tiny: one small notebook, the others are listed as not run

# cnn_regularization's full profile (its settings cell): per kind of run, how many, their epochs, the images
# (training, test), the batch size, and which of its networks; the CIFAR training images are half of 50,000.
CNN_FULL_RUNS = {  # 4 configurations, 3 regularizers, 6 optimizers; 5 SGD settings, CNN2 twice, CNN3
    "cifar": {"runs": 4 + 3 + 6, "epochs": 40, "images": (25_000, 10_000), "batch": 128, "net": "BaseCNN"},
    "mnist_default": {"runs": 5, "epochs": 1, "images": (60_000, 10_000), "batch": 64, "net": "MnistCNN"},
    "mnist_cnn2": {"runs": 2, "epochs": 1, "images": (60_000, 10_000), "batch": 64, "net": "CNN2"},
    "mnist_cnn3": {"runs": 1, "epochs": 1, "images": (60_000, 10_000), "batch": 64, "net": "CNN3"},
}


def execute(assignment: str, profile: str, data_dir: Path, gflops: float, timeout: int) -> dict:
    """Run the solution notebook under ``profile``; its minutes, peak memory, work, FLOP bound and effects."""
    start_counting = "from bench import flop_count\nflop_count.start()"
    measure_effects = f"from bench.effects import report_effects\nreport_effects({assignment!r}, globals())"
    with cpu_use.Watch() as watch:
        notebook, errors = effects.execute_solution(assignment, profile, "synthetic", data_dir, timeout,
                                                    before=[start_counting],
                                                    after=[measure_effects, "flop_count.report()"])
    run = effects.summarize(assignment, profile, "synthetic", notebook.cells[1:-2], errors, notebook.cells[-2])
    cost = flop_count.reported(notebook.cells[-1])
    return {"how": "executed", "minutes": run.minutes, "peak_rss_mib": cost.get("peak_rss_mib"),
            "flop": cost.get("flop"), "flop_bound_min": _bound(cost.get("flop"), gflops),
            "effects_seen": f"{run.seen} of {len(run.effects)}", "errors": run.errors,
            "slowest_cells_s": run.slowest_cells, "others_busy_cores": _rounded(watch.others_busy_cores),
            "load_1min": round(os.getloadavg()[0], 2)}


def project_cnn_full(tiny_minutes: float | None, gflops: float, batches: int = 3) -> dict:
    """cnn_regularization's full profile from a few measured batches of each of its networks (see the module)."""
    kit = cnn.kit_loop()
    augmented, plain = kit["build_transforms"](True, True, cnn.CIFAR_MEAN, cnn.CIFAR_STD)
    nets = {"BaseCNN": kit["BaseCNN"], "MnistCNN": seed_cnn.CNN, "CNN2": kit["CNN2"], "CNN3": kit["CNN3"]}
    per_image, seconds, flop = {}, 0.0, 0
    with cpu_use.Watch() as watch:
        for kind, plan in CNN_FULL_RUNS.items():
            images = batches * plan["batch"]
            sets = (cnn.cifar_sets(images, images, augmented, plain) if kind == "cifar"
                    else cnn.mnist_sets(images, images))
            train_s, test_s, train_flop, test_flop = _per_image(kit, nets[plan["net"]], sets, plan["batch"],
                                                                adam=kind == "cifar")
            per_image[kind] = {"train_ms": round(train_s * 1000, 3), "test_ms": round(test_s * 1000, 3)}
            n_train, n_test = plan["images"]
            epochs = plan["runs"] * plan["epochs"]
            seconds += epochs * (n_train * train_s + n_test * test_s)
            flop += epochs * (n_train * train_flop + n_test * test_flop)
    minutes = seconds / 60 + (tiny_minutes or 0.0)
    return {"how": f"projected from {batches} measured batches per network, plus the tiny run's minutes",
            "minutes": round(minutes, 1), "peak_rss_mib": None, "flop": flop, "flop_bound_min": _bound(flop, gflops),
            "per_image": per_image, "others_busy_cores": _rounded(watch.others_busy_cores),
            "load_1min": round(os.getloadavg()[0], 2)}


def _per_image(kit: dict, net_class, sets, batch: int, adam: bool) -> tuple[float, float, int, int]:
    """Seconds and operations per image of the notebook's train_epoch and evaluate, after one warm-up batch."""
    torch.manual_seed(0)
    net = net_class()
    optimizer = (torch.optim.Adam(net.parameters(), lr=0.001) if adam
                 else torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9))
    train, test = sets
    warm_up = torch.utils.data.Subset(train, range(batch))
    kit["train_epoch"](net, reglab.DataLoader(warm_up, batch_size=batch), optimizer)
    results = []
    for phase, dataset in (("train", train), ("test", test)):
        loader = reglab.DataLoader(dataset, batch_size=batch, shuffle=phase == "train")
        before = flop_count.flop()
        start = time.perf_counter()
        if phase == "train":
            kit["train_epoch"](net, loader, optimizer)
        else:
            kit["evaluate"](net, loader)
        results.append(((time.perf_counter() - start) / len(dataset), (flop_count.flop() - before) // len(dataset)))
    (train_s, train_flop), (test_s, test_flop) = results
    return train_s, test_s, train_flop, test_flop


def _bound(flop: int | None, gflops: float) -> float | None:
    return None if flop is None else round(flop / (gflops * 1e9) / 60, 2)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def measure(size: str = "full", data_dir: Path = course.ROOT / "data", timeout: int = 3600) -> dict:
    gflops = training.matmul_gflops()
    minutes: dict[str, dict] = {}
    for assignment in course.assignments():
        for profile in PROFILES:
            if (assignment, profile) in PROJECTED:
                continue
            if size == "tiny" and (assignment, profile) not in TINY_RUNS:
                minutes.setdefault(assignment, {})[profile] = {"how": "not run at --size tiny"}
                continue
            print(f"{assignment}, {profile} ...", flush=True)
            minutes.setdefault(assignment, {})[profile] = execute(assignment, profile, data_dir, gflops, timeout)
    flop_count.start()  # the projection counts its batches' work in this process
    try:
        for assignment, profile in sorted(PROJECTED):
            tiny = minutes.get(assignment, {}).get("tiny", {}).get("minutes")
            minutes.setdefault(assignment, {})[profile] = project_cnn_full(tiny, gflops,
                                                                           batches=1 if size == "tiny" else 3)
    finally:
        flop_count.stop()
    return {"matmul_gflops": round(gflops, 1), "threads": torch.get_num_threads(), "notebook_minutes": minutes}


def markdown(measured: dict) -> str:
    lines = [f"Matrix-multiply throughput {measured['matmul_gflops']} GFLOP/s ({measured['threads']} threads).", "",
             ("| assignment | profile | minutes | how | peak memory (MiB) | FLOP bound (min) | effects seen |"
              " others' busy cores |"), "|---|---|---|---|---|---|---|---|"]
    for assignment, profiles in measured["notebook_minutes"].items():
        for profile, run in profiles.items():
            lines.append(f"| {assignment} | {profile} | {run.get('minutes', '')} | {run['how']} | "
                         f"{run.get('peak_rss_mib') or ''} | {run.get('flop_bound_min', '')} | "
                         f"{run.get('effects_seen', '')} | {run.get('others_busy_cores', '')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notebooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["full", "small", "tiny"], default="full", help="small: as full")
    parser.add_argument("--data-dir", type=Path, default=course.ROOT / "data")
    parser.add_argument("--out", type=Path, default=results_file.DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    measured = measure(args.size, args.data_dir)
    results_file.write(measured, args.out, "notebooks")
    print(markdown(measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
