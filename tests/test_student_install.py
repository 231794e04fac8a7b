"""Does a student's install, made from a release's requirements.txt as the README says, run the finished notebooks
without a warning?

The suite's other notebook tests run in the kit's own environment, which holds more than a student installs
(nbgrader, ipywidgets, tensorboard); a warning that only a student's environment shows is caught here.
"""

import json
import shutil
import subprocess

import pytest

from tests.conftest import ASSIGNMENTS, ONE_THREAD, ROOT
from tests.student_env import student_environ

FILLED = ROOT / "examples" / "submitted" / "ada"  # ada hands in the solutions
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Left-over progress bars: a saved notebook keeps every update of a text bar, whatever JupyterLab shows at the end
STALE_PROGRESS = ("0%|", "Epoch:")
RUN_TIMEOUT_S = 900


def unwanted_outputs(notebook: dict) -> list[str]:
    """What a student should not see in an executed notebook: errors, warnings on stderr, stale progress bars,
    and widgets whose state was not saved (JupyterLab shows "Error displaying widget: model not found")."""
    saved = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    found = []
    for index, cell in enumerate(notebook["cells"]):
        where = f"cell {index} ({cell.get('metadata', {}).get('nbgrader', {}).get('grade_id', 'no grade_id')})"
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                found.append(f"{where}: {output['ename']}: {output['evalue']}")
            elif output["output_type"] == "stream":
                text = "".join(output["text"])
                if output["name"] == "stderr" and "warn" in text.lower():
                    found.append(f"{where}: a warning on stderr: {text.strip()[:300]!r}")
                if any(stale in text for stale in STALE_PROGRESS):
                    found.append(f"{where}: stale progress text on {output['name']}: {text.strip()[:120]!r}")
            elif WIDGET_VIEW in output.get("data", {}):
                model = output["data"][WIDGET_VIEW].get("model_id")
                if model not in saved:
                    found.append(f"{where}: a widget view with no saved state (model {model})")
            elif any(stale in "".join(output.get("data", {}).get("text/plain", "")) for stale in STALE_PROGRESS):
                text = "".join(output["data"]["text/plain"])
                found.append(f"{where}: stale progress text in a display output: {text.strip()[:120]!r}")
    return found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_filled_notebook_runs_without_warnings_in_the_student_environment(assignment, student_python, tmp_path):
    """Run in a fresh student environment (the tiny profile, offline), does the filled-in notebook show no error, no
    warning, no stale progress bar and no widget without its state?"""
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
