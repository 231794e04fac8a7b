"""Notice when a submission replaces what the hidden checks rely on.

Student code and the checks share one interpreter, so a submission could
rebind ``torch.allclose``, swap ``reglab.Stop``, patch a method of
``nn.Module`` or overwrite a check's code. Before any student code runs the
grader records the identity of every attribute of the modules below (and of
their classes, and the code of their functions); afterwards it compares.
"""

import sys
import types

# Module name prefixes the checks rely on. Submodules are included.
PROTECTED = ("autograder", "reglab", "torch.nn", "torch.optim", "torch.testing", "torch.autograd",
             "torch.random", "torch._tensor", "torch.functional", "numpy", "matplotlib.figure",
             "matplotlib.axes", "matplotlib.pyplot", "matplotlib.lines", "builtins", "copy", "math",
             "functools", "inspect", "collections", "random", "warnings",
             "pytest", "_pytest", "pluggy")  # the hidden checks run through pytest
PROTECTED_EXACT = ("torch",)  # only the top-level namespace of this one; its submodules are too many to scan
# State that legitimate code replaces: ``warnings.catch_warnings`` swaps in a new filter list and puts the old
# one back on exit, so code stopped at a time limit inside such a block leaves a new list behind. The checks
# set their own filters, so no answer gains anything by changing these.
MUTABLE_STATE = frozenset({"warnings.filters", "warnings._filters_version"})


def _is_protected(name: str) -> bool:
    return name in PROTECTED_EXACT or any(name == prefix or name.startswith(prefix + ".") for prefix in PROTECTED)


def _protected_modules() -> list[types.ModuleType]:
    return [module for name, module in sorted(sys.modules.items()) if module is not None and _is_protected(name)]


def _fingerprint(value) -> tuple:
    code = getattr(value, "__code__", None)
    return (id(value), id(code) if code is not None else None)


def snapshot() -> dict[str, tuple]:
    """Identities of every protected module attribute, class attribute and function code."""
    seen: dict[str, tuple] = {}
    for module in _protected_modules():
        try:
            namespace = dict(vars(module))
        except TypeError:
            continue
        for name, value in namespace.items():
            key = f"{module.__name__}.{name}"
            seen[key] = _fingerprint(value)
            if isinstance(value, type) and getattr(value, "__module__", "") == module.__name__:
                for attribute, member in list(vars(value).items()):
                    seen[f"{key}.{attribute}"] = _fingerprint(member)
    return seen


def changes(before: dict[str, tuple], after: dict[str, tuple] | None = None) -> list[str]:
    """The protected names whose object or code changed, or that disappeared, since ``before``."""
    after = snapshot() if after is None else after
    return sorted(name for name, fingerprint in before.items()
                  if after.get(name) != fingerprint and name not in MUTABLE_STATE)
