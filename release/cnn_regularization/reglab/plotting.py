"""The seed's ``HistoryPlotter``: a grid of training curves and a table of results."""

import IPython.display
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


class HistoryPlotter:
    """Plot the histories of several experiments side by side, then tabulate them.

    - plots: a list of ``{'x': key, 'y': [keys]}``, one panel each per experiment
    - table: the history keys to show in the table printed by ``done()``
    - rows, cols: the grid of experiments
    - param_names: names of the parameter values passed to ``add`` (for the table)
    """

    def __init__(self, plots, table, rows, cols, param_names=()):
        self.plots = plots
        self.table = table
        self.rows = rows
        self.cols = cols
        self.param_names = list(param_names)
        self.histories = {}
        self.results = []
        self.params = []
        # A figure outside pyplot: the inline backend would show a pyplot figure
        # a second time when its cell ends (or fails); this one appears once,
        # with the first experiment's curves, and is refreshed in place after
        # every experiment. (Shown before any, a failed first run would leave a
        # grid of empty panels above its error.)
        self.fig = Figure(figsize=(3.5 * cols * len(plots), 3 * rows))
        self.axs = self.fig.subplots(ncols=cols * len(plots), nrows=rows, sharex="col", sharey="none", squeeze=False)
        self._display = None

    def add(self, title, history, row, col, epoch=-1, param=None):
        """Add the results of an experiment; ``epoch`` selects the epoch for the table (and stars it)."""
        self.histories[title] = history
        self.results.append((title, {key: history[key][epoch] for key in self.table}))
        self.params.append(param)
        for plot_idx, plot_xy in enumerate(self.plots):
            ax = self.axs[row, col * len(self.plots) + plot_idx]
            for key in plot_xy["y"]:
                ax.plot(history[plot_xy["x"]], history[key], label=key)
                if epoch >= 0:
                    ax.plot([history[plot_xy["x"]][epoch]], [history[key][epoch]], marker="*", color="black")
            if "accuracy" in plot_xy["y"][0]:
                ax.set_ylim([0, 1.01])
            ax.legend()
            ax.set_xlabel(plot_xy["x"])
            if all(float(x).is_integer() for x in history[plot_xy["x"]]):  # epochs: no tick at epoch 2.5
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(title)
        self.fig.tight_layout()
        if self._display is None:
            self._display = IPython.display.display(self.fig, display_id=True)
        else:
            self._display.update(self.fig)

    def table_frame(self) -> pd.DataFrame:
        """The results table: one row per experiment, its parameter and the table keys."""
        rows = []
        for (title, values), param in zip(self.results, self.params, strict=True):
            row = {"experiment": title}
            if self.param_names and param is not None:
                params = param if isinstance(param, (tuple, list)) else (param,)
                row.update(zip(self.param_names, params, strict=False))
            row.update(values)
            rows.append(row)
        return pd.DataFrame(rows)

    def print_table(self):
        IPython.display.display(self.table_frame())

    def done(self):
        self.print_table()
