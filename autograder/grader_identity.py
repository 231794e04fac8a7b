"""Who graded: what the kit, its checks, its release and its environment were, recorded with every shard's results.

The merge joins shards only when they were graded by one identity: a node with other checks, another torch,
other limits or a weaker sandbox would grade the same notebook differently, and its students would be graded
by other rules than their classmates.
"""

import hashlib
import importlib.metadata
import platform
import tomllib
from dataclasses import asdict
from pathlib import Path

from autograder.course import ROOT
from autograder.launchers import Launcher
from autograder.limits import Limits


def identity(launcher: Launcher, limits: Limits, root: Path = ROOT) -> dict:
    """The grader's identity: equal on two machines exactly when they grade alike."""
    return {
        # the version of the checkout that runs, not of whatever "reglab" the environment has installed
        "kit_version": kit_version(root),
        # the version string stays put between commits; the code's hash does not
        "code_sha256": files_sha256(root, ["autograder", "reglab"]),
        "checks_sha256": files_sha256(root, ["autograder/checks"]),
        "release_sha256": files_sha256(root, ["release"]),
        "python": platform.python_version(),
        "torch": importlib.metadata.version("torch"),  # without importing it: the grader's process needs no torch
        "isolation": launcher.name,  # each result records the details; a shard has one launcher
        "limits": asdict(limits),
    }


def kit_version(root: Path = ROOT) -> str:
    """The version of the checkout that runs (its pyproject.toml), not of whatever "reglab" is installed."""
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def files_sha256(root: Path, folders: list[str]) -> str:
    """One sha256 over every file under ``folders`` (names and bytes, in name order); caches left out."""
    digest = hashlib.sha256()
    files = sorted(path for folder in folders for path in (root / folder).rglob("*")
                   if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc")
    for path in files:
        name = path.relative_to(root).as_posix().encode()
        content = path.read_bytes()
        digest.update(len(name).to_bytes(8, "big") + name + len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()
