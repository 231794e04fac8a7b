"""The one seam for isolation: what a grading worker is started inside, chosen by what the machine offers.

    python -m autograder.launchers      # which launcher grading would use here, or why none

A launcher prefixes the worker's command and says what the submission gets. Strongest first:

| launcher     | who           | what the submission gets                                                          |
| ------------ | ------------- | --------------------------------------------------------------------------------- |
| bubblewrap   | any user      | new user, pid, network, mount, ipc and uts namespaces (``bwrap``); a file system  |
|              |               | of the system's and Python's folders and the kit, all read-only, with the hidden  |
|              |               | checks, solutions, sources, tests, submissions and reports not there at all; its  |
|              |               | own scratch folder; no capabilities                                               |
| namespaces   | root only     | pid, network and mount namespaces (util-linux ``unshare``); the worker covers the |
|              |               | kit's secret folders after its imports, then becomes an unprivileged uid or, where|
|              |               | Python is unreadable to other users, stays root in a read-only file system        |
| none         | --no-isolation| its own session and scratch folder, and the limits; nothing else                  |

Every launcher applies the limits (memory, file size, processes, time). Processes are capped by
RLIMIT_NPROC where the kernel applies it (not to root), else by a pids cgroup (``autograder.cgroups``).
When no launcher can give its guarantees, ``choose`` refuses with a message that says how to get one.
"""

from __future__ import annotations

import functools
import itertools
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder import cgroups
from autograder.course import ROOT
from autograder.limits import Limits

_cgroup_numbers = itertools.count()
FIRST_SANDBOX_UID = 61000  # uids with no account: one per worker slot, for a grader run by root
# Paths of the kit that a submission must never see: hidden checks, solutions, sources, tests, other students,
# grades, the kit's history. The grader adds the submissions' folders and the reports folder of each run.
SECRET_PATHS = ("autograder/checks", "source", "solutions", "tests", "examples", "submitted", "autograded",
                "feedback", "gradebook.db", "bench", "reports", ".git")
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Only what Python, torch and matplotlib read from /etc: the rest (shadow, ssh keys, ...) is no submission's business.
ETC_PATHS = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/fonts",
             "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/hosts", "/etc/mime.types")
HOW_TO_ISOLATE = (
    "Install bubblewrap (Debian, Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap) "
    "with unprivileged user namespaces enabled (sysctl kernel.unprivileged_userns_clone=1 on older Debian, "
    "user.max_user_namespaces > 0), or grade as root in a container. To grade anyway, without isolation, "
    "pass --no-isolation: every report then records it."
)


class IsolationUnavailable(RuntimeError):
    """No launcher can give its guarantees here; the message says why and how to get one."""


@dataclass(frozen=True)
class Isolation:
    """What a submission was graded inside; recorded in every result and report."""

    launcher: str
    namespaces: list[str] = field(default_factory=list)
    filesystem: str = ""
    limits: list[str] = field(default_factory=list)
    opt_out: bool = False  # graded with --no-isolation
    applied: list[str] = field(default_factory=list)  # what the worker did to itself (root namespaces)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One line for instructors: the console after grading, JUnit's suite properties."""
        if self.opt_out:
            return "none (--no-isolation); limits: " + "; ".join(self.limits)
        return (f"{self.launcher}: {', '.join(self.namespaces)} namespaces; {self.filesystem}; "
                + "; ".join(self.limits + self.applied))


@dataclass
class Launch:
    """How to start one worker: the command prefix, what to do between fork and exec, and who to run as."""

    prefix: list[str]
    preexec: Callable[[], None]
    isolation: Isolation
    run_as: int | None = None  # start the launcher and worker as this uid
    scratch_owner: int | None = None  # give the scratch folder to this uid
    job_fields: dict = field(default_factory=dict)  # what the worker must do to itself (root namespaces)
    cgroup: cgroups.PidsCgroup | None = None

    def kill_everything(self) -> None:
        if self.cgroup is not None:
            self.cgroup.kill()

    def finish(self) -> None:
        if self.cgroup is not None:
            self.cgroup.kill()
            self.cgroup.remove()


