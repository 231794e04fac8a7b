"""The MLP loop at 3x: the seed's fit against the kit's fit_together and against torch's own ensembling recipe.

    python -m bench.mlp [--train 48000] [--validation 12000] [--runs 5] [--out bench/results]

Three loops train the assignment's weight-decay sweep (the seed's MLP, Adam with lr 1e-4 and weight decays 0,
1e-4, 1e-3, 1e-2 and 0.1, batches of 32, FashionMNIST-sized tensors), all on one thread and recording every
statistic the seed records:

- ``seed``: the seed's fit (``bench/seed_fit.py``), one run (weight decay 0);
- ``together``: ``reglab.fit_together``, the five runs as one stack (its forward and backward written out, each
  run's step torch's own fused Adam on its slice);
- ``func``: torch's model-ensembling recipe (``torch.func``): the runs' parameters stacked as
  ``stack_module_state`` stacks them, one ``vmap(functional_call)`` over the stack for the five forward passes,
  autograd for the backward pass, and each run's own optimizer (the real ``torch.optim.Adam`` with its own weight
  decay, fused as fit's) stepping its own net, whose parameters the stack is made of again at every step.

A run is one epoch from fresh networks; the three loops alternate (in a rotating order), and each ratio is the
median of the runs' ratios of the seed's seconds per epoch to the loop's seconds per run and epoch. The first run
of each stack starts from the seed's weights and draws, so its statistics are compared with the seed's.
"""

import argparse
import collections
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from bench import cpu_use, op_profile, seed_fit, training
from bench import results as results_file
from reglab._loop import cpu_threads, epoch_order, layer_statistics, use_fused_kernel

LOOPS = ("seed", "together", "func")


def fit_vmapped(nets, optimizers, train, validation, epochs: int, batch_size: int, generators) -> list[dict]:
    """Train K runs of one architecture with ``vmap(functional_call)``; one history per run, as fit's."""
    template = copy.deepcopy(nets[0]).to("meta")  # the architecture; every run's weights come from the stack
    stacked, _ = stack_module_state(nets)  # the recipe's stack: the names and order of the parameters
    names = list(stacked)
    own = [[dict(net.named_parameters())[name] for name in names] for net in nets]
    first_weight = names.index(next(f"{i}.weight" for i, layer in enumerate(template) if isinstance(layer, nn.Linear)))
    for optimizer in optimizers:
        use_fused_kernel(optimizer)

    def layer_outputs(parameters, x):
        outputs = []
        for index, layer in enumerate(template):
            prefix = f"{index}."
            x = functional_call(layer, {name[len(prefix):]: value for name, value in parameters.items()
                                        if name.startswith(prefix)}, (x,))
            outputs.append(x)
        return tuple(outputs)

    train_forward, shared_forward = vmap(layer_outputs), vmap(layer_outputs, in_dims=(0, None))
    runs, layers = len(nets), len(template)
    histories = [collections.defaultdict(list) for _ in nets]
    train_x, train_y = train.tensors
    validation_x, validation_y = validation.tensors
    start_time = time.time()
    for epoch in range(epochs):
        n = len(train_x)
        orders = torch.stack([epoch_order(n, True, g) for g in generators])
        starts = range(0, n, batch_size)
        scalars, raw = torch.zeros(len(starts), 4, runs), torch.zeros(len(starts), layers, runs, 3)
        for step, start in enumerate(starts):
            rows = orders[:, start:start + batch_size]
            x, y = train_x[rows], train_y[rows]  # K x B x 784, K x B
            parameters = {name: torch.stack([run[i] for run in own]) for i, name in enumerate(names)}
            outputs = train_forward(parameters, x)
            losses = vmap(F.cross_entropy)(outputs[-1], y)
            for optimizer in optimizers:
                optimizer.zero_grad()
            losses.sum().backward()  # the runs are independent: each run's parameters get its own loss's gradient
            with torch.no_grad():
                weights = [run[first_weight] for run in own]
                scalars[step] = torch.stack((losses, _accuracy(outputs[-1], y),
                                             torch.stack([w.grad.abs().mean() for w in weights]),
                                             torch.stack([w.abs().mean() for w in weights])))
                raw[step] = torch.stack([_sums(output) for output in outputs])
            for optimizer in optimizers:
                optimizer.step()
        counts = [[min(batch_size, n - start) * output.shape[-1] for output in outputs] for start in starts]
        train_phase = (len(starts), scalars.double(), raw.double(), counts)
        with torch.no_grad():
            n = len(validation_x)
            for g in generators:  # fit's validation DataLoader draws its base seed too
                epoch_order(n, False, g)
            parameters = {name: torch.stack([run[i] for run in own]) for i, name in enumerate(names)}
            starts = range(0, n, batch_size)
            scalars, raw = torch.zeros(len(starts), 2, runs), torch.zeros(len(starts), layers, runs, 3)
            for step, start in enumerate(starts):
                x, y = validation_x[start:start + batch_size], validation_y[start:start + batch_size]
                outputs = shared_forward(parameters, x)
                losses = torch.stack([F.cross_entropy(logits, y) for logits in outputs[-1]])
                scalars[step] = torch.stack((losses, _accuracy(outputs[-1], y.expand(runs, -1))))
                raw[step] = torch.stack([_sums(output) for output in outputs])
            counts = [[min(batch_size, n - start) * output.shape[-1] for output in outputs] for start in starts]
        validation_phase = (len(starts), scalars.double(), raw.double(), counts)
        for run, history in enumerate(histories):
            _record(history, run, template, epoch, time.time() - start_time,
                    {"train": train_phase, "validation": validation_phase})
    for net in nets:
        net.train(False)
    return histories


