"""Issue 17's measurements in one command: the CNN loops, the MLP loop at 3x, and every notebook's minutes.

    python -m bench.speed [--size full|small|tiny] [--runs 5] [--parts cnn,mlp,notebooks] [--out bench/results]

Writes ``speed.json`` and ``speed.md``: the named ratios (``cnn_loop_vs_seed``, ``cnn2_loop_vs_seed``,
``cnn3_loop_vs_seed``: seed 002's and seed 004's loops against the CNN notebook's, ``bench/cnn.py``;
``mlp_together_vs_seed``, ``mlp_func_vs_seed``: the seed's MLP fit against fit_together and torch.func's
ensembling recipe, ``bench/mlp.py``), ``notebook_minutes`` per assignment and profile (``bench/notebooks.py``),
and with each part the machine's load while it was measured: the 1-minute load average and the cores that other
processes kept busy (``bench/cpu_use.py``). Every ratio is the median of alternating runs measured in the same
process; the figures are wall-clock seconds on a shared machine, so read them with the load beside them.

``--size small`` times the loops on a fifth to a quarter of the images (5,000 CIFAR, 3,000 MNIST, 12,000
FashionMNIST training images), for a machine too busy for the full run; the notebooks run as in ``full``.
``--size tiny`` runs everything on a few hundred images (and executes one notebook, ``regularization`` in
``tiny``), for the tests: it checks the structure and that the loops agree, never the times. ``--parts`` measures
some parts again and keeps the others from the JSON already in ``--out``.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from bench import cnn, mlp, notebooks, op_profile
from bench import results as results_file

PARTS = ("cnn", "mlp", "notebooks")
MLP_SIZES = {"full": (48_000, 12_000), "small": (12_000, 3_000), "tiny": (640, 160)}
GOALS = {"cnn_loop_vs_seed": 2.0, "cnn2_loop_vs_seed": 2.0, "cnn3_loop_vs_seed": 2.0, "mlp_together_vs_seed": 3.0,
         "mlp_func_vs_seed": 3.0}
RATIOS = {  # named ratio -> (part, where in it)
    "cnn_loop_vs_seed": ("cnn", ("cnn", "kit_vs_seed")),
    "cnn2_loop_vs_seed": ("cnn", ("cnn2", "kit_vs_seed")),
    "cnn3_loop_vs_seed": ("cnn", ("cnn3", "kit_vs_seed")),
    "mlp_together_vs_seed": ("mlp", ("together_vs_seed",)),
    "mlp_func_vs_seed": ("mlp", ("func_vs_seed",)),
}


def measure_part(part: str, size: str, runs: int) -> dict:
    load_before, start = os.getloadavg()[0], time.time()
    if part == "cnn":
        found = cnn.measure(size, runs)
    elif part == "mlp":
        found = mlp.measure(*MLP_SIZES[size], runs=runs)
    else:
        found = notebooks.measure(size)
    return {**found, "size": size, "measured_at": time.strftime("%Y-%m-%d %H:%M", time.localtime(start)),
            "minutes_taken": round((time.time() - start) / 60, 1),
            "load_1min_before": round(load_before, 2), "load_1min_after": round(os.getloadavg()[0], 2)}


def named(parts: dict) -> dict:
    """The issue's named figures, from the parts measured."""
    found = {}
    for name, (part, path) in RATIOS.items():
        value = parts.get(part)
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        found[name] = value
    found["notebook_minutes"] = {assignment: {profile: run.get("minutes") for profile, run in profiles.items()}
                                 for assignment, profiles in parts.get("notebooks", {}).get("notebook_minutes",
                                                                                            {}).items()}
    return found


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"torch {torch.__version__}")


