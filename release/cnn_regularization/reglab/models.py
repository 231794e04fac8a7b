"""The seed's network: the MLP that every experiment of the assignment starts from."""

from torch import nn

IMAGE_PIXELS = 28 * 28
N_CLASSES = 10


def build_net() -> nn.Sequential:
    """The 784-128-64-10 MLP with ReLU activations of the seed notebook."""
    return nn.Sequential(
        nn.Linear(IMAGE_PIXELS, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, N_CLASSES),
    )
