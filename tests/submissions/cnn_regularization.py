"""Answer cells of `cnn_regularization` submissions: realistic mistakes and other correct styles.

Every source is a whole answer cell as a student would type it in the notebook, where
the setup cell has imported matplotlib.pyplot as plt, numpy as np, torch,
torch.nn.functional as F, nn from torch, DataLoader and Subset from torch.utils.data,
transforms from torchvision, reglab and HistoryPlotter. Cells a variant does not name
keep the solution. Most are written as replacements in the solution's cell (without its
docstrings), or in another student's correct layout below: see ``answer_builders`` in
tests/submissions/__init__.py.

- KNOWN_WRONG: one mistake each, that gets past the notebook's visible checks and costs
  points on its own item only (many come from the seeds: a vertical flip among the
  augmentations, CIFAR-10's published statistics instead of the training set's, a ReLU
  on the class scores, one optimizer step per epoch, MNIST's weight decay of 0.04). Each
  fails exactly the hidden checks of its item that its `fails` names.
- CHECK_LEVEL_WRONG: mistakes held to the hidden checks only, because the notebook's visible
  checks already reject them (dropout that stays on in eval mode, a penalty formula off on a
  layer without biases): the student sees an assertion before handing in.
- ALTERNATIVE_CORRECT: correct answers in other styles than the solution's; full marks.
"""

import textwrap
from collections.abc import Mapping

from tests.submissions import Variant, answer_builders

ASSIGNMENT = "cnn_regularization"
wrong, cell = answer_builders(ASSIGNMENT)

# correct answers in other layouts than the solution's, which several mistakes below edit
_WIDTHS = """
    def conv_output_width(width, kernel_size, padding=0, stride=1):
        return (width + 2 * padding - kernel_size) // stride + 1


    def base_flatten_size(width, kernel_size):
        width = conv_output_width(width, kernel_size) // 2
        width = conv_output_width(conv_output_width(width, kernel_size), kernel_size) // 2
        return 128 * width ** 2
    """
_TRANSFORMS = """
    def build_transforms(augment, normalize, mean, std):
        tail = [transforms.ToTensor()]
        if normalize:
            tail.append(transforms.Normalize(mean, std))
        head = [transforms.RandomHorizontalFlip(), transforms.RandomCrop(32, padding=4)] if augment else []
        return transforms.Compose(head + tail), transforms.Compose(tail)
    """
_SEEDS_BASE_CNN = """
    class BaseCNN(nn.Module):
        def __init__(self, in_channels=3, width=32, kernel_size=3):
            super(BaseCNN, self).__init__()
            self.conv1 = nn.Conv2d(in_channels, out_channels=32, kernel_size=kernel_size)
            self.pool1 = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(32, 64, kernel_size)
            self.conv3 = nn.Conv2d(64, 128, kernel_size)
            self.pool2 = nn.MaxPool2d(2)
            self.fc1 = nn.Linear(base_flatten_size(width, kernel_size), 100)
            self.fc2 = nn.Linear(100, 50)
            self.fc3 = nn.Linear(50, 10)
            self.relu = nn.ReLU()

        def forward(self, x):
            x = self.pool1(self.relu(self.conv1(x)))
            x = self.relu(self.conv2(x))
            x = self.pool2(self.relu(self.conv3(x)))
            x = x.view(x.size(0), -1)
            x = self.relu(self.fc1(x))
            x = self.relu(self.fc2(x))
            return self.fc3(x)
    """
_TRAIN_EPOCH = """
    def train_epoch(net, loader, optimizer, penalty=None):
        net.train()
        total, correct, n = 0.0, 0, 0
        for x, y in loader:
            optimizer.zero_grad()
            out = net(x)
            loss = F.cross_entropy(out, y)
            objective = loss + penalty(net) if penalty else loss
            objective.backward()
            optimizer.step()
            total += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
            n += len(y)

        return total / n, correct / n
    """
_EVALUATE = """
    def evaluate(net, loader):
        net.eval()
        total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for x, y in loader:
                out = net(x)
                total += F.cross_entropy(out, y, reduction='sum').item()
                correct += (out.argmax(1) == y).sum().item()
                n += len(y)
        return total / n, correct / n
    """
