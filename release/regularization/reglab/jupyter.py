"""Whether the code runs in a Jupyter kernel, where the helpers draw into the notebook."""

import IPython


def kernel_shell():
    """The IPython shell of the Jupyter kernel this code runs in (a notebook, or one that nbclient or nbgrader
    executes); None in a script, a terminal IPython or the grader's worker."""
    shell = IPython.get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None
