"""Shared fixtures: the repository's paths, offline data, executed notebooks, a copy of the kit to attack;
and a guard that fails the run if anything changed the checkout."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from autograder import check_plugin, course, notebooks
from tests import student_env

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = course.assignments()  # every folder of source/ with a notebook
# Tiny tensors train fastest on one thread, and one thread makes runs repeatable.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def pytest_configure(config):
    torch.set_num_threads(1)
    check_plugin.pytest_configure(config)  # tests import the check modules (their STAND_INS) under --strict-markers


def _checkout_fingerprint() -> dict[str, str]:
    """A hash of every file git tracks or would track (untracked, not ignored), by path; "gone" if deleted."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    fingerprint = {}
    for name in filter(None, listed):
        path = ROOT / name
        fingerprint[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "gone"
    return fingerprint


def pytest_sessionstart(session):
    session.config.stash[_CHECKOUT] = _checkout_fingerprint()


def pytest_sessionfinish(session, exitstatus):
    """No test, and no grading run a test starts, may touch the checkout: fail the run if one did."""
    before = session.config.stash.get(_CHECKOUT, None)
    if before is None:
        return
    after = _checkout_fingerprint()
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    if changed:
        print(f"\nThe test run changed the checkout at {ROOT}: {', '.join(changed[:20])}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_CHECKOUT = pytest.StashKey[dict]()
KIT_PARTS = ("autograder", "reglab", "release", "source", "solutions", "tests", "examples", "nbgrader_config.py",
             "README.md", "pyproject.toml")


@pytest.fixture(scope="session")
def kit_copy(tmp_path_factory) -> Path:
    """A copy of the kit to grade with where a submission attacks the kit: its secrets, its files."""
    return copy_kit(tmp_path_factory.mktemp("kit"))


def copy_kit(folder: Path) -> Path:
    """Copy the kit's parts into ``folder``/reglab, to run or change there instead of in the checkout."""
    copy = folder / "reglab"
    copy.mkdir()
    for name in KIT_PARTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, copy / name)
    return copy


@pytest.fixture(autouse=True)
def _offline_tiny_profile(monkeypatch, tmp_path_factory):
    """Every test runs in the tiny profile on the kit's synthetic data, in a private data folder."""
    for name, value in notebooks.TINY_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REGLAB_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data"))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def executed_copy(notebook_path: Path, workdir: Path):
    """Execute a copy of a notebook in ``workdir`` (every cell, errors kept) and return it with its errors."""
    workdir.mkdir(parents=True, exist_ok=True)
    if notebook_path.parent != workdir:
        shutil.copy(notebook_path, workdir)
    notebook = notebooks.read(workdir / notebook_path.name)
    env = {"REGLAB_DATA_DIR": str(workdir.parent / "data"), **ONE_THREAD}
    errors = notebooks.execute(notebook, workdir, env=env, allow_errors=True)
    return notebook, errors


@pytest.fixture(scope="session")
def executed_solution(tmp_path_factory):
    """The solution notebook of each assignment, executed once per test session."""
    cache = {}

    def get(assignment: str):
        if assignment not in cache:
            path = course.solution_notebook(assignment)
            cache[assignment] = executed_copy(path, tmp_path_factory.mktemp(f"solution-{assignment}"))
        return cache[assignment]

    return get


@pytest.fixture(scope="session")
def executed_release(tmp_path_factory):
    """The untouched student release of each assignment, executed once per test session."""
    cache = {}

    def get(assignment: str):
        if assignment not in cache:
            workdir = tmp_path_factory.mktemp(f"release-{assignment}") / assignment
            shutil.copytree(ROOT / "release" / assignment, workdir)
            cache[assignment] = executed_copy(workdir / f"{assignment}.ipynb", workdir)
        return cache[assignment]

    return get


def missing_tool(message: str) -> None:
    """Skip a test that needs a tool this machine lacks, saying how to install it; under CI (CI=true) fail instead,
    so that a CI machine without the tool never passes the test silently."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def require_sandbox(why: str = "grading needs the sandbox"):
    """The strongest launcher this machine offers, for tests that grade for real; where none works, skip saying
    how to get one (fail under CI, ``missing_tool``)."""
    from autograder import launchers

    try:
        return launchers.choose("auto")
    except launchers.IsolationUnavailable as refusal:
        missing_tool(f"{why}: {refusal}")


@pytest.fixture(scope="session")
def student_python() -> Path:
    """A student's python: a fresh venv built from a release's requirements.txt, cached outside the checkout
    (tests/student_env.py); the first build takes minutes."""
    if not student_env.can_build():
        missing_tool(f"building a student environment needs {student_env.SYSTEM_PYTHON} with venv: "
                     "apt-get install python3-venv")
    return student_env.student_python()