_RUN_EXPERIMENT = """
    def run_experiment(net, optimizer, train_loader, test_loader, epochs, penalty=None):
        history = {key: [] for key in ['epochs', 'train loss', 'train accuracy', 'test loss', 'test accuracy']}
        for epoch in range(epochs):
            train_loss, train_accuracy = train_epoch(net, train_loader, optimizer, penalty)
            test_loss, test_accuracy = evaluate(net, test_loader)
            for key, value in zip(history, [epoch, train_loss, train_accuracy, test_loss, test_accuracy]):
                history[key].append(value)
        return history
    """
_CNN2 = """
    class CNN2(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, kernel_size=5, padding=2)
            self.conv2 = nn.Conv2d(32, 64, kernel_size=5, padding=2)
            self.fc1 = nn.Linear(64 * 7 * 7, 256)
            self.fc2 = nn.Linear(256, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = F.relu(self.fc1(x.flatten(1)))
            return F.log_softmax(self.fc2(x), dim=1)
    """
_CNN3 = """
    class CNN3(nn.Module):
        def __init__(self, p=0.2):
            super().__init__()
            self.p = p
            self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
            self.bn1 = nn.BatchNorm2d(32)
            self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
            self.bn2 = nn.BatchNorm2d(64)
            self.fc1 = nn.Linear(3136, 256)
            self.fc2 = nn.Linear(256, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
            x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
            x = F.dropout(x.flatten(1), self.p, training=self.training)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)
    """


_BASE_FEATURES = """
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, kernel_size), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size), nn.ReLU(),
            nn.Conv2d(64, 128, kernel_size), nn.ReLU(), nn.MaxPool2d(2),
        )"""


def _dropout_cnn(classifier: str, forward: str = "return self.classifier(self.features(x))") -> str:
    return f"""
class DropoutCNN(nn.Module):
    def __init__(self, in_channels=3, width=32, kernel_size=3, p=0.25):
        super().__init__()
        self.p = p{textwrap.dedent(_BASE_FEATURES).replace(chr(10), chr(10) + '        ')}
        self.classifier = {classifier}

    def forward(self, x):
        {forward}
"""


# the make_optimizer mistakes raise the seed's shorter message
_SHORT_MESSAGE = {'ValueError(f"unknown optimizer {name!r}: choose': 'ValueError("choose'}


