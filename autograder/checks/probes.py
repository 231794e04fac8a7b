"""What the checks of every assignment share: finding an answer, comparing networks, catching a figure.

Randomness needs nothing here: ``run_checks`` gives every check its own seeded
generator state, so checks see the same tensors on every run and leave the
notebook's generator as they found it.
"""

import contextlib
from collections.abc import Callable

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from torch import nn

from autograder.check_runner import CheckFailed


def answer(namespace: dict, name: str):
    """The student's object called ``name``, or a failure that says which cell to run."""
    try:
        return namespace[name]
    except KeyError:
        raise CheckFailed(f"`{name}` is not defined: run the cell where you define it.") from None


def share_parameters(first: nn.Module, second: nn.Module) -> bool:
    """Whether two networks hold any parameter tensor in common (one is not a copy of the other)."""
    return not {id(parameter) for parameter in first.parameters()}.isdisjoint(map(id, second.parameters()))


@contextlib.contextmanager
def drawn_figure(draw: Callable[[], object], who: str):
    """Call ``draw``; yield what it returned and the figure it returned or drew; close every figure it opened.

    A figure drawn with pyplot but not returned still earns the checks of its
    content, so a forgotten ``return`` costs only the check that asks for it.
    """
    open_before = set(plt.get_fignums())
    returned = None
    try:
        returned = draw()
        figure = returned if isinstance(returned, Figure) else None
        if figure is None and set(plt.get_fignums()) - open_before:
            figure = plt.gcf()
        if figure is None:
            raise CheckFailed(f"{who} neither returns nor draws a matplotlib Figure.")
        yield returned, figure
    finally:
        for number in set(plt.get_fignums()) - open_before:
            plt.close(number)
        if isinstance(returned, Figure):
            plt.close(returned)
