"""Train the independent runs of a sweep together: ``fit_together``.

At batch size 32 the seed's MLP spends most of an epoch in per-operation
overhead, not in arithmetic: each matrix product is tiny. The runs of a sweep
(five weight decays, six dropout rates, ...) are independent, so they can share
every operation: the K networks become one stack of weights, shaped
``(K, in, out)`` per layer, a batch becomes ``(K, batch, in)`` (each run with
its own samples) and one batched matrix product does the work of K small ones.

The results are those of ``fit`` run by run: each run draws its shuffle order
and its dropout masks from its own generator, in the order ``fit`` draws them
from torch's global generator, and each run's optimizer step is torch's own
(its functional Adam or SGD, with the run's settings). So
``torch.manual_seed(s); fit(net, ...)`` and ``fit_together(...,
generators=[torch.Generator().manual_seed(s)])`` give the same history and
weights, up to float rounding.
"""

import collections
import time

import torch
from torch import nn
from torch.optim.adam import adam
from torch.optim.sgd import sgd
from torch.utils.data import Dataset, TensorDataset

from reglab._loop import cpu_threads, draw_seed, epoch_order, layer_statistics, use_fused_kernel
from reglab.progress import epoch_bar
from reglab.training import Stop, detect_device, fit

LAYER_TYPES = (nn.Linear, nn.ReLU, nn.Dropout)
VALIDATION_ROWS = 2048  # validation runs in chunks of about this many images, whole batches each


def fit_together(nets, optimizers, train: Dataset, validation: Dataset, epochs: int = 25, batch_size: int = 10,
                 after_epoch=None, device=None, progress: bool = True, generators=None,
                 threads: int | None = 1) -> list[dict]:
    """Train K independent runs at once; return one history per run, as ``fit`` returns it.

    - nets: K networks of one architecture, an ``nn.Sequential`` of ``nn.Linear``,
      ``nn.ReLU`` and ``nn.Dropout`` layers (the dropout probability may differ per run)
    - optimizers: K fresh optimizers, one per net, over all its parameters, with
      one parameter group: ``torch.optim.Adam``, ``AdamW`` or ``SGD``, each with
      its own settings (learning rate, weight decay, betas, momentum, ...)
    - train, validation: ``TensorDataset`` objects of flat inputs and labels
    - epochs, batch_size, device, progress, threads: as for ``fit``
    - after_epoch: one function, or a list of K (None for none), called as
      ``after_epoch(nets[k], epoch, epoch_stats)`` after every epoch of run k,
      with ``nets[k]`` holding that run's current weights. A run whose function
      returns ``Stop`` stops there; the others go on.
    - generators: K CPU ``torch.Generator`` objects, the source of each run's
      shuffle orders and dropout masks. By default each run gets a generator
      seeded with a number drawn from torch's global generator, so a global
      seed still makes the sweep repeatable (but the runs' draws differ from
      those of ``fit`` run one by one after that seed). On a GPU the dropout
      masks come from a generator there, seeded from the run's: the same
      distribution, but not fit's masks.

    Afterwards every ``nets[k]`` holds its trained weights (in eval mode, as
    after ``fit``) and every optimizer holds the state torch itself would have
    (Adam's step and moments, SGD's momentum buffers), so it can go on training.

    Anything else (other layers, architectures that differ, other optimizers,
    several parameter groups, optimizers that already have state, datasets
    other than in-memory tensors) is trained run by run with ``fit``, as
    before; ``stacking_problem`` says why. ``time`` in a history is the wall
    time of the whole stack so far, shared by its runs.
    """
    nets, optimizers = list(nets), list(optimizers)
    if len(nets) != len(optimizers) or not nets:
        raise ValueError(f"fit_together needs one optimizer per net: got {len(nets)} nets and "
                         f"{len(optimizers)} optimizers")
    if generators is not None and len(generators) != len(nets):
        raise ValueError(f"fit_together needs one generator per net: got {len(generators)} for {len(nets)} nets")
    callbacks = _callbacks(after_epoch, len(nets))
    device = torch.device(device) if device is not None else detect_device()
    if stacking_problem(nets, optimizers, train, validation) is not None:
        return _one_by_one(nets, optimizers, train, validation, epochs, batch_size, callbacks, device, progress,
                           generators, threads)
    if generators is None:
        generators = [torch.Generator().manual_seed(draw_seed()) for _ in nets]
    with cpu_threads(threads if device.type == "cpu" else None):
        return _Together(nets, optimizers, train, validation, batch_size, callbacks, device, generators).run(
            epochs, progress)


