"""Do the hidden checks of `regularization` give full marks to correct answers and catch realistic mistakes?

Every answer below is what a student could write in the notebook: correct ones in
several styles, and wrong ones that each make one mistake. A wrong answer must lose
exactly the checks of the concept it gets wrong, with a message that names it.
"""

import copy
import functools

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.nn import functional as F

from autograder.checks.registry import checks_for, run_checks
from reglab import Stop, build_net

ASSIGNMENT = "regularization"
GRADE_IDS = ("build_optimizer", "l2_penalty", "adam_vs_adamw", "build_net_with_dropout", "dropout_experiment",
             "plot_learning_curve", "BestModelTracker", "EarlyStopper", "grid_size")


def namespace(**answers):
    """A notebook's globals after its provided cells and the given answer cells ran."""
    return {"build_net": build_net, "Stop": Stop, **answers}


# ---------------------------------------------------------------- build_optimizer


def build_optimizer(net, weight_decay, lr=1e-4):
    return torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)


def build_optimizer_with_param_group(net, weight_decay, lr=1e-4):
    return torch.optim.Adam([{"params": list(net.parameters()), "weight_decay": weight_decay}], lr=lr)


def adamw_optimizer(net, weight_decay, lr=1e-4):
    return torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)


def decoupled_adam_optimizer(net, weight_decay, lr=1e-4):
    return torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay, decoupled_weight_decay=True)


def sgd_optimizer(net, weight_decay, lr=1e-4):
    return torch.optim.SGD(net.parameters(), lr=lr, weight_decay=weight_decay)


def optimizer_without_weight_decay(net, weight_decay, lr=1e-4):
    return torch.optim.Adam(net.parameters(), lr=lr)


def optimizer_with_fixed_lr(net, weight_decay, lr=1e-4):
    return torch.optim.Adam(net.parameters(), lr=1e-4, weight_decay=weight_decay)


def optimizer_with_default_lr_of_adam(net, weight_decay, lr=1e-3):
    return torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)


def optimizer_of_a_new_net(net, weight_decay, lr=1e-4):
    return torch.optim.Adam(build_net().parameters(), lr=lr, weight_decay=weight_decay)


def optimizer_of_the_first_layer(net, weight_decay, lr=1e-4):
    return torch.optim.Adam(net[0].parameters(), lr=lr, weight_decay=weight_decay)


# ---------------------------------------------------------------- l2_penalty


def l2_penalty(net, weight_decay):
    return weight_decay / 2 * sum((parameter ** 2).sum() for parameter in net.parameters())


def l2_penalty_of_flat_parameters(net, weight_decay):
    flat = torch.cat([parameter.flatten() for parameter in net.parameters()])
    return 0.5 * weight_decay * torch.linalg.vector_norm(flat) ** 2


def l2_penalty_in_a_loop(net, weight_decay):
    penalty = torch.zeros(())
    for _, parameter in net.named_parameters():
        penalty = penalty + parameter.pow(2).sum()
    return weight_decay * penalty / 2


def penalty_without_half(net, weight_decay):
    return weight_decay * sum((parameter ** 2).sum() for parameter in net.parameters())


def penalty_on_weights_only(net, weight_decay):
    return weight_decay / 2 * sum((parameter ** 2).sum() for name, parameter in net.named_parameters()
                                  if "weight" in name)


def penalty_as_item(net, weight_decay):
    return l2_penalty(net, weight_decay).item()


def penalty_detached(net, weight_decay):
    return weight_decay / 2 * sum((parameter.detach() ** 2).sum() for parameter in net.parameters())


def penalty_of_norms(net, weight_decay):
    return weight_decay / 2 * sum(parameter.norm() for parameter in net.parameters())


def penalty_of_the_first_layer(net, weight_decay):
    return weight_decay / 2 * sum((parameter ** 2).sum() for parameter in list(net.parameters())[:2])


# ---------------------------------------------------------------- adam_vs_adamw

EPS = 1e-8  # Adam's default eps


def _torch_first_step(optimizer_class, theta, lr, weight_decay):
    theta = theta.detach().clone().requires_grad_(True)
    optimizer = optimizer_class([theta], lr=lr, weight_decay=weight_decay)
    theta.grad = torch.zeros_like(theta)
    optimizer.step()
    return theta.detach()


adam_first_step = functools.partial(_torch_first_step, torch.optim.Adam)
adamw_first_step = functools.partial(_torch_first_step, torch.optim.AdamW)


def adam_first_step_by_formula(theta, lr, weight_decay):
    # the gradient is weight_decay * theta; after bias correction Adam divides it by its own size
    gradient = weight_decay * theta
    return theta - lr * gradient / (gradient.abs() + EPS)


