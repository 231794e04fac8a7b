"""One call that makes a run repeatable: torch, numpy and Python's random."""

import random

import numpy as np
import torch

DEFAULT_SEED = 12345  # the seed notebooks' torch.manual_seed(12345)


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed every random number generator a notebook or a check may touch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