def stacking_problem(nets, optimizers, train, validation) -> str | None:
    """Why these runs cannot be trained as one stack (None: they can)."""
    for name, dataset in (("train", train), ("validation", validation)):
        if type(dataset) is not TensorDataset or len(dataset.tensors) != 2 or dataset.tensors[0].dim() != 2 \
                or dataset.tensors[0].dtype != torch.float32 or dataset.tensors[1].dtype != torch.int64:
            return f"the {name} set is not a TensorDataset of flat float32 inputs and int64 labels"
    architectures = set()
    for net in nets:
        if type(net) is not nn.Sequential or not all(type(layer) in LAYER_TYPES for layer in net):
            return f"only nn.Sequential nets of {', '.join(t.__name__ for t in LAYER_TYPES)} layers are stacked"
        if not any(isinstance(layer, nn.Linear) for layer in net):
            return "a net without a linear layer"
        if any(module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
               or module._backward_pre_hooks for module in net.modules()):
            return "a net with hooks (stacking would skip them)"
        parameters = list(net.parameters())
        if not all(p.dtype == torch.float32 and p.requires_grad and p.device == parameters[0].device
                   for p in parameters):
            return "parameters that are not float32 on one device, all trainable"
        architectures.add(_architecture(net))
    if len(architectures) > 1:
        return "the nets differ in architecture"
    for net, optimizer in zip(nets, optimizers, strict=True):
        problem = _optimizer_problem(optimizer, net)
        if problem is not None:
            return problem
    return None


# ---------------------------------------------------------------- checks and fallback


def _architecture(net: nn.Sequential) -> tuple:
    """What must agree between stacked nets: layer types, sizes and biases (not the dropout probability)."""
    return tuple((type(layer), layer.in_features, layer.out_features, layer.bias is not None)
                 if isinstance(layer, nn.Linear) else type(layer) for layer in net)


def _linear_parameters(net: nn.Sequential) -> list:
    """The net's parameters in stacking order: weight and bias of each linear layer."""
    return [p for layer in net if isinstance(layer, nn.Linear) for p in (layer.weight, layer.bias) if p is not None]


OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


def _optimizer_problem(optimizer, net) -> str | None:
    """Why this optimizer cannot step its run's slices of the stacks (None: it can)."""
    if type(optimizer) not in OPTIMIZERS:
        return f"{type(optimizer).__name__} is not stacked (only {', '.join(t.__name__ for t in OPTIMIZERS)})"
    if len(optimizer.param_groups) != 1:
        return "an optimizer with several parameter groups"
    group = optimizer.param_groups[0]
    if {id(p) for p in group["params"]} != {id(p) for p in net.parameters()} \
            or len(group["params"]) != len(list(net.parameters())):
        return "an optimizer that does not update exactly its net's parameters"
    if optimizer.state:
        return "an optimizer that has already taken steps"
    if group.get("differentiable") or group.get("capturable"):
        return "a differentiable or capturable optimizer"
    if not all(isinstance(group[key], (int, float)) for key in ("lr", "weight_decay")):
        return "a learning rate or weight decay that is a tensor"
    return None


def _callbacks(after_epoch, runs: int) -> list:
    if after_epoch is None or callable(after_epoch):
        return [after_epoch] * runs
    callbacks = list(after_epoch)
    if len(callbacks) != runs or not all(c is None or callable(c) for c in callbacks):
        raise ValueError(f"after_epoch should be one function or a list of {runs} (one per net, or None)")
    return callbacks