def adam_first_step_by_sign(theta, lr, weight_decay):
    return theta - lr * torch.sign(theta)


def adamw_first_step_by_formula(theta, lr, weight_decay):
    return theta * (1 - lr * weight_decay)


def adam_first_step_in_place(theta, lr, weight_decay):
    theta.requires_grad_(True)
    optimizer = torch.optim.Adam([theta], lr=lr, weight_decay=weight_decay)
    theta.grad = torch.zeros_like(theta)
    optimizer.step()
    return theta.detach().clone()


def adamw_first_step_without_lr(theta, lr, weight_decay):
    return theta * (1 - weight_decay)


def adamw_first_step_plus_adam(theta, lr, weight_decay):
    return theta * (1 - lr * weight_decay) - lr * torch.sign(theta)


# ---------------------------------------------------------------- build_net_with_dropout


def mlp(hidden_block, sizes=(784, 128, 64, 10), before=(), after=()):
    """Linear layers of `sizes`, with the modules of `hidden_block()` after each but the last."""
    layers = list(before)
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [nn.Linear(n_in, n_out), *hidden_block()]
    return nn.Sequential(*layers, nn.Linear(*sizes[-2:]), *after)


def build_net_with_dropout(p):
    return mlp(lambda: [nn.ReLU(), nn.Dropout(p)])


def dropout_before_relu(p):
    return mlp(lambda: [nn.Dropout(p), nn.ReLU()])


class FunctionalDropoutNet(nn.Module):
    """The Module-subclass style: functional dropout, switched off by self.training."""

    def __init__(self, p):
        super().__init__()
        self.p = p
        self.hidden1, self.hidden2, self.output = nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 10)

    def drop(self, x):
        return F.dropout(x, self.p, training=self.training)

    def forward(self, x):
        x = self.drop(torch.relu(self.hidden1(x)))
        x = self.drop(torch.relu(self.hidden2(x)))
        return self.output(x)


class HandMadeDropoutNet(FunctionalDropoutNet):
    def drop(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class AlwaysDroppingNet(FunctionalDropoutNet):
    def drop(self, x):
        return F.dropout(x, self.p)  # training=True by default: on in eval mode too


class UnscaledDropoutNet(FunctionalDropoutNet):
    def drop(self, x):
        return x * (torch.rand_like(x) >= self.p) if self.training else x


def dropout_after_last_layer(p):
    return mlp(lambda: [nn.ReLU(), nn.Dropout(p)], after=[nn.Dropout(p)])


def dropout_on_the_input(p):
    return mlp(lambda: [nn.ReLU(), nn.Dropout(p)], before=[nn.Dropout(p)])


def dropout_with_keep_probability(p):
    return mlp(lambda: [nn.ReLU(), nn.Dropout(1 - p)])


def dropout_twice_per_layer(p):
    return mlp(lambda: [nn.Dropout(p), nn.ReLU(), nn.Dropout(p)])


def net_without_dropout(p):
    return build_net()


def wider_net_with_dropout(p):
    return mlp(lambda: [nn.ReLU(), nn.Dropout(p)], sizes=(784, 256, 128, 10))


def dropout_after_first_layer_only(p):
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


cached_net_with_dropout = functools.cache(build_net_with_dropout)  # the same network for the same p

_SHARED_LINEARS = (nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 10))  # made once, reused by every call


def net_of_shared_layers(p):
    first, second, last = _SHARED_LINEARS
    return nn.Sequential(first, nn.ReLU(), nn.Dropout(p), second, nn.ReLU(), nn.Dropout(p), last)


# ---------------------------------------------------------------- dropout_experiment


def dropout_experiment_setup(p, lr=1e-4):
    net = build_net_with_dropout(p)
    return net, torch.optim.Adam(net.parameters(), lr=lr)


def dropout_experiment_setup_explicit(p, lr=1e-4):
    net = FunctionalDropoutNet(p)
    optimizer = torch.optim.Adam(params=net.parameters(), lr=lr, weight_decay=0)
    return net, optimizer


def setup_optimizing_another_net(p, lr=1e-4):
    return build_net_with_dropout(p), torch.optim.Adam(build_net_with_dropout(p).parameters(), lr=lr)


def setup_ignoring_lr(p, lr=1e-4):
    net = build_net_with_dropout(p)
    return net, torch.optim.Adam(net.parameters())


def setup_with_weight_decay(p, lr=1e-4):
    net = build_net_with_dropout(p)
    return net, torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-4)


def setup_with_adamw(p, lr=1e-4):
    net = build_net_with_dropout(p)
    return net, torch.optim.AdamW(net.parameters(), lr=lr)


