"""One clear line, instead of a traceback, when a notebook cell runs code whose answer is still a stub.

A released answer cell holds ``raise NotImplementedError()`` until the student writes it. An experiment or a
check cell that calls it shows, by default, a traceback through the experiment's code and whatever it had
drawn so far (empty plots). In a Jupyter kernel, ``install()`` replaces that with one line that names the
function still to write and says what to do. The cell still fails, as it must: nbgrader and "Run All" stop
there. Every other error keeps IPython's own traceback.
"""

import sys
from types import TracebackType

from reglab.jupyter import kernel_shell

# nbgrader's stub (nbgrader_config.py, ClearSolutions.code_stub) raises it without a message; any other
# NotImplementedError (a torch module without forward, a library's) carries one and is not a stub.
STUB_EXCEPTION = NotImplementedError


def _stub_function(value: BaseException, tb: TracebackType | None) -> str | None:
    """The function whose stub raised ``value``, where it is a bare ``raise NotImplementedError()`` in a cell."""
    if not isinstance(value, STUB_EXCEPTION) or value.args or tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    if "ipykernel" not in code.co_filename and not code.co_filename.startswith("<ipython-input"):
        return None  # raised inside a library, not by a cell's stub
    return getattr(code, "co_qualname", code.co_name)


def message(function: str) -> str:
    if function == "<module>":  # the stub sits in the answer cell itself, outside any function
        return ("NotImplementedError: this answer is not written yet. Replace `raise NotImplementedError()` with "
                "your code, then run the cell again.")
    return (f"NotImplementedError: {function} is not written yet. Replace `raise NotImplementedError()` in its "
            f"answer cell with your code, run that cell, then run this one again.")


def _explain(shell, etype, value, tb, tb_offset=None) -> None:
    # IPython leaves the showing to a custom handler: showtraceback() publishes the error output, which marks
    # the cell failed for nbclient and nbgrader. An exception's _render_traceback_ is what it shows instead of
    # the traceback (IPython's documented hook for exceptions that format themselves).
    function = _stub_function(value, tb)
    if function is not None:
        value._render_traceback_ = lambda: [message(function)]
        if "matplotlib.pyplot" in sys.modules:  # figures the cell opened before it failed would show up empty
            sys.modules["matplotlib.pyplot"].close("all")
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def install() -> None:
    """Explain unwritten answers in this Jupyter kernel; elsewhere (a script, the grader) do nothing."""
    shell = kernel_shell()
    if shell is not None:
        shell.set_custom_exc((STUB_EXCEPTION,), _explain)
