"""A real JupyterLab server for a test: started in a folder with a given Python, on a free port with a token, and
stopped afterwards. Its settings, runtime files and workspaces live in a private folder, never in the user's."""

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_S = 120
# JupyterLab's own settings for a test, not the kit's: every cell stays in the page (JupyterLab otherwise renders
# only the cells near the viewport, and the test reads outputs from the DOM), and no "Jupyter news?" toast covers
# the notebook in the screenshots.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: where it answers, the token it wants, and where its log goes."""

    base_url: str
    token: str
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running_lab(python: Path, root_dir: Path, private_dir: Path, env: dict[str, str]) -> Iterator[Lab]:
    """Run ``python -m jupyter lab`` serving ``root_dir`` until the block ends; ``private_dir`` holds its state."""
    private_dir.mkdir(parents=True, exist_ok=True)
    _write_lab_settings(private_dir / "config" / "lab" / "user-settings")
    port, token = _free_port(), secrets.token_hex(16)
    command = [str(python), "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
               # no calls home: the machines that run the tests may be offline
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:  # CI runs as root, and Jupyter refuses root without being told
        command.append("--allow-root")
    env = {**env, "JUPYTER_CONFIG_DIR": str(private_dir / "config"), "JUPYTER_DATA_DIR": str(private_dir / "data"),
           "JUPYTER_RUNTIME_DIR": str(private_dir / "runtime"), "IPYTHONDIR": str(private_dir / "ipython")}
    log = private_dir / "jupyter-lab.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(command, cwd=root_dir, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}", token, log)
    try:
        _wait_until_it_answers(lab, process)
        yield lab
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _write_lab_settings(user_settings: Path) -> None:
    for name, settings in LAB_SETTINGS.items():
        path = user_settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_it_answers(lab: Lab, process: subprocess.Popen) -> None:
    request = urllib.request.Request(lab.url("api/status"), headers={"Authorization": f"token {lab.token}"})
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{lab.log_tail()}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"jupyter lab did not answer within {START_TIMEOUT_S} s:\n{lab.log_tail()}")
