"""Answer cells of `penalties` submissions: realistic mistakes and other correct styles.

Every source is a whole answer cell as a student would type it in the notebook, where
the setup cell has imported matplotlib.pyplot as plt, numpy as np, pandas as pd, torch,
`from torch import nn`, DataLoader, reglab, load_fashion_mnist and load_mnist. Cells a
variant does not name keep the solution. Most are written as replacements in the
solution's cell (without its docstrings), or in another student's correct layout below:
see ``answer_builders`` in tests/submissions/__init__.py.

- KNOWN_WRONG: one mistake each, that gets past the notebook's visible checks and costs
  points on its own item only, with a message that uses the keyword. It fails exactly
  the hidden checks of its item that its `fails` names; every other check must pass.
- CHECK_LEVEL_WRONG: mistakes held to the hidden checks only, because the visible checks
  of the test cell already reject them (the student sees an assertion before handing in).
- ALTERNATIVE_CORRECT: correct answers in other styles than the solution's; full marks.
"""


from collections.abc import Mapping

from tests.submissions import Variant, answer_builders

ASSIGNMENT = "penalties"
wrong, cell = answer_builders(ASSIGNMENT)

# correct answers in other layouts than the solution's, which several mistakes below edit
_DROPOUT_NETWORK = """
    class MyNetworkWithDropout(nn.Module):
        def __init__(self, p=0.5):
            super().__init__()
            self.fc1 = nn.Linear(28 * 28, 128)
            self.fc2 = nn.Linear(128, 64)
            self.fc3 = nn.Linear(64, 10)
            self.dropout = nn.Dropout(p)

        def forward(self, x):
            x = torch.relu(self.fc1(x.view(x.size(0), -1)))
            x = torch.relu(self.fc2(self.dropout(x)))
            return self.fc3(x)
    """
_HISTOGRAMS = """
    def plot_weight_histograms(hidden_weights, output_weights, title):
        fig, axs = plt.subplots(1, 2, figsize=(10, 4))
        for ax, weights, name in zip(axs, [hidden_weights, output_weights], ['Hidden', 'Output']):
            ax.hist(weights, bins=50, alpha=0.7)
            ax.set(title=f'{name} Layer Weights', xlabel='Weight Value', ylabel='Frequency')
        fig.suptitle(title)
        return fig
    """

_EVALUATE_PER_MINIBATCH = """
    def evaluate(net, loader):
        net.eval()
        losses, accuracies = [], []
        with torch.no_grad():
            for images, labels in loader:
                scores = net(images)
                losses.append(nn.functional.cross_entropy(scores, labels).item())
                accuracies.append((scores.argmax(dim=1) == labels).float().mean().item())
        return sum(losses) / len(losses), sum(accuracies) / len(accuracies)
    """
_EVALUATE_WITHOUT_NO_GRAD = """
    def evaluate(net, loader):
        net.eval()
        total_loss, correct, seen = 0.0, 0, 0
        for images, labels in loader:
            scores = net(images)
            total_loss += nn.functional.cross_entropy(scores, labels, reduction='sum').item()
            correct += (scores.argmax(dim=1) == labels).sum().item()
            seen += len(labels)
        return total_loss / seen, correct / seen
    """

# what the solution's l1_penalty and l2_penalty return, which the penalty mistakes compute otherwise
_L1 = "strength * sum(parameter.abs().sum() for parameter in layer.parameters())"
_L2 = "strength / 2 * sum((parameter ** 2).sum() for parameter in layer.parameters())"
# the sweep mistakes seed without the solution's comment
_UNCOMMENTED_SEED = {"  # the same starting weights for every momentum": ""}