KNOWN_WRONG: dict[str, Variant] = {
    # ------------------------------------------------------------ flatten_size
    "conv-width-pads-one-side": wrong(
        "flatten_size", "padding",
        fails="test_conv_width_counts_the_padding_on_both_sides "
              "test_conv_width_divides_by_the_stride_and_rounds_down",
        source=_WIDTHS,
        replace={"2 * padding": "padding"}),
    "conv-width-ignores-the-stride": wrong(
        "flatten_size", "stride", fails="test_conv_width_divides_by_the_stride_and_rounds_down",
        source=_WIDTHS,
        replace={"(width + 2 * padding - kernel_size) // stride": "width + 2 * padding - kernel_size"}),
    # ------------------------------------------------------------ half_of
    "half-drawn-with-replacement": wrong(
        "half_of", "distinct", fails="test_half_has_distinct_samples",
        source="""
        def half_of(dataset):
            return Subset(dataset, torch.randint(len(dataset), (len(dataset) // 2,)).tolist())
        """),
    "half-as-a-list-of-samples": wrong(
        "half_of", "every time", fails="test_half_loads_samples_afresh",
        source="""
        def half_of(dataset):
            return [dataset[i] for i in range(len(dataset) // 2)]
        """),
    # ------------------------------------------------------------ channel_stats
    "std-averaged-over-images": wrong(
        "channel_stats", "std", fails="test_std_is_over_every_pixel_of_every_image",
        source="""
        def channel_stats(dataset):
            images = torch.stack([image for image, _ in dataset])
            return images.mean(dim=(0, 2, 3)), images.std(dim=(2, 3)).mean(dim=0)
        """),
    "stats-of-the-first-batch": wrong(
        "channel_stats", "not only the first",
        fails="test_mean_is_over_every_pixel_of_every_image test_std_is_over_every_pixel_of_every_image",
        source="""
        def channel_stats(dataset):
            images, _ = next(iter(DataLoader(dataset, batch_size=64)))
            return images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3))
        """),
    # ------------------------------------------------------------ build_transforms
    "augments-the-test-images": wrong(
        "build_transforms", "test transform",
        fails="test_transform_never_augments test_normalization_uses_the_given_training_statistics",
        source="""
        def build_transforms(augment, normalize, mean, std):
            steps = [transforms.RandomHorizontalFlip(), transforms.RandomCrop(32, padding=4)] if augment else []
            steps.append(transforms.ToTensor())
            if normalize:
                steps.append(transforms.Normalize(mean, std))
            transform = transforms.Compose(steps)
            return transform, transform
        """),
    "normalizes-with-cifar-published-stats": wrong(
        "build_transforms", "mean and std passed",
        fails="test_transform_never_augments test_normalization_uses_the_given_training_statistics "
              "test_no_augmentation_unless_asked test_augmentation_is_random_and_normalized",
        source=_TRANSFORMS,
        replace={
            "tail.append(transforms.Normalize(mean, std))":
                "tail.append(transforms.Normalize(mean=[0.4914, 0.4822, 0.4465], std=[0.247, 0.243, 0.261]))",
        }),
    "flips-images-upside-down": wrong(
        "build_transforms", "upside down", fails="test_augmentation_keeps_images_upright",
        source=_TRANSFORMS,
        replace={
            "transforms.RandomHorizontalFlip(), transforms.RandomCrop(32, padding=4)]":
                "transforms.RandomHorizontalFlip(p=0.5), transforms.RandomVerticalFlip(0.2),\n"
                "            transforms.RandomAffine(degrees=0, translate=(0.1, 0.3), scale=(1.1, 1.2))]",
        }),
    "augmented-training-images-unnormalized": wrong(
        "build_transforms", "still be normalized", fails="test_augmentation_is_random_and_normalized",
        source="""
        def build_transforms(augment, normalize, mean, std):
            plain = [transforms.ToTensor()] + ([transforms.Normalize(mean, std)] if normalize else [])
            if augment:
                train = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.RandomCrop(32, padding=4),
                                            transforms.ToTensor()])
            else:
                train = transforms.Compose(plain)
            return train, transforms.Compose(plain)
        """),
    "always-augments": wrong(
        "build_transforms", "without augment",
        fails="test_no_augmentation_unless_asked test_normalization_uses_the_given_training_statistics",
        source=_TRANSFORMS,
        replace={
            "    head = [transforms.RandomHorizontalFlip(), transforms.RandomCrop(32, padding=4)] if augment else []\n":
                "",
            "transforms.Compose(head + tail)": "transforms.Compose([transforms.RandomHorizontalFlip()] + tail)",
        }),
    # ------------------------------------------------------------ base_cnn
    "relu-on-the-class-scores": wrong(
        "base_cnn", "ReLU", fails="test_base_cnn_returns_logits test_base_cnn_computes_the_base_network",
        source=_SEEDS_BASE_CNN,
        replace={"super(BaseCNN, self)": "super()", "return self.fc3(x)": "return self.relu(self.fc3(x))"}),
    "hard-coded-kernel-size": wrong(
        "base_cnn", "kernel_size", fails="test_base_cnn_has_the_base_layers",
        source="""
        class BaseCNN(nn.Module):
            def __init__(self, in_channels=3, width=32, kernel_size=3):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(in_channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2))
                self.classifier = nn.Sequential(
                    nn.Flatten(), nn.Linear(base_flatten_size(width, 3), 100), nn.ReLU(),
                    nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))

            def forward(self, x):
                return self.classifier(self.features(x))
        """),
    "softmax-on-the-class-scores": wrong(
        "base_cnn", "probabilities", fails="test_base_cnn_returns_logits test_base_cnn_computes_the_base_network",
        source="""
        class BaseCNN(nn.Module):
            def __init__(self, in_channels=3, width=32, kernel_size=3):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(in_channels, 32, kernel_size), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(32, 64, kernel_size), nn.ReLU(), nn.Conv2d(64, 128, kernel_size), nn.ReLU(),
                    nn.MaxPool2d(2))
                self.classifier = nn.Sequential(
                    nn.Flatten(), nn.Linear(base_flatten_size(width, kernel_size), 100), nn.ReLU(),
                    nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10), nn.Softmax(dim=1))

            def forward(self, x):
                return self.classifier(self.features(x))
        """),
    # ------------------------------------------------------------ dropout_cnn
    "dropout2d-in-the-convolutions": wrong(
        "dropout_cnn", "convolutional part", fails="test_dropout_only_in_the_fully_connected_part",
        source="""
        class DropoutCNN(nn.Module):
            def __init__(self, in_channels=3, width=32, kernel_size=3, p=0.25):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(in_channels, 32, kernel_size), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout2d(p),
                    nn.Conv2d(32, 64, kernel_size), nn.ReLU(), nn.Dropout2d(p),
                    nn.Conv2d(64, 128, kernel_size), nn.ReLU(), nn.MaxPool2d(2))
                self.classifier = nn.Sequential(
                    nn.Flatten(), nn.Dropout(p), nn.Linear(base_flatten_size(width, kernel_size), 100), nn.ReLU(),
                    nn.Dropout(p), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))

            def forward(self, x):
                return self.classifier(self.features(x))
        """),
    "dropout-after-the-last-layer": wrong(
        "dropout_cnn", "last layer", fails="test_no_dropout_on_the_class_scores",
        source=_dropout_cnn(
            "nn.Sequential(nn.Flatten(), nn.Linear(base_flatten_size(width, kernel_size), 100), nn.ReLU(), "
            "nn.Dropout(p), nn.Linear(100, 50), nn.ReLU(), nn.Dropout(p), nn.Linear(50, 10), nn.Dropout(p))")),
    "dropout-ignores-p": wrong(
        "dropout_cnn", "probability p", fails=("test_dropout_cnn_computes_the_base_network "
                                               "test_dropout_drops_single_units_with_probability_p "
                                               "test_dropout_is_active_in_train_mode_and_uses_p"),
        source=_dropout_cnn(
            "nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(base_flatten_size(width, kernel_size), 100), "
            "nn.ReLU(), nn.Dropout(0.25), nn.Linear(100, 50), nn.ReLU(), nn.Dropout(0.25), nn.Linear(50, 10))")),
    # ------------------------------------------------------------ penalties
    "penalties-of-the-weights-only": wrong(
        "penalties", "biases",
        fails="test_l1_is_lambda_times_the_sum_of_absolute_values test_l2_is_half_lambda_times_the_sum_of_squares",
        source="""
        def l1_penalty(net, lam):
            return lam * sum(p.abs().sum() for name, p in net.named_parameters() if 'weight' in name)


        def l2_penalty(net, lam):
            return lam / 2 * sum(p.pow(2).sum() for name, p in net.named_parameters() if 'weight' in name)
        """),
    # ------------------------------------------------------------ make_optimizer
    "sgd-always-with-momentum": wrong(
        "make_optimizer", "momentum", fails="test_sgd_uses_lr_momentum_and_weight_decay",
        replace={**_SHORT_MESSAGE, "momentum=momentum,": "momentum=0.9,"}),
    "unknown-optimizer-falls-back-to-adam": wrong(
        "make_optimizer", "ValueError", fails="test_unknown_names_raise_a_value_error",
        source="""
        def make_optimizer(name, net, lr, momentum=0.0, weight_decay=0.0):
            if name == 'sgd':
                return torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
            return torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
        """),
    "adam-ignores-weight-decay": wrong(
        "make_optimizer", "weight_decay", fails="test_adam_uses_lr_and_weight_decay",
        replace={
            **_SHORT_MESSAGE,
            "Adam(net.parameters(), lr=lr, weight_decay=weight_decay)": "Adam(net.parameters(), lr=lr)",
        }),
    # ------------------------------------------------------------ train_epoch
    "one-step-per-epoch": wrong(
        "train_epoch", "every batch",
        fails="test_one_step_per_batch_from_fresh_gradients test_penalty_is_added_to_the_loss "
              "test_returns_mean_loss_per_sample_and_accuracy",
        source=_TRAIN_EPOCH,
        replace={"optimizer.step()": "pass", "n += len(y)\n\n": "n += len(y)\n    optimizer.step()\n"}),
    "gradients-never-zeroed": wrong(
        "train_epoch", "zero_grad",
        fails="test_one_step_per_batch_from_fresh_gradients test_penalty_is_added_to_the_loss "
              "test_returns_mean_loss_per_sample_and_accuracy",
        source=_TRAIN_EPOCH,
        replace={"optimizer.zero_grad()": "pass"}),
    "loss-averaged-over-batches": wrong(
        "train_epoch", "per sample", fails="test_returns_mean_loss_per_sample_and_accuracy",
        source=_TRAIN_EPOCH,
        replace={
            "total += loss.item() * len(y)": "total += loss.item()",
            "return total / n,": "return total / len(loader),",
        }),
    "penalty-never-added": wrong(
        "train_epoch", "penalty", fails="test_penalty_is_added_to_the_loss "
                                        "test_returns_mean_loss_per_sample_and_accuracy",
        source=_TRAIN_EPOCH,
        replace={"loss + penalty(net) if penalty else loss": "loss"}),
    "never-switches-to-train-mode": wrong(
        "train_epoch", "train mode", fails="test_trains_in_train_mode",
        source=_TRAIN_EPOCH,
        replace={"    net.train()\n": ""}),
    # ------------------------------------------------------------ evaluate
    "evaluates-in-train-mode": wrong(
        "evaluate", "eval mode",
        fails="test_evaluates_in_eval_mode_without_gradients "
              "test_returns_mean_loss_per_sample_and_accuracy_on_the_loader",
        source=_EVALUATE,
        replace={"    net.eval()\n": ""}),
    "evaluation-loss-averaged-over-batches": wrong(
        "evaluate", "per sample", fails="test_returns_mean_loss_per_sample_and_accuracy_on_the_loader",
        source=_EVALUATE,
        replace={
            "total, correct, n = 0.0, 0, 0": "losses, correct, n = [], 0, 0",
            "total += F.cross_entropy(out, y, reduction='sum').item()": "losses.append(F.cross_entropy(out, y).item())",
            "return total / n,": "return sum(losses) / len(losses),",
        }),
    # ------------------------------------------------------------ run_experiment
    "tests-before-training": wrong(
        "run_experiment", "before each epoch", fails="test_logs_the_test_set_after_each_epochs_training",
        source="""
        def run_experiment(net, optimizer, train_loader, test_loader, epochs, penalty=None):
            history = {key: [] for key in ['epochs', 'train loss', 'train accuracy', 'test loss', 'test accuracy']}
            for epoch in range(epochs):
                test_loss, test_accuracy = evaluate(net, test_loader)
                train_loss, train_accuracy = train_epoch(net, train_loader, optimizer, penalty)
                history['epochs'].append(epoch)
                history['train loss'].append(train_loss)
                history['train accuracy'].append(train_accuracy)
                history['test loss'].append(test_loss)
                history['test accuracy'].append(test_accuracy)
            return history
        """),
    "penalty-not-passed-on": wrong(
        "run_experiment", "penalty", fails="test_passes_the_penalty_on",
        source=_RUN_EXPERIMENT,
        replace={"train_epoch(net, train_loader, optimizer, penalty)": "train_epoch(net, train_loader, optimizer)"}),
    "epochs-counted-from-one": wrong(
        "run_experiment", "0, 1, 2", fails="test_logs_one_value_per_epoch",
        source=_RUN_EXPERIMENT,
        replace={"range(epochs):": "range(1, epochs + 1):"}),
    # ------------------------------------------------------------ sgd_settings
    "weight-decay-of-the-seed": wrong(
        "sgd_settings", "too large", fails="test_weight_decay_is_moderate",
        source="""
        SGD_LEARNING_RATE = 0.001
        SGD_WEIGHT_DECAY = 0.04
        """),
    "learning-rate-too-large": wrong(
        "sgd_settings", "learning rate", fails="test_learning_rate_suits_sgd_with_momentum",
        source="""
        SGD_LEARNING_RATE = 1.0
        SGD_WEIGHT_DECAY = 0.0005
        """),
    # ------------------------------------------------------------ cnn2
    "cnn2-padding-one": wrong(
        "cnn2", "padding 2", fails=("test_cnn2_convolutions_preserve_the_size "
                                    "test_cnn2_flattens_64_by_7_by_7_features "
                                    "test_cnn2_computes_the_corrected_network"),
        source=_CNN2,
        replace={
            "nn.Conv2d(1, 32, kernel_size=5, padding=2)": "nn.Conv2d(1, 32, kernel_size=5, padding=1)",
            "nn.Conv2d(32, 64, kernel_size=5, padding=2)": "nn.Conv2d(32, 64, kernel_size=5, padding=1)",
            "64 * 7 * 7": "64 * 5 * 5",
        }),
    "cnn2-pools-once": wrong(
        "cnn2", "3136", fails="test_cnn2_flattens_64_by_7_by_7_features test_cnn2_computes_the_corrected_network",
        source=_CNN2,
        replace={
            "64 * 7 * 7": "64 * 14 * 14",
            "x = F.max_pool2d(F.relu(self.conv2(x)), 2)": "x = F.relu(self.conv2(x))",
        }),
    # ------------------------------------------------------------ cnn3
    "cnn3-fixed-dropout": wrong(
        "cnn3", "probability p", fails=("test_cnn3_has_dropout_with_probability_p "
                                        "test_cnn3_drops_single_units_with_probability_p"),
        source=_CNN3,
        replace={"x.flatten(1), self.p,": "x.flatten(1), 0.2,"}),
    # ------------------------------------------------------------ from the mutation report: computations and dropout
    "dropout-cnn-average-pooling": wrong(
        "dropout_cnn", "max pooling", fails="test_dropout_cnn_computes_the_base_network",
        replace={"nn.Conv2d(in_channels, 32, kernel_size), nn.ReLU(), nn.MaxPool2d(2)":
                 "nn.Conv2d(in_channels, 32, kernel_size), nn.ReLU(), nn.AvgPool2d(2)"}),
    "dropout-cnn-drops-whole-images": wrong(
        "dropout_cnn", "whole samples", fails="test_dropout_drops_single_units_with_probability_p",
        replace={"nn.Dropout(p), nn.Linear(base_flatten_size": "nn.Dropout1d(p), nn.Linear(base_flatten_size"}),
    "cnn2-average-pooling": wrong(
        "cnn2", "max pooling", fails="test_cnn2_computes_the_corrected_network",
        replace={"nn.MaxPool2d(2)": "nn.AvgPool2d(2)"}),
    "cnn2-detached-scores": wrong(
        "cnn2", "cut from its parameters", fails="test_cnn2_trains",
        replace={"return F.log_softmax(self.fc2(x), dim=1)": "return F.log_softmax(self.fc2(x), dim=1).detach()"}),
    "cnn3-tanh": wrong(
        "cnn3", "CNN2's network", fails="test_cnn3_is_cnn2_with_regularization",
        replace={"nn.BatchNorm2d(32), nn.ReLU()": "nn.BatchNorm2d(32), nn.Tanh()"}),
}

