"""Run an assignment's hidden checks, which are pytest tests, through pytest's own API; turn outcomes into results.

One ``pytest.main`` call per notebook: the plugin below collects the checks from the imported module (in the
sandbox it is imported from source text held in memory, so there is no file to collect, and a file the
student wrote is never collected), hands every check the notebook's namespace, and lets the caller run the
items one at a time (``Session.run``) in between its own steps (the worker's integrity check, the visible
checks, a time limit per item).

What a student reads comes from the exception a check raised and nothing else: never pytest's report, which
quotes the check's code. Assertions are not rewritten (``--assert=plain``), so a bare ``assert`` says nothing
but that the check failed, and an ``assert x, "message"`` says its message.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from autograder import check_plugin

T = TypeVar("T")
HIDDEN_PACKAGE = "autograder.checks"
# pytest's own plugins a grading run does without: nothing is cached, printed, captured or timed, and no
# garbage collection at the end of a run (unraisableexception collects twice: half a second with torch loaded)
UNUSED_PLUGINS = ("cacheprovider", "faulthandler", "terminal", "warnings", "stepwise", "pastebin", "junitxml",
                  "doctest", "logging", "lsof", "legacypath", "tmpdir", "monkeypatch", "recwarn", "setuponly",
                  "setupplan", "unittest", "capture", "unraisableexception", "threadexception",
                  "debugging")
# pytest's own outcomes: not the BaseExceptions (a grading time limit) that must stop the whole item
PYTEST_OUTCOMES = (pytest.skip.Exception, pytest.fail.Exception)


class CheckFailed(AssertionError):
    """An answer does not behave as required; the message is shown to the student."""


@dataclass
class CheckResult:
    grade_id: str
    fraction: float  # of the item's points, in [0, 1]
    passed: list[str] = field(default_factory=list)  # names of the checks (pytest test items) that passed
    messages: list[str] = field(default_factory=list)  # one per failed check, for the student
    not_attempted: bool = False  # every check that failed met the answer's stub (NotImplementedError)


@dataclass
class _Check:
    name: str
    weight: float
    failures: list[BaseException] = field(default_factory=list)
    skipped: bool = False


class Session:
    """The collected checks of one assignment, ready to run against one namespace, item by item."""

    def __init__(self, items: list[pytest.Item]):
        self.items: dict[str, list[pytest.Item]] = {}
        for item in items:
            self.items.setdefault(check_plugin.grade_of(item)[0], []).append(item)
        self._outcomes: dict[str, _Check] = {}

    @property
    def names(self) -> dict[str, list[str]]:
        """The names of the checks by grade_id, in order: one per test, and one per row of a parametrized
        table (``test_stopper_decides[uses_the_patience]``), each with its own weight, as pytest counts them."""
        return {grade_id: [item.name for item in items] for grade_id, items in self.items.items()}

    def run(self, grade_id: str) -> CheckResult:
        """Run every check of one item. A BaseException that is no pytest outcome (the grader's time limit)
        stops the item and propagates, as it would from plain code."""
        items = self.items.get(grade_id)
        if not items:
            raise KeyError(f"no hidden checks for {grade_id}")
        self._outcomes = {}
        for index, item in enumerate(items):
            self._outcomes[item.name] = _Check(item.name, check_plugin.grade_of(item)[1])
            following = items[index + 1] if index + 1 < len(items) else None
            try:
                item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
            except BaseException:
                # pytest has no public way to drop a half-run test; without this the next item's setup fails
                item.session._setupstate.teardown_exact(None)
                raise
            stop = next((error for error in self._outcomes[item.name].failures
                         if not isinstance(error, (Exception, *PYTEST_OUTCOMES))), None)
            if stop is not None:
                item.session._setupstate.teardown_exact(None)
                raise stop
        return _result(grade_id, list(self._outcomes.values()))

    def record(self, item: pytest.Item, call: pytest.CallInfo) -> None:
        check = self._outcomes.get(item.name)
        if check is None or call.excinfo is None:
            return
        if isinstance(call.excinfo.value, pytest.skip.Exception):
            check.skipped = True
        else:
            check.failures.append(call.excinfo.value)


def _result(grade_id: str, checks: list[_Check]) -> CheckResult:
    result = CheckResult(grade_id, 0.0)
    earned = total = 0.0
    failed = stubbed = 0
    for check in checks:
        if check.skipped and not check.failures:
            continue  # a check that does not apply to this answer counts neither way
        total += check.weight
        if not check.failures:
            earned += check.weight
            result.passed.append(check.name)
            continue
        failed += 1
        stubbed += isinstance(check.failures[0], NotImplementedError)
        result.messages.append(_message(grade_id, check.name, check.failures[0]))
    result.fraction = earned / total if total else 0.0
    result.not_attempted = failed > 0 and stubbed == failed
    # one wrong answer can fail several checks for the same reason: say it once
    result.messages = list(dict.fromkeys(result.messages))
    return result


def _message(grade_id: str, name: str, error: BaseException) -> str:
    """What the student reads about one failed check: its author's words, never its code."""
    # "test_stopper_decides[uses_the_patience]" reads "stopper decides (uses the patience)"
    what = re.sub(r"\[(.*)\]$", r" (\1)", name.removeprefix("test_")).replace("_", " ")
    if isinstance(error, NotImplementedError):
        return f"{grade_id}: not attempted (the answer still raises NotImplementedError)."
    if isinstance(error, AssertionError | pytest.fail.Exception):
        said = str(error).strip()
        return said or f"{grade_id} does not behave as required (the hidden check of {what} failed)."
    where = traceback.extract_tb(error.__traceback__)[-1]  # an answer that crashes is wrong, and says how
    return f"{type(error).__name__}: {error} (while checking {what}, raised at line {where.lineno} of {where.name})"


class _Plugin:
    """Collects the checks from an imported module, provides ``namespace``, and hands the run to ``body``."""

    def __init__(self, module_name: str, namespace: dict, body: Callable[[Session], object]):
        self.module_name, self.namespace_value, self.body = module_name, namespace, body
        self.session: Session | None = None
        self.returned: object = None
        self.error: BaseException | None = None
        self.ran = False

    @pytest.fixture
    def namespace(self) -> dict:
        return self.namespace_value

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool:
        try:
            # imported here, where the grade marker is registered, or the caller's --strict-markers would refuse it;
            # in the sandbox the import is served from memory (autograder.hidden_import): no file is collected
            module = importlib.import_module(self.module_name)
            node = pytest.Module.from_parent(session, path=session.config.rootpath / f"{self.module_name}.py")
            node.obj = module
            items = list(session.genitems(node))
            self.session = Session(items)
        except BaseException as error:  # a check without its marker, a broken parametrize: the author's to fix
            self.error, items = error, []
        session.items, session.testscollected = items, len(items)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if self.error is not None:
            return True
        self.ran = True
        try:
            self.returned = self.body(self.session)
        except BaseException as error:  # pytest would swallow it as an internal error: the caller gets it
            self.error = error
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        self.session.record(item, call)
        return report


@contextlib.contextmanager
def _plain_pytest_environment() -> Iterator[None]:
    """No PYTEST_* variable (which student code could have set: extra options, plugins) reaches this run, and
    no third-party plugin loads; the caller's variables (an outer pytest's) come back afterwards."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("PYTEST_")}
    for name in saved:
        del os.environ[name]
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        for name in [name for name in os.environ if name.startswith("PYTEST_")]:
            del os.environ[name]
        os.environ.update(saved)


def run_session(assignment: str, namespace: dict, body: Callable[[Session], T]) -> T:
    """Collect the hidden checks of ``assignment`` and call ``body(session)`` inside one pytest run."""
    plugin = _Plugin(f"{HIDDEN_PACKAGE}.{assignment}", namespace, body)
    arguments = ["-c", os.devnull, "--rootdir", str(Path(__file__).parent), "--noconftest", "--assert=plain",
                 *(option for name in UNUSED_PLUGINS for option in ("-p", f"no:{name}"))]
    with _plain_pytest_environment():
        exit_code = pytest.main(arguments, plugins=[check_plugin, plugin])
    if plugin.error is not None:
        raise plugin.error
    if not plugin.ran:
        raise RuntimeError(f"pytest could not collect the hidden checks of {assignment} (exit code {exit_code})")
    return plugin.returned


def run_checks(assignment: str, grade_id: str, namespace: dict) -> CheckResult:
    """Run every check of one graded item against a notebook namespace."""
    return run_session(assignment, namespace, lambda session: session.run(grade_id))


def check_names(assignment: str) -> dict[str, list[str]]:
    """The names of an assignment's checks, by grade_id (collection only: nothing runs)."""
    return run_session(assignment, {}, lambda session: session.names)


def grade_cell(assignment: str, grade_id: str, namespace: dict, points: float) -> float:
    """Run an item's hidden checks inside a notebook and return the points earned.

    nbgrader reads a number returned by the last line of a test cell as partial
    credit, so the cell ends with this call; ``points`` are the cell's points
    (a test keeps them equal to the cell's nbgrader metadata).
    """
    result = run_checks(assignment, grade_id, namespace)
    for message in result.messages:
        print(f"✗ {message}")
    if not result.messages:
        print("✓ All hidden checks passed.")
    return points_earned(result.fraction, points)


def points_earned(fraction: float, points: float) -> float:
    """An item's points for the share of its checks that passed, in hundredths, never rounded up.

    nbgrader's test cells and the standalone grader both score with this, so
    their grades agree to the hundredth; the epsilon keeps 0.29 * 100 from
    flooring to 28.
    """
    return math.floor(fraction * points * 100 + 1e-9) / 100
