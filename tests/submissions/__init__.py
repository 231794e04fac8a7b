"""Fixture submissions: the notebooks a student could hand in, built from the release and the solutions.

A submission is the release notebook with the solution's code in every answer cell
(``make_submission``); a variant overrides some answer cells with other source, as a
student would type it: a realistic mistake, or another correct style. The variants of
an assignment are tables in ``tests.submissions.<assignment>``, written with the
``wrong`` and ``cell`` that ``answer_builders`` binds to the assignment: most as a few
replacements in the solution's answer cell, so that a table follows its solution.

``exec_answers`` runs the same answer cells without a kernel, for fast check-level tests.
"""

import ast
import functools
import importlib
import importlib.util
import itertools
import shutil
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest

from autograder import course, notebooks
from autograder.answers import (  # noqa: F401 (the tests import them from here, with the tables)
    ANSWER_SUFFIX,
    SOLUTION_MARKERS,
    WRITTEN_ANSWER,
    answer_cell_id,
    answers_with,
    make_submission,
    release_stubs,
    solution_answers,
    write_submissions,
)
from autograder.check_plugin import names_replaced, stand_ins
from autograder.notebooks import nbgrader_of

UNTOUCHED_RELEASE = "untouched-release"


class Variant(NamedTuple):
    """A wrong submission: the item it must lose points on, its answer cells, a word its messages use,
    and the hidden checks of the item it must fail."""

    item: str  # grade_id of the autograded test cell
    answers: Mapping[str, str]  # answer-cell grade_id -> the cell's source
    keyword: str  # in the item's messages (case-insensitive)
    fails: str  # the checks of `item` it must fail, space separated: the hidden checks' test function names

    @property
    def failing_checks(self) -> set[str]:
        return set(self.fails.split())


@functools.cache
def tables() -> dict:
    """The fixture tables of every assignment that has some: assignment -> module ``tests.submissions.<assignment>``.

    Such a module defines ASSIGNMENT, KNOWN_WRONG, CHECK_LEVEL_WRONG (name -> Variant),
    ALTERNATIVE_CORRECT (name -> answer cells) and MIN_KNOWN_WRONG_PER_ITEM (grade_id -> count).
    """
    return {assignment: importlib.import_module(f"{__name__}.{assignment}") for assignment in course.assignments()
            if importlib.util.find_spec(f"{__name__}.{assignment}") is not None}


def grade_ids(assignment: str) -> list[str]:
    """The autograded items of an assignment: the test cells of its release."""
    return list(visible_checks(assignment))


def cases(function) -> list:
    """pytest params ``(assignment, x)`` for every assignment with tables and every ``x`` that
    ``function(assignment)`` lists, with readable ids."""
    return [pytest.param(assignment, x, id=f"{assignment}/{x}")
            for assignment in tables() for x in function(assignment)]


Replacements = Mapping[str, str] | Sequence[tuple[str, str]]


def edit(source: str, replace: Replacements, *, where: str = "") -> str:
    """`source` with each `old` of `replace` (pairs, or a dict) replaced by its `new`.

    Every `old` must occur exactly once in `source`, and no two may overlap: they are all
    found in `source` as it is, not one after the other. Otherwise a ValueError says which
    `old` (in `where`) no longer fits, so that a table is brought in step with its solution.
    """
    spans = []
    for old, new in (replace.items() if isinstance(replace, Mapping) else replace):
        starts = [i for i in range(len(source)) if source.startswith(old, i)] if old else []
        if len(starts) != 1:
            raise ValueError(f"{where}: {old!r} occurs {len(starts)} times in the source it edits, not once")
        spans.append((starts[0], starts[0] + len(old), new))
    spans.sort()
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        if start < end:
            raise ValueError(f"{where}: two replacements overlap at {source[start:end]!r}")
    pieces, done = [], 0
    for start, end, new in spans:
        pieces += [source[done:start], new]
        done = end
    return "".join([*pieces, source[done:]])


def without_docstrings(source: str) -> str:
    """`source` without the lines of its functions' and classes' docstrings (and the blank line after a class's)."""
    lines = source.splitlines()
    dropped = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and ast.get_docstring(node):
            docstring = node.body[0]
            dropped.update(range(docstring.lineno - 1, docstring.end_lineno))
            if isinstance(node, ast.ClassDef) and docstring.end_lineno < len(lines) \
                    and not lines[docstring.end_lineno].strip():
                dropped.add(docstring.end_lineno)
    return "\n".join(line for number, line in enumerate(lines) if number not in dropped)


