"""The epoch bar of the training loops: tqdm's text bar, drawn where the student looks.

In a notebook, tqdm's own choice (``tqdm.auto``) is a Jupyter widget. That needs ipywidgets, which a student's
install from ``requirements.txt`` need not have (tqdm then prints a red "IProgress not found" warning), and a
widget's state is not saved with the notebook: reopened, every bar reads "Error displaying widget: model not
found", and a notebook executed headless keeps its first frame ("Epoch: 0% 0/3") for good. So in a notebook
the bar is tqdm's plain text, written into one display output that is updated in place and emptied when the
bar closes; elsewhere (a terminal, a script) it is tqdm's usual bar on standard error.
"""

from collections.abc import Iterator

import IPython.display
from tqdm.std import tqdm

from reglab.jupyter import kernel_shell

BAR_COLUMNS = 80  # a notebook output has no terminal width to ask


class _DisplayLine:
    """A file for tqdm that shows the last line written to it in one notebook output, updated in place."""

    encoding = "utf-8"  # tqdm draws its smooth Unicode bar only into files that say they take Unicode

    def __init__(self):
        self._text = ""
        self._handle = IPython.display.display(IPython.display.Pretty(""), display_id=True)

    def write(self, text: str) -> int:
        # tqdm writes "\r" + the bar + padding, and "\r" + spaces to clear it: keep what follows the last "\r"
        self._text = text.rsplit("\r", 1)[-1].rstrip() if "\r" in text else self._text + text.rstrip("\n")
        return len(text)

    def flush(self) -> None:
        self._handle.update(IPython.display.Pretty(self._text))


def epoch_bar(epochs: int, enabled: bool = True) -> Iterator[int]:
    """``range(epochs)`` with a progress bar labelled "Epoch" that disappears when the loop ends."""
    if not enabled:
        return iter(range(epochs))
    if kernel_shell() is not None:
        return iter(tqdm(range(epochs), desc="Epoch", leave=False, file=_DisplayLine(), ncols=BAR_COLUMNS))
    return iter(tqdm(range(epochs), desc="Epoch", leave=False))
