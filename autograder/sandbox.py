"""Run one submission's grading in an isolated worker process and collect what it reports.

The worker starts inside what the launcher gives (``autograder.launchers``: namespaces, a read-only file
system without the kit's secrets, limits), in a new process session and a scratch folder holding only a
copy of the submission. The job goes in on its standard input and the events come back signed on a pipe
(``autograder.protocol``); the hidden checks travel in the job, as text, never as files it could read.

If the worker dies or hangs during a cell or an item, that cell or item is
skipped and the worker started again, so the rest of the submission still
gets its grade.
"""

import contextlib
import dataclasses
import os
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

from autograder import hidden_import
from autograder.course import ROOT
from autograder.launchers import Isolation, Launch, Launcher
from autograder.limits import Limits
from autograder.protocol import (
    CellDone,
    CellStarted,
    Ended,
    Isolated,
    ItemDone,
    ItemStarted,
    Job,
    Tampered,
    verified_event,
)

__all__ = ["Limits", "Outcome", "run"]
CHECKS_PACKAGE = ROOT / "autograder" / "checks"


@dataclass
class ItemOutcome:
    fraction: float
    messages: list[str]
    not_attempted: bool = False


@dataclass
class Outcome:
    """What the worker reported, merged over its attempts."""

    items: dict[str, ItemOutcome] = field(default_factory=dict)  # by grade_id
    broken_items: dict[str, str] = field(default_factory=dict)  # grade_id -> why it has no result
    cell_errors: list[tuple[int, str]] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    isolation: Isolation | None = None  # what the last attempt ran inside
    skipped_cells: list[tuple[int, str]] = field(default_factory=list)  # (cell index, why it stopped the grading)
    grader_notes: list[str] = field(default_factory=list)  # for the instructor: the grader's own failures


def run(job: Job, notebook: Path, slot: int, limits: Limits, hide: list[Path], launcher: Launcher) -> Outcome:
    """Grade one prepared submission in the sandbox that ``launcher`` gives, restarting the worker after a crash."""
    outcome = Outcome()
    skip_cells: list[int] = []
    deadline = time.monotonic() + limits.wall_seconds
    for _ in range(limits.attempts):
        pending = [item for item in job.items if item not in outcome.items and item not in outcome.broken_items]
        if not pending:
            break
        attempt = dataclasses.replace(job, items=pending, skip_cells=list(skip_cells))
        state, ended = _attempt(attempt, notebook, slot, limits, hide, launcher, deadline, outcome)
        if ended.how == "done" or outcome.tampered:
            break
        why = ended.why(limits.wall_seconds)
        if state.current_item is not None:
            outcome.broken_items[state.current_item] = f"grading stopped: {why}"
        elif state.current_cell is not None:
            outcome.skipped_cells.append((state.current_cell, why))
            skip_cells.append(state.current_cell)
        else:
            outcome.grader_notes.append(f"The grader could not start ({why}).")
            break
        if time.monotonic() >= deadline:
            break
    for item in job.items:
        if item not in outcome.items and item not in outcome.broken_items:
            outcome.broken_items[item] = "grading stopped: the submission used up its time or its restarts"
    return outcome


@dataclass
class _State:
    current_cell: int | None = None
    current_item: str | None = None


def _merge(events: list, outcome: Outcome) -> _State:
    """Fold one attempt's events into the outcome; return where the attempt was when it ended."""
    state = _State()
    for event in events:
        match event:
            case CellStarted(index):
                state.current_cell = index
            case CellDone(index, error):
                state.current_cell = None
                if error:
                    outcome.cell_errors.append((index, error))
            case ItemStarted(grade_id):
                state.current_item = grade_id
            case ItemDone(grade_id, fraction, messages, not_attempted):
                outcome.items[grade_id] = ItemOutcome(float(fraction), list(messages), not_attempted)
                state.current_item = None
            case Tampered(names):
                outcome.tampered = list(names)
            case Isolated(applied) if applied and outcome.isolation is not None:
                outcome.isolation = dataclasses.replace(outcome.isolation, applied=list(applied))
    return state