def markdown(speed: dict) -> str:
    parts = speed["parts"]
    intro = (f"Measured on {speed['machine']} (--size {speed['size']}). Wall-clock figures on a shared machine: "
             "read each with the load beside it.")
    lines = [intro, "", "| ratio | measured | goal | measured at | load (1 min, before / after) | others' busy cores |",
             "|---|---|---|---|---|---|"]
    for name, (part, _) in RATIOS.items():
        where = parts.get(part, {})
        busy = (where.get(name.split("_loop")[0], {}) if part == "cnn" else where).get("others_busy_cores")
        lines.append(f"| {name} | {_times(speed[name])} | ≥ {GOALS[name]:g} × | {where.get('measured_at', '')} | "
                     f"{where.get('load_1min_before', '')} / {where.get('load_1min_after', '')} | {busy} |")
    if "notebooks" in parts:
        found = parts["notebooks"]
        lines += ["", "## Every notebook's minutes", "", notebooks.markdown(found).rstrip(), "",
                  f"Measured {found['measured_at']}, load {found['load_1min_before']} / {found['load_1min_after']}."]
    if "cnn" in parts:
        lines += ["", "## CNN loops: seconds per epoch (median), the FLOP bound, and the statistics both record", "",
                  "| network | seed | kit | ratio | runs' ratios | FLOP bound | largest difference of the statistics |",
                  "|---|---|---|---|---|---|---|"]
        for net in ("cnn", "cnn2", "cnn3"):
            found = parts["cnn"][net]
            lines.append(f"| {net} | {found['seed_epoch_s']} | {found['kit_epoch_s']} | {found['kit_vs_seed']} | "
                         f"{found['ratios']} | {found.get('flop_bound_s')} | "
                         f"{found['check']['largest_difference']:.2g} |")
        lines += ["", f"Ideas measured: {json.dumps(parts['cnn']['ideas'])}"]
        lines += _profiles("seed 002's CNN, one epoch", parts["cnn"]["cnn"])
    if "mlp" in parts:
        found = parts["mlp"]
        rows = [("seed's fit", "seed", None), ("fit_together", "together", "together"),
                ("torch.func (stack_module_state + vmap)", "func", "func")]
        lines += ["", "## MLP loop: seconds per run and epoch (median), one thread", "",
                  "| loop | seconds | vs the seed | largest relative difference of the statistics |",
                  "|---|---|---|---|"]
        for label, loop, compared in rows:
            ratio = found[f"{loop}_vs_seed"] if compared else 1
            difference = (f"{found[f'{compared}_same_statistics']['max_relative_difference']:.2g}" if compared
                          else "")
            lines.append(f"| {label} | {found[f'{loop}_run_epoch_s']} | {ratio} | {difference} |")
        lines += _profiles("the weight-decay sweep, one epoch", found)
    return "\n".join(lines) + "\n"


def _profiles(what: str, found: dict) -> list[str]:
    """Where each loop's time went (``bench.op_profile``), when the part was measured with profiles."""
    if "profile" not in found:
        return []
    return ["", f"Where the time goes ({what}):", "",
            *(op_profile.markdown(loop, profile) for loop, profile in found["profile"].items())]


def _times(value) -> str:
    return "" if value is None else f"{value} ×"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["full", "small", "tiny"], default="full")
    parser.add_argument("--runs", type=int, default=5, help="alternating runs per comparison")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"a comma-separated choice of {', '.join(PARTS)}")
    parser.add_argument("--out", type=Path, default=results_file.DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    chosen = [part.strip() for part in args.parts.split(",") if part.strip()]
    unknown = set(chosen) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}: choose from {', '.join(PARTS)}")
    previous = args.out / "speed.json"
    parts = json.loads(previous.read_text())["parts"] if previous.exists() and set(chosen) != set(PARTS) else {}
    for part in chosen:
        print(f"measuring {part} ...", flush=True)
        parts[part] = measure_part(part, args.size, args.runs)
    speed = {"machine": machine(), "size": args.size, **named(parts), "parts": parts}
    args.out.mkdir(parents=True, exist_ok=True)
    previous.write_text(json.dumps(speed, indent=1) + "\n")
    (args.out / "speed.md").write_text(markdown(speed))
    print(markdown(speed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
