"""A student's Python: a fresh virtual environment built from a release's requirements.txt, as the README tells
students to, and cached outside the checkout between test runs.

The first build takes several minutes (torch alone is gigabytes), so the environment is kept under the user's cache
folder, named after a hash of what went into it: a changed requirements.txt or constraints.txt builds a new one.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from autograder.course import ROOT

# The requirements of every release are the same (pyproject.toml's dependencies), so one release's file stands for all.
REQUIREMENTS = ROOT / "release" / "regularization" / "requirements.txt"
CONSTRAINTS = ROOT / "constraints.txt"
# A system Python, as a student has: the python3 first on PATH may be the kit's own venv or a root-only build.
SYSTEM_PYTHON = Path("/usr/bin/python3")
BUILT_MARKER = ".reglab-complete"  # written last: an environment without it is half built and never used
BUILD_TIMEOUT_S = 45 * 60


def cache_dir() -> Path:
    """Where the kit caches what it builds for tests: ``$XDG_CACHE_HOME/reglab``, else ``~/.cache/reglab``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "reglab"


def environment_key(requirements: Path = REQUIREMENTS, constraints: Path = CONSTRAINTS) -> str:
    """A short hash of the files that decide what gets installed."""
    digest = hashlib.sha256()
    for path in (requirements, constraints):
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def can_build() -> bool:
    """Whether the system Python is there and can make venvs (Debian splits venv off into python3-venv)."""
    return SYSTEM_PYTHON.exists() and subprocess.run([str(SYSTEM_PYTHON), "-c", "import ensurepip, venv"],
                                                     capture_output=True).returncode == 0


def student_python(requirements: Path = REQUIREMENTS, constraints: Path = CONSTRAINTS) -> Path:
    """The python of a student environment for these requirements, built on first use and reused afterwards."""
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"student-env-{environment_key(requirements, constraints)}"
    # One builder at a time (parallel test runs, xdist workers): the others wait here, then find it built.
    with open(cache / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / BUILT_MARKER).exists():
            _build(target, requirements, constraints)
    return target / "bin" / "python"


def _build(target: Path, requirements: Path, constraints: Path) -> None:
    """Build the environment in place, marking it complete only once everything installed.

    A venv cannot be built elsewhere and renamed (its scripts name their own path), so "atomic" here means: the
    marker is written last, and a folder without it (an interrupted build) is removed and built again.
    """
    shutil.rmtree(target, ignore_errors=True)
    print(f"Building the student environment in {target} (once; several minutes) ...", flush=True)
    subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", str(target)], check=True)
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    env = _without_kit(os.environ)
    # A current pip, as `make install` uses: pip 23.3 moved its download cache (http-v2), and the older pip of a
    # system Python would not find the wheels the kit's venv already downloaded there.
    subprocess.run([*pip, "--upgrade", "pip"], check=True, timeout=BUILD_TIMEOUT_S, env=env)
    # With the kit's tested pins (-c), pip takes the torch that `make install` already fetched from that cache,
    # instead of downloading the newest torch, gigabytes more, whenever a newer one is released.
    subprocess.run([*pip, "-r", str(requirements), "-c", str(constraints)], check=True, timeout=BUILD_TIMEOUT_S,
                   env=env)
    (target / BUILT_MARKER).write_text(f"built from {requirements} and {constraints}\n")


def _without_kit(environ) -> dict[str, str]:
    """The environment minus the kit's: its checkout or venv on the path, and its REGLAB_ settings (a student's
    notebook sees only the ones the caller gives)."""
    return {name: value for name, value in environ.items()
            if name not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") and not name.startswith("REGLAB_")}


def student_environ(python: Path, **extra: str) -> dict[str, str]:
    """Variables for running the student's tools: their venv first on PATH, nothing of the kit's."""
    environ = _without_kit(os.environ)
    environ["PATH"] = os.pathsep.join([str(python.parent), "/usr/local/bin", "/usr/bin", "/bin"])
    environ.update(extra)
    return environ