CHECK_LEVEL_WRONG: dict[str, Variant] = {
    # ------------------------------------------------------------ cnn2 and cnn3: the visible checks stop these
    "cnn2-returns-scores": wrong(
        "cnn2", "log-probabilities", fails=("test_cnn2_returns_log_probabilities_per_image "
                                            "test_cnn2_computes_the_corrected_network"),
        source="""
        class CNN2(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 32, kernel_size=5, stride=1, padding=2)
                self.maxpool = nn.MaxPool2d(2)
                self.conv2 = nn.Conv2d(32, 64, kernel_size=5, stride=1, padding=2)
                self.fc1 = nn.Linear(3136, 256)
                self.fc2 = nn.Linear(256, 10)

            def forward(self, x):
                x = self.maxpool(F.relu(self.conv1(x)))
                x = self.maxpool(F.relu(self.conv2(x)))
                x = x.view(-1, 3136)
                return self.fc2(F.relu(self.fc1(x)))
        """),
    "cnn3-instance-norm": wrong(
        "cnn3", "batch normalization", fails=("test_cnn3_uses_batch_statistics_in_train_mode "
                                              "test_cnn3_is_cnn2_with_regularization"),
        source=_CNN3,
        replace={
            "nn.BatchNorm2d(32)": "nn.InstanceNorm2d(32, affine=True)",
            "nn.BatchNorm2d(64)": "nn.InstanceNorm2d(64, affine=True)",
        }),
    "cnn3-no-running-statistics": wrong(
        "cnn3", "running statistics",
        fails=("test_cnn3_uses_batch_statistics_in_train_mode "
               "test_cnn3_uses_running_statistics_and_no_dropout_in_eval_mode "
               "test_cnn3_is_cnn2_with_regularization"),
        source=_CNN3,
        replace={
            "nn.BatchNorm2d(32)": "nn.BatchNorm2d(32, track_running_stats=False)",
            "nn.BatchNorm2d(64)": "nn.BatchNorm2d(64, track_running_stats=False)",
        }),
    "functional-dropout-always-on": wrong(
        "dropout_cnn", "eval mode", fails="test_dropout_cnn_computes_the_base_network test_dropout_is_off_in_eval_mode",
        source=_dropout_cnn(
            "nn.Sequential(nn.Flatten(), nn.Linear(base_flatten_size(width, kernel_size), 100), nn.ReLU(), "
            "nn.Linear(100, 50), nn.ReLU())\n        self.out = nn.Linear(50, 10)",
            "return self.out(F.dropout(self.classifier(self.features(x)), self.p))")),
    "cnn3-dropout-in-eval-mode": wrong(
        "cnn3", "eval mode", fails=("test_cnn3_uses_running_statistics_and_no_dropout_in_eval_mode "
                                    "test_cnn3_is_cnn2_with_regularization "
                                    "test_cnn3_drops_single_units_with_probability_p"),
        source=_CNN3,
        replace={"training=self.training": "training=True"}),
    "l2-penalty-is-the-norm": wrong(
        "penalties", "squared", fails="test_l2_is_half_lambda_times_the_sum_of_squares",
        replace={"p.pow(2).sum": "p.norm"}),
    "l1-penalty-squares": wrong(
        "penalties", "absolute values", fails="test_l1_is_lambda_times_the_sum_of_absolute_values",
        replace={
            "return lam * sum(p.abs().sum() for p in net.parameters())":
                "return lam / 2 * sum(p.pow(2).sum() for p in net.parameters())  # copied from l2_penalty",
        }),
}