def _one_by_one(nets, optimizers, train, validation, epochs, batch_size, callbacks, device, progress, generators,
                threads) -> list[dict]:
    """``fit`` run by run; with generators, each run draws from its own, as if it were torch's global generator."""
    histories = []
    for k, (net, optimizer, callback) in enumerate(zip(nets, optimizers, callbacks, strict=True)):
        global_state = torch.get_rng_state()
        if generators is not None:
            torch.set_rng_state(generators[k].get_state())
        try:
            histories.append(fit(net, train, validation, optimizer, epochs=epochs, batch_size=batch_size,
                                 after_epoch=callback, device=device, progress=progress, threads=threads))
            if generators is not None:
                generators[k].set_state(torch.get_rng_state())
        finally:
            if generators is not None:
                torch.set_rng_state(global_state)
    return histories


# ---------------------------------------------------------------- the stacked network


class _StackedNet:
    """K nets of one architecture as stacked tensors, with a forward and a backward pass written out.

    Without autograd the gradients go into buffers allocated once: with
    autograd, the fresh 2 MB weight gradient of every step cost about as much
    in page faults as the matrix product that computed it.
    """

    def __init__(self, nets, device):
        self.layers = list(nets[0])  # run 0's layers: the types and sizes of all
        # Weights stacked transposed, (K, in, out): x @ W needs no transposition and the gradient x^T @ grad
        # comes out in the same layout. Biases (K, 1, out).
        self.parameters = []
        for i, layer in enumerate(self.layers):
            if isinstance(layer, nn.Linear):
                self.parameters.append(torch.stack([net[i].weight.detach().T for net in nets]).to(device))
                if layer.bias is not None:
                    self.parameters.append(torch.stack([net[i].bias.detach() for net in nets]).to(device).unsqueeze(1))
        self.grads = [torch.empty_like(p) for p in self.parameters]
        self.dropout = [[float(net[i].p) for net in nets] if isinstance(layer, nn.Dropout) else None
                        for i, layer in enumerate(self.layers)]
        self.features = []  # the width of every layer's output
        width = next(layer for layer in self.layers if isinstance(layer, nn.Linear)).in_features
        for layer in self.layers:
            width = layer.out_features if isinstance(layer, nn.Linear) else width
            self.features.append(width)
        self.first_linear = next(i for i, layer in enumerate(self.layers) if isinstance(layer, nn.Linear))
        self._saved = []  # per layer, what its backward needs: its input, its output or its dropout mask

    def select(self, positions: list[int]) -> None:
        """Keep only the runs at these positions (the others stopped)."""
        self.parameters = [p[positions] for p in self.parameters]
        self.grads = [torch.empty_like(p) for p in self.parameters]
        self.dropout = [None if ps is None else [ps[i] for i in positions] for ps in self.dropout]

    def forward(self, x: torch.Tensor, masks=None, shared_input: bool = False) -> list[torch.Tensor]:
        """Every layer's output for input x: (K, B, in), or (B, in) for all runs when shared_input.

        masks: a function giving a dropout layer's masks (training), or None
        (evaluation: dropout is the identity, as in eval mode).
        """
        outputs, self._saved, parameters = [], [], iter(self.parameters)
        for layer, p in zip(self.layers, self.dropout, strict=True):
            if shared_input and not isinstance(layer, nn.Linear):
                x, shared_input = x.expand(len(self.parameters[0]), *x.shape), False
            if isinstance(layer, nn.Linear):
                weight, bias = next(parameters), next(parameters) if layer.bias is not None else None
                self._saved.append(x)
                x, shared_input = _linear(x, weight, bias, shared_input), False
            elif p is not None:
                mask = masks(p, x) if masks is not None and any(q > 0 for q in p) else None
                self._saved.append(mask)
                x = x if mask is None else x * mask
            else:
                x = torch.relu(x)
                self._saved.append(x)
            outputs.append(x)
        return outputs

    def backward(self, grad: torch.Tensor) -> None:
        """From the gradient of the loss with respect to the last output, every parameter's into ``grads``."""
        index = len(self.parameters)
        for i in range(len(self.layers) - 1, self.first_linear - 1, -1):
            layer, saved = self.layers[i], self._saved[i]
            if isinstance(layer, nn.Linear):
                if layer.bias is not None:
                    index -= 1
                    torch.sum(grad, dim=1, keepdim=True, out=self.grads[index])
                index -= 1
                torch.bmm(saved.transpose(1, 2), grad, out=self.grads[index])
                if i > self.first_linear:
                    grad = torch.bmm(grad, self.parameters[index].transpose(1, 2))
            elif saved is None:  # dropout that dropped nothing
                continue
            elif isinstance(layer, nn.Dropout):
                grad = grad * saved
            else:  # ReLU: the gradient passes where the output is positive (autograd's own kernel)
                grad = torch.ops.aten.threshold_backward(grad, saved, 0)