def setup_without_dropout(p, lr=1e-4):
    net = build_net()
    return net, torch.optim.Adam(net.parameters(), lr=lr)


def setup_in_swapped_order(p, lr=1e-4):
    net, optimizer = dropout_experiment_setup(p, lr)
    return optimizer, net


def setup_of_a_cached_net(p, lr=1e-4):
    net = cached_net_with_dropout(p)
    return net, torch.optim.Adam(net.parameters(), lr=lr)


# ---------------------------------------------------------------- plot_learning_curve


def plot_learning_curve(histories, values, xlabel, xscale="linear"):
    histories = list(histories)
    fig, axs = plt.subplots(ncols=2, nrows=1, figsize=(9, 3))
    for ax, stat in zip(axs, ["loss", "accuracy"], strict=True):
        for key in [f"train {stat}", f"validation {stat}"]:
            ax.plot(values, [history[key][-1] for history in histories], ".-", label=key)
        ax.set_xscale(xscale)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(stat)
        ax.legend()
    return fig


def scatter_learning_curve(histories, values, xlabel, xscale="linear"):
    """Another style: a Figure made without pyplot, accuracy first, points instead of lines."""
    histories = list(histories)
    fig = Figure()
    for ax, stat in zip(fig.subplots(1, 2), ["accuracy", "loss"], strict=True):
        for phase in ["validation", "train"]:
            ax.scatter(values, [history[f"{phase} {stat}"][-1] for history in histories], label=phase)
        ax.set(xscale=xscale, xlabel=xlabel, ylabel=stat)
    return fig


def learning_curve_mistake(*, epoch=-1, n_axes=2, fixed_xscale=None, labelled=True, against_values=True,
                           returns=True):
    """A plot_learning_curve that makes the mistakes asked for."""

    def plot(histories, values, xlabel, xscale="linear"):
        histories = list(histories)
        fig, axs = plt.subplots(ncols=n_axes, squeeze=False)
        for i, stat in enumerate(["loss", "accuracy"]):
            ax = axs[0, i % n_axes]
            for key in [f"train {stat}", f"validation {stat}"]:
                ys = [history[key][epoch] for history in histories]
                ax.plot(*([values, ys] if against_values else [ys]))
            ax.set_xscale(fixed_xscale or xscale)
            if labelled:
                ax.set(xlabel=xlabel, ylabel=stat)
        return fig if returns else None

    return plot


# ---------------------------------------------------------------- BestModelTracker


class BestModelTracker:
    def __init__(self):
        self.best_net, self.best_epoch, self.best_stats = None, None, None
        self.best_loss = float("inf")

    def is_better(self, loss):
        return loss < self.best_loss

    def keep(self, net):
        return copy.deepcopy(net)

    def __call__(self, net, epoch, epoch_stats):
        if self.is_better(epoch_stats["validation loss"]):
            self.best_loss = epoch_stats["validation loss"]
            self.best_net = self.keep(net)
            self.best_epoch = epoch
            self.best_stats = dict(epoch_stats)


class ReloadingTracker(BestModelTracker):
    def keep(self, net):
        best_net = build_net()
        best_net.load_state_dict(copy.deepcopy(net.state_dict()))
        return best_net


class NotebookTemplateTracker:
    """The notebook's template, with best_stats holding an infinite loss to start from."""

    def __init__(self):
        self.best_net = None
        self.best_epoch = 0
        self.best_stats = {"train loss": torch.inf, "validation loss": torch.inf,
                           "train accuracy": 0, "validation accuracy": 0}

    def __call__(self, net, epoch, epoch_stats):
        if epoch_stats["validation loss"] < self.best_stats["validation loss"]:
            self.best_net = copy.deepcopy(net)
            self.best_epoch = epoch
            self.best_stats = epoch_stats


class UncopiedTracker(BestModelTracker):
    def keep(self, net):
        return net


class ShallowCopyTracker(BestModelTracker):
    def keep(self, net):
        return copy.copy(net)


class StateDictTracker(BestModelTracker):
    def keep(self, net):
        return copy.deepcopy(net.state_dict())


class LaterTieTracker(BestModelTracker):
    def is_better(self, loss):
        return loss <= self.best_loss


class LastStatsTracker(BestModelTracker):
    def __call__(self, net, epoch, epoch_stats):
        super().__call__(net, epoch, epoch_stats)
        self.best_stats = epoch_stats  # updated every epoch, not only at a better one


