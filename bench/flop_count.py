"""Count a notebook's floating-point work while it runs, in its own kernel, and its peak memory.

``start()`` (a cell before the notebook's) counts the work of every linear and convolution layer a network
calls: 2 operations per multiply-add of the forward pass, three times that where autograd will take the layer
backward too (its output requires a gradient), as the MLP benchmark counts. ``fit_together``'s stacked runs
call no layer: they are counted from their sizes when they return (each run's epochs, 3 x its training images
plus its validation images, times its forward pass). ``report()`` (a cell after them) prints the count and the
kernel's peak resident memory on one line. The global hook costs a Python call per layer call: a few per cent
of a notebook whose steps are small.
"""

import json
import resource
import sys
from pathlib import Path

import torch
from torch import nn

MARKER = "REGLAB-COST "
_count = {"flop": 0}
_undo = []  # what stop() puts back


def layer_flop(module: nn.Module, output: torch.Tensor) -> int:
    """The forward pass's operations of a linear or convolution layer that gave ``output`` (0 for any other)."""
    if isinstance(module, nn.Linear):
        return 2 * module.in_features * output.numel()
    if isinstance(module, nn.modules.conv._ConvNd):
        kernel = 1
        for size in module.kernel_size:
            kernel *= size
        return 2 * module.in_channels // module.groups * kernel * output.numel()
    return 0


def _hook(module, inputs, output) -> None:
    if torch.is_tensor(output):
        flop = layer_flop(module, output)
        _count["flop"] += 3 * flop if output.requires_grad else flop


def forward_flop(net: nn.Module) -> int:
    """Per sample, the forward pass of a stack of linear layers (what fit_together trains)."""
    return sum(2 * layer.in_features * layer.out_features for layer in net.modules() if isinstance(layer, nn.Linear))


def start() -> None:
    import reglab
    import reglab.together as together

    hook = torch.nn.modules.module.register_module_forward_hook(_hook)
    fit_together = together.fit_together

    def counted(nets, optimizers, train, validation, *args, **kwargs):
        nets, optimizers = list(nets), list(optimizers)
        stacked = together.stacking_problem(nets, optimizers, train, validation) is None  # else fit: hooks count
        histories = fit_together(nets, optimizers, train, validation, *args, **kwargs)
        if stacked:
            _count["flop"] += sum(len(history["epochs"]) * (3 * len(train) + len(validation)) * forward_flop(net)
                                  for net, history in zip(nets, histories, strict=True))
        return histories

    together.fit_together = reglab.fit_together = counted
    _undo.append(lambda: (hook.remove(), setattr(together, "fit_together", fit_together),
                          setattr(reglab, "fit_together", fit_together)))


def stop() -> None:
    while _undo:
        _undo.pop()()


def flop() -> int:
    return _count["flop"]


def peak_rss_mib() -> float:
    """This process's peak resident memory: Linux's high-water mark of its own memory (VmHWM), since getrusage's
    maximum keeps what the process it was forked from held (a kernel started by a benchmark that had loaded
    CIFAR-10 reported the benchmark's 2.2 GB); elsewhere getrusage's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def report() -> None:
    print(MARKER + json.dumps({"flop": _count["flop"], "peak_rss_mib": round(peak_rss_mib())}))


def reported(cell) -> dict:
    """What ``report()`` printed in an executed cell ({} if nothing)."""
    for output in cell.get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith(MARKER):
                return json.loads(line[len(MARKER):])
    return {}