def _linear(x, weight, bias, shared_input):
    """A linear layer per run: x (K, B, in) or shared (B, in), weight (K, in, out), bias (K, 1, out)."""
    if shared_input:  # one product for all runs: (B, in) x (in, K·out)
        runs, _, out = weight.shape
        flat = x @ weight.permute(1, 0, 2).reshape(-1, runs * out)
        if bias is not None:
            flat += bias.reshape(-1)
        return flat.view(len(x), runs, out).transpose(0, 1).contiguous()
    if bias is None:
        return torch.bmm(x, weight)
    return torch.baddbmm(bias, x, weight)


def _as_parameter(run_slice: torch.Tensor, parameter: torch.Tensor) -> torch.Tensor:
    """A run's slice of a stacked parameter (or of its optimizer state) as a copy in the layout of ``parameter``."""
    if parameter.dim() == 2:  # weights are stacked transposed
        return run_slice.T.contiguous()
    return run_slice.reshape(parameter.shape).clone()


def _dropout_masks(generators, device):
    """A function making dropout masks as ``nn.functional.dropout`` does on a CPU, run by run from each generator."""
    def masks(probabilities, x):
        mask = torch.empty_like(x)
        for i, (generator, p) in enumerate(zip(generators, probabilities, strict=True)):
            if 0 < p < 1:  # as torch: p = 0 draws nothing and keeps all, p = 1 draws nothing and drops all
                mask[i].bernoulli_(1 - p, generator=generator)
            else:
                mask[i].fill_(1.0 if p == 0 else 0.0)
        keep = torch.tensor([1 - p if 0 < p < 1 else 1.0 for p in probabilities], device=device)
        return mask.div_(keep.view(-1, 1, 1))

    return masks


# ---------------------------------------------------------------- the optimizers


class _RunOptimizers:
    """Every run's own optimizer step on its slices of the stacks, through torch's functional Adam and SGD.

    These are the functions that ``torch.optim.Adam``, ``AdamW`` and ``SGD``
    call from ``step()``, with the run's own settings and the implementation
    (fused, foreach or per tensor) that its optimizer would choose in ``fit``:
    the arithmetic is torch's own. A step costs one fused call per run, on the
    run's 110,000 parameters, which stay in the cache; the same update written
    out on the whole stack at once (per-run learning rates as tensors) was
    several times slower, bound by memory.
    """

    def __init__(self, optimizers):
        for optimizer in optimizers:
            use_fused_kernel(optimizer)  # the kernel fit would use
        self.optimizers = list(optimizers)
        self.states = [None] * len(optimizers)  # per run: per state name, one tensor per parameter
        self._views = (None, None, [])  # the stacks, and per run its views of them (made once per stack)

    def select(self, positions: list[int]) -> None:
        self.optimizers = [self.optimizers[i] for i in positions]
        self.states = [self.states[i] for i in positions]

    def _run_views(self, parameters: list[torch.Tensor], gradients: list[torch.Tensor]) -> list:
        """Per run, its slices of the stacked parameters and gradients: views, so that its step updates the stack."""
        if self._views[0] is not parameters or self._views[1] is not gradients:
            self._views = (parameters, gradients, [([p[i] for p in parameters], [g[i] for g in gradients])
                                                   for i in range(len(self.optimizers))])
        return self._views[2]

    def step(self, parameters: list[torch.Tensor], gradients: list[torch.Tensor]) -> None:
        with torch.no_grad():
            views = self._run_views(parameters, gradients)
            for position, optimizer in enumerate(self.optimizers):
                params, grads = views[position]
                group = optimizer.param_groups[0]
                if self.states[position] is None:
                    self.states[position] = _fresh_state(optimizer, params)
                state = self.states[position]
                if type(optimizer) is torch.optim.SGD:
                    sgd(params, grads, state["momentum_buffer"], foreach=group["foreach"], fused=group["fused"],
                        weight_decay=group["weight_decay"], momentum=group["momentum"], lr=group["lr"],
                        dampening=group["dampening"], nesterov=group["nesterov"], maximize=group["maximize"])
                elif group["fused"]:  # what adam() below does, without its per-call grouping of tensors by device
                    beta1, beta2 = group["betas"]
                    state["step"][0].add_(1)  # one counter shared by the run's parameters (the kernel only reads it)
                    fused_step = torch._fused_adamw_ if _decoupled(optimizer) else torch._fused_adam_
                    fused_step(params, grads, state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq", []),
                               state["step"], amsgrad=group["amsgrad"], lr=group["lr"], beta1=beta1, beta2=beta2,
                               weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
                               grad_scale=None, found_inf=None)
                else:
                    beta1, beta2 = group["betas"]
                    adam(params, grads, state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq", []),
                         state["step"], foreach=group["foreach"], fused=group["fused"],
                         decoupled_weight_decay=_decoupled(optimizer), amsgrad=group["amsgrad"], beta1=beta1,
                         beta2=beta2, lr=group["lr"], weight_decay=group["weight_decay"], eps=group["eps"],
                         maximize=group["maximize"])

    def state_of(self, position: int, parameters: list[torch.Tensor]) -> list[dict]:
        """Run ``position``'s optimizer state for its net's ``parameters``, in torch's own format (``{}``: none)."""
        state = self.states[position] or {}
        return [{name: tensor.clone() if name == "step" else _as_parameter(tensor, p)
                 for name, tensor in ((name, values[i]) for name, values in state.items())
                 if tensor is not None} for i, p in enumerate(parameters)]