KNOWN_WRONG: dict[str, Variant] = {
    # ------------------------------------------------------------ l1_penalty
    "l1-weight-only": wrong(
        "l1_penalty", "bias",
        fails="test_penalty_gradient_reaches_the_layer_only[l1_penalty] "
              "test_penalty_value_follows_its_formula[l1_penalty]",
        replace={_L1: "strength * layer.weight.abs().sum()"}),
    "l1-strength-on-weight-term-only": wrong(
        "l1_penalty", "strength",
        fails="test_penalty_gradient_reaches_the_layer_only[l1_penalty] "
              "test_penalty_value_follows_its_formula[l1_penalty]",
        replace={_L1: "strength * layer.weight.abs().sum() + layer.bias.abs().sum()"}),
    "l1-squares-the-parameters": wrong(
        "l1_penalty", "absolute values",
        fails="test_penalty_gradient_reaches_the_layer_only[l1_penalty] "
              "test_penalty_value_follows_its_formula[l1_penalty]",
        replace={_L1: "strength * sum((p ** 2).sum() for p in layer.parameters())"}),
    "l1-matrix-norm": wrong(
        "l1_penalty", "absolute values",
        fails="test_penalty_gradient_reaches_the_layer_only[l1_penalty] "
              "test_penalty_value_follows_its_formula[l1_penalty]",
        replace={_L1: "strength * (torch.linalg.norm(layer.weight, ord=1) + torch.linalg.norm(layer.bias, ord=1))"}),
    "l1-mean-not-sum": wrong(
        "l1_penalty", "mean",
        fails="test_penalty_gradient_reaches_the_layer_only[l1_penalty] "
              "test_penalty_value_follows_its_formula[l1_penalty]",
        replace={_L1: "strength * torch.cat([p.abs().flatten() for p in layer.parameters()]).mean()"}),
    # ------------------------------------------------------------ l2_penalty
    "l2-without-a-half": wrong(
        "l2_penalty", "½",
        fails="test_penalty_gradient_reaches_the_layer_only[l2_penalty] "
              "test_penalty_value_follows_its_formula[l2_penalty]",
        replace={_L2: "strength * sum((p ** 2).sum() for p in layer.parameters())"}),
    "l2-norm-not-squared": wrong(
        "l2_penalty", "square",
        fails="test_penalty_gradient_reaches_the_layer_only[l2_penalty] "
              "test_penalty_value_follows_its_formula[l2_penalty]",
        replace={_L2: "strength * (layer.weight.norm() + layer.bias.norm())"}),
    "l2-weight-only": wrong(
        "l2_penalty", "bias",
        fails="test_penalty_gradient_reaches_the_layer_only[l2_penalty] "
              "test_penalty_value_follows_its_formula[l2_penalty]",
        replace={_L2: "strength / 2 * (layer.weight ** 2).sum()"}),
    # ------------------------------------------------------------ train_epoch
    "epoch-without-zero-grad": wrong(
        "train_epoch", "zero_grad", fails="test_epoch_adds_the_penalty_to_the_loss "
                                          "test_epoch_takes_one_sgd_step_per_minibatch",
        replace={"        optimizer.zero_grad()\n": ""}),
    "epoch-penalty-as-a-number": wrong(
        "train_epoch", "penalty's gradient", fails="test_epoch_adds_the_penalty_to_the_loss",
        replace={"penalty(net)": "penalty(net).item()"}),
    "epoch-backpropagates-the-cross-entropy-only": wrong(
        "train_epoch", "penalty's gradient", fails="test_epoch_adds_the_penalty_to_the_loss",
        replace={"objective.backward()": "loss.backward()"}),
    "epoch-returns-the-last-loss": wrong(
        "train_epoch", "last minibatch", fails="test_epoch_returns_the_mean_cross_entropy_per_sample",
        replace={"return total_loss / seen,": "return loss.item(),"}),
    "epoch-loss-is-the-mean-of-minibatch-means": wrong(
        "train_epoch", "per sample", fails="test_epoch_returns_the_mean_cross_entropy_per_sample",
        replace={
            "total_loss += loss.item() * len(labels)": "total_loss += loss.item()",
            "return total_loss / seen,": "return total_loss / len(loader),",
        }),
    "epoch-accuracy-is-the-mean-of-minibatch-accuracies": wrong(
        "train_epoch", "accuracies of the minibatches", fails="test_epoch_returns_the_accuracy",
        replace={
            "correct += (scores.argmax(dim=1) == labels).sum().item()":
                "correct += (scores.argmax(dim=1) == labels).float().mean().item()",
            ", correct / seen": ", correct / len(loader)",
        }),
    "epoch-without-train-mode": wrong(
        "train_epoch", "training mode", fails="test_epoch_trains_in_training_mode",
        replace={"    net.train()\n": ""}),
    # ------------------------------------------------------------ MyNetworkWithDropout
    "dropout-on-the-input": wrong(
        "MyNetworkWithDropout", "input", fails="test_dropout_between_the_first_and_second_layer "
                                               "test_no_dropout_elsewhere",
        source=_DROPOUT_NETWORK,
        replace={
            "x = torch.relu(self.fc1(x.view(x.size(0), -1)))\n"
            "        x = torch.relu(self.fc2(self.dropout(x)))":
                "x = self.dropout(x.view(x.size(0), -1))\n"
                "        x = torch.relu(self.fc1(x))\n"
                "        x = torch.relu(self.fc2(x))",
        }),
    "dropout-after-the-second-layer": wrong(
        "MyNetworkWithDropout", "first and the second",
        fails="test_dropout_between_the_first_and_second_layer test_no_dropout_elsewhere",
        source=_DROPOUT_NETWORK,
        replace={"torch.relu(self.fc2(self.dropout": "self.dropout(torch.relu(self.fc2"}),
    "dropout-rate-is-keep-probability": wrong(
        "MyNetworkWithDropout", "dropping", fails="test_dropout_probability_is_p",
        source=_DROPOUT_NETWORK,
        replace={"nn.Dropout(p)": "nn.Dropout(1 - p)  # p: the probability to keep a unit"}),
    "dropout-active-in-eval-mode": wrong(
        "MyNetworkWithDropout", "eval mode", fails="test_dropout_net_is_my_network_in_eval_mode",
        source=_DROPOUT_NETWORK,
        replace={
            "self.dropout = nn.Dropout(p)": "self.p = p",
            "x = torch.relu(self.fc2(self.dropout(x)))":
                "x = nn.functional.dropout(x, self.p)  # training=True by default\n"
                "        x = torch.relu(self.fc2(x))",
        }),
    "dropout-default-of-0.2": wrong(
        "MyNetworkWithDropout", "default", fails="test_dropout_probability_is_p",
        source="""
        class MyNetworkWithDropout(nn.Module):
            def __init__(self, p=0.2):
                super().__init__()
                self.fc1 = nn.Linear(28 * 28, 128)
                self.fc2 = nn.Linear(128, 64)
                self.fc3 = nn.Linear(64, 10)
                self.dropout = nn.Dropout(p)

            def forward(self, x):
                x = self.dropout(torch.relu(self.fc1(x.view(x.size(0), -1))))
                return self.fc3(torch.relu(self.fc2(x)))
        """),
    # ------------------------------------------------------------ build_network
    "network-relu-after-output": wrong(
        "build_network", "after the output layer",
        fails="test_network_has_no_dropout_on_input_or_output test_network_is_a_relu_mlp_in_eval_mode",
        source="""
        def build_network(hidden_sizes, dropout=0.0):
            layers = []
            sizes = [28 * 28, *hidden_sizes, 10]
            for n_in, n_out in zip(sizes[:-1], sizes[1:]):
                layers += [nn.Linear(n_in, n_out), nn.ReLU()]
                if dropout > 0 and n_out != 10:
                    layers.append(nn.Dropout(dropout))
            return nn.Sequential(*layers)
        """),
    "network-dropout-after-first-hidden-only": wrong(
        "build_network", "every hidden layer", fails="test_network_has_dropout_after_every_hidden_layer",
        replace={
            "        if dropout > 0:\n"
            "            layers.append(nn.Dropout(dropout))\n":
                "",
            "n_inputs = n_units":
                "n_inputs = n_units\n"
                "    if dropout > 0 and hidden_sizes:\n"
                "        layers.insert(2, nn.Dropout(dropout))",
        }),
    "network-dropout-rate-fixed": wrong(
        "build_network", "dropout argument", fails="test_network_has_dropout_after_every_hidden_layer",
        replace={
            "if dropout > 0:\n"
            "            layers.append(nn.Dropout(dropout))":
                "if dropout:\n"
                "            layers.append(nn.Dropout(0.5))",
        }),
    "network-dropout-on-the-input": wrong(
        "build_network", "input", fails="test_network_has_no_dropout_on_input_or_output",
        replace={"layers = []": "layers = [nn.Dropout(dropout)] if dropout > 0 else []"}),
    "network-layers-shared-between-calls": wrong(
        "build_network", "share layers", fails="test_network_is_new_on_every_call",
        source="""
        _layers = {}

        def build_network(hidden_sizes, dropout=0.0):
            key = (tuple(hidden_sizes), dropout)
            if key not in _layers:  # build each architecture once
                layers = []
                n_inputs = 28 * 28
                for n_units in hidden_sizes:
                    layers += [nn.Linear(n_inputs, n_units), nn.ReLU()]
                    if dropout > 0:
                        layers.append(nn.Dropout(dropout))
                    n_inputs = n_units
                layers.append(nn.Linear(n_inputs, 10))
                _layers[key] = layers
            return nn.Sequential(*_layers[key])
        """),
    # ------------------------------------------------------------ evaluate
    "evaluate-in-training-mode": wrong(
        "evaluate", "evaluation mode", fails="test_evaluate_uses_eval_mode",
        replace={"    net.eval()\n": ""}),
    "evaluate-builds-a-graph": wrong(
        "evaluate", "no_grad", fails="test_evaluate_builds_no_graph",
        source=_EVALUATE_WITHOUT_NO_GRAD),
    # ------------------------------------------------------------ weight_histogram_data
    "histogram-data-of-biases": wrong(
        "weight_histogram_data", "biases",
        fails="test_histogram_data_hidden_is_the_first_layer_weights "
              "test_histogram_data_output_is_the_last_layer_weights",
        source="""
        def weight_histogram_data(net):
            linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
            return (linears[0].bias.detach().numpy().flatten(), linears[-1].bias.detach().numpy().flatten())
        """),
    "histogram-data-second-layer-as-output": wrong(
        "weight_histogram_data", "last linear layer", fails="test_histogram_data_output_is_the_last_layer_weights",
        source="""
        def weight_histogram_data(net):
            linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
            return (linears[0].weight.detach().numpy().flatten(), linears[1].weight.detach().numpy().flatten())
        """),
    # ------------------------------------------------------------ plot_weight_histograms
    "histograms-default-bins": wrong(
        "plot_weight_histograms", "50 bins", fails="test_histograms_have_50_bins",
        source="""
        def plot_weight_histograms(hidden_weights, output_weights, title):
            fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
            left.hist(hidden_weights, alpha=0.7)
            left.set(title='Hidden Layer Weights', xlabel='Weight Value', ylabel='Frequency')
            right.hist(output_weights, alpha=0.7)
            right.set(title='Output Layer Weights', xlabel='Weight Value', ylabel='Frequency')
            fig.suptitle(title)
            return fig
        """),
    "histograms-without-figure-title": wrong(
        "plot_weight_histograms", "title", fails="test_histograms_have_the_figure_title",
        source="""
        def plot_weight_histograms(hidden_weights, output_weights, title):
            fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
            left.hist(hidden_weights, bins=50, alpha=0.7)
            left.set(title='Hidden Layer Weights', xlabel='Weight Value', ylabel='Frequency')
            right.hist(output_weights, bins=50, alpha=0.7)
            right.set(title='Output Layer Weights', xlabel='Weight Value', ylabel='Frequency')
            return fig
        """),
    "histograms-both-of-hidden-weights": wrong(
        "plot_weight_histograms", "other layer", fails="test_histograms_show_the_weights",
        source=_HISTOGRAMS,
        replace={
            "for ax, weights, name in zip(axs, [hidden_weights, output_weights], ['Hidden', 'Output'])":
                "for ax, name in zip(axs, ['Hidden', 'Output'])",
            "ax.hist(weights,": "ax.hist(hidden_weights,",
        }),
    "histograms-as-densities": wrong(
        "plot_weight_histograms", "densities", fails="test_histograms_show_the_weights",
        source=_HISTOGRAMS,
        replace={"bins=50, alpha=0.7": "bins=50, density=True, alpha=0.7"}),
    "histograms-without-axis-labels": wrong(
        "plot_weight_histograms", "label", fails="test_histograms_are_labelled",
        source=_HISTOGRAMS,
        replace={
            "ax.set(title=f'{name} Layer Weights', xlabel='Weight Value', ylabel='Frequency')":
                "ax.set_title(f'{name} Layer Weights')",
        }),
    # ------------------------------------------------------------ sparsity
    "sparsity-of-exact-zeros": wrong(
        "sparsity", "exact zeros", fails=("test_sparsity_is_the_share_near_zero test_sparsity_uses_the_threshold "
                                          "test_sparsity_counts_strictly_below_the_threshold"),
        replace={".abs() < threshold": " == 0"}),
    "sparsity-is-the-density": wrong(
        "sparsity", "near zero", fails=("test_sparsity_is_the_share_near_zero test_sparsity_uses_the_threshold "
                                        "test_sparsity_counts_strictly_below_the_threshold"),
        replace={"< threshold": ">= threshold"}),
    "sparsity-ignores-the-threshold": wrong(
        "sparsity", "threshold",
        fails="test_sparsity_uses_the_threshold test_sparsity_counts_strictly_below_the_threshold",
        replace={"< threshold": "< 1e-3"}),
    # ------------------------------------------------------------ momentum_sweep
    "sweep-ignores-the-momentum": wrong(
        "momentum_sweep", "momentum=", fails="test_sweep_trains_with_sgd_and_the_momentum",
        replace={**_UNCOMMENTED_SEED, "lr=lr, momentum=momentum)": "lr=lr)"}),
    "sweep-reuses-one-network": wrong(
        "momentum_sweep", "new network", fails="test_sweep_builds_a_new_network_per_momentum",
        source="""
        def momentum_sweep(momentums, make_net, train_loader, test_loader, epochs, lr=0.01, seed=12345):
            reglab.seed_everything(seed)
            net = make_net()
            accuracies = {}
            for momentum in momentums:
                optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
                for _ in range(epochs):
                    train_epoch(net, train_loader, optimizer)
                _, accuracies[momentum] = evaluate(net, test_loader)
            return accuracies
        """),
    "sweep-seeds-once": wrong(
        "momentum_sweep", "same weights", fails="test_sweep_starts_every_run_from_the_same_weights",
        replace={
            "    accuracies = {}\n":
                "    reglab.seed_everything(seed)\n"
                "    accuracies = {}\n",
            "        reglab.seed_everything(seed)  # the same starting weights for every momentum\n": "",
        }),
    "sweep-with-the-seeds-lr": wrong(
        "momentum_sweep", "lr argument", fails="test_sweep_trains_with_sgd_and_the_momentum",
        replace={**_UNCOMMENTED_SEED, "lr=lr,": "lr=0.01,"}),
    "sweep-measures-on-training-data": wrong(
        "momentum_sweep", "training data", fails="test_sweep_measures_the_test_accuracy",
        replace={**_UNCOMMENTED_SEED, "evaluate(net, test_loader)": "evaluate(net, train_loader)"}),
    # ------------------------------------------------------------ from the mutation report
    "sparsity-at-most-the-threshold": wrong(
        "sparsity", "equal to the threshold", fails="test_sparsity_counts_strictly_below_the_threshold",
        replace={"< threshold": "<= threshold"}),
    "dropout-drops-whole-images": wrong(
        "MyNetworkWithDropout", "whole samples", fails="test_dropout_probability_is_p",
        replace={"self.dropout = nn.Dropout(p=p)": "self.dropout = nn.Dropout1d(p=p)"}),
    "sweep-default-lr-too-large": wrong(
        "momentum_sweep", "default learning rate", fails="test_sweep_defaults_to_the_seeds_lr_and_seed",
        replace={"epochs, lr=0.01, seed=12345": "epochs, lr=0.1, seed=12345"}),
}

