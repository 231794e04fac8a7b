"""Run one submission's grading in an isolated worker process and collect what it reports.

Isolation, from the OS's side: a new process session (so the whole group can
be killed), a scratch directory holding only a copy of the submission, limits
on memory (RLIMIT_DATA), file size (output floods) and core dumps, a private
network namespace (no network) and mount namespace, and, when the grader runs
as root, a separate unprivileged uid per worker slot with a process limit, so
that everything the submission started can be found and killed at the end.
What needs no privilege always applies; the rest is listed in the report.

If the worker dies or hangs during a cell or an item, that cell or item is
skipped and the worker started again, so the rest of the submission still
gets its grade.
"""

import contextlib
import ctypes
import functools
import hashlib
import hmac
import json
import os
import resource
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import ROOT

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
FIRST_SANDBOX_UID = 61000  # uids with no account: one per worker slot
PIDS_CGROUP = Path("/sys/fs/cgroup/pids")  # cgroup v1 pids controller, where the machine has one


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 180.0  # one submission, all attempts together
    cell_seconds: float = 30.0  # one cell of the notebook
    item_seconds: float = 30.0  # one item's checks
    stall_seconds: float = 15.0  # past a cell's or an item's own limit with no word: the worker is stuck
    memory_bytes: int = 2 * 2**30
    output_bytes: int = 4 * 2**20
    max_processes: int = 64  # threads count too
    attempts: int = 4  # worker starts per submission, retries after a crash included


@dataclass
class Outcome:
    """What the worker reported, merged over its attempts."""

    items: dict[str, tuple[float, list[str]]] = field(default_factory=dict)  # grade_id -> (fraction, messages)
    broken_items: dict[str, str] = field(default_factory=dict)  # grade_id -> why it has no result
    cell_errors: list[tuple[int, str]] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    isolation: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def run(job: dict, notebook: Path, slot: int, limits: Limits, hide: list[Path]) -> Outcome:
    """Grade one prepared submission (``job``: assignment, cells, items) in the sandbox."""
    outcome = Outcome()
    skip_cells: list[int] = []
    deadline = time.monotonic() + limits.wall_seconds
    for _ in range(limits.attempts):
        pending = [item for item in job["items"] if item not in outcome.items and item not in outcome.broken_items]
        if not pending:
            break
        attempt = {**job, "items": pending, "skip_cells": skip_cells}
        events, ended = _attempt(attempt, notebook, slot, limits, hide, deadline)
        state = _merge(events, outcome)
        if ended == "done" or outcome.tampered:
            break
        why = _why(ended, limits)
        if state.current_item is not None:
            outcome.broken_items[state.current_item] = f"grading {state.current_item} stopped: {why}"
        elif state.current_cell is not None:
            cell = job["cells"][state.current_cell]
            outcome.notices.append(f"Running {cell['name']} stopped the grading ({why}); it was skipped.")
            skip_cells.append(state.current_cell)
        else:
            outcome.notices.append(f"The grader could not start ({why}).")
            break
        if time.monotonic() >= deadline:
            break
    for item in job["items"]:
        if item not in outcome.items and item not in outcome.broken_items:
            outcome.broken_items[item] = f"grading {item} stopped: the submission used up its time or its restarts"
    return outcome


@dataclass
class _State:
    current_cell: int | None = None
    current_item: str | None = None


def _merge(events: list[dict], outcome: Outcome) -> _State:
    state = _State()
    for event in events:
        kind = event.get("event")
        if kind == "cell":
            state.current_cell = event["index"] if event["state"] == "start" else None
            if event["state"] == "done" and event.get("error"):
                outcome.cell_errors.append((event["index"], event["error"]))
        elif kind == "item" and event["state"] == "start":
            state.current_item = event["grade_id"]
        elif kind == "item" and event["state"] == "done":
            outcome.items[event["grade_id"]] = (float(event["fraction"]), list(event["messages"]))
            state.current_item = None
        elif kind == "tampered":
            outcome.tampered = list(event["names"])
        elif kind == "isolation":
            outcome.isolation = list(event["applied"])
    return state


def _why(ended: str, limits: Limits) -> str:
    if ended == "timeout":
        return f"it used up the {limits.wall_seconds:g} s time limit"
    if ended == "stalled":
        return "it ran past its time limit and did not stop when interrupted"
    if ended.startswith("signal "):
        name = ended.split()[1]
        return f"the process was killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
    return f"the process ended early ({ended})"


