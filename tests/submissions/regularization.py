"""Answer cells of `regularization` submissions: realistic mistakes and other correct styles.

Every source is a whole answer cell as a student would type it in the notebook, where
the setup cell has imported copy, matplotlib.pyplot as plt, numpy as np, torch and
reglab, and `HistoryPlotter, Stop, build_net, fit` from reglab. Cells a variant does
not name keep the solution. Most are written as replacements in the solution's cell
(without its docstrings), or in another student's correct layout below: see
``answer_builders`` in tests/submissions/__init__.py.

- KNOWN_WRONG: one mistake each, that gets past the notebook's visible checks and costs
  points on its own item only, failing exactly the checks its `fails` names. They are
  graded as whole notebooks (tests/test_fixture_submissions.py) and held to the hidden
  checks (tests/test_hidden_checks.py).
- CHECK_LEVEL_WRONG: mistakes held to the hidden checks only, because the notebook
  cannot show them on one item alone: the visible checks of the test cell already
  reject them (the student sees an assertion before handing in).
- ALTERNATIVE_CORRECT: correct answers in other styles than the solution's; full marks.
"""

from tests.submissions import Variant, answer_builders

ASSIGNMENT = "regularization"
wrong, cell = answer_builders(ASSIGNMENT)

# correct answers in other layouts than the solution's, which several mistakes below edit
_DROPOUT_NET = """
    def build_net_with_dropout(p):
        return torch.nn.Sequential(
            torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Dropout(p),
            torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Dropout(p),
            torch.nn.Linear(64, 10),
        )
    """
_DROPOUT_MODULE = """
    from torch import nn
    from torch.nn import functional as F


    class DropoutNet(nn.Module):
        def __init__(self, p):
            super().__init__()
            self.p = p
            self.hidden1, self.hidden2, self.output = nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 10)

        def forward(self, x):
            x = F.dropout(F.relu(self.hidden1(x)), self.p, training=self.training)
            x = F.dropout(F.relu(self.hidden2(x)), self.p, training=self.training)
            return self.output(x)


    def build_net_with_dropout(p):
        return DropoutNet(p)
    """
_STOPPER = """
    class EarlyStopper:
        def __init__(self, patience=5):
            self.patience = patience
            self.best_loss = float('inf')
            self.bad_epochs = 0

        def __call__(self, net, epoch, epoch_stats):
            if epoch_stats['validation loss'] < self.best_loss:
                self.best_loss = epoch_stats['validation loss']
                self.bad_epochs = 0
            else:
                self.bad_epochs += 1
            if self.bad_epochs >= self.patience:
                return Stop
    """

# the learning-curve mistakes make their figure the plain way
_PLAIN_FIGURE = {"nrows=1, figsize=(4.5 * 2, 3), layout='constrained'": "figsize=(9, 3)"}