CHECK_LEVEL_WRONG: dict[str, Variant] = {
    # --- train_epoch, evaluate, momentum_sweep, weight_histogram_data and sparsity: the visible checks stop these
    "epoch-loss-includes-the-penalty": wrong(
        "train_epoch", "includes the penalty", fails="test_epoch_returns_the_mean_cross_entropy_per_sample",
        replace={"total_loss += loss.item() * len(labels)  # the cross-entropy alone, without the penalty":
                 "total_loss += objective.item() * len(labels)"}),
    "epoch-accuracy-in-percent": wrong(
        "train_epoch", "percentage", fails="test_epoch_returns_the_accuracy",
        replace={", correct / seen": ", 100 * correct / seen"}),
    "epoch-returns-only-the-loss": wrong(
        "train_epoch", "pair", fails="test_epoch_returns_the_mean_cross_entropy_per_sample "
                                     "test_epoch_returns_the_accuracy",
        replace={"return total_loss / seen, correct / seen": "return total_loss / seen"}),
    "evaluate-loss-is-the-mean-of-minibatch-means": wrong(
        "evaluate", "per sample", fails="test_evaluate_returns_the_mean_cross_entropy_per_sample",
        source=_EVALUATE_PER_MINIBATCH,
        replace={
            "accuracies.append((scores.argmax(dim=1) == labels).float().mean().item())":
                "correct += (scores.argmax(dim=1) == labels).sum().item()",
            "sum(accuracies) / len(accuracies)": "correct / len(loader.dataset)",
            "losses, accuracies = [], []": "losses, correct = [], 0",
        }),
    "evaluate-mean-of-batch-accuracies": wrong(
        "evaluate", "minibatches", fails="test_evaluate_counts_every_image",
        source=_EVALUATE_PER_MINIBATCH,
        replace={
            "losses.append(nn.functional.cross_entropy(scores, labels).item())":
                "losses.append(nn.functional.cross_entropy(scores, labels, reduction='sum').item())",
            "sum(losses) / len(losses)": "sum(losses) / len(loader.dataset)",
        }),
    "evaluate-in-percent": wrong(
        "evaluate", "percentage", fails="test_evaluate_counts_every_image",
        replace={", correct / seen": ", 100 * correct / seen"}),
    "evaluate-returns-only-the-accuracy": wrong(
        "evaluate", "pair", fails="test_evaluate_returns_the_mean_cross_entropy_per_sample "
                                  "test_evaluate_counts_every_image",
        source="""
        def evaluate(net, loader):
            net.eval()
            correct, total = 0, 0
            with torch.no_grad():
                for images, labels in loader:
                    correct += (net(images).argmax(dim=1) == labels).sum().item()
                    total += len(labels)
            return correct / total
        """),
    "sweep-keeps-evaluates-pair": wrong(
        "momentum_sweep", "pair", fails="test_sweep_returns_an_accuracy_per_momentum "
                                        "test_sweep_measures_the_test_accuracy",
        replace={
            **_UNCOMMENTED_SEED,
            "        _, accuracy = evaluate(net, test_loader)  # evaluate returns (loss, accuracy)\n"
            "        accuracies[momentum] = accuracy":
                "        accuracies[momentum] = evaluate(net, test_loader)",
        }),
    "sweep-keeps-the-loss": wrong(
        "momentum_sweep", "test loss", fails="test_sweep_measures_the_test_accuracy",
        replace={**_UNCOMMENTED_SEED, "_, accuracy = evaluate": "accuracy, _ = evaluate"}),
    "histogram-data-not-flattened": wrong(
        "weight_histogram_data", "flatten", fails="test_histogram_data_is_two_flat_numpy_arrays",
        source="""
        def weight_histogram_data(net):
            linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
            return linears[0].weight.detach().numpy(), linears[-1].weight.detach().numpy()
        """),
    "histogram-data-as-tensors": wrong(
        "weight_histogram_data", "NumPy", fails="test_histogram_data_is_two_flat_numpy_arrays",
        source="""
        def weight_histogram_data(net):
            linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
            return linears[0].weight.detach().flatten(), linears[-1].weight.detach().flatten()
        """),
    "sparsity-without-absolute-value": wrong(
        "sparsity", "absolute", fails=("test_sparsity_is_the_share_near_zero test_sparsity_uses_the_threshold "
                                       "test_sparsity_counts_strictly_below_the_threshold"),
        replace={".abs()": ""}),
    "l1-detached": wrong(
        "l1_penalty", "detached",
        fails="test_penalty_gradient_reaches_the_layer_only[l1_penalty] "
              "test_penalty_is_a_differentiable_scalar[l1_penalty]",
        replace={_L1: "strength * sum(p.detach().abs().sum() for p in layer.parameters())"}),
    "l2-as-a-number": wrong(
        "l2_penalty", "plain number",
        fails="test_penalty_gradient_reaches_the_layer_only[l2_penalty] "
              "test_penalty_is_a_differentiable_scalar[l2_penalty]",
        replace={_L2: "strength / 2 * sum((p ** 2).sum().item() for p in layer.parameters())"}),
    "sparsity-as-a-count": wrong(
        "sparsity", "count", fails=("test_sparsity_is_the_share_near_zero test_sparsity_uses_the_threshold "
                                    "test_sparsity_counts_strictly_below_the_threshold"),
        source="""
        def sparsity(weights, threshold=1e-3):
            return float((weights.detach().abs() < threshold).sum())
        """),
    "sparsity-as-a-tensor": wrong(
        "sparsity", "float",
        fails=("test_sparsity_is_the_share_near_zero test_sparsity_uses_the_threshold "
               "test_sparsity_counts_strictly_below_the_threshold test_sparsity_returns_a_float"),
        replace={".item()": ""}),
    "sweep-returns-a-list": wrong(
        "momentum_sweep", "dict", fails="test_sweep_returns_an_accuracy_per_momentum",
        replace={
            "accuracies = {}": "accuracies = []",
            **_UNCOMMENTED_SEED,
            "accuracies[momentum] = accuracy": "accuracies.append(accuracy)",
        }),
}