class Launcher:
    name = ""

    def problem(self) -> str | None:
        """Why this launcher cannot give its guarantees here, or None."""
        raise NotImplementedError

    def launch(self, slot: int, scratch: Path, limits: Limits, hide: list[Path]) -> Launch:
        raise NotImplementedError


def _rlimits(limits: Limits, nproc: int | None) -> Callable[[], None]:
    """Between fork and exec: the resource limits every launcher applies; they hold through exec and bwrap."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an output flood fails its writes instead of killing

    return apply


def _with_cgroup(apply: Callable[[], None], cgroup: cgroups.PidsCgroup | None) -> Callable[[], None]:
    def both() -> None:
        if cgroup is not None:  # children inherit it and cannot leave: that is how they are all found later
            cgroup.join()
        apply()

    return both


def _process_cap(slot: int, limits: Limits, user_namespace: bool,
                 may_drop_uid: bool = True) -> tuple[int | None, cgroups.PidsCgroup | None, int | None, str]:
    """How processes are capped: (RLIMIT_NPROC to start with, cgroup, uid to run as, description). A root
    grader's worker runs as an unprivileged uid only where the launcher can run it so (``may_drop_uid``)."""
    if os.geteuid() != 0:
        # RLIMIT_NPROC counts every task (thread) of the user, and a user namespace keeps counting its tasks
        # against the limit its creator had: leave room for the user's others and the other worker slots.
        # Inside its own namespace the worker then lowers the limit to the cap itself. The count is a snapshot:
        # a fork bomb killed just before (its pid namespace still being torn down, its tasks leaving /proc before
        # the kernel stops counting them) and the other slots' workers starting their threads meanwhile can
        # push the user past it, and a restart then fails to start at all (seen once, as an ordinary user under
        # load). The outer limit only has to keep the user's other work alive; the cap is the inner one, so
        # leave room for one more sandbox's worth too.
        room = len(_tasks_of(os.getuid())) + limits.max_processes * (4 if user_namespace else 1) \
            + limits.max_processes
        return room, None, None, f"processes {limits.max_processes} (RLIMIT_NPROC)"
    if may_drop_uid and readable_by_others():
        uid = FIRST_SANDBOX_UID + slot
        return limits.max_processes, None, uid, f"processes {limits.max_processes} (RLIMIT_NPROC, uid {uid})"
    # a fresh cgroup for every worker start: one that a killed fork bomb still holds can never cap the next
    cgroup = cgroups.create(f"reglab-grader-{os.getpid()}-{slot}-{next(_cgroup_numbers)}", limits.max_processes)
    if cgroup is None:
        return None, None, None, "processes: no cap (root, no pids cgroup)"
    return None, cgroup, None, f"processes {limits.max_processes} ({cgroup.layout} pids)"


def _root_process_cap_problem() -> str | None:
    if os.geteuid() != 0 or readable_by_others():
        return None
    probe = cgroups.create(f"reglab-probe-{os.getpid()}", 1)
    if probe is None:
        return ("as root, processes can be capped only by a pids cgroup, which cannot be created here, or by "
                "running workers as an unprivileged uid, which cannot read this Python; grade as an ordinary user, "
                "or with a Python and kit that other users can read")
    probe.remove()
    return None