ALTERNATIVE_CORRECT: dict[str, Mapping[str, str]] = {
    "flatten-size-as-the-seed-computes-it": cell("flatten_size", """
        import math


        def conv_output_width(width, kernel_size, padding=0, stride=1):
            return math.floor((width - kernel_size + 2 * padding) / stride) + 1


        def base_flatten_size(width, kernel_size):
            w, k = width, kernel_size
            w = ((w - k) + 1) / 2
            w = (w - k) + 1
            w = (w - k) + 1
            return 128 * int(w / 2) ** 2
        """),
    "half-as-every-other-sample": cell("half_of", """
        def half_of(dataset):
            return torch.utils.data.Subset(dataset, list(range(0, 2 * (len(dataset) // 2), 2)))
        """),
    "half-by-random-split": cell("half_of", """
        def half_of(dataset):
            half, _ = torch.utils.data.random_split(dataset, [len(dataset) // 2, len(dataset) - len(dataset) // 2])
            return half
        """),
    "stats-from-running-sums": cell("channel_stats", """
        def channel_stats(dataset):
            total, squares, count = 0, 0, 0
            for images, _ in DataLoader(dataset, batch_size=64):
                total = total + images.sum(dim=(0, 2, 3))
                squares = squares + (images ** 2).sum(dim=(0, 2, 3))
                count += images.numel() // images.shape[1]
            mean = total / count
            return mean, (squares / count - mean ** 2).sqrt()
        """),
    "transforms-with-random-affine": cell("build_transforms", """
        def build_transforms(augment, normalize, mean, std):
            test = [transforms.ToTensor()] + ([transforms.Normalize(mean=mean, std=std)] if normalize else [])
            train = list(test)
            if augment:
                train = [transforms.RandomHorizontalFlip(p=0.5),
                         transforms.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1))] + train
            return transforms.Compose(train), transforms.Compose(test)
        """),
    "base-cnn-in-the-seeds-style": cell("base_cnn", _SEEDS_BASE_CNN),
    "dropout-cnn-functional": cell("dropout_cnn", _dropout_cnn(
        "nn.ModuleList([nn.Linear(base_flatten_size(width, kernel_size), 100), nn.Linear(100, 50), "
        "nn.Linear(50, 10)])",
        "x = self.features(x).flatten(1)\n"
        "        for i, layer in enumerate(self.classifier):\n"
        "            x = layer(F.dropout(x, self.p, training=self.training))\n"
        "            x = F.relu(x) if i < 2 else x\n"
        "        return x")),
    "penalties-over-one-vector": cell("penalties", """
        def _all_parameters(net):
            return torch.cat([p.reshape(-1) for p in net.parameters()])


        def l1_penalty(net, lam):
            return lam * torch.linalg.vector_norm(_all_parameters(net), ord=1)


        def l2_penalty(net, lam):
            return lam / 2 * _all_parameters(net).pow(2).sum()
        """),
    "optimizers-from-a-table": cell("make_optimizer", """
        OPTIMIZER_CLASSES = {'sgd': torch.optim.SGD, 'adam': torch.optim.Adam}


        def make_optimizer(name, net, lr, momentum=0.0, weight_decay=0.0):
            if name not in OPTIMIZER_CLASSES:
                raise ValueError(f'unknown optimizer {name!r}; valid: {sorted(OPTIMIZER_CLASSES)}')
            extra = {'momentum': momentum} if name == 'sgd' else {}
            return OPTIMIZER_CLASSES[name](net.parameters(), lr=lr, weight_decay=weight_decay, **extra)
        """),
    "train-epoch-with-tensors": cell("train_epoch", """
        def train_epoch(net, loader, optimizer, penalty=None):
            net.train()
            losses, hits = [], []
            for x, y in loader:
                out = net(x)
                loss = F.cross_entropy(out, y, reduction='none')
                total = loss.mean() + (penalty(net) if penalty is not None else 0)
                optimizer.zero_grad()
                total.backward()
                optimizer.step()
                losses.append(loss.detach())
                hits.append(out.argmax(dim=1) == y)
            return torch.cat(losses).mean().item(), torch.cat(hits).float().mean().item()
        """),
    "evaluate-with-nll-loss": cell("evaluate", """
        @torch.no_grad()
        def evaluate(net, loader):
            net.eval()
            loss, correct = 0.0, 0
            for x, y in loader:
                log_probabilities = F.log_softmax(net(x), dim=1)
                loss += F.nll_loss(log_probabilities, y, reduction='sum').item()
                correct += log_probabilities.argmax(dim=1).eq(y).sum().item()
            return loss / len(loader.dataset), correct / len(loader.dataset)
        """),
    "cnn2-in-the-seeds-style": cell("cnn2", """
        class CNN2(nn.Module):
            def __init__(self):
                super(CNN2, self).__init__()
                self.conv1 = nn.Conv2d(in_channels=1, out_channels=32, kernel_size=5, stride=1, padding=2)
                self.maxpool = nn.MaxPool2d(2)
                self.conv2 = nn.Conv2d(in_channels=32, out_channels=64, kernel_size=5, stride=1, padding='same')
                self.fc1 = nn.Linear(in_features=3136, out_features=256)
                self.fc2 = nn.Linear(in_features=256, out_features=10)
                nn.init.kaiming_normal_(self.conv1.weight, nonlinearity='relu')
                nn.init.kaiming_normal_(self.conv2.weight, nonlinearity='relu')

            def forward(self, x):
                x = self.maxpool(F.relu(self.conv1(x)))
                x = self.maxpool(F.relu(self.conv2(x)))
                x = x.view(-1, 3136)
                x = F.relu(self.fc1(x))
                return F.log_softmax(self.fc2(x), dim=1)
        """),
    "cnn3-functional-dropout": cell("cnn3", _CNN3),
    "cnn3-spatial-dropout-too": cell("cnn3", _CNN3, replace={
        "x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)":
            "x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)\n"
            "        x = F.dropout2d(x, self.p, training=self.training)  # whole feature maps, as well"}),
    "cnn3-batch-norm-after-pooling": cell("cnn3", _CNN3, replace={
        "x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)":
            "x = self.bn1(F.max_pool2d(F.relu(self.conv1(x)), 2))",
        "x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)":
            "x = self.bn2(F.max_pool2d(F.relu(self.conv2(x)), 2))"}),
    "run-experiment-with-collections": cell("run_experiment", """
        import collections


        def run_experiment(net, optimizer, train_loader, test_loader, epochs, penalty=None):
            history = collections.defaultdict(list)
            for epoch in range(epochs):
                history['epochs'].append(epoch)
                loss, accuracy = train_epoch(net, train_loader, optimizer, penalty=penalty)
                history['train loss'].append(loss)
                history['train accuracy'].append(accuracy)
                loss, accuracy = evaluate(net, test_loader)
                history['test loss'].append(loss)
                history['test accuracy'].append(accuracy)
            return dict(history)
        """),
    "sgd-settings-in-scientific-notation": cell("sgd_settings", """
        SGD_LEARNING_RATE = 5e-2
        SGD_WEIGHT_DECAY = 1e-4
        """),
}

MIN_KNOWN_WRONG_PER_ITEM = {
    "flatten_size": 2, "half_of": 2, "channel_stats": 2, "build_transforms": 5, "base_cnn": 3, "dropout_cnn": 3,
    "penalties": 1, "make_optimizer": 3, "train_epoch": 5, "evaluate": 2, "run_experiment": 3, "sgd_settings": 2,
    "cnn2": 2, "cnn3": 1,  # and three more that the visible checks stop (CHECK_LEVEL_WRONG)
}