class SharedStateTracker:
    """The seed's globals turned into class attributes: every tracker shares them."""

    best_loss, best_net, best_epoch, best_stats = float("inf"), None, None, None

    def __call__(self, net, epoch, epoch_stats):
        if epoch_stats["validation loss"] < SharedStateTracker.best_loss:
            SharedStateTracker.best_loss = epoch_stats["validation loss"]
            SharedStateTracker.best_net = copy.deepcopy(net)
            SharedStateTracker.best_epoch = epoch
            SharedStateTracker.best_stats = epoch_stats


# ---------------------------------------------------------------- EarlyStopper


class EarlyStopper:
    def __init__(self, patience=5):
        self.patience = patience
        self.best_loss = float("inf")
        self.waited = 0

    def is_better(self, loss):
        return loss < self.best_loss

    def improve(self, loss):
        self.best_loss, self.waited = loss, 0

    def decide(self):
        return Stop if self.waited >= self.patience else None

    def __call__(self, net, epoch, epoch_stats):
        loss = epoch_stats["validation loss"]
        if self.is_better(loss):
            self.improve(loss)
        else:
            self.waited += 1
        return self.decide()


class EpochArithmeticStopper:
    def __init__(self, patience=5):
        self.patience = patience
        self.best_loss, self.best_epoch = float("inf"), 0

    def __call__(self, net, epoch, epoch_stats):
        if epoch_stats["validation loss"] < self.best_loss:
            self.best_loss, self.best_epoch = epoch_stats["validation loss"], epoch
        elif epoch - self.best_epoch >= self.patience:
            return Stop
        return None


class LossHistoryStopper:
    def __init__(self, patience=5):
        self.patience = patience
        self.losses = []

    def __call__(self, net, epoch, epoch_stats):
        self.losses.append(epoch_stats["validation loss"])
        earlier, recent = self.losses[:-self.patience], self.losses[-self.patience:]
        if earlier and min(recent) >= min(earlier):
            return Stop
        return None


class LateStopper(EarlyStopper):
    def decide(self):
        return Stop if self.waited > self.patience else None


class FixedPatienceStopper(EarlyStopper):
    def decide(self):
        return Stop if self.waited >= 5 else None


class StringStopper(EarlyStopper):
    def decide(self):
        return "stop" if self.waited >= self.patience else None


class FalseStopper(EarlyStopper):
    def decide(self):
        return Stop if self.waited >= self.patience else False


class TiesImproveStopper(EarlyStopper):
    def is_better(self, loss):
        return loss <= self.best_loss


class NeverResetStopper(EarlyStopper):
    def improve(self, loss):
        self.best_loss = loss  # the count of epochs without improvement goes on


class PreviousEpochStopper(EarlyStopper):
    previous = float("inf")

    def is_better(self, loss):
        better, self.previous = loss < self.previous, loss
        return better


class SharedStateStopper:
    state = {"best loss": float("inf"), "waited": 0}  # a mutable class attribute: one for every instance

    def __init__(self, patience=5):
        self.patience = patience

    def __call__(self, net, epoch, epoch_stats):
        if epoch_stats["validation loss"] < self.state["best loss"]:
            self.state.update({"best loss": epoch_stats["validation loss"], "waited": 0})
        else:
            self.state["waited"] += 1
        return Stop if self.state["waited"] >= self.patience else None


# ---------------------------------------------------------------- the tests