def _attempt(job: Job, notebook: Path, slot: int, limits: Limits, hide: list[Path], launcher: Launcher,
             deadline: float, outcome: Outcome) -> tuple[_State, Ended]:
    """Start the worker once inside the launcher's sandbox; merge its verified events into ``outcome``."""
    key = secrets.token_bytes(32)
    scratch = Path(tempfile.mkdtemp(prefix="reglab-grade-"))
    shutil.copy(notebook, scratch / "submission.ipynb")
    launch = launcher.launch(slot, scratch, limits, hide)
    outcome.isolation = launch.isolation
    if launch.scratch_owner is not None:
        for path in (scratch, scratch / "submission.ipynb"):
            os.chown(path, launch.scratch_owner, launch.scratch_owner)
    read_end, write_end = os.pipe()
    output = open(scratch / "output.txt", "wb")  # noqa: SIM115 -- handed to the child, closed below
    job = dataclasses.replace(job, key=key.hex(), cell_seconds=limits.cell_seconds, item_seconds=limits.item_seconds,
                              hidden_sources=hidden_import.read_sources(CHECKS_PACKAGE), **launch.job_fields)
    as_user = {} if launch.run_as is None else {"user": launch.run_as, "group": launch.run_as, "extra_groups": []}
    process = subprocess.Popen(
        [*launch.prefix, sys.executable, "-P", "-m", "autograder.worker", str(write_end)],
        stdin=subprocess.PIPE, stdout=output, stderr=subprocess.STDOUT, cwd=scratch, env=_environment(scratch),
        pass_fds=(write_end,), start_new_session=True, preexec_fn=launch.preexec, **as_user,
    )
    os.close(write_end)
    output.close()
    try:
        process.stdin.write(job.to_json().encode())
        process.stdin.close()
    except BrokenPipeError:
        pass
    stall = max(limits.cell_seconds, limits.item_seconds) + limits.stall_seconds
    lines, ended = _read_events(read_end, process, deadline, stall)
    _kill_everything(process, launch)
    if os.environ.get("REGLAB_KEEP_SCRATCH"):  # for debugging the grader itself
        print(f"scratch kept: {scratch}", file=sys.stderr)
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    events = [event for event in (verified_event(line, key) for line in lines) if event is not None]
    state = _merge(events, outcome)
    if ended.how == "exited":
        code = process.returncode
        done = any(type(event).__name__ == "Done" for event in events)
        ended = (Ended("done") if done and code == 0
                 else Ended("signal", signal.Signals(-code).name) if code < 0 else Ended("exit", str(code)))
    return state, ended


def _environment(scratch: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(scratch), "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(scratch / ".matplotlib"),
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "REGLAB_PROFILE": "tiny", "REGLAB_DATA": "synthetic", "NBGRADER_EXECUTION": "autograde",
        "REGLAB_DATA_DIR": str(scratch / "data"),
    }


def _read_events(fd: int, process: subprocess.Popen, deadline: float, stall: float) -> tuple[list[str], Ended]:
    lines: list[str] = []
    buffer = b""
    last_word = None  # the worker's start (imports) is bounded by the deadline alone
    with selectors.DefaultSelector() as selector, os.fdopen(fd, "rb", buffering=0) as pipe:
        selector.register(pipe, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if now >= deadline:
                return lines, Ended("timeout")
            if last_word is not None and now - last_word > stall:
                return lines, Ended("stalled")
            if not selector.select(timeout=min(deadline - now, 1.0)):
                continue
            last_word = time.monotonic()
            chunk = pipe.read(65536)
            if not chunk:  # every writer closed the pipe: the worker (and its children) ended
                break
            buffer += chunk
            if len(buffer) > 16 * 2**20:
                return lines, Ended("timeout")  # a flood on the channel: treat like a hang
            *complete, buffer = buffer.split(b"\n")
            lines.extend(line.decode("utf-8", "replace") for line in complete)
    try:
        process.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return lines, Ended("timeout")
    return lines, Ended("exited")


def _kill_everything(process: subprocess.Popen, launch: Launch) -> None:
    """Kill the launcher's process group and, where there is one, everything in the worker's cgroup. Under
    a launcher with a pid namespace, the namespace ends with its first process and takes every other with it."""
    for _ in range(5):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        launch.kill_everything()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue
        if launch.cgroup is None or not launch.cgroup.members():
            break
    launch.finish()