def _decoupled(optimizer) -> bool:
    """AdamW's weight decay (or Adam's decoupled_weight_decay=True) rather than Adam's L2 term."""
    return bool(optimizer.param_groups[0].get("decoupled_weight_decay", type(optimizer) is torch.optim.AdamW))


def _fresh_state(optimizer, params: list[torch.Tensor]) -> dict:
    """The state torch's optimizers create on their first step, for a run's slices."""
    group = optimizer.param_groups[0]
    if type(optimizer) is torch.optim.SGD:
        return {"momentum_buffer": [None] * len(params)}  # the first step fills them, as in torch
    if group["fused"]:  # one step counter for all the run's parameters: counting it once per step is cheaper
        state = {"step": [torch.zeros((), dtype=torch.float32, device=params[0].device)] * len(params)}
    else:  # torch's functional adam() counts each parameter's steps itself
        state = {"step": [torch.zeros((), dtype=torch.float32) for _ in params]}
    state.update({
        "exp_avg": [torch.zeros_like(p) for p in params],
        "exp_avg_sq": [torch.zeros_like(p) for p in params]})
    if group["amsgrad"]:
        state["max_exp_avg_sq"] = [torch.zeros_like(p) for p in params]
    return state


# ---------------------------------------------------------------- training


TRAIN_SCALARS = ("train loss", "train accuracy", "train mean abs grad", "train mean abs weight")
VALIDATION_SCALARS = ("validation loss", "validation accuracy")


