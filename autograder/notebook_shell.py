"""The IPython shell a notebook's cells run in outside Jupyter: the grader's worker and ``pytest autograder/checks``.

A real IPython shell, not ``exec``, so that magics (``%matplotlib inline``) and IPython's syntax run as they do
in the student's kernel.
"""

from IPython.core.interactiveshell import InteractiveShell


class GradingShell(InteractiveShell):
    def enable_gui(self, gui=None):
        """`%matplotlib inline` asks for a GUI event loop; inline figures need none (as in ipykernel)."""


def shell() -> GradingShell:
    """The process's shell (IPython allows one), with an empty namespace of its own for the next notebook.

    Functions defined by an earlier notebook keep the namespace they were defined in.
    """
    instance = GradingShell.instance()
    instance.init_create_namespaces()
    instance.init_user_ns()
    return instance