CORRECT = [
    pytest.param("build_optimizer", {"build_optimizer": build_optimizer}, id="Adam"),
    pytest.param("build_optimizer", {"build_optimizer": build_optimizer_with_param_group}, id="Adam param group"),
    pytest.param("l2_penalty", {"l2_penalty": l2_penalty}, id="sum of squares"),
    pytest.param("l2_penalty", {"l2_penalty": l2_penalty_of_flat_parameters}, id="squared norm of flat"),
    pytest.param("l2_penalty", {"l2_penalty": l2_penalty_in_a_loop}, id="loop"),
    pytest.param("adam_vs_adamw", {"adam_first_step": adam_first_step, "adamw_first_step": adamw_first_step},
                 id="torch optimizers"),
    pytest.param("adam_vs_adamw", {"adam_first_step": adam_first_step_by_formula,
                                   "adamw_first_step": adamw_first_step_by_formula}, id="formulas"),
    pytest.param("adam_vs_adamw", {"adam_first_step": adam_first_step_by_sign,
                                   "adamw_first_step": adamw_first_step_by_formula}, id="sign approximation"),
    pytest.param("build_net_with_dropout", {"build_net_with_dropout": build_net_with_dropout}, id="after ReLU"),
    pytest.param("build_net_with_dropout", {"build_net_with_dropout": dropout_before_relu}, id="before ReLU"),
    pytest.param("build_net_with_dropout", {"build_net_with_dropout": FunctionalDropoutNet}, id="functional"),
    pytest.param("build_net_with_dropout", {"build_net_with_dropout": HandMadeDropoutNet}, id="hand-made mask"),
    pytest.param("dropout_experiment", {"dropout_experiment_setup": dropout_experiment_setup}, id="setup"),
    pytest.param("dropout_experiment", {"dropout_experiment_setup": dropout_experiment_setup_explicit},
                 id="setup with explicit weight_decay=0"),
    pytest.param("plot_learning_curve", {"plot_learning_curve": plot_learning_curve}, id="pyplot lines"),
    pytest.param("plot_learning_curve", {"plot_learning_curve": scatter_learning_curve}, id="Figure scatter"),
    pytest.param("BestModelTracker", {"BestModelTracker": BestModelTracker}, id="deepcopy"),
    pytest.param("BestModelTracker", {"BestModelTracker": ReloadingTracker}, id="state_dict reload"),
    pytest.param("BestModelTracker", {"BestModelTracker": NotebookTemplateTracker}, id="notebook template"),
    pytest.param("EarlyStopper", {"EarlyStopper": EarlyStopper}, id="counter"),
    pytest.param("EarlyStopper", {"EarlyStopper": EpochArithmeticStopper}, id="epoch arithmetic"),
    pytest.param("EarlyStopper", {"EarlyStopper": LossHistoryStopper}, id="loss history"),
    pytest.param("grid_size", {"N_GRID_EXPERIMENTS": 4 * 5 * 6}, id="product"),
]


def mistake(description, grade_id, answers, failing, keyword):
    """A wrong answer, the checks it must fail (space separated) and a word its messages must use."""
    return pytest.param(grade_id, answers, set(failing.split()), keyword, id=description)


