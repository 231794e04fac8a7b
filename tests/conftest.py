"""Shared fixtures: the repository's paths, offline data, and executed notebooks."""

import shutil
from pathlib import Path

import pytest
import torch

from autograder import build, notebooks

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = build.assignments()  # every folder of source/ with a notebook
# Tiny tensors train fastest on one thread, and one thread makes runs repeatable.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def pytest_configure(config):
    torch.set_num_threads(1)


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
            path = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
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