class Bubblewrap(Launcher):
    name = "bubblewrap"

    def __init__(self, executable: str | None = None):
        self.executable = executable or shutil.which("bwrap")

    def problem(self) -> str | None:
        if self.executable is None:
            return "bubblewrap (bwrap) is not installed"
        failure = _bwrap_fails(self.executable)
        return failure or _root_process_cap_problem()

    def launch(self, slot: int, scratch: Path, limits: Limits, hide: list[Path]) -> Launch:
        nproc, cgroup, uid, processes = _process_cap(slot, limits, user_namespace=True)
        argv = [self.executable, "--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session",
                "--hostname", "sandbox"]
        for path in SYSTEM_PATHS:
            argv += ["--symlink", os.readlink(path), path] if os.path.islink(path) else ["--ro-bind-try", path, path]
        for path in ETC_PATHS:
            argv += ["--ro-bind-try", path, path]
        # mounts apply in order: /tmp first, since the kit, Python or the scratch folder may lie inside it
        argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        bound = _outermost([*_python_paths(), ROOT])
        for path in bound:
            argv += ["--ro-bind", str(path), str(path)]
        for path in _secret_paths(hide, within=bound):
            argv += ["--tmpfs", str(path), "--remount-ro", str(path)] if path.is_dir() else \
                ["--ro-bind", "/dev/null", str(path)]
        argv += ["--bind", str(scratch), str(scratch), "--chdir", str(scratch), "--"]
        isolation = Isolation(
            f"bubblewrap {_bwrap_version(self.executable)}", ["user", "pid", "network", "mount", "ipc", "uts"],
            "system, Python and kit read-only; hidden checks, solutions, sources, tests, submissions and reports "
            "absent; own scratch folder; no capabilities", [*limits.describe(), processes])
        return Launch(argv, _with_cgroup(_rlimits(limits, nproc), cgroup), isolation, run_as=uid,
                      job_fields={"own_pid_namespace": True, "max_processes": limits.max_processes},
                      scratch_owner=uid, cgroup=cgroup)


class RootNamespaces(Launcher):
    name = "namespaces"

    def __init__(self, executable: str | None = None):
        self.executable = executable or shutil.which("unshare")

    def problem(self) -> str | None:
        if os.geteuid() != 0:
            return "namespaces without bubblewrap need root"
        if self.executable is None:
            return "util-linux's unshare is not installed"
        probe = subprocess.run([self.executable, *self._flags(), "true"], capture_output=True, text=True)
        if probe.returncode != 0:
            return f"unshare cannot create namespaces here: {probe.stderr.strip()[:200]}"
        return _root_process_cap_problem()

    def _flags(self) -> list[str]:
        return ["--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private"]

    def launch(self, slot: int, scratch: Path, limits: Limits, hide: list[Path]) -> Launch:
        _, cgroup, uid, processes = _process_cap(slot, limits, user_namespace=False)
        filesystem = ("kit's secret folders covered; " + ("runs as an unprivileged uid" if uid is not None
                                                           else "file system read-only except a scratch folder"))
        isolation = Isolation("root namespaces (util-linux unshare)", ["pid", "network", "mount"], filesystem,
                              [*limits.describe(), processes])
        job_fields = {"own_pid_namespace": True, "isolate_self": True, "drop_to_uid": uid,
                      "hide": [str(path) for path in _secret_paths(hide)],
                      "max_processes": limits.max_processes}
        return Launch([self.executable, *self._flags(), "--"], _with_cgroup(_rlimits(limits, None), cgroup),
                      isolation, scratch_owner=uid,  # the worker drops to the uid itself, after its imports
                      job_fields=job_fields, cgroup=cgroup)


class NoIsolation(Launcher):
    """Only by the instructor's explicit choice (--no-isolation): limits and a process session, nothing else."""

    name = "none"

    def problem(self) -> str | None:
        return None

    def launch(self, slot: int, scratch: Path, limits: Limits, hide: list[Path]) -> Launch:
        # a root grader stays root here: dropping to a uid needs the namespaces that were refused
        nproc, cgroup, _, processes = _process_cap(slot, limits, user_namespace=False, may_drop_uid=False)
        isolation = Isolation("none", [], "the grader's own user's view: everything it can read and write",
                              [*limits.describe(), processes], opt_out=True)
        return Launch([], _with_cgroup(_rlimits(limits, nproc), cgroup), isolation, cgroup=cgroup)


LAUNCHERS: dict[str, type[Launcher]] = {"bubblewrap": Bubblewrap, "namespaces": RootNamespaces}
CHOICES = ("auto", *LAUNCHERS)