class _Together:
    """One stacked training of the runs still going; position i of every stack is run ``runs[i]``."""

    def __init__(self, nets, optimizers, train, validation, batch_size, callbacks, device, generators):
        self.nets = [net.to(device).train(False) for net in nets]  # in eval mode, as fit leaves them
        self.optimizers, self.callbacks, self.device, self.batch_size = optimizers, callbacks, device, batch_size
        self.generators = list(generators)
        # Dropout masks on a GPU need generators there: seeded from each run's own (CPU-exact only on a CPU).
        self.mask_generators = self.generators if device.type == "cpu" else \
            [torch.Generator(device).manual_seed(draw_seed(g)) for g in self.generators]
        self.train_x, self.train_y = (t.to(device) for t in train.tensors)
        self.validation_x, self.validation_y = (t.to(device) for t in validation.tensors)
        self.net = _StackedNet(self.nets, device)
        self.optimizer = _RunOptimizers(optimizers)
        self.runs = list(range(len(nets)))
        self.histories = [collections.defaultdict(list) for _ in nets]

    def run(self, epochs: int, progress: bool) -> list[dict]:
        start_time = time.time()
        for epoch in epoch_bar(epochs, progress):
            phases = {"train": self._train_epoch(), "validation": self._validation_epoch()}
            elapsed = time.time() - start_time  # the stack's time, shared by its runs
            stopped = []
            for position, run in enumerate(self.runs):
                epoch_stats = self._record(run, position, epoch, elapsed, phases)
                if self.callbacks[run] is not None:
                    self._write_back(position, optimizer_state=False)  # the callback may copy the net
                    if self.callbacks[run](self.nets[run], epoch, epoch_stats) is Stop:
                        stopped.append(position)
            if stopped:
                for position in stopped:
                    self._write_back(position)
                self._keep([i for i in range(len(self.runs)) if i not in stopped])
                if not self.runs:
                    break
        for position in range(len(self.runs)):
            self._write_back(position)
        return self.histories

    def _keep(self, positions: list[int]) -> None:
        self.runs = [self.runs[i] for i in positions]
        self.generators = [self.generators[i] for i in positions]
        self.mask_generators = [self.mask_generators[i] for i in positions]
        self.net.select(positions)
        self.optimizer.select(positions)

    def _write_back(self, position: int, optimizer_state: bool = True) -> None:
        """Copy run ``position``'s weights (and optimizer state) into its own net (and optimizer)."""
        run = self.runs[position]
        parameters = _linear_parameters(self.nets[run])
        with torch.no_grad():
            for p, stack in zip(parameters, self.net.parameters, strict=True):
                p.copy_(_as_parameter(stack[position], p))
        if optimizer_state:
            for p, state in zip(parameters, self.optimizer.state_of(position, parameters), strict=True):
                if state:
                    self.optimizers[run].state[p] = state

    @torch.no_grad()
    def _train_epoch(self):
        n, size, runs = len(self.train_x), self.batch_size, len(self.runs)
        orders = torch.stack([epoch_order(n, True, g) for g in self.generators]).to(self.device)
        starts = range(0, n, size)
        scalars = torch.zeros(len(starts), len(TRAIN_SCALARS), runs, device=self.device)
        raw = torch.zeros(len(starts), len(self.net.layers), runs, 3, device=self.device)
        masks = _dropout_masks(self.mask_generators, self.device)
        layer_sums = _LayerSums(self.net.features, self.device)
        first_weight, first_grad = self.net.parameters[0], self.net.grads[0]  # the first linear layer's: fit tracks it
        magnitudes = torch.empty_like(first_weight)  # for |w|: a fresh 2 MB tensor every step costs page faults
        for step, start in enumerate(starts):
            samples = orders[:, start:start + size].reshape(-1)  # each run its own batch
            x = self.train_x.index_select(0, samples).view(runs, -1, self.train_x.shape[1])
            y = self.train_y.index_select(0, samples).view(runs, -1)
            outputs = self.net.forward(x, masks)
            log_p = torch.log_softmax(outputs[-1], dim=-1)
            losses = -log_p.gather(-1, y.unsqueeze(-1)).mean(dim=(1, 2))  # each run's mean cross-entropy
            # Its gradient with respect to the logits, (softmax - one-hot) / batch, as torch computes it
            grad = log_p.exp().sub_(nn.functional.one_hot(y, log_p.shape[-1])).div_(y.shape[1])
            self.net.backward(grad)
            raw[step].copy_(layer_sums(outputs))
            torch.stack((losses, _accuracy(outputs[-1], y), torch.abs(first_grad, out=magnitudes).mean(dim=(1, 2)),
                         torch.abs(first_weight, out=magnitudes).mean(dim=(1, 2))), out=scalars[step])
            self.optimizer.step(self.net.parameters, self.net.grads)
        counts = [[min(size, n - start) * width for width in self.net.features] for start in starts]
        return len(starts), scalars.double().cpu(), raw.double().cpu(), counts

    @torch.no_grad()
    def _validation_epoch(self):
        """Every run on the same validation batches, in chunks of whole batches, with the batches' statistics."""
        n, size, runs = len(self.validation_x), self.batch_size, len(self.runs)
        for g in self.generators:  # fit draws a DataLoader's base seed here too
            epoch_order(n, False, g)
        batches = -(-n // size)
        scalars = torch.zeros(batches, len(VALIDATION_SCALARS), runs, device=self.device)
        raw = torch.zeros(batches, len(self.net.layers), runs, 3, device=self.device)
        counts = []
        for first_batch, start, stop, rows in _chunks(n, size):
            chunk_batches = (stop - start) // rows
            in_chunk = slice(first_batch, first_batch + chunk_batches)
            x, y = self.validation_x[start:stop], self.validation_y[start:stop]
            outputs = self.net.forward(x, shared_input=True)
            logits = outputs[-1]
            losses = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 y.expand(runs, -1).reshape(-1), reduction="none")
            per_batch = torch.stack((losses.view(runs, chunk_batches, rows).mean(dim=-1),
                                     _correct(logits, y).view(runs, chunk_batches, rows).mean(dim=-1)))
            scalars[in_chunk].copy_(per_batch.permute(2, 0, 1))
            for idx, output in enumerate(outputs):
                raw[in_chunk, idx].copy_(_output_sums(output, chunk_batches).transpose(0, 1))
            counts += [[rows * width for width in self.net.features]] * chunk_batches
        return batches, scalars.double().cpu(), raw.double().cpu(), counts

    def _record(self, run: int, position: int, epoch: int, elapsed: float, phases: dict) -> dict:
        """Append run ``run``'s epoch to its history, as fit does; return the epoch's statistics."""
        history, epoch_stats = self.histories[run], collections.defaultdict(float)
        for phase, names in (("train", TRAIN_SCALARS), ("validation", VALIDATION_SCALARS)):
            steps, scalars, raw, counts = phases[phase]
            epoch_stats[f"{phase} steps"] = steps
            sums = dict(zip(names, scalars[:, :, position].sum(dim=0).tolist(), strict=True))
            sums.update(layer_statistics(phase, self.net.layers, raw[:, :, position], counts))
            for key, total in sums.items():  # the mean over this phase's mini-batches
                epoch_stats[key] = total / max(steps, 1)
                history[key].append(epoch_stats[key])
            history[f"{phase} steps"].append((epoch + 1) * steps)
        history["epochs"].append(epoch)
        history["time"].append(elapsed)
        return epoch_stats