KNOWN_WRONG: dict[str, Variant] = {
    # ------------------------------------------------------------ build_optimizer
    "optimizer-is-adamw": wrong(
        "build_optimizer", "AdamW", fails="test_optimizer_is_adam",
        replace={"torch.optim.Adam": "torch.optim.AdamW"}),
    "optimizer-decouples-weight-decay": wrong(
        "build_optimizer", "decoupled", fails="test_optimizer_is_adam",
        replace={"weight_decay=weight_decay)": "weight_decay=weight_decay, decoupled_weight_decay=True)"}),
    "optimizer-is-sgd": wrong(
        "build_optimizer", "not torch.optim.Adam", fails="test_optimizer_is_adam",
        replace={"torch.optim.Adam": "torch.optim.SGD"}),
    "optimizer-ignores-lr": wrong(
        "build_optimizer", "lr argument", fails="test_optimizer_uses_the_learning_rate",
        replace={"lr=lr,": "lr=1e-4,"}),
    "optimizer-hard-codes-weight-decay": wrong(
        "build_optimizer", "weight_decay argument", fails="test_optimizer_uses_the_weight_decay",
        replace={"weight_decay=weight_decay)": "weight_decay=0.01)"}),
    "optimizer-of-a-new-net": wrong(
        "build_optimizer", "not those of the network", fails="test_optimizer_updates_the_given_network",
        replace={"net.parameters": "build_net().parameters"}),
    # ------------------------------------------------------------ l2_penalty
    "penalty-of-the-first-layer": wrong(
        "l2_penalty", "every layer",
        fails="test_penalty_value_is_half_weight_decay_times_squares test_penalty_matches_adam_weight_decay",
        source="""
        def l2_penalty(net, weight_decay):
            weight, bias = list(net.parameters())[:2]
            return weight_decay / 2 * ((weight ** 2).sum() + (bias ** 2).sum())
        """),
    "penalty-of-the-output-layer": wrong(
        "l2_penalty", "every layer",
        fails="test_penalty_value_is_half_weight_decay_times_squares test_penalty_matches_adam_weight_decay",
        source="""
        def l2_penalty(net, weight_decay):
            *_, weight, bias = net.parameters()
            return weight_decay / 2 * ((weight ** 2).sum() + (bias ** 2).sum())
        """),
    "penalty-of-a-copy-of-the-net": wrong(
        "l2_penalty", "same steps", fails="test_penalty_matches_adam_weight_decay",
        replace={
            "    return":
                "    net = copy.deepcopy(net)  # so that computing the penalty cannot change the network\n"
                "    return",
        }),
    # ------------------------------------------------------------ adam_vs_adamw
    "adamw-decay-without-lr": wrong(
        "adam_vs_adamw", "first step of torch.optim.AdamW", fails="test_adamw_first_step_matches_torch",
        source="""
        def adam_first_step(theta, lr, weight_decay):
            theta = theta.clone().requires_grad_(True)
            optimizer = torch.optim.Adam([theta], lr=lr, weight_decay=weight_decay)
            theta.grad = torch.zeros_like(theta)
            optimizer.step()
            return theta.detach()


        def adamw_first_step(theta, lr, weight_decay):
            return theta * (1 - weight_decay)
        """),
    "adam-and-adamw-swapped": wrong(
        "adam_vs_adamw", "takes the first step of",
        fails="test_adam_first_step_matches_torch test_adamw_first_step_matches_torch",
        source="""
        def adam_first_step(theta, lr, weight_decay):
            return theta * (1 - lr * weight_decay)


        def adamw_first_step(theta, lr, weight_decay):
            return theta - lr * torch.sign(theta)
        """),
    "adam-l2-read-as-plain-decay": wrong(
        "adam_vs_adamw", "first step of AdamW", fails="test_adam_first_step_matches_torch",
        source="""
        def adam_first_step(theta, lr, weight_decay):
            # the L2 term adds weight_decay * theta to the gradient, so Adam shrinks theta by lr * weight_decay
            return theta - lr * weight_decay * theta


        def adamw_first_step(theta, lr, weight_decay):
            return theta * (1 - lr * weight_decay)
        """),
    "adamw-adds-adams-normalised-step": wrong(
        "adam_vs_adamw", "first step of torch.optim.AdamW", fails="test_adamw_first_step_matches_torch",
        source="""
        def adam_first_step(theta, lr, weight_decay):
            return theta - lr * torch.sign(theta)


        def adamw_first_step(theta, lr, weight_decay):
            # decay the weights, then take Adam's step
            return theta * (1 - lr * weight_decay) - lr * torch.sign(theta)
        """),
    # ------------------------------------------------------------ build_net_with_dropout
    "dropout-after-last-layer": wrong(
        "build_net_with_dropout", "after the last linear layer", fails="test_no_dropout_on_the_input_or_the_output",
        source=_DROPOUT_NET,
        replace={"torch.nn.Linear(64, 10),": "torch.nn.Linear(64, 10), torch.nn.Dropout(p),"}),
    "dropout-on-the-input": wrong(
        "build_net_with_dropout", "drops input pixels", fails="test_no_dropout_on_the_input_or_the_output",
        source=_DROPOUT_NET,
        replace={
            "return torch.nn.Sequential(":
                "return torch.nn.Sequential(\n"
                "        torch.nn.Dropout(p),",
        }),
    "net-ends-with-softmax": wrong(
        "build_net_with_dropout", "seed MLP",
        fails="test_dropout_net_is_the_seed_mlp_in_eval_mode test_no_dropout_on_the_input_or_the_output",
        source=_DROPOUT_NET,
        replace={"torch.nn.Linear(64, 10),": "torch.nn.Linear(64, 10), torch.nn.Softmax(dim=1),"}),
    "dropout-layers-shared-between-calls": wrong(
        "build_net_with_dropout", "share parameters", fails="test_dropout_net_is_new_on_every_call",
        source="""
        first, second, last = torch.nn.Linear(784, 128), torch.nn.Linear(128, 64), torch.nn.Linear(64, 10)


        def build_net_with_dropout(p):
            return torch.nn.Sequential(first, torch.nn.ReLU(), torch.nn.Dropout(p),
                                       second, torch.nn.ReLU(), torch.nn.Dropout(p), last)
        """),
    "dropout-after-first-layer-only": wrong(
        "build_net_with_dropout", "second linear layer", fails="test_dropout_after_the_second_linear_layer",
        source=_DROPOUT_NET,
        replace={
            "torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Dropout(p),":
                "torch.nn.Linear(128, 64), torch.nn.ReLU(),",
        }),
    "dropout-rate-is-keep-probability": wrong(
        "build_net_with_dropout", "not of keeping it",
        fails="test_dropout_net_is_random_in_training_mode test_dropout_after_the_first_linear_layer "
              "test_dropout_after_the_second_linear_layer",
        source="""
        def build_net_with_dropout(p):
            keep = 1 - p
            return torch.nn.Sequential(
                torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Dropout(keep),
                torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Dropout(keep),
                torch.nn.Linear(64, 10),
            )
        """),
    "dropout-before-and-after-relu": wrong(
        "build_net_with_dropout", "not with the probability p",
        fails="test_dropout_after_the_first_linear_layer test_dropout_after_the_second_linear_layer",
        source="""
        def build_net_with_dropout(p):
            return torch.nn.Sequential(
                torch.nn.Linear(784, 128), torch.nn.Dropout(p), torch.nn.ReLU(), torch.nn.Dropout(p),
                torch.nn.Linear(128, 64), torch.nn.Dropout(p), torch.nn.ReLU(), torch.nn.Dropout(p),
                torch.nn.Linear(64, 10),
            )
        """),
    "dropout-mask-unscaled": wrong(
        "build_net_with_dropout", "1/(1-p)",
        fails="test_dropout_after_the_first_linear_layer test_dropout_after_the_second_linear_layer",
        source="""
        class DropoutNet(torch.nn.Module):
            def __init__(self, p):
                super().__init__()
                self.p = p
                self.layers = torch.nn.ModuleList([torch.nn.Linear(784, 128), torch.nn.Linear(128, 64)])
                self.output = torch.nn.Linear(64, 10)

            def forward(self, x):
                for layer in self.layers:
                    x = torch.relu(layer(x))
                    if self.training:
                        x = x * (torch.rand_like(x) >= self.p)
                return self.output(x)


        def build_net_with_dropout(p):
            return DropoutNet(p)
        """),
    "dropout-net-with-other-sizes": wrong(
        "build_net_with_dropout", "784-128-64-10",
        fails="test_dropout_net_has_the_seed_layers test_dropout_net_is_the_seed_mlp_in_eval_mode "
              "test_dropout_net_is_random_in_training_mode test_dropout_after_the_first_linear_layer "
              "test_dropout_after_the_second_linear_layer test_no_dropout_on_the_input_or_the_output "
              "test_dropout_net_trains",
        source="""
        def build_net_with_dropout(p):
            return torch.nn.Sequential(
                torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Dropout(p),
                torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Dropout(p),
                torch.nn.Linear(128, 10),
            )
        """),
    # ------------------------------------------------------------ dropout_experiment
    "setup-optimizes-another-net": wrong(
        "dropout_experiment", "not those of the network", fails="test_setup_optimizer_is_adam_over_the_net",
        source="""
        def dropout_experiment_setup(p, lr=1e-4):
            optimizer = torch.optim.Adam(build_net_with_dropout(p).parameters(), lr=lr)
            return build_net_with_dropout(p), optimizer
        """),
    "setup-keeps-weight-decay": wrong(
        "dropout_experiment", "weight decay", fails="test_setup_optimizer_settings",
        source="""
        def dropout_experiment_setup(p, lr=1e-4):
            net = build_net_with_dropout(p)
            return net, build_optimizer(net, weight_decay=0.001, lr=lr)
        """),
    "setup-with-adamw": wrong(
        "dropout_experiment", "AdamW", fails="test_setup_optimizer_is_adam_over_the_net test_setup_optimizer_settings",
        source="""
        def dropout_experiment_setup(p, lr=1e-4):
            net = build_net_with_dropout(p)
            return net, torch.optim.AdamW(net.parameters(), lr=lr)
        """),
    "setup-without-dropout": wrong(
        "dropout_experiment", "build_net_with_dropout", fails="test_setup_net_is_build_net_with_dropout_of_p",
        source="""
        def dropout_experiment_setup(p, lr=1e-4):
            net = build_net()
            return net, torch.optim.Adam(net.parameters(), lr=lr)
        """),
    "setup-reuses-one-net-per-p": wrong(
        "dropout_experiment", "new network", fails="test_setup_builds_a_new_network",
        source="""
        nets = {}


        def dropout_experiment_setup(p, lr=1e-4):
            if p not in nets:
                nets[p] = build_net_with_dropout(p)
            return nets[p], torch.optim.Adam(nets[p].parameters(), lr=lr)
        """),
    # ------------------------------------------------------------ plot_learning_curve
    "learning-curve-ignores-xscale": wrong(
        "plot_learning_curve", "xscale", fails="test_plot_uses_the_x_scale",
        replace={**_PLAIN_FIGURE, "ax.set_xscale(xscale)": "ax.set_xscale('log')"}),
    "learning-curve-without-y-labels": wrong(
        "plot_learning_curve", "y axis", fails="test_plot_labels_both_axes",
        replace={**_PLAIN_FIGURE, "        ax.set_ylabel(stat)\n": ""}),
    "learning-curve-of-the-first-epoch": wrong(
        "plot_learning_curve", "first epoch", fails="test_plot_shows_the_final_loss test_plot_shows_the_final_accuracy",
        replace={**_PLAIN_FIGURE, "[history[key][-1]": "[history[key][0]"}),
    "learning-curve-against-the-run-index": wrong(
        "plot_learning_curve", "against `values`", fails="test_plot_shows_the_final_loss "
                                                         "test_plot_shows_the_final_accuracy",
        replace={**_PLAIN_FIGURE, "ax.plot(values, [history[key][-1]": "ax.plot([history[key][-1]"}),
    "learning-curve-of-validation-only": wrong(
        "plot_learning_curve", "train and validation", fails="test_plot_shows_the_final_loss "
                                                             "test_plot_shows_the_final_accuracy",
        source="""
        def plot_learning_curve(histories, values, xlabel, xscale='linear'):
            histories = list(histories)
            fig, axs = plt.subplots(ncols=2, figsize=(9, 3))
            for ax, stat in zip(axs, ['loss', 'accuracy']):
                ax.plot(values, [history[f'validation {stat}'][-1] for history in histories], '.-')
                ax.set_xscale(xscale)
                ax.set_xlabel(xlabel)
                ax.set_ylabel(f'validation {stat}')
            return fig
        """),
    # ------------------------------------------------------------ BestModelTracker
    "tracker-keeps-only-the-validation-loss": wrong(
        "BestModelTracker", "statistics", fails="test_tracker_keeps_the_best_stats",
        replace={"dict(epoch_stats)": "{'validation loss': epoch_stats['validation loss']}"}),
    "tracker-later-tie-wins": wrong(
        "BestModelTracker", "strictly lower", fails="test_tracker_finds_the_best_epoch",
        replace={
            "if epoch_stats['validation loss'] < self.best_stats['validation loss']:":
                "if epoch_stats['validation loss'] <= self.best_stats['validation loss']:",
            "dict(epoch_stats)": "epoch_stats",
        }),
    "tracker-state-on-the-class": wrong(
        "BestModelTracker", "afresh",
        fails="test_tracker_finds_the_best_epoch test_tracker_keeps_the_best_stats test_tracker_works_with_fit",
        source="""
        class BestModelTracker:
            best_net = None
            best_epoch = 0
            best_stats = {'train loss': torch.inf, 'validation loss': torch.inf,
                          'train accuracy': 0, 'validation accuracy': 0}

            def __call__(self, net, epoch, epoch_stats):
                if epoch_stats['validation loss'] < BestModelTracker.best_stats['validation loss']:
                    BestModelTracker.best_net = copy.deepcopy(net)
                    BestModelTracker.best_epoch = epoch
                    BestModelTracker.best_stats = epoch_stats
        """),
    # ------------------------------------------------------------ EarlyStopper
    "stopper-counts-ties-as-improvement": wrong(
        "EarlyStopper", "never returns Stop",
        fails="test_stopper_decides[stops_when_the_loss_stops_improving] "
              "test_stopper_decides[compares_with_the_best_loss] test_stopper_decides[uses_the_patience] "
              "test_stopper_stops_fit",
        source=_STOPPER,
        replace={
            "if epoch_stats['validation loss'] < self.best_loss:":
                "if epoch_stats['validation loss'] <= self.best_loss:",
        }),
    "stopper-counter-never-reset": wrong(
        "EarlyStopper", "improves", fails="test_stopper_decides[compares_with_the_best_loss] "
                                          "test_stopper_decides[keeps_going_while_improving]",
        source=_STOPPER,
        replace={"            self.bad_epochs = 0\n": ""}),
    "stopper-state-on-the-class": wrong(
        "EarlyStopper", "not on the class",
        fails="test_stopper_decides[stops_when_the_loss_stops_improving] "
              "test_stopper_decides[compares_with_the_best_loss] test_stopper_decides[keeps_going_while_improving] "
              "test_stopper_decides[uses_the_patience] test_stopper_state_is_per_instance test_stopper_stops_fit",
        source="""
        class EarlyStopper:
            losses = []  # the validation loss of every epoch so far

            def __init__(self, patience=5):
                self.patience = patience

            def __call__(self, net, epoch, epoch_stats):
                self.losses.append(epoch_stats['validation loss'])
                best_epoch = self.losses.index(min(self.losses))
                if len(self.losses) - 1 - best_epoch >= self.patience:
                    return Stop
                return None
        """),
    # ------------------------------------------------------------ grid_size
    "grid-counts-both-early-stopping-experiments": wrong(
        "grid_size", "combinations", fails="test_grid_counts_every_combination",
        source="""
        N_GRID_EXPERIMENTS = 2 * 4 * 5 * 6  # both early-stopping experiments, with every weight decay and dropout rate
        """),
    # ------------------------------------------------------------ from the mutation report
    "dropout-net-drops-whole-images": wrong(
        "build_net_with_dropout", "whole samples", fails="test_dropout_after_the_first_linear_layer",
        replace={"torch.nn.Dropout(p),\n        torch.nn.ReLU(),\n        torch.nn.Linear(128, 64)":
                 "torch.nn.Dropout1d(p),\n        torch.nn.ReLU(),\n        torch.nn.Linear(128, 64)"}),
}

