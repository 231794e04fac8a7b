"""The seed's training loop: ``fit``, its ``after_epoch`` protocol and the ``Stop`` marker."""

import collections
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from reglab._loop import cpu_threads, epoch_order, layer_statistics, use_fused_kernel
from reglab.progress import epoch_bar


class _StopMarker:
    """The type of ``Stop``; there is exactly one instance."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "Stop"

    def __reduce__(self):  # a pickled or deep-copied Stop is still the one Stop
        return "Stop"


# Returned by an ``after_epoch`` function to end training. Compare with ``is``:
# the seed used the string "stop", which any equal string would match.
Stop = _StopMarker()


def detect_device() -> torch.device:
    """The fastest device available: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def fit(net: nn.Module, train: Dataset, validation: Dataset, optimizer: torch.optim.Optimizer,
        epochs: int = 25, batch_size: int = 10, after_epoch=None, device=None,
        record_outputs: bool = False, progress: bool = True, threads: int | None = 1) -> dict:
    """Train and evaluate a network; return a dictionary of statistics per epoch.

    - net: the network to optimize (any ``nn.Module``)
    - train, validation: the training and validation sets
    - optimizer: the optimizer (such as ``torch.optim.SGD(net.parameters())``)
    - epochs: the number of epochs to train
    - batch_size: the batch size
    - after_epoch: optional function ``after_epoch(net, epoch, epoch_stats)``,
      called after every epoch with the 0-based epoch and that epoch's
      statistics; training stops when it returns ``Stop``
    - device: ``'cuda'``, ``'mps'`` or ``'cpu'``; by default the fastest available
    - record_outputs: also keep every prediction of every epoch (memory heavy)
    - progress: show a progress bar
    - threads: CPU threads while training (None keeps torch's setting). One is
      the default because the assignments' small networks and batches train
      faster on one thread than on several: splitting a 32x784 matrix product
      costs more than it saves.

    The history has, per epoch: ``'train loss'``, ``'validation loss'``,
    ``'train accuracy'``, ``'validation accuracy'`` (train values are running
    averages in training mode, as in the seed), ``'train mean abs grad'`` and
    ``'train mean abs weight'`` of the first linear layer, the mean, mean
    absolute value and std of the output of every top-level layer, ``'train
    steps'``, ``'validation steps'``, ``'epochs'`` and ``'time'``.
    """
    device = torch.device(device) if device is not None else detect_device()
    with cpu_threads(threads if device.type == "cpu" else None):
        return _fit(net, train, validation, optimizer, epochs, batch_size, after_epoch, device, record_outputs,
                    progress)


def _fit(net, train, validation, optimizer, epochs, batch_size, after_epoch, device, record_outputs, progress):
    net = net.to(device)
    use_fused_kernel(optimizer)
    history = collections.defaultdict(list)
    loaders = {"train": _batches(train, batch_size, shuffle=True),
               "validation": _batches(validation, batch_size, shuffle=False)}
    first_linear = next((m for m in net.modules() if isinstance(m, nn.Linear)), None)
    start_time = time.time()

    # Forward hooks record what every top-level layer outputs (for the analysis
    # in the assignments, not needed for training). Per batch they store three
    # sums (x, |x|, x²) in a preallocated buffer, which costs half of computing
    # mean and std there; the per-batch means and stds follow at the end of the
    # phase, in float64, from one read of the buffer.
    layers = list(net.children())
    raw = {}  # phase -> (batches, layers, 3) sums of x, |x| and x² of each layer's output per batch
    counts = {}  # phase -> (batches, layers) number of output elements per batch
    position = {"batch": 0}

    def register_measure_hook(idx, module):
        def hook(module, input, output):
            if torch.is_tensor(output):
                with torch.no_grad():
                    flat = output.detach().reshape(-1)
                    torch.stack((flat.sum(), flat.abs().sum(), torch.dot(flat, flat)),
                                out=raw[phase][position["batch"], idx])
                counts[phase][position["batch"]][idx] = flat.numel()

        return module.register_forward_hook(hook)

    hooks = [register_measure_hook(idx, layer) for idx, layer in enumerate(layers)]
    for name, dataset in (("train", train), ("validation", validation)):  # each batch overwrites its own row
        batches = -(-len(dataset) // batch_size)
        raw[name] = torch.zeros(batches, len(layers), 3, device=device)
        counts[name] = [[0] * len(layers) for _ in range(batches)]
    sums = {}
    try:
        for epoch in epoch_bar(epochs, progress):
            epoch_stats = collections.defaultdict(float)
            sums.clear()
            epoch_outputs = {"train": [], "validation": []}
            for phase in ("train", "validation"):
                net.train(phase == "train")
                steps = 0
                with torch.set_grad_enabled(phase == "train"):
                    for x, y in loaders[phase]():
                        position["batch"] = steps
                        x, y = x.to(device), y.to(device)
                        pred_y = net(x)
                        loss = nn.functional.cross_entropy(pred_y, y)
                        accuracy = (pred_y.argmax(dim=1) == y).float().mean()
                        _accumulate(sums, f"{phase} loss", loss.detach())
                        _accumulate(sums, f"{phase} accuracy", accuracy)
                        if record_outputs:
                            epoch_outputs[phase].append(pred_y.detach().cpu().numpy())
                        if phase == "train":
                            optimizer.zero_grad()
                            loss.backward()
                            if first_linear is not None:  # the seed tracks the first layer only
                                _accumulate(sums, "train mean abs grad", first_linear.weight.grad.abs().mean())
                                _accumulate(sums, "train mean abs weight", first_linear.weight.detach().abs().mean())
                            optimizer.step()
                        steps += 1
                epoch_stats[f"{phase} steps"] = steps
                sums.update(layer_statistics(phase, layers, raw[phase][:steps], counts[phase][:steps]))
                for key, total in sums.items():
                    if key.startswith(phase):  # the mean over this phase's mini-batches
                        epoch_stats[key] = float(total) / max(steps, 1)
                        history[key].append(epoch_stats[key])
                history[f"{phase} steps"].append((epoch + 1) * steps)
                if record_outputs:
                    history[f"{phase} outputs"].append(np.concatenate(epoch_outputs[phase]).flatten())
            history["epochs"].append(epoch)
            history["time"].append(time.time() - start_time)
            if after_epoch is not None and after_epoch(net, epoch, epoch_stats) is Stop:
                break
    finally:
        for hook in hooks:  # the seed left its hooks behind: a second fit counted twice
            hook.remove()
    return history


def _accumulate(sums: dict, key: str, value: torch.Tensor) -> None:
    sums[key] = sums.get(key, 0) + value.detach()


def _batches(dataset: Dataset, batch_size: int, shuffle: bool):
    """A function returning an iterator over mini-batches, like a DataLoader.

    In-memory tensor datasets are sliced directly (much faster than collating
    single samples); the order is drawn exactly as DataLoader's sampler draws
    it, so both give the same batches for the same seed.
    """
    if not isinstance(dataset, TensorDataset):
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
        return lambda: iter(loader)
    tensors = dataset.tensors
    n = len(tensors[0])

    def iterate():
        order = epoch_order(n, shuffle)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size] if shuffle else slice(start, start + batch_size)
            yield tuple(t[idx] for t in tensors)

    return iterate
