"""Does a student's install, made from a release's requirements.txt as the README says, run the finished notebooks
without a warning?

The suite's other notebook tests run in the kit's own environment, which holds more than a student installs
(nbgrader, ipywidgets, tensorboard); a warning that only a student's environment shows is caught here.
"""

import json
import shutil
import subprocess

import pytest

from tests.clean_outputs import unwanted_outputs
from tests.conftest import ASSIGNMENTS, ONE_THREAD, ROOT
from tests.student_env import student_environ

FILLED = ROOT / "examples" / "submitted" / "ada"  # ada hands in the solutions
RUN_TIMEOUT_S = 900


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_filled_notebook_runs_without_warnings_in_the_student_environment(assignment, student_python, tmp_path):
    """Run in a fresh student environment (the tiny profile, offline), does the filled-in notebook show no error, no
    warning, no stale progress bar and no widget?"""
    workdir = tmp_path / assignment
    shutil.copytree(ROOT / "release" / assignment, workdir)  # the notebook finds reglab/ beside it
    shutil.copy(FILLED / assignment / f"{assignment}.ipynb", workdir / f"{assignment}.ipynb")
    env = student_environ(student_python, REGLAB_PROFILE="tiny", REGLAB_DATA="synthetic",
                          REGLAB_DATA_DIR=str(tmp_path / "data"), JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter"),
                          JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"), IPYTHONDIR=str(tmp_path / "ipython"),
                          **ONE_THREAD)
    run = subprocess.run([str(student_python), "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                          f"--ExecutePreprocessor.timeout={RUN_TIMEOUT_S}", "--output", "executed.ipynb",
                          f"{assignment}.ipynb"],
                         cwd=workdir, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert run.returncode == 0, run.stderr[-3000:]
    executed = json.loads((workdir / "executed.ipynb").read_text())
    found = unwanted_outputs(executed)
    assert not found, f"{assignment}, run in the student environment, shows:\n" + "\n".join(found)