WRONG = [
    mistake("AdamW instead of Adam", "build_optimizer", {"build_optimizer": adamw_optimizer},
            "optimizer_is_adam", "AdamW"),
    mistake("Adam with decoupled weight decay", "build_optimizer", {"build_optimizer": decoupled_adam_optimizer},
            "optimizer_is_adam", "decoupled"),
    mistake("SGD", "build_optimizer", {"build_optimizer": sgd_optimizer}, "optimizer_is_adam", "not torch.optim.Adam"),
    mistake("weight decay ignored", "build_optimizer", {"build_optimizer": optimizer_without_weight_decay},
            "optimizer_uses_the_weight_decay", "weight_decay"),
    mistake("lr ignored", "build_optimizer", {"build_optimizer": optimizer_with_fixed_lr},
            "optimizer_uses_the_learning_rate", "lr argument"),
    mistake("default lr of Adam", "build_optimizer", {"build_optimizer": optimizer_with_default_lr_of_adam},
            "optimizer_uses_the_learning_rate", "default learning rate"),
    mistake("parameters of a new net", "build_optimizer", {"build_optimizer": optimizer_of_a_new_net},
            "optimizer_updates_the_given_network", "not those of the network"),
    mistake("first layer only", "build_optimizer", {"build_optimizer": optimizer_of_the_first_layer},
            "optimizer_updates_the_given_network", "leaves some parameters"),
    mistake("penalty without 1/2", "l2_penalty", {"l2_penalty": penalty_without_half},
            "penalty_value_is_half_weight_decay_times_squares penalty_matches_adam_weight_decay", "twice"),
    mistake("penalty on weights only", "l2_penalty", {"l2_penalty": penalty_on_weights_only},
            "penalty_covers_the_biases penalty_matches_adam_weight_decay", "biases"),
    mistake("penalty as .item()", "l2_penalty", {"l2_penalty": penalty_as_item},
            "penalty_is_a_differentiable_scalar penalty_matches_adam_weight_decay", "plain number"),
    mistake("penalty detached", "l2_penalty", {"l2_penalty": penalty_detached},
            "penalty_is_a_differentiable_scalar penalty_matches_adam_weight_decay", "detached"),
    mistake("penalty of norms, not squares", "l2_penalty", {"l2_penalty": penalty_of_norms},
            "penalty_value_is_half_weight_decay_times_squares penalty_matches_adam_weight_decay", "sum of the squares"),
    mistake("penalty of the first layer only", "l2_penalty", {"l2_penalty": penalty_of_the_first_layer},
            "penalty_value_is_half_weight_decay_times_squares penalty_matches_adam_weight_decay", "every layer"),
    mistake("Adam step changes theta in place", "adam_vs_adamw",
            {"adam_first_step": adam_first_step_in_place, "adamw_first_step": adamw_first_step},
            "first_steps_leave_theta_unchanged", "in place"),
    mistake("AdamW decay without lr", "adam_vs_adamw",
            {"adam_first_step": adam_first_step, "adamw_first_step": adamw_first_step_without_lr},
            "adamw_first_step_matches_torch", "AdamW"),
    mistake("Adam and AdamW swapped", "adam_vs_adamw",
            {"adam_first_step": adamw_first_step, "adamw_first_step": adam_first_step},
            "adam_first_step_matches_torch adamw_first_step_matches_torch", "takes the first step of"),
    mistake("Adam's L2 read as plain decay", "adam_vs_adamw",
            {"adam_first_step": adamw_first_step_by_formula, "adamw_first_step": adamw_first_step},
            "adam_first_step_matches_torch", "first step of AdamW"),
    mistake("AdamW adds Adam's normalised step", "adam_vs_adamw",
            {"adam_first_step": adam_first_step, "adamw_first_step": adamw_first_step_plus_adam},
            "adamw_first_step_matches_torch", "first step of torch.optim.AdamW"),
    mistake("dropout after the last layer", "build_net_with_dropout",
            {"build_net_with_dropout": dropout_after_last_layer},
            "no_dropout_on_the_input_or_the_output", "after the last linear layer"),
    mistake("dropout on the input", "build_net_with_dropout", {"build_net_with_dropout": dropout_on_the_input},
            "no_dropout_on_the_input_or_the_output", "input"),
    mistake("dropout active in eval mode", "build_net_with_dropout", {"build_net_with_dropout": AlwaysDroppingNet},
            "dropout_net_is_the_seed_mlp_in_eval_mode", "eval mode"),
    mistake("same net returned twice", "build_net_with_dropout",
            {"build_net_with_dropout": cached_net_with_dropout}, "dropout_net_is_new_on_every_call", "same network"),
    mistake("layers shared between calls", "build_net_with_dropout", {"build_net_with_dropout": net_of_shared_layers},
            "dropout_net_is_new_on_every_call", "share parameters"),
    mistake("one dropout layer only", "build_net_with_dropout",
            {"build_net_with_dropout": dropout_after_first_layer_only},
            "dropout_after_the_second_linear_layer", "second linear layer"),
    mistake("keep probability instead of p", "build_net_with_dropout",
            {"build_net_with_dropout": dropout_with_keep_probability},
            "dropout_net_is_random_in_training_mode dropout_after_the_first_linear_layer "
            "dropout_after_the_second_linear_layer", "other than p"),
    mistake("dropout before and after ReLU", "build_net_with_dropout",
            {"build_net_with_dropout": dropout_twice_per_layer},
            "dropout_after_the_first_linear_layer dropout_after_the_second_linear_layer", "other than p"),
    mistake("unscaled hand-made mask", "build_net_with_dropout", {"build_net_with_dropout": UnscaledDropoutNet},
            "dropout_after_the_first_linear_layer dropout_after_the_second_linear_layer", "1/(1-p)"),
    mistake("no dropout", "build_net_with_dropout", {"build_net_with_dropout": net_without_dropout},
            "dropout_net_is_random_in_training_mode dropout_after_the_first_linear_layer "
            "dropout_after_the_second_linear_layer", "no dropout"),
    mistake("other layer sizes", "build_net_with_dropout", {"build_net_with_dropout": wider_net_with_dropout},
            "dropout_net_has_the_seed_layers dropout_net_is_the_seed_mlp_in_eval_mode "
            "dropout_net_is_random_in_training_mode dropout_after_the_first_linear_layer "
            "dropout_after_the_second_linear_layer no_dropout_on_the_input_or_the_output", "784-128-64-10"),
    mistake("optimizer of another net", "dropout_experiment",
            {"dropout_experiment_setup": setup_optimizing_another_net},
            "setup_optimizer_is_adam_over_the_net", "not those of the network"),
    mistake("setup ignores lr", "dropout_experiment", {"dropout_experiment_setup": setup_ignoring_lr},
            "setup_optimizer_settings", "lr argument"),
    mistake("setup keeps weight decay", "dropout_experiment", {"dropout_experiment_setup": setup_with_weight_decay},
            "setup_optimizer_settings", "weight decay"),
    mistake("setup with AdamW", "dropout_experiment", {"dropout_experiment_setup": setup_with_adamw},
            "setup_optimizer_is_adam_over_the_net setup_optimizer_settings", "AdamW"),
    mistake("setup without dropout", "dropout_experiment", {"dropout_experiment_setup": setup_without_dropout},
            "setup_net_has_dropout_of_p", "no dropout"),
    mistake("setup returns (optimizer, net)", "dropout_experiment",
            {"dropout_experiment_setup": setup_in_swapped_order},
            "setup_returns_net_and_optimizer setup_net_has_dropout_of_p setup_builds_a_new_network "
            "setup_optimizer_is_adam_over_the_net setup_optimizer_settings", "order"),
    mistake("setup reuses a network", "dropout_experiment", {"dropout_experiment_setup": setup_of_a_cached_net},
            "setup_builds_a_new_network", "new network"),
    mistake("one axes for loss and accuracy", "plot_learning_curve",
            {"plot_learning_curve": learning_curve_mistake(n_axes=1)}, "plot_returns_a_figure_with_two_axes",
            "two axes"),
    mistake("xscale ignored", "plot_learning_curve",
            {"plot_learning_curve": learning_curve_mistake(fixed_xscale="log")},
            "plot_uses_the_x_scale", "xscale"),
    mistake("axes unlabelled", "plot_learning_curve", {"plot_learning_curve": learning_curve_mistake(labelled=False)},
            "plot_labels_both_axes", "label"),
    mistake("first epoch plotted", "plot_learning_curve", {"plot_learning_curve": learning_curve_mistake(epoch=0)},
            "plot_shows_the_final_loss plot_shows_the_final_accuracy", "first epoch"),
    mistake("plotted against the index", "plot_learning_curve",
            {"plot_learning_curve": learning_curve_mistake(against_values=False)},
            "plot_shows_the_final_loss plot_shows_the_final_accuracy", "against `values`"),
    mistake("figure not returned", "plot_learning_curve",
            {"plot_learning_curve": learning_curve_mistake(returns=False)}, "plot_returns_a_figure_with_two_axes",
            "return"),
    mistake("best_net = net", "BestModelTracker", {"BestModelTracker": UncopiedTracker},
            "tracker_best_net_is_a_copy tracker_works_with_fit", "not a copy"),
    mistake("shallow copy", "BestModelTracker", {"BestModelTracker": ShallowCopyTracker},
            "tracker_best_net_is_a_copy tracker_works_with_fit", "deep copy"),
    mistake("state_dict kept as best_net", "BestModelTracker", {"BestModelTracker": StateDictTracker},
            "tracker_best_net_is_a_copy tracker_works_with_fit", "nn.Module"),
    mistake("later tie wins", "BestModelTracker", {"BestModelTracker": LaterTieTracker},
            "tracker_finds_the_best_epoch", "strictly lower"),
    mistake("stats of the last epoch", "BestModelTracker", {"BestModelTracker": LastStatsTracker},
            "tracker_keeps_the_best_stats tracker_works_with_fit", "last epoch's statistics"),
    mistake("tracker state on the class", "BestModelTracker", {"BestModelTracker": SharedStateTracker},
            "tracker_finds_the_best_epoch tracker_keeps_the_best_stats tracker_works_with_fit", "afresh"),
    mistake("stops one epoch late", "EarlyStopper", {"EarlyStopper": LateStopper},
            "stopper_stops_when_the_loss_stops_improving stopper_compares_with_the_best_loss "
            "stopper_uses_the_patience stopper_stops_fit", "too late"),
    mistake("patience fixed at 5", "EarlyStopper", {"EarlyStopper": FixedPatienceStopper},
            "stopper_uses_the_patience stopper_stops_fit", "patience"),
    mistake("returns the string 'stop'", "EarlyStopper", {"EarlyStopper": StringStopper},
            "stopper_stops_when_the_loss_stops_improving stopper_compares_with_the_best_loss "
            "stopper_uses_the_patience stopper_returns_stop_or_none stopper_stops_fit", "Stop marker"),
    mistake("returns False to go on", "EarlyStopper", {"EarlyStopper": FalseStopper},
            "stopper_returns_stop_or_none", "return None"),
    mistake("an equal loss counts as improvement", "EarlyStopper", {"EarlyStopper": TiesImproveStopper},
            "stopper_stops_when_the_loss_stops_improving stopper_compares_with_the_best_loss "
            "stopper_uses_the_patience stopper_stops_fit", "never returns Stop"),
    mistake("counter never reset", "EarlyStopper", {"EarlyStopper": NeverResetStopper},
            "stopper_compares_with_the_best_loss stopper_keeps_going_while_improving", "improves"),
    mistake("compares with the previous epoch", "EarlyStopper", {"EarlyStopper": PreviousEpochStopper},
            "stopper_stops_when_the_loss_stops_improving stopper_compares_with_the_best_loss", "best"),
    mistake("stopper state on the class", "EarlyStopper", {"EarlyStopper": SharedStateStopper},
            "stopper_stops_when_the_loss_stops_improving stopper_compares_with_the_best_loss "
            "stopper_keeps_going_while_improving stopper_uses_the_patience stopper_state_is_per_instance "
            "stopper_stops_fit", "not on the class"),
    mistake("grid as a sum", "grid_size", {"N_GRID_EXPERIMENTS": 4 + 5 + 6}, "grid_counts_every_combination",
            "combination"),
    mistake("grid over two hyperparameters", "grid_size", {"N_GRID_EXPERIMENTS": 4 * 5},
            "grid_counts_every_combination", "combinations"),
]