CHECK_LEVEL_WRONG: dict[str, Variant] = {
    # --- BestModelTracker and grid_size: the visible checks stop these
    "best-net-is-the-training-net": wrong(
        "BestModelTracker", "not a copy", fails="test_tracker_best_net_is_a_copy test_tracker_works_with_fit",
        replace={"copy.deepcopy(net)": "net", "dict(epoch_stats)": "epoch_stats"}),
    "best-net-is-a-shallow-copy": wrong(
        "BestModelTracker", "deep copy", fails="test_tracker_best_net_is_a_copy test_tracker_works_with_fit",
        replace={"copy.deepcopy": "copy.copy", "dict(epoch_stats)": "epoch_stats"}),
    "best-net-copied-every-epoch": wrong(
        "BestModelTracker", "last epoch's parameters", fails="test_tracker_best_net_is_a_copy "
                                                             "test_tracker_works_with_fit",
        replace={
            "            self.best_net = copy.deepcopy(net)\n": "",
            "self.best_stats = dict(epoch_stats)":
                "self.best_stats = epoch_stats\n"
                "        self.best_net = copy.deepcopy(net)",
        }),
    "grid-is-a-sum": wrong(
        "grid_size", "not their sum", fails="test_grid_counts_every_combination",
        source="""
        N_GRID_EXPERIMENTS = 4 + 5 + 6
        """),
    "grid-over-two-hyperparameters": wrong(
        "grid_size", "combinations", fails="test_grid_counts_every_combination",
        source="""
        N_GRID_EXPERIMENTS = 4 * 5  # learning rates × weight decays
        """),
    # ------------------------------------------------------------ build_optimizer: the visible checks stop these
    "optimizer-ignores-weight-decay": wrong(
        "build_optimizer", "weight_decay argument", fails="test_optimizer_uses_the_weight_decay",
        replace={"lr=lr, weight_decay=weight_decay)": "lr=lr)"}),
    "optimizer-with-adams-default-lr": wrong(
        "build_optimizer", "default learning rate", fails="test_optimizer_uses_the_learning_rate",
        replace={"lr=1e-4):": "lr=1e-3):"}),
    "optimizer-of-the-first-layer": wrong(
        "build_optimizer", "leaves some parameters", fails="test_optimizer_updates_the_given_network",
        replace={"net.parameters": "net[0].parameters"}),
    # ------------------------------------------------------------ l2_penalty: the visible checks stop these
    "penalty-without-half": wrong(
        "l2_penalty", "twice",
        fails="test_penalty_value_is_half_weight_decay_times_squares test_penalty_matches_adam_weight_decay",
        source="""
        def l2_penalty(net, weight_decay):
            return weight_decay * sum((p ** 2).sum() for p in net.parameters())
        """),
    "penalty-of-weights-only": wrong(
        "l2_penalty", "biases", fails="test_penalty_covers_the_biases test_penalty_matches_adam_weight_decay",
        replace={"p in net.parameters()": "name, p in net.named_parameters() if 'weight' in name"}),
    "penalty-as-a-number": wrong(
        "l2_penalty", "plain number", fails="test_penalty_is_a_differentiable_scalar "
                                            "test_penalty_matches_adam_weight_decay",
        replace={"(p ** 2).sum()": "(p ** 2).sum().item()"}),
    "penalty-detached": wrong(
        "l2_penalty", "detached", fails="test_penalty_is_a_differentiable_scalar "
                                        "test_penalty_matches_adam_weight_decay",
        replace={"(p ** 2)": "(p.detach() ** 2)"}),
    "penalty-of-norms-not-squares": wrong(
        "l2_penalty", "sum of the squares",
        fails="test_penalty_value_is_half_weight_decay_times_squares test_penalty_matches_adam_weight_decay",
        replace={"(p ** 2).sum": "p.norm"}),
    # ------------------------------------------------------------ adam_vs_adamw: the visible checks stop it
    "first-step-changes-theta-in-place": wrong(
        "adam_vs_adamw", "in place", fails="test_first_steps_leave_theta_unchanged",
        source="""
        def adam_first_step(theta, lr, weight_decay):
            theta.requires_grad_(True)
            optimizer = torch.optim.Adam([theta], lr=lr, weight_decay=weight_decay)
            theta.grad = torch.zeros_like(theta)
            optimizer.step()
            return theta.detach().clone()


        def adamw_first_step(theta, lr, weight_decay):
            return theta * (1 - lr * weight_decay)
        """),
    # ------------------------------------------------------------ build_net_with_dropout: dropout_experiment loses
    # points too (and the visible checks stop the first three)
    "dropout-active-in-eval-mode": wrong(
        "build_net_with_dropout", "eval mode", fails="test_dropout_net_is_the_seed_mlp_in_eval_mode",
        source=_DROPOUT_MODULE,
        replace={
            "F.dropout(F.relu(self.hidden1(x)), self.p, training=self.training)":
                "F.dropout(F.relu(self.hidden1(x)), self.p)",
            "F.dropout(F.relu(self.hidden2(x)), self.p, training=self.training)":
                "F.dropout(F.relu(self.hidden2(x)), self.p)",
        }),
    "dropout-net-is-cached": wrong(
        "build_net_with_dropout", "same network", fails="test_dropout_net_is_new_on_every_call",
        source=_DROPOUT_NET,
        replace={
            "def build_net_with_dropout(p):":
                "import functools\n"
                "\n"
                "\n"
                "@functools.cache\n"
                "def build_net_with_dropout(p):",
        }),
    "dropout-forgotten": wrong(
        "build_net_with_dropout", "no dropout",
        fails="test_dropout_net_is_random_in_training_mode test_dropout_after_the_first_linear_layer "
              "test_dropout_after_the_second_linear_layer",
        source="""
        def build_net_with_dropout(p):
            return build_net()
        """),
    # ------------------------------------------------------------ dropout_experiment: the visible checks stop it
    "setup-ignores-lr": wrong(
        "dropout_experiment", "lr argument", fails="test_setup_optimizer_settings",
        source="""
        def dropout_experiment_setup(p, lr=1e-4):
            net = build_net_with_dropout(p)
            return net, torch.optim.Adam(net.parameters())
        """),
    "setup-returns-optimizer-first": wrong(
        "dropout_experiment", "order",
        fails="test_setup_returns_net_and_optimizer test_setup_net_is_build_net_with_dropout_of_p "
              "test_setup_builds_a_new_network test_setup_optimizer_is_adam_over_the_net "
              "test_setup_optimizer_settings",
        source="""
        def dropout_experiment_setup(p, lr=1e-4):
            net = build_net_with_dropout(p)
            return torch.optim.Adam(net.parameters(), lr=lr), net
        """),
    # ------------------------------------------------------------ plot_learning_curve: the visible checks stop these
    "learning-curve-on-one-axes": wrong(
        "plot_learning_curve", "two axes", fails="test_plot_returns_a_figure_with_two_axes",
        source="""
        def plot_learning_curve(histories, values, xlabel, xscale='linear'):
            histories = list(histories)
            fig, ax = plt.subplots()
            for key in ['train loss', 'validation loss', 'train accuracy', 'validation accuracy']:
                ax.plot(values, [history[key][-1] for history in histories], '.-', label=key)
            ax.set(xscale=xscale, xlabel=xlabel, ylabel='loss / accuracy')
            ax.legend()
            return fig
        """),
    "learning-curve-without-labels": wrong(
        "plot_learning_curve", "label", fails="test_plot_labels_both_axes",
        replace={
            **_PLAIN_FIGURE,
            "        ax.set_xlabel(xlabel)\n"
            "        ax.set_ylabel(stat)\n":
                "",
        }),
    "learning-curve-not-returned": wrong(
        "plot_learning_curve", "return", fails="test_plot_returns_a_figure_with_two_axes",
        replace={**_PLAIN_FIGURE, "return fig": "plt.show()"}),
    # ------------------------------------------------------------ BestModelTracker: the visible checks stop these
    "best-net-is-a-state-dict": wrong(
        "BestModelTracker", "nn.Module", fails="test_tracker_best_net_is_a_copy test_tracker_works_with_fit",
        replace={"copy.deepcopy(net)": "copy.deepcopy(net.state_dict())", "dict(epoch_stats)": "epoch_stats"}),
    "tracker-keeps-the-last-stats": wrong(
        "BestModelTracker", "last epoch's statistics", fails="test_tracker_keeps_the_best_stats "
                                                             "test_tracker_works_with_fit",
        source="""
        class BestModelTracker:
            def __init__(self):
                self.best_net = None
                self.best_epoch = 0
                self.best_loss = torch.inf
                self.best_stats = None

            def __call__(self, net, epoch, epoch_stats):
                if epoch_stats['validation loss'] < self.best_loss:
                    self.best_loss = epoch_stats['validation loss']
                    self.best_net = copy.deepcopy(net)
                    self.best_epoch = epoch
                self.best_stats = epoch_stats
        """),
    # ------------------------------------------------------------ EarlyStopper: the visible checks stop these
    "stopper-stops-one-epoch-late": wrong(
        "EarlyStopper", "too late",
        fails="test_stopper_decides[stops_when_the_loss_stops_improving] "
              "test_stopper_decides[compares_with_the_best_loss] test_stopper_decides[uses_the_patience] "
              "test_stopper_stops_fit",
        source=_STOPPER,
        replace={"if self.bad_epochs >= self.patience:": "if self.bad_epochs > self.patience:"}),
    "stopper-patience-fixed-at-5": wrong(
        "EarlyStopper", "patience", fails="test_stopper_decides[uses_the_patience] test_stopper_stops_fit",
        source=_STOPPER,
        replace={
            "        self.patience = patience\n": "",
            "if self.bad_epochs >= self.patience:": "if self.bad_epochs >= 5:",
        }),
    "stopper-returns-a-string": wrong(
        "EarlyStopper", "Stop marker",
        fails="test_stopper_decides[stops_when_the_loss_stops_improving] "
              "test_stopper_decides[compares_with_the_best_loss] test_stopper_decides[uses_the_patience] "
              "test_stopper_returns_stop_or_none test_stopper_stops_fit",
        source=_STOPPER,
        replace={"return Stop": "return 'stop'"}),
    "stopper-returns-false-to-go-on": wrong(
        "EarlyStopper", "return None", fails="test_stopper_returns_stop_or_none",
        source=_STOPPER,
        replace={
            "if self.bad_epochs >= self.patience:\n"
            "            return Stop":
                "return Stop if self.bad_epochs >= self.patience else False",
        }),
    "stopper-compares-with-the-previous-epoch": wrong(
        "EarlyStopper", "best", fails="test_stopper_decides[stops_when_the_loss_stops_improving] "
                                      "test_stopper_decides[compares_with_the_best_loss]",
        source="""
        class EarlyStopper:
            def __init__(self, patience=5):
                self.patience = patience
                self.previous_loss = float('inf')
                self.bad_epochs = 0

            def __call__(self, net, epoch, epoch_stats):
                if epoch_stats['validation loss'] < self.previous_loss:
                    self.bad_epochs = 0
                else:
                    self.bad_epochs += 1
                self.previous_loss = epoch_stats['validation loss']
                if self.bad_epochs >= self.patience:
                    return Stop
        """),
}