def choose(wanted: str = "auto", no_isolation: bool = False) -> Launcher:
    """The launcher to grade with: ``wanted`` (or the strongest that works, for "auto"), or refuse."""
    if no_isolation:
        return NoIsolation()
    names = list(LAUNCHERS) if wanted == "auto" else [wanted]
    problems = []
    for name in names:
        launcher = LAUNCHERS[name]()
        problem = launcher.problem()
        if problem is None:
            return launcher
        problems.append(f"{name}: {problem}")
    raise IsolationUnavailable(
        "Refusing to grade: no isolation is available for untrusted submissions here ("
        + "; ".join(problems) + "). " + HOW_TO_ISOLATE)


# --- what the machine offers ------------------------------------------------------------------------------


@functools.cache
def _bwrap_fails(executable: str) -> str | None:
    """Why bwrap cannot start a sandbox with every namespace here (None where it can)."""
    probe = subprocess.run([executable, "--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session",
                            "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--", "true"],
                           capture_output=True, text=True)
    if probe.returncode == 0:
        return None
    return f"bwrap cannot create its namespaces here: {probe.stderr.strip()[:200]}"


@functools.cache
def _bwrap_version(executable: str) -> str:
    probe = subprocess.run([executable, "--version"], capture_output=True, text=True)
    return probe.stdout.split()[-1] if probe.returncode == 0 and probe.stdout.split() else "(unknown version)"


def _python_paths() -> list[Path]:
    """The folders this Python and its packages live in (all read-only in the sandbox)."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.executable).parent,
             Path(os.path.realpath(sys.executable)).parent.parent}
    # package folders only: sys.path[0] can be whatever folder the grader was started in (a home, a course)
    paths |= {Path(entry) for entry in sys.path if Path(entry).name in ("site-packages", "dist-packages")}
    return [path.resolve() for path in paths if path.exists()]


def _outermost(paths: list[Path]) -> list[Path]:
    """``paths`` without any that lies inside another, outermost first (bwrap mounts in order)."""
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(outer) for outer in kept) and not any(
                path.is_relative_to(system) for system in map(Path, SYSTEM_PATHS)):
            kept.append(path)
    return kept


def _secret_paths(hide: list[Path], within: list[Path] | None = None) -> list[Path]:
    """The kit's secret paths and ``hide`` that exist (and lie inside ``within``, where given), never the kit
    itself: covering it would leave the worker nothing to import."""
    paths = [path for path in [*(ROOT / name for name in SECRET_PATHS), *hide]
             if path.exists() and not ROOT.is_relative_to(path)
             and (within is None or any(path.is_relative_to(outer) for outer in within))]
    return [path for path in paths if not any(path != other and path.is_relative_to(other) for other in paths)]


@functools.cache
def readable_by_others() -> bool:
    """Whether an unprivileged uid could import this Python, torch and the kit (a root grader then drops to one)."""
    import torch

    for path in (Path(os.__file__), Path(torch.__file__), Path(os.path.realpath(sys.executable)),
                 ROOT / "autograder" / "worker.py", ROOT / "reglab" / "__init__.py"):
        resolved = path.resolve()
        if not all(folder.stat().st_mode & 0o001 for folder in resolved.parents):  # others may enter each folder
            return False
        if not resolved.stat().st_mode & 0o004:
            return False
    return True


def _tasks_of(uid: int) -> list[int]:
    """The ids of every task (thread) of ``uid``: what RLIMIT_NPROC counts."""
    tasks = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    tasks += [int(task) for task in os.listdir(entry / "task")]
            except OSError:
                continue
    return tasks


def main() -> int:
    try:
        launcher = choose()
    except IsolationUnavailable as refusal:
        print(refusal, file=sys.stderr)
        return 1
    launch = launcher.launch(0, Path("/tmp"), Limits(), [])
    launch.finish()
    print(launch.isolation.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