# what the notebook's answer cells define, per graded item
NAMES = {"build_optimizer": ["build_optimizer"], "l2_penalty": ["l2_penalty"],
         "adam_vs_adamw": ["adam_first_step", "adamw_first_step"],
         "build_net_with_dropout": ["build_net_with_dropout"], "dropout_experiment": ["dropout_experiment_setup"],
         "plot_learning_curve": ["plot_learning_curve"], "BestModelTracker": ["BestModelTracker"],
         "EarlyStopper": ["EarlyStopper"], "grid_size": ["N_GRID_EXPERIMENTS"]}


def check_names(grade_id):
    return {item_check.name for item_check in checks_for(ASSIGNMENT)[grade_id]}


def test_every_graded_item_has_checks():
    """Does every grade_id of the graded interface have hidden checks, and nothing else?"""
    assert set(checks_for(ASSIGNMENT)) == set(GRADE_IDS) == set(NAMES)


@pytest.mark.parametrize(("grade_id", "answers"), CORRECT)
def test_correct_answer_gets_full_marks(grade_id, answers):
    """Does a correct answer, in each style a student may write, pass every check?"""
    result = run_checks(ASSIGNMENT, grade_id, namespace(**answers))
    assert result.messages == []
    assert result.fraction == 1.0


def test_correct_styles_cover_every_item():
    """Does every graded item have a correct answer, and two styles where styles exist?"""
    styles = [param.values[0] for param in CORRECT]
    assert set(styles) == set(GRADE_IDS)
    assert all(styles.count(grade_id) >= 2 for grade_id in GRADE_IDS if grade_id != "grid_size")