ALTERNATIVE_CORRECT: dict[str, dict[str, str]] = {
    "optimizer-over-a-parameter-list": cell("build_optimizer", """
        def build_optimizer(net, weight_decay, lr=1e-4):
            parameters = [p for p in net.parameters()]
            return torch.optim.Adam(parameters, lr, weight_decay=weight_decay)
        """),
    "optimizer-with-a-parameter-group": cell(
        "build_optimizer",
        replace={
            "net.parameters(), lr=lr, weight_decay=weight_decay":
                "[{'params': net.parameters(), 'weight_decay': weight_decay}], lr=lr",
        }),
    "penalty-as-a-squared-norm": cell("l2_penalty", """
        def l2_penalty(net, weight_decay):
            theta = torch.cat([p.flatten() for p in net.parameters()])
            return 0.5 * weight_decay * torch.linalg.vector_norm(theta) ** 2
        """),
    "penalty-in-a-loop": cell("l2_penalty", """
        def l2_penalty(net, weight_decay):
            penalty = 0
            for name, param in net.named_parameters():
                penalty = penalty + param.pow(2).sum()
            return weight_decay * penalty / 2
        """),
    "first-steps-by-formula": cell("adam_vs_adamw", """
        EPS = 1e-8  # Adam's default eps


        def adam_first_step(theta, lr, weight_decay):
            # the gradient is weight_decay * theta; after bias correction Adam divides it by its own size
            gradient = weight_decay * theta
            return theta - lr * gradient / (gradient.abs() + EPS)


        def adamw_first_step(theta, lr, weight_decay):
            return theta * (1 - lr * weight_decay)
        """),
    "adam-first-step-by-sign": cell("adam_vs_adamw", """
        def adam_first_step(theta, lr, weight_decay):
            return theta - lr * torch.sign(theta)


        def adamw_first_step(theta, lr, weight_decay):
            theta = theta.clone().requires_grad_()
            optimizer = torch.optim.AdamW([theta], lr=lr, weight_decay=weight_decay)
            theta.grad = torch.zeros_like(theta)
            optimizer.step()
            return theta.detach()
        """),
    "dropout-after-relu-in-a-loop": cell("build_net_with_dropout", """
        def build_net_with_dropout(p):
            sizes = [784, 128, 64]
            layers = []
            for n_in, n_out in zip(sizes[:-1], sizes[1:]):
                layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU(), torch.nn.Dropout(p)]
            return torch.nn.Sequential(*layers, torch.nn.Linear(64, 10))
        """),
    "dropout-net-as-a-module-subclass": cell("build_net_with_dropout", _DROPOUT_MODULE),
    "dropout-by-a-hand-made-mask": cell("build_net_with_dropout", """
        class MyDropout(torch.nn.Module):
            def __init__(self, p):
                super().__init__()
                self.p = p

            def forward(self, x):
                if not self.training:
                    return x
                mask = (torch.rand_like(x) >= self.p).float()
                return x * mask / (1 - self.p)


        def build_net_with_dropout(p):
            return torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), MyDropout(p),
                                       torch.nn.Linear(128, 64), torch.nn.ReLU(), MyDropout(p),
                                       torch.nn.Linear(64, 10))
        """),
    "setup-with-explicit-zero-weight-decay": cell("dropout_experiment", """
        def dropout_experiment_setup(p, lr=1e-4):
            net = build_net_with_dropout(p)
            optimizer = build_optimizer(net, weight_decay=0, lr=lr)
            return (net, optimizer)
        """),
    "learning-curve-accuracy-first": cell("plot_learning_curve", """
        def plot_learning_curve(histories, values, xlabel, xscale='linear'):
            finals = [{key: series[-1] for key, series in history.items()} for history in histories]
            fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(10, 4))
            for stat, ax in zip(['accuracy', 'loss'], [accuracy_ax, loss_ax]):
                for phase in ['validation', 'train']:
                    points = sorted(zip(values, [final[f'{phase} {stat}'] for final in finals]))
                    ax.plot(*zip(*points), marker='o', label=phase)
                ax.set_title(stat)
                ax.set_xlabel(xlabel)
                ax.set_ylabel(stat)
                ax.set_xscale(xscale)
                ax.legend()
            return fig
        """),
    "learning-curve-scattered-on-a-figure": cell("plot_learning_curve", """
        from matplotlib.figure import Figure


        def plot_learning_curve(histories, values, xlabel, xscale='linear'):
            histories = list(histories)
            fig = Figure(figsize=(9, 3))
            for ax, stat in zip(fig.subplots(1, 2), ['loss', 'accuracy']):
                for phase in ['train', 'validation']:
                    ax.scatter(values, [h[f'{phase} {stat}'][-1] for h in histories], label=phase)
                ax.set(xscale=xscale, xlabel=xlabel, ylabel=stat)
            return fig
        """),
    "tracker-reloads-a-state-dict": cell(
        "BestModelTracker",
        replace={
            "self.best_net = copy.deepcopy(net)":
                "if self.best_net is None:\n"
                "                self.best_net = copy.deepcopy(net)\n"
                "            else:\n"
                "                self.best_net.load_state_dict(net.state_dict())  # copies the values into best_net",
        }),
    "tracker-with-its-own-best-loss": cell("BestModelTracker", """
        class BestModelTracker:
            def __init__(self):
                self.best_net = None
                self.best_epoch = None
                self.best_stats = None
                self.best_loss = float('inf')

            def __call__(self, net, epoch, epoch_stats):
                loss = epoch_stats['validation loss']
                if loss >= self.best_loss:
                    return
                self.best_loss = loss
                self.best_net = copy.deepcopy(net)
                self.best_epoch = epoch
                self.best_stats = epoch_stats.copy()
        """),
    "stopper-by-epoch-arithmetic": cell("EarlyStopper", """
        class EarlyStopper:
            def __init__(self, patience=5):
                self.patience = patience
                self.best_loss = np.inf
                self.best_epoch = 0

            def __call__(self, net, epoch, epoch_stats):
                if epoch_stats['validation loss'] < self.best_loss:
                    self.best_loss, self.best_epoch = epoch_stats['validation loss'], epoch
                elif epoch - self.best_epoch >= self.patience:
                    return Stop
        """),
    "stopper-with-a-loss-history": cell("EarlyStopper", """
        class EarlyStopper:
            def __init__(self, patience=5):
                self.patience = patience
                self.losses = []

            def __call__(self, net, epoch, epoch_stats):
                self.losses.append(epoch_stats['validation loss'])
                earlier, recent = self.losses[:-self.patience], self.losses[-self.patience:]
                if earlier and min(recent) >= min(earlier):
                    return Stop
                return None
        """),
    "grid-from-the-notebook-lists": cell("grid_size", """
        N_GRID_EXPERIMENTS = len(lrs) * len(weight_decays) * len(dropouts)
        """),
    "grid-by-itertools-product": cell("grid_size", """
        import itertools

        learning_rates = [0.1, 0.01, 0.001, 0.0001]
        decays = [0, 0.0001, 0.001, 0.01, 0.1]
        dropout_rates = [0, 0.1, 0.3, 0.5, 0.7, 0.9]
        N_GRID_EXPERIMENTS = len(list(itertools.product(learning_rates, decays, dropout_rates)))
        """),
}

# what tests/test_fixture_submissions.py requires of the tables, item by item
MIN_KNOWN_WRONG_PER_ITEM = {
    "build_optimizer": 3, "l2_penalty": 3, "adam_vs_adamw": 3, "build_net_with_dropout": 3, "dropout_experiment": 3,
    "plot_learning_curve": 3, "BestModelTracker": 3, "EarlyStopper": 3,
    "grid_size": 1,  # and two more that the visible checks stop (CHECK_LEVEL_WRONG)
}
