"""A pids cgroup per worker: a cap on processes (threads too) where no per-uid limit applies, and a list of
everything a worker started, however it detached.

Root needs it: the kernel does not apply RLIMIT_NPROC to root, and a grader that stays root (its Python is not
readable by an unprivileged uid) has no other process cap. Two layouts exist and both are tried, the
unified one (cgroup v2: current distributions and hosted CI runners) first:

- cgroup v2, where this process's cgroup is delegated to it (root, or ``systemd-run --user --scope -p
  Delegate=yes``): a child cgroup with ``pids.max``; the ``pids`` controller is enabled for children if
  the parent allows it.
- cgroup v1's ``pids`` hierarchy, on older hosts.

Where neither can be written, ``create`` returns None and the caller records that no cgroup cap applied.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class PidsCgroup:
    path: Path
    layout: str  # "cgroup v2" or "cgroup v1"

    def join(self) -> None:
        """Move the calling process into the cgroup (between fork and exec: its children inherit it)."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def members(self) -> list[int]:
        try:
            return [int(pid) for pid in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill(self) -> None:
        kill_file = self.path / "cgroup.kill"  # v2 on Linux 5.14 and later: one write kills every member
        if kill_file.exists():
            with contextlib.suppress(OSError):
                kill_file.write_text("1")
        for pid in self.members():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def remove(self) -> None:
        """Remove the cgroup once its killed members are gone (they take a moment to leave)."""
        for _ in range(40):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                self.kill()
                time.sleep(0.05)


def _own_cgroup(controller: str) -> str | None:
    """This process's cgroup path in the hierarchy of ``controller`` ("" for the unified hierarchy)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers.split(",") == [controller] or (controller == "" and controllers == ""):
            return path
    return None


def _v2_parent() -> Path | None:
    own = _own_cgroup("")
    if own is None:
        return None
    for mount in (CGROUP_ROOT, CGROUP_ROOT / "unified"):  # pure v2, or v2 beside v1 (the "hybrid" layout)
        parent = mount / own.lstrip("/")
        controllers = parent / "cgroup.controllers"
        if controllers.exists() and "pids" in controllers.read_text().split():
            return parent
    return None


def create(name: str, max_processes: int) -> PidsCgroup | None:
    """A fresh pids cgroup named ``name`` capped at ``max_processes``, or None where none can be made."""
    parent = _v2_parent()
    if parent is not None:
        with contextlib.suppress(OSError):
            if "pids" not in (parent / "cgroup.subtree_control").read_text().split():
                (parent / "cgroup.subtree_control").write_text("+pids")
            made = _made(parent / name, max_processes, "cgroup v2")
            if made is not None:
                return made
    v1 = _own_cgroup("pids")
    if v1 is not None and (CGROUP_ROOT / "pids").is_dir():
        return _made(CGROUP_ROOT / "pids" / v1.lstrip("/") / name, max_processes, "cgroup v1")
    return None


def _made(path: Path, max_processes: int, layout: str) -> PidsCgroup | None:
    try:
        path.mkdir(exist_ok=True)
        (path / "pids.max").write_text(str(max_processes))
    except OSError:
        with contextlib.suppress(OSError):
            path.rmdir()
        return None
    return PidsCgroup(path, layout)