def _attempt(job: dict, notebook: Path, slot: int, limits: Limits, hide: list[Path],
             deadline: float) -> tuple[list[dict], str]:
    """Start the worker once; return its verified events and how it ended ("done", "timeout", "exit N", ...)."""
    key = secrets.token_bytes(32)
    as_root = os.geteuid() == 0
    uid = FIRST_SANDBOX_UID + slot if as_root and _python_readable_by_others() else None
    cgroup = _slot_cgroup(slot, limits) if as_root else None
    scratch = Path(tempfile.mkdtemp(prefix="reglab-grade-"))
    shutil.copy(notebook, scratch / "submission.ipynb")
    if uid is not None:
        os.chown(scratch, uid, uid)
        os.chown(scratch / "submission.ipynb", uid, uid)
    read_end, write_end = os.pipe()
    output = open(scratch / "output.txt", "wb")  # noqa: SIM115 -- handed to the child, closed below
    job = {**job, "key": key.hex(), "uid": uid, "max_processes": limits.max_processes,
           "cell_seconds": limits.cell_seconds, "item_seconds": limits.item_seconds,
           "hide": [str(path) for path in hide] + [str(ROOT / name) for name in SECRET_PATHS]}
    process = subprocess.Popen(
        [sys.executable, "-P", "-m", "autograder.worker", str(write_end)],
        stdin=subprocess.PIPE, stdout=output, stderr=subprocess.STDOUT, cwd=scratch, env=_environment(scratch),
        pass_fds=(write_end,), start_new_session=True, preexec_fn=_limiter(limits, as_root, cgroup),
    )
    os.close(write_end)
    output.close()
    try:
        process.stdin.write(json.dumps(job).encode())
        process.stdin.close()
    except BrokenPipeError:
        pass
    stall = max(limits.cell_seconds, limits.item_seconds) + limits.stall_seconds
    lines, ended = _read_events(read_end, process, deadline, stall)
    _kill_everything(process, cgroup)
    if os.environ.get("REGLAB_KEEP_SCRATCH"):  # for debugging the grader itself
        print(f"scratch kept: {scratch}", file=sys.stderr)
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    events = [event for event in (_verified(line, key) for line in lines) if event is not None]
    if ended == "exited":
        code = process.returncode
        done = any(event.get("event") == "done" for event in events)
        ended = ("done" if done and code == 0
                 else f"signal {signal.Signals(-code).name}" if code < 0 else f"exit {code}")
    return events, ended


# Paths of the kit a submission must not read while it is graded: hidden checks, solutions, other students.
SECRET_PATHS = ("autograder", "source", "solutions", "tests", "examples", "submitted", "autograded", "feedback",
                "gradebook.db", "bench")


def _environment(scratch: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(scratch), "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(scratch / ".matplotlib"),
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "REGLAB_PROFILE": "tiny", "REGLAB_DATA": "synthetic", "NBGRADER_EXECUTION": "autograde",
        "REGLAB_DATA_DIR": str(scratch / "data"),
    }


def _limiter(limits: Limits, as_root: bool, cgroup: Path | None):
    """What the child does between fork and exec: limits, its cgroup, and namespaces where permitted."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an output flood fails its writes instead of killing
        if cgroup is not None:  # children inherit it and cannot leave: that is how they are all found later
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))
        if as_root:
            ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNS | CLONE_NEWNET)
        else:  # a user's own limit counts all their processes: leave room for those already running
            running = len(_processes_of(os.getuid()))
            resource.setrlimit(resource.RLIMIT_NPROC, (running + limits.max_processes, running + limits.max_processes))

    return apply


def _slot_cgroup(slot: int, limits: Limits) -> Path | None:
    """A pids cgroup for the worker slot: a cap on processes (threads too) that root cannot otherwise get."""
    cgroup = PIDS_CGROUP / f"reglab-grader-{os.getpid()}-{slot}"
    try:
        cgroup.mkdir(exist_ok=True)
        (cgroup / "pids.max").write_text(str(limits.max_processes))
    except OSError:
        return None
    return cgroup


@functools.cache
def _python_readable_by_others() -> bool:
    """Whether an unprivileged uid could still import Python's standard library and torch."""
    import torch

    for path in (Path(os.__file__), Path(torch.__file__), Path(os.path.realpath(sys.executable))):
        for folder in path.resolve().parents:
            if not folder.stat().st_mode & 0o001:  # others may not enter this folder
                return False
        if not path.resolve().stat().st_mode & 0o004:
            return False
    return True


def _read_events(fd: int, process: subprocess.Popen, deadline: float, stall: float) -> tuple[list[str], str]:
    lines: list[str] = []
    buffer = b""
    last_word = None  # the worker's start (imports) is bounded by the deadline alone
    with selectors.DefaultSelector() as selector, os.fdopen(fd, "rb", buffering=0) as pipe:
        selector.register(pipe, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if now >= deadline:
                return lines, "timeout"
            if last_word is not None and now - last_word > stall:
                return lines, "stalled"
            if not selector.select(timeout=min(deadline - now, 1.0)):
                continue
            last_word = time.monotonic()
            chunk = pipe.read(65536)
            if not chunk:  # every writer closed the pipe: the worker (and its children) ended
                break
            buffer += chunk
            if len(buffer) > 16 * 2**20:
                return lines, "timeout"  # a flood on the channel: treat like a hang
            *complete, buffer = buffer.split(b"\n")
            lines.extend(line.decode("utf-8", "replace") for line in complete)
    try:
        process.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return lines, "timeout"
    return lines, "exited"


def _verified(line: str, key: bytes) -> dict | None:
    """The event on a line, if its signature is the worker's; forged lines are dropped."""
    payload, _, signature = line.rpartition("\t")
    expected = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    if not payload or not hmac.compare_digest(signature, expected):
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _kill_everything(process: subprocess.Popen, cgroup: Path | None) -> None:
    """Kill the worker's process group and, where there is one, everything in its cgroup, however it detached."""
    for _ in range(5):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        members = _members(cgroup)
        for pid in members:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue
        if not members and not _members(cgroup):
            break
    if cgroup is not None:
        with contextlib.suppress(OSError):
            cgroup.rmdir()  # only possible once it is empty


def _members(cgroup: Path | None) -> list[int]:
    if cgroup is None:
        return []
    try:
        return [int(pid) for pid in (cgroup / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def _processes_of(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids
