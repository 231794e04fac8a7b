"""Import the hidden checks from source text held in memory, so that student code can never read that text.

The sandbox hides the check files before the worker starts; the grader sends their source in the job
instead. Loaded from here a module has no file, no loader that can give its source back, and no docstrings,
so ``open``, ``inspect.getsource``, ``linecache`` and tracebacks find nothing to quote (a frame's file name
reads ``<hidden check ...>``), and ``forget`` drops the text before any student code runs, so ``gc`` cannot
reach it either. What remains in memory is bytecode, which the integrity check guards against replacement.
"""

from __future__ import annotations

import ast
import functools
import importlib.abc
import importlib.util
import sys
from pathlib import Path

HIDDEN_PACKAGE = "autograder.checks"


@functools.cache
def read_sources(package_dir: Path) -> dict[str, str]:
    """The hidden package's modules as {module name: source}, for the job: read once per grading process
    (every worker start sends them), never changed by the sender."""
    sources = {HIDDEN_PACKAGE: (package_dir / "__init__.py").read_text(encoding="utf-8")}
    for path in sorted(package_dir.glob("*.py")):
        if path.name not in ("__init__.py", "conftest.py"):  # conftest.py serves plain pytest, never the worker
            sources[f"{HIDDEN_PACKAGE}.{path.stem}"] = path.read_text(encoding="utf-8")
    return sources


class _Loader(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and loads modules from ``sources``; deliberately has no ``get_source``."""

    def __init__(self, sources: dict[str, str]):
        self.sources = sources

    def find_spec(self, name, path=None, target=None):
        if name not in self.sources:
            return None
        return importlib.util.spec_from_loader(name, self, is_package=name == HIDDEN_PACKAGE)

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module) -> None:
        tree = _without_docstrings(ast.parse(self.sources.pop(module.__name__)))
        exec(compile(tree, f"<hidden check {module.__name__}>", "exec"), module.__dict__)


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
                    first.value.value, str):
                node.body[0] = ast.copy_location(ast.Pass(), first)
    return tree


_installed: list[_Loader] = []


def install(sources: dict[str, str]) -> None:
    """Serve the hidden package from ``sources`` ahead of every file on disk."""
    loader = _Loader(sources)
    sys.meta_path.insert(0, loader)
    _installed.append(loader)


def forget() -> None:
    """Stop serving, and drop every source text not yet imported (each imported one is dropped on import)."""
    while _installed:
        loader = _installed.pop()
        sys.meta_path.remove(loader)
        loader.sources.clear()