def _sums(output: torch.Tensor) -> torch.Tensor:
    """Per run, the sums of x, |x| and x² of a layer's output (K, B, width): (K, 3)."""
    flat = output.detach().flatten(1)
    return torch.stack((flat.sum(dim=1), flat.abs().sum(dim=1), (flat * flat).sum(dim=1)), dim=1)


def _accuracy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(dim=-1) == y).float().mean(dim=1)


NAMES = {"train": ("train loss", "train accuracy", "train mean abs grad", "train mean abs weight"),
         "validation": ("validation loss", "validation accuracy")}


def _record(history, run, template, epoch, elapsed, phases) -> None:
    for phase, (steps, scalars, raw, counts) in phases.items():
        sums = dict(zip(NAMES[phase], scalars[:, :, run].sum(dim=0).tolist(), strict=True))
        sums.update(layer_statistics(phase, list(template), raw[:, :, run], counts))
        for key, total in sums.items():
            history[key].append(total / max(steps, 1))
        history[f"{phase} steps"].append((epoch + 1) * steps)
    history["epochs"].append(epoch)
    history["time"].append(elapsed)


# ---------------------------------------------------------------- the comparison


def sweep(loop: str, train, validation) -> tuple[float, dict]:
    """One epoch of the weight-decay sweep with ``loop``: seconds per run and epoch, and run 0's history."""
    if loop == "seed":
        with cpu_threads(1):
            (seconds,), history = training.epoch_times(seed_fit.fit, train, validation, 1)
        return seconds, history
    if loop == "together":
        (seconds,), histories = training.sweep_epoch_times("weight_decay", train, validation, 1, threads=1)
        return seconds, histories[0]
    values, _, make_net, make_optimizer = training.SWEEPS["weight_decay"]
    training.seed_everything(0)
    nets = [make_net(values[0])]
    first_run = torch.Generator()
    first_run.set_state(torch.get_rng_state())  # what the seed's fit draws from after building its net
    nets += [make_net(value) for value in values[1:]]
    generators = [first_run] + [torch.Generator().manual_seed(k) for k in range(1, len(values))]
    optimizers = [make_optimizer(net, value) for net, value in zip(nets, values, strict=True)]
    with cpu_threads(1):
        start = time.perf_counter()
        histories = fit_vmapped(nets, optimizers, train, validation, 1, 32, generators)
        seconds = time.perf_counter() - start
    return seconds / len(nets), histories[0]


def measure(n_train: int = 48_000, n_validation: int = 12_000, runs: int = 5) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        train, validation = training.datasets(n_train, n_validation, Path(folder))
    times = {loop: [] for loop in LOOPS}
    others, histories = [], {}
    for index in range(runs):
        order = LOOPS[index % 3:] + LOOPS[:index % 3]
        for loop in order:
            with cpu_use.Watch() as watch:
                seconds, history = sweep(loop, train, validation)
            times[loop].append(seconds)
            print(f"  {loop}: {seconds:.3f} s per run and epoch", flush=True)
            others.append(watch.others_busy_cores)
            histories.setdefault(loop, history)
    ratios = {loop: [s / t for s, t in zip(times["seed"], times[loop], strict=True)] for loop in LOOPS[1:]}
    busy = [value for value in others if value is not None]
    return {
        "train": n_train, "validation": n_validation, "runs": runs, "threads": 1, "stacked_runs": 5,
        **{f"{loop}_run_epoch_s": round(statistics.median(times[loop]), 3) for loop in LOOPS},
        **{f"{loop}_run_epochs_s": [round(t, 3) for t in times[loop]] for loop in LOOPS},
        "together_vs_seed": round(statistics.median(ratios["together"]), 2),
        "func_vs_seed": round(statistics.median(ratios["func"]), 2),
        "together_vs_func": round(statistics.median(
            [f / t for f, t in zip(times["func"], times["together"], strict=True)]), 2),
        "together_same_statistics": training.same_statistics(histories["seed"], histories["together"]),
        "func_same_statistics": training.same_statistics(histories["seed"], histories["func"]),
        "others_busy_cores": round(statistics.median(busy), 2) if busy else None,
        "profile": {loop: op_profile.top_operators(lambda loop=loop: sweep(loop, train, validation))
                    for loop in ("seed", "together")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mlp", description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=48_000)
    parser.add_argument("--validation", type=int, default=12_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=results_file.DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    print(results_file.write(measure(args.train, args.validation, args.runs), args.out, "mlp"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