ALTERNATIVE_CORRECT: dict[str, Mapping[str, str]] = {
    "style-penalties-with-norms": {
        **cell("l1_penalty", """
            def l1_penalty(layer, strength):
                # the seed's loop over the layer's parameters
                l1_loss = 0
                for param in layer.parameters():
                    l1_loss += torch.norm(param, 1)
                return strength * l1_loss
            """),
        **cell("l2_penalty", """
            def l2_penalty(layer, strength):
                return strength / 2 * (layer.weight.pow(2).sum() + layer.bias.pow(2).sum())
            """),
    },
    "style-penalties-flattened": {
        **cell("l1_penalty", """
            def l1_penalty(layer, strength):
                theta = torch.cat([layer.weight.flatten(), layer.bias])
                return strength * theta.abs().sum()
            """),
        **cell("l2_penalty", """
            def l2_penalty(layer, strength):
                theta = torch.nn.utils.parameters_to_vector(layer.parameters())
                return 0.5 * strength * torch.dot(theta, theta)
            """),
    },
    "style-epoch-with-criterion-and-sample-mean": {
        **cell("train_epoch", """
            criterion = nn.CrossEntropyLoss()

            def train_epoch(net, loader, optimizer, penalty=None):
                net.train()
                total_loss, n_correct, n_images = 0.0, 0, 0
                for data, targets in loader:
                    outputs = net(data)
                    loss = criterion(outputs, targets)
                    total_loss += loss.item() * len(targets)  # before the penalty is added
                    n_correct += (outputs.argmax(1) == targets).sum().item()
                    n_images += len(targets)
                    if penalty:
                        loss += penalty(net)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                return total_loss / n_images, n_correct / n_images
            """),
    },
    "style-epoch-with-unreduced-losses": {
        **cell("train_epoch", """
            def train_epoch(net, loader, optimizer, penalty=None):
                net.train()
                losses, hits = [], []
                for x, y in loader:
                    out = net(x)
                    loss = nn.functional.cross_entropy(out, y, reduction='none')
                    total = loss.mean() + (penalty(net) if penalty is not None else 0)
                    optimizer.zero_grad()
                    total.backward()
                    optimizer.step()
                    losses.append(loss.detach())
                    hits.append(out.argmax(dim=1) == y)
                return torch.cat(losses).mean().item(), torch.cat(hits).float().mean().item()
            """),
    },
    "style-dropout-functional-and-before-relu": {
        **cell("MyNetworkWithDropout", """
            import torch.nn.functional as F

            class MyNetworkWithDropout(nn.Module):
                def __init__(self, p=0.5):
                    super(MyNetworkWithDropout, self).__init__()
                    self.fc1 = nn.Linear(in_features=28*28, out_features=128)
                    self.fc2 = nn.Linear(in_features=128, out_features=64)
                    self.fc3 = nn.Linear(in_features=64, out_features=10)
                    self.p = p

                def forward(self, x):
                    x = x.view(x.size(0), -1)
                    x = F.relu(F.dropout(self.fc1(x), p=self.p, training=self.training))
                    x = F.relu(self.fc2(x))
                    return self.fc3(x)
            """),
    },
    "style-network-from-ordered-dict": {
        **cell("build_network", """
            from collections import OrderedDict

            def build_network(hidden_sizes, dropout=0.0):
                sizes = [784, *hidden_sizes]
                layers = OrderedDict()
                for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                    layers[f'fc{i}'] = nn.Linear(n_in, n_out)
                    layers[f'relu{i}'] = nn.ReLU()
                    layers[f'dropout{i}'] = nn.Dropout(dropout)  # p=0 keeps every unit
                layers['output'] = nn.Linear(sizes[-1], 10)
                return nn.Sequential(layers)
            """),
    },
    "style-network-as-a-class": {
        **cell("build_network", """
            class MLP(nn.Module):
                def __init__(self, hidden_sizes, dropout):
                    super().__init__()
                    sizes = [28 * 28, *hidden_sizes]
                    self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
                    self.output = nn.Linear(sizes[-1], 10)
                    self.dropout = nn.Dropout(dropout)

                def forward(self, x):
                    x = x.flatten(1)
                    for layer in self.hidden:
                        x = self.dropout(torch.relu(layer(x)))
                    return self.output(x)

            def build_network(hidden_sizes, dropout=0.0):
                return MLP(hidden_sizes, dropout)
            """),
    },
    "style-evaluate-with-inference-mode": {
        **cell("evaluate", """
            @torch.inference_mode()
            def evaluate(net, loader):
                net.eval()
                scores, labels = zip(*[(net(x), y) for x, y in loader])
                scores, labels = torch.cat(scores), torch.cat(labels)
                accuracy = (scores.argmax(1) == labels).float().mean().item()
                return nn.functional.cross_entropy(scores, labels).item(), accuracy
            """),
    },
    "style-histogram-data-by-name": {
        **cell("weight_histogram_data", """
            def weight_histogram_data(net):
                weights = [p for name, p in net.named_parameters() if name.endswith('weight')]
                hidden = weights[0].detach().numpy().ravel()
                output = weights[-1].detach().numpy().ravel()
                return hidden, output
            """),
    },
    "style-histograms-with-pyplot": {
        **cell("plot_weight_histograms", """
            def plot_weight_histograms(hidden_weights, output_weights, title):
                # the seed's pyplot calls
                fig = plt.figure(figsize=(10, 4))
                plt.subplot(1, 2, 1)
                plt.hist(hidden_weights, bins=50, alpha=0.7)
                plt.title('Hidden Layer Weights')
                plt.xlabel('Weight Value')
                plt.ylabel('Frequency')
                plt.subplot(1, 2, 2)
                plt.hist(output_weights, bins=50, alpha=0.7)
                plt.title('Output Layer Weights')
                plt.xlabel('Weight Value')
                plt.ylabel('Frequency')
                plt.suptitle(title)
                return fig
            """),
    },
    "style-histograms-as-step-outlines": {
        **cell("plot_weight_histograms", replace={"ax.hist(weights, bins=50, alpha=0.7)":
                                                  "ax.hist(weights, bins=50, histtype='step')"}),
    },
    "style-histograms-with-stairs": {
        **cell("plot_weight_histograms", replace={"ax.hist(weights, bins=50, alpha=0.7)":
                                                  "ax.stairs(*np.histogram(weights, bins=50), fill=True)"}),
    },
    "style-histograms-with-bars": {
        **cell("plot_weight_histograms", replace={
            "ax.hist(weights, bins=50, alpha=0.7)":
                "counts, edges = np.histogram(weights, bins=50)\n"
                "        ax.bar(edges[:-1], counts, width=np.diff(edges), align='edge')"}),
    },
    "style-sparsity-with-numpy": {
        **cell("sparsity", """
            def sparsity(weights, threshold=1e-3):
                w = weights.detach().cpu().numpy()
                return float(np.mean(np.abs(w) < threshold))
            """),
    },
    "style-sweep-with-helper": {
        **cell("momentum_sweep", """
            def train_and_evaluate(momentum_value, make_net, train_loader, test_loader, epochs, lr, seed):
                torch.manual_seed(seed)
                model = make_net()
                optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum_value)
                for epoch in range(epochs):
                    train_epoch(model, train_loader, optimizer)
                return evaluate(model, test_loader)[1]  # (loss, accuracy)

            def momentum_sweep(momentums, make_net, train_loader, test_loader, epochs, lr=0.01, seed=12345):
                return {m: train_and_evaluate(m, make_net, train_loader, test_loader, epochs, lr, seed)
                        for m in momentums}
            """),
    },
}

# the fewest known-wrong submissions each autograded item must have
MIN_KNOWN_WRONG_PER_ITEM: dict[str, int] = {
    "l1_penalty": 3,
    "l2_penalty": 3,
    "train_epoch": 5,  # and three more that the visible checks stop (CHECK_LEVEL_WRONG)
    "evaluate": 2,  # and four more that the visible checks stop
    "sparsity": 3,
    "MyNetworkWithDropout": 3,
    "build_network": 3,
    "weight_histogram_data": 2,  # and two more that the visible checks stop
    "plot_weight_histograms": 3,
    "momentum_sweep": 3,
}
