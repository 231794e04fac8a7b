"""Do hidden checks, written as pytest tests, run through pytest's API into results a student may read?

Most of these run a small hidden-check module served from source text in memory, as the worker serves the
real ones (``autograder.hidden_import``), so each claim is about the runner alone. The last two run the real
checks: in the sandbox, with a bare ``assert`` added to a copy of the kit, and under plain ``pytest``.
"""

import json
import os
import subprocess
import sys

import pytest

from autograder import check_runner, course, hidden_import, notebooks
from autograder.check_runner import CheckResult, run_checks
from tests.conftest import copy_kit

PROBE = "probe_assignment"
PROBE_SOURCE = '''
import pytest
import torch

from autograder.check_runner import CheckFailed


@pytest.mark.grade("answer")
def test_answer_is_large(namespace):
    secret_threshold = 41
    assert namespace["answer"] > secret_threshold


@pytest.mark.grade("answer", weight=3)
def test_explained_assert(namespace):
    assert namespace["answer"] % 2 == 0, "answer must be even"


@pytest.mark.grade("table")
@pytest.mark.parametrize("x", [1, 2, 3])
def test_table(namespace, x):
    if namespace["table"](x) != x * x:
        raise CheckFailed(f"table does not square {x}")


@pytest.mark.grade("table", weight=2)
def test_table_is_callable(namespace):
    if not callable(namespace["table"]):
        raise CheckFailed("table is not a function")


@pytest.mark.grade("rows")
@pytest.mark.parametrize("row", ["a_row", "b_row"])
def test_row(namespace, row):
    assert namespace["row_ok"](row)


@pytest.mark.grade("random")
def test_seeded(namespace):
    namespace["drawn"].append(float(torch.rand(1)))


@pytest.mark.grade("stop")
def test_stopped(namespace):
    raise namespace["stop"]()


@pytest.mark.grade("crash")
def test_crash(namespace):
    namespace["crash"]()


@pytest.mark.grade("uses_helper")
def test_uses_helper(namespace):
    assert namespace["uses_helper"]() == "kit's", "the kit's helper should stand in for the student's"


STAND_INS = {"uses_helper": {"helper": lambda: "kit's"}}
'''


class Stopped(BaseException):
    """Like the worker's time limit: not an Exception, so no check may swallow it."""


@pytest.fixture(scope="module")
def probe():
    hidden_import.install({f"{check_runner.HIDDEN_PACKAGE}.{PROBE}": PROBE_SOURCE})
    yield PROBE
    hidden_import.forget()
    sys.modules.pop(f"{check_runner.HIDDEN_PACKAGE}.{PROBE}", None)


def graded(probe, grade_id, **namespace) -> CheckResult:
    return run_checks(probe, grade_id, {"answer": 42, "table": lambda x: x * x, **namespace})


def test_correct_answers_pass_every_check(probe):
    assert graded(probe, "answer") == CheckResult("answer", 1.0, ["test_answer_is_large", "test_explained_assert"])
    assert graded(probe, "table").fraction == 1.0


def test_bare_assert_says_only_that_the_check_failed(probe):
    """A bare assert of a hidden check quotes neither its code nor its values."""
    result = graded(probe, "answer", answer=40)
    assert result.messages == ["answer does not behave as required (the hidden check of answer is large failed)."]
    assert result.fraction == 0.75  # the other check, worth 3, passed
    assert not any(word in message for message in result.messages for word in ("secret", "41", "namespace", ">"))


def test_assert_with_a_message_says_its_message(probe):
    result = graded(probe, "answer", answer=43)
    assert result.messages == ["answer must be even"]
    assert result.passed == ["test_answer_is_large"]


def test_each_row_of_a_parametrized_table_is_a_check(probe):
    """As pytest counts them: a row is a test item with the function's weight."""
    result = graded(probe, "table", table=lambda x: x * x if x < 3 else 0)
    assert result.passed == ["test_table[1]", "test_table[2]", "test_table_is_callable"]
    assert result.fraction == pytest.approx(4 / 5)
    assert result.messages == ["table does not square 3"]


def test_a_bare_assert_in_a_row_names_the_row(probe):
    result = graded(probe, "rows", row_ok=lambda row: row != "b_row")
    assert result.messages == ["rows does not behave as required (the hidden check of row (b row) failed)."]


def test_stub_is_not_attempted_and_crash_says_where(probe):
    def stub(x):
        raise NotImplementedError

    assert graded(probe, "table", table=stub).not_attempted
    result = graded(probe, "crash", crash=lambda: {}["key"])
    assert result.messages[0].startswith("KeyError: 'key' (while checking crash, raised at line")


def test_every_check_sees_the_same_seeded_numbers_and_leaves_the_generator(probe):
    import torch

    torch.manual_seed(5)
    state = torch.get_rng_state()
    drawn = []
    graded(probe, "random", drawn=drawn)
    graded(probe, "random", drawn=drawn)
    assert drawn[0] == drawn[1]
    assert torch.equal(torch.get_rng_state(), state)


def test_a_base_exception_stops_the_item_and_the_next_run_is_clean(probe):
    """The worker's time limit is a BaseException: it leaves the run, and the next item runs normally."""
    with pytest.raises(Stopped):
        graded(probe, "stop", stop=Stopped)
    assert graded(probe, "answer").fraction == 1.0


