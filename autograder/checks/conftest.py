"""Run the hidden checks with plain pytest, outside the sandbox: the instructor's view of them.

    pytest autograder/checks                                  # each assignment against its solution notebook
    pytest autograder/checks --notebook submitted/ada/regularization/regularization.ipynb
    pytest autograder/checks/penalties.py -k l1_penalty -v    # one item, with pytest's full report

The notebook runs as the grader runs it (``autograder.prepare``): the release's provided cells, the notebook's
answer cells and the cells its author added; the experiments (cells tagged ``experiment``) are skipped. Only
the checks of the notebook's assignment are collected. This is the author's tool: its report quotes the
checks' code, so it is never what a student sees (the grader reports only the checks' own messages).
"""

from pathlib import Path

import pytest

from autograder import check_plugin, course, prepare
from autograder.check_plugin import own_random_state  # noqa: F401 (a fixture: pytest finds it by name here)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--notebook", type=Path, default=None,
                     help="the notebook to check (default: each assignment's solution notebook)")
    parser.addoption("--assignment", default=None,
                     help="the notebook's assignment, where its folder or file name does not say")


def pytest_configure(config: pytest.Config) -> None:
    check_plugin.pytest_configure(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """An assignment's module is a test module, although its name does not start with test_."""
    if file_path.suffix == ".py" and file_path.stem in course.assignments() and not parent.session.isinitpath(
            file_path):  # a module named on the command line pytest collects by itself
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def _notebook_assignment(config: pytest.Config) -> str | None:
    notebook = config.getoption("--notebook")
    if notebook is None:
        return None
    if not notebook.is_file():
        raise pytest.UsageError(f"--notebook {notebook}: no such file")
    named = config.getoption("--assignment") or next(
        (name for name in (notebook.parent.name, notebook.stem) if name in course.assignments()), None)
    if named is None:
        raise pytest.UsageError(f"--notebook {notebook}: cannot tell its assignment; pass --assignment "
                                f"({', '.join(course.assignments())})")
    return named


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --notebook, keep only the checks of its assignment."""
    wanted = _notebook_assignment(config)
    if wanted is None:
        return
    kept = [item for item in items if item.module.__name__.rsplit(".", 1)[-1] == wanted]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


@pytest.fixture(scope="module")
def namespace(request: pytest.FixtureRequest) -> dict:
    """The notebook's namespace after its cells ran, once per assignment module."""
    assignment = request.module.__name__.rsplit(".", 1)[-1]
    path = request.config.getoption("--notebook") or course.solution_notebook(assignment)
    namespace, errors = prepare.run_in_process(path, assignment)
    for error in errors:  # pytest shows them with the report of the first check that uses this notebook
        print(error)
    return namespace