class AnswerCell(Mapping[str, str]):
    """The answer cell of one item (grade_id -> source), whose source is built on first use.

    So a table module imports without reading a notebook, and an edit that no longer fits
    its solution fails the tests of its own entry, with edit's message.
    """

    def __init__(self, item: str, build: Callable[[], str]):
        self._grade_id = answer_cell_id(item)
        self._build = build

    @functools.cached_property
    def source(self) -> str:
        return self._build()

    def __getitem__(self, grade_id: str) -> str:
        if grade_id != self._grade_id:
            raise KeyError(grade_id)
        return self.source

    def __iter__(self) -> Iterator[str]:
        return iter([self._grade_id])

    def __len__(self) -> int:
        return 1

    def __repr__(self) -> str:
        return f"AnswerCell({self._grade_id!r})"


def _answer_cell(assignment: str, item: str, source: str | None, replace: Replacements) -> AnswerCell:
    def build() -> str:
        base = textwrap.dedent(source).strip("\n") if source is not None else solution_code(assignment, item)
        return edit(base, replace, where=f"{assignment}/{item}")

    if source is None and not replace:
        raise ValueError(f"{assignment}/{item}: give the answer's source, or replacements in the solution's")
    return AnswerCell(item, build)


def _wrong(assignment: str, item: str, keyword: str, *, fails: str, source: str | None = None,
           replace: Replacements = ()) -> Variant:
    if not fails.split():
        raise ValueError(f"{assignment}/{item}: name the checks a mistake fails")
    return Variant(item, _answer_cell(assignment, item, source, replace), keyword, fails)


def _cell(assignment: str, item: str, source: str | None = None, *, replace: Replacements = ()) -> AnswerCell:
    return _answer_cell(assignment, item, source, replace)


class AnswerBuilders(NamedTuple):
    """The constructors of one assignment's tables (see answer_builders)."""

    wrong: Callable[..., Variant]
    cell: Callable[..., AnswerCell]


def answer_builders(assignment: str) -> AnswerBuilders:
    """The two constructors of the tables of `assignment`, ``wrong, cell = answer_builders(ASSIGNMENT)``:

    - ``wrong(item, keyword, fails="test_a test_b", replace={old: new})``: a mistake in the
      answer cell of `item`, which the item's messages name with `keyword` and which fails
      exactly the checks `fails` names (its other checks pass);
    - ``cell(item, replace={old: new})``: the answer cell of `item`, for another correct style.

    Without `source`, the cell is the solution's (``solution_code``) with `replace` applied
    (see ``edit``); with ``source=`` (as indented in the table module), it is that source,
    with `replace` applied if given: an answer that is another program than the solution.
    """
    return AnswerBuilders(functools.partial(_wrong, assignment), functools.partial(_cell, assignment))


def items_of(answers: Mapping[str, str]) -> list[str]:
    """The autograded items whose answer cells `answers` fills."""
    return [grade_id.removesuffix(ANSWER_SUFFIX) for grade_id in answers]


def release_path(assignment: str) -> Path:
    return course.release_notebook(assignment)


def solution_code(assignment: str, item: str) -> str:
    """The solution's answer cell of `item` without its docstrings: the code the tables edit (they type none)."""
    return without_docstrings(solution_answers(assignment)[answer_cell_id(item)])


@functools.cache
def visible_checks(assignment: str) -> dict[str, str]:
    """The source of every autograded test cell of the release, by item: the checks a student sees."""
    return {nbgrader_of(cell)["grade_id"]: cell.source for cell in notebooks.read(release_path(assignment)).cells
            if cell.cell_type == "code" and nbgrader_of(cell).get("grade")}


def visible_failures(assignment, answers) -> dict[str, str]:
    """The items whose visible checks (the released test cells) fail for these answer cells, with the error;
    as the grader runs them, with the kit's versions of the other answers an item calls."""
    failures = {}
    checks_module = importlib.import_module(f"autograder.checks.{assignment}")
    for grade_id, source in visible_checks(assignment).items():
        namespace = exec_answers(assignment, answers)
        try:
            with names_replaced(namespace, stand_ins(checks_module, grade_id)):
                exec(compile(source, f"<{grade_id} visible checks>", "exec"), namespace)
        except Exception as error:  # a failing assert or a crash: the cell fails either way
            failures[grade_id] = f"{type(error).__name__}: {error}"
    return failures