@pytest.mark.parametrize(("grade_id", "answers", "failing", "keyword"), WRONG)
def test_mistake_fails_the_checks_of_its_concept(grade_id, answers, failing, keyword):
    """Does a realistic mistake lose exactly the checks of its concept, with a message naming it?"""
    result = run_checks(ASSIGNMENT, grade_id, namespace(**answers))
    assert result.fraction < 1
    assert check_names(grade_id) - set(result.passed) == failing
    assert any(keyword.lower() in message.lower() for message in result.messages), result.messages


def test_mistakes_cover_every_item():
    """Is there a realistic mistake for every graded item, and at least 25 in all?"""
    grade_ids = [param.values[0] for param in WRONG]
    assert set(grade_ids) == set(GRADE_IDS)
    assert len(grade_ids) >= 25


@pytest.mark.parametrize("grade_id", GRADE_IDS)
def test_missing_answer_gets_zero_with_not_defined(grade_id):
    """Does a namespace without the answer get no points, with a message to run its cell?"""
    result = run_checks(ASSIGNMENT, grade_id, namespace())
    assert result.fraction == 0
    assert result.messages
    assert all("is not defined" in message for message in result.messages)


def _raise_not_implemented(*args, **kwargs):
    raise NotImplementedError


class StubClass:
    """A class cell left as the template: it can be built, but calling it raises."""

    def __init__(self, *args, **kwargs):
        pass

    __call__ = _raise_not_implemented


@pytest.mark.parametrize("grade_id", [grade_id for grade_id in GRADE_IDS if grade_id != "grid_size"])
def test_stub_is_reported_as_not_attempted(grade_id):
    """Does an answer that still raises NotImplementedError get no points, reported as not attempted?"""
    stubs = {name: StubClass if name[0].isupper() else _raise_not_implemented for name in NAMES[grade_id]}
    result = run_checks(ASSIGNMENT, grade_id, namespace(**stubs))
    assert result.fraction == 0
    assert all("not attempted" in message for message in result.messages)


def test_checks_leave_the_notebook_state_alone():
    """Do the checks leave the notebook's random numbers and open figures as they found them?"""
    torch.manual_seed(1)
    rng_state = torch.get_rng_state()
    figure_numbers = plt.get_fignums()
    for grade_id, answers in (param.values for param in CORRECT):
        run_checks(ASSIGNMENT, grade_id, namespace(**answers))
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert plt.get_fignums() == figure_numbers
