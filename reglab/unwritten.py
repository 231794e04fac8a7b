"""One clear line, instead of a traceback, when a notebook cell runs before the answer it needs.

A released answer cell holds ``raise NotImplementedError()`` until the student writes it, and defines nothing
until it is run. An experiment or a check cell that needs it shows, by default, a traceback through the
experiment's code and whatever it had drawn so far (empty plots). In a Jupyter kernel, ``install()`` replaces
that with one line that names what is missing and says what to do. The cell still fails, as it must: nbgrader
and "Run All" stop there. Every other error keeps IPython's own traceback.
"""

import sys
from types import TracebackType

from reglab.jupyter import kernel_shell


def _innermost_cell_code(tb: TracebackType | None):
    """The code object that raised, where it is a notebook cell's own code (not a library's)."""
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    from_a_cell = "ipykernel" in code.co_filename or code.co_filename.startswith("<ipython-input")
    return code if from_a_cell else None


def explanation(value: BaseException, tb: TracebackType | None) -> str | None:
    """The one line for an answer still to write or still to run; None for any other error."""
    code = _innermost_cell_code(tb)
    if code is None:
        return None
    # nbgrader's stub (nbgrader_config.py, ClearSolutions.code_stub) raises NotImplementedError without a
    # message; any other (a torch module without forward, a library's) carries one and is not a stub.
    if isinstance(value, NotImplementedError) and not value.args:
        if code.co_name == "<module>":  # the stub sits in the answer cell itself, outside any function
            return ("NotImplementedError: this answer is not written yet. Replace `raise NotImplementedError()` "
                    "with your code, then run the cell again.")
        function = getattr(code, "co_qualname", code.co_name)
        return (f"NotImplementedError: {function} is not written yet. Replace `raise NotImplementedError()` in "
                f"its answer cell with your code, run that cell, then run this one again.")
    # A name missing from the cell's own top level: the cell that defines it has not run (a name missing inside
    # a function is a bug in that function, and keeps its traceback).
    if isinstance(value, NameError) and code.co_name == "<module>" and getattr(value, "name", None):
        return (f"NameError: {value.name} is not defined yet. Run the cell that defines it (an answer or a cell "
                f"above this one) first, or check its spelling.")
    return None


def _explain(shell, etype, value, tb, tb_offset=None) -> None:
    # IPython leaves the showing to a custom handler: showtraceback() publishes the error output, which marks
    # the cell failed for nbclient and nbgrader. An exception's _render_traceback_ is what it shows instead of
    # the traceback (IPython's documented hook for exceptions that format themselves).
    line = explanation(value, tb)
    if line is not None:
        value._render_traceback_ = lambda: [line]
        if "matplotlib.pyplot" in sys.modules:  # figures the cell opened before it failed would show up empty
            sys.modules["matplotlib.pyplot"].close("all")
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def install() -> None:
    """Explain missing answers in this Jupyter kernel; elsewhere (a script, the grader) do nothing."""
    shell = kernel_shell()
    if shell is not None:
        shell.set_custom_exc((NotImplementedError, NameError), _explain)