def defining_items(assignment: str) -> dict[str, str]:
    """name -> the item whose solution answer defines it (a function, a class or a setting)."""
    defined = {}
    for grade_id, source in solution_answers(assignment).items():
        for node in ast.parse(source).body:
            names = [node.name] if isinstance(node, ast.FunctionDef | ast.ClassDef) else [
                target.id for target in getattr(node, "targets", []) if isinstance(target, ast.Name)]
            defined.update(dict.fromkeys(names, grade_id.removesuffix(ANSWER_SUFFIX)))
    return defined


def other_answers_used(assignment: str) -> dict[str, set[str]]:
    """item -> the names of other items' answers that its solution answer or its visible checks use."""
    defined = defining_items(assignment)
    sources = {grade_id.removesuffix(ANSWER_SUFFIX): [source]
               for grade_id, source in solution_answers(assignment).items()}
    for grade_id, source in visible_checks(assignment).items():
        sources.setdefault(grade_id, []).append(source)
    used = {}
    for item, texts in sources.items():
        names = {node.id for text in texts for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Name)}
        others = {name for name in names if defined.get(name, item) != item}
        if others:
            used[item] = others
    return used


def answers_other_items_call(assignment: str) -> list[str]:
    """The names of every answer that another item's answer or visible checks call, sorted."""
    return sorted({name for names in other_answers_used(assignment).values() for name in names})


def broken_answers(assignment: str, names: Sequence[str]) -> dict[str, str]:
    """Answer cells in which each of ``names`` (answers that other items call) raises when called."""
    owners = defining_items(assignment)
    cells = {}
    for name in names:
        cell_id = answer_cell_id(owners[name])
        cells[cell_id] = (cells.get(cell_id, solution_answers(assignment)[cell_id])
                          + f"\n\ndef {name}(*args, **kwargs):\n    raise RuntimeError('broken {name}')\n")
    return cells


def copy_release(folder: Path, assignment: str, name: str = UNTOUCHED_RELEASE) -> Path:
    """Copy the untouched release notebook into `folder`, as a submission called `name`."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(release_path(assignment), folder / f"{name}.ipynb"))


@functools.cache
def _setup_code(assignment: str):
    """The setup cell's imports, and the values locked cells set from literals (the experiments' settings).

    These are the names an answer may use besides those of other answers (``lrs`` in
    ``len(lrs)``, say), as "Run All" leaves them, without the setup's side effects
    (profile, seeds, device). The grader skips the cells tagged ``experiment``, which set some.
    """
    setup = []
    for cell in notebooks.read(release_path(assignment)).cells:
        if cell.cell_type != "code" or not nbgrader_of(cell).get("locked") or nbgrader_of(cell).get("grade"):
            continue  # provided code only: not the answers, not the test cells
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
        for node in ast.parse(code).body:
            if isinstance(node, ast.Import | ast.ImportFrom) and notebooks.grade_id(cell) == "setup":
                setup.append(node)
            elif isinstance(node, ast.Assign) and all(isinstance(target, ast.Name) for target in node.targets):
                try:
                    ast.literal_eval(node.value)
                except (ValueError, TypeError):
                    continue
                setup.append(node)
    return compile(ast.Module(body=setup, type_ignores=[]), f"<{assignment} setup>", "exec")


def exec_answers(assignment: str, overrides: Mapping[str, str] | None = None, *, allow_errors: bool = False) -> dict:
    """A notebook's namespace after its setup imports and all its answer cells (solutions and `overrides`) ran.

    With `allow_errors` a cell that raises stops there and the next cells still run,
    as in "Run All" of a notebook with errors.
    """
    namespace = {"__name__": "__main__"}
    exec(_setup_code(assignment), namespace)
    for grade_id, source in answers_with(assignment, overrides).items():
        try:
            exec(compile(source, f"<{grade_id}>", "exec"), namespace)
        except Exception:
            if not allow_errors:
                raise
    return namespace