def _chunks(n: int, size: int):
    """(first batch, start, stop, batch size) of chunks of whole batches; a last, smaller batch on its own."""
    whole = n // size * size
    per_chunk = max(1, VALIDATION_ROWS // size) * size
    for start in range(0, whole, per_chunk):
        yield start // size, start, min(start + per_chunk, whole), size
    if whole < n:
        yield whole // size, whole, n, n - whole


class _LayerSums:
    """Per layer and run, the sums of x, |x| and x² of the layer's output over a batch, in one pass over all
    layers: their outputs side by side, summed over the batch, then per layer (a product with a 0/1 matrix) --
    a dozen operations a step where summing layer by layer took forty."""

    def __init__(self, widths: list[int], device):
        self.layer_of = torch.zeros(sum(widths), len(widths), device=device)  # column j: the features of layer j
        for layer, features in enumerate(torch.arange(sum(widths)).split(widths)):
            self.layer_of[features, layer] = 1.0

    def __call__(self, outputs: list[torch.Tensor]) -> torch.Tensor:
        """Outputs (K, B, width) of every layer: (layers, K, 3)."""
        side_by_side = torch.cat(outputs, dim=-1)  # K x B x all features
        per_feature = torch.stack((side_by_side.sum(dim=1), side_by_side.abs().sum(dim=1),
                                   (side_by_side * side_by_side).sum(dim=1)), dim=1)  # K x 3 x features
        return (per_feature @ self.layer_of).permute(2, 0, 1)


def _output_sums(output: torch.Tensor, batches: int) -> torch.Tensor:
    """Per run and batch, the sums of x, |x| and x² of a layer's output (K, rows, width): (K, batches, 3)."""
    flat = output.detach().reshape(output.shape[0], batches, -1)
    return torch.stack((flat.sum(dim=-1), flat.abs().sum(dim=-1), (flat * flat).sum(dim=-1)), dim=-1)


def _correct(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(dim=-1) == y).float()


def _accuracy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return _correct(logits, y).mean(dim=1)