def test_student_settings_and_files_do_not_reach_the_run(probe, tmp_path, monkeypatch):
    """PYTEST_ADDOPTS set by student code and a test file in the working folder change nothing."""
    (tmp_path / "test_planted.py").write_text("def test_planted():\n    raise SystemExit('collected')\n")
    (tmp_path / "conftest.py").write_text("raise SystemExit('conftest loaded')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTEST_ADDOPTS", "-k nothing_matches")
    assert graded(probe, "answer").fraction == 1.0
    assert os.environ["PYTEST_ADDOPTS"] == "-k nothing_matches"


NOTEBOOK_CALLING_HELPER = "def helper():\n    return \"student's\"\n\ndef uses_helper():\n    return helper()\n"


def _notebook_calling_helper() -> dict:
    namespace = {}
    exec(NOTEBOOK_CALLING_HELPER, namespace)
    return namespace


def test_an_item_is_checked_with_the_kits_versions_of_the_answers_it_calls(probe):
    """While an item's checks run, STAND_INS replace the other answers it calls; afterwards the student's are back."""
    namespace = _notebook_calling_helper()
    assert run_checks(probe, "uses_helper", namespace).fraction == 1.0
    assert namespace["uses_helper"]() == "student's"


def test_a_test_cell_stands_in_until_the_cell_ends(probe):
    """nbgrader's route: a test cell's hidden stand-in lasts until that cell ends, even when the cell fails."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell(NOTEBOOK_CALLING_HELPER)
        stand_in = (f"from autograder.checks import stand_in_for_the_cell\n"
                    f"stand_in_for_the_cell({PROBE!r}, 'uses_helper', globals())\n")
        shell.run_cell(stand_in + "during = uses_helper()\n")
        shell.run_cell(stand_in + "raise AssertionError('a visible check fails')\n")
        shell.run_cell("after = uses_helper()\n")
        assert (shell.user_ns["during"], shell.user_ns["after"]) == ("kit's", "student's")
    finally:
        InteractiveShell.clear_instance()


def test_a_check_without_its_item_marker_is_refused():
    name = f"{check_runner.HIDDEN_PACKAGE}.unmarked_probe"
    hidden_import.install({name: "def test_unmarked(namespace):\n    pass\n"})
    try:
        with pytest.raises(pytest.UsageError, match=r"needs @pytest.mark.grade"):
            run_checks("unmarked_probe", "any", {})
    finally:
        hidden_import.forget()
        sys.modules.pop(name, None)


BARE_ASSERT_CHECK = '''

@pytest.mark.grade("grid_size")
def test_grid_matches_the_key(namespace):
    hidden_value = 1234567
    assert namespace["N_GRID_EXPERIMENTS"] == hidden_value
'''


def test_bare_assert_in_the_sandbox_quotes_no_code(tmp_path):
    """A real check with a bare assert, graded by the sandboxed grader: the student reads no code or value."""
    kit = copy_kit(tmp_path)
    checks = kit / "autograder" / "checks" / "regularization.py"
    checks.write_text(checks.read_text() + BARE_ASSERT_CHECK)
    solution = kit / "examples" / "submitted" / "ada" / "regularization" / "regularization.ipynb"
    done = subprocess.run([sys.executable, "-m", "autograder.grade", str(solution), "--assignment", "regularization",
                           "--workers", "1", "--out", str(tmp_path / "out")],
                          cwd=kit, env={**os.environ, "PYTHONPATH": str(kit)}, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "regularization" / "report.json").read_text())
    items = {item["grade_id"]: item for item in report["submissions"][0]["items"]}
    assert items["grid_size"]["messages"] == [
        "grid_size does not behave as required (the hidden check of grid matches the key failed)."]
    assert items["grid_size"]["points"] == 0.5  # one of its two checks failed
    assert all(item["points"] == item["max_points"] for name, item in items.items() if name != "grid_size")
    shown = json.dumps(report) + "".join(page.read_text() for page in (tmp_path / "out").rglob("feedback/*"))
    assert "hidden_value" not in shown
    assert "1234567" not in shown
    assert "N_GRID_EXPERIMENTS\"] ==" not in shown


def test_instructor_runs_the_checks_with_plain_pytest(tmp_path):
    """`pytest autograder/checks` passes on the solutions; with --notebook it reports a wrong answer's checks."""
    kit = copy_kit(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(kit), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)

    def pytest_run(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "autograder/checks", "-p", "no:cacheprovider",
                               "-rf", *arguments], cwd=kit, env=env, capture_output=True, text=True, timeout=600)

    solutions = pytest_run()
    assert solutions.returncode == 0, solutions.stdout[-3000:]
    assert " passed" in solutions.stdout
    assert "skipped" not in solutions.stdout
    wrong = kit / "regularization.ipynb"
    notebook = json.loads(course.solution_notebook("regularization").read_text())
    for cell in notebook["cells"]:
        if notebooks.grade_id(cell) == "grid_size_answer":
            cell["source"] = "N_GRID_EXPERIMENTS = 4 + 5 + 6"
    wrong.write_text(json.dumps(notebook))
    graded = pytest_run("--notebook", str(wrong))
    assert graded.returncode == 1
    assert "FAILED autograder/checks/regularization.py::test_grid_counts_every_combination" in graded.stdout
    assert "1 failed" in graded.stdout
    assert "deselected" in graded.stdout
