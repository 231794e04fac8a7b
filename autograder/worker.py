"""The grading process of one submission, started by ``autograder.sandbox``; never run by hand.

It starts inside whatever the launcher (``autograder.launchers``) set up. Order
matters: the hidden checks are imported from source text sent in the job (their
files are not on this file system) and everything they need is imported while
the process can still be trusted; then the text is dropped and, under root's
own namespaces, the kit's secret files are covered and root's privileges
dropped; only then does student code run, cell by cell in a real IPython
shell, followed by each item's hidden checks. Every step is reported to the
parent as a signed line on a pipe (``autograder.protocol``), so that whatever
happens later (a crash, a hang, a forged line), what was graded is kept.
"""

import ctypes
import dataclasses
import importlib
import os
import resource
import signal
import sys
import threading
import time

from autograder import check_plugin, check_runner, hidden_import, notebook_shell
from autograder.protocol import (
    CellDone,
    CellStarted,
    Done,
    Event,
    Isolated,
    ItemDone,
    ItemStarted,
    Job,
    Tampered,
    signed_line,
)
from autograder.results import VISIBLE_CHECK_FAILED

TRUSTED_IMPORTS = ("torch", "torchvision", "numpy", "pandas", "matplotlib", "matplotlib.pyplot",
                   "matplotlib_inline.backend_inline", "reglab", "autograder.checks", "autograder.integrity",
                   "autograder.notebook_shell", "pytest")
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x1, 0x20, 0x1000, 0x4000, 0x40000
MESSAGE_LIMIT = 300  # characters of an error message from student code that reach a report


class GradingTimeout(BaseException):
    """Raised in student code that outlives its time; BaseException so that `except Exception` cannot catch it."""


class TooManyProcesses(GradingTimeout):
    """Raised in student code whose processes the guard had to kill (a fork bomb)."""


_process_storm = threading.Event()
_storms = [0]  # kills by the guard since the current cell or item started (reset by the main thread)
STORMS_TO_STOP = 3  # a cell that keeps starting processes after that many kills is a fork bomb: stop it


def _guard_processes(limit: int) -> None:
    """In the sandbox's own pid namespace: whenever more than ``limit`` processes run, kill every one but the
    worker, and stop the cell or item that keeps starting them. A fork bomb then costs its own answer a
    moment instead of starving every other submission on the machine of CPU until its time limit."""

    def watch() -> None:
        while True:
            time.sleep(0.05)
            if sum(name.isdigit() for name in os.listdir("/proc")) <= limit:
                continue
            os.kill(-1, signal.SIGKILL)  # in a pid namespace: every process in it but this one and its init
            _reap_children()
            _storms[0] += 1
            if _storms[0] >= STORMS_TO_STOP:
                _process_storm.set()
                signal.setitimer(signal.ITIMER_REAL, 0.001)  # the alarm handler raises TooManyProcesses

    threading.Thread(target=watch, name="process-guard", daemon=True).start()


def _reap_children() -> None:
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def main() -> int:
    channel = os.fdopen(int(sys.argv[1]), "w", buffering=1)
    job = Job.from_json(sys.stdin.read())
    sys.stdin.close()
    emit = _signer(channel, bytes.fromhex(job.key))
    hidden_import.install(job.hidden_sources)  # the check files are not on this file system
    for module in TRUSTED_IMPORTS:
        importlib.import_module(module)
    import torch

    torch.set_num_threads(1)
    _prime_optimizers(torch)
    # one pytest run now, before any student code: it imports the checks and whatever pytest loads lazily
    check_runner.check_names(job.assignment)
    hidden_import.forget()
    job = dataclasses.replace(job, key="", hidden_sources={})  # nothing secret stays reachable from here on
    emit(Isolated(_isolate(job) if job.isolate_self else []))
    if job.own_pid_namespace and os.getpid() in (1, 2):  # kill(-1) is safe only where the namespace is ours
        # the launcher left room for the user's other tasks; inside its own user namespace the count is ours
        resource.setrlimit(resource.RLIMIT_NPROC, (job.max_processes, job.max_processes))
        _guard_processes(job.max_processes // 2)
    _grade(job, emit)
    emit(Done())
    channel.flush()
    os._exit(0)  # skip interpreter teardown: student objects' __del__ methods get no last word


def _prime_optimizers(torch) -> None:
    """Create each optimizer once: torch wraps a class's step() on first use, which is no tampering."""
    parameter = [torch.zeros(1, requires_grad=True)]
    for value in vars(torch.optim).values():
        if isinstance(value, type) and issubclass(value, torch.optim.Optimizer) and value is not torch.optim.Optimizer:
            try:
                value(parameter)
            except Exception:  # some need arguments (a learning rate, a sparse tensor); they are patched on use
                continue


def _signer(channel, key: bytes):
    """A function that writes one event as a signed line; in a process that student code forked off the
    worker it ends that process instead, so a copy of the worker cannot report twice."""
    worker = os.getpid()

    def emit(event: Event) -> None:
        if os.getpid() != worker:
            os._exit(0)
        channel.write(signed_line(event, key))

    return emit


def _isolate(job: Job) -> list[str]:
    """Root's own namespaces (``launchers.RootNamespaces``): hide the kit's secret files and fence in the file
    system, now that everything is imported; return what was applied. Fails closed: a step that does not
    take ends the worker before any student code runs, and the grader reports that it could not start."""
    applied = []
    libc = ctypes.CDLL(None, use_errno=True)
    # the sandbox started this process in its own mount namespace; keep mounts from leaking out of it
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "cannot make the mount namespace private")
    missed = [path for path in job.hide if os.path.exists(path) and not _hide(libc, path)]
    if missed:
        raise OSError(ctypes.get_errno(), f"cannot hide {missed[0]}")
    applied.append(f"hid {len(job.hide)} paths of the kit and the course")
    if job.drop_to_uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (job.max_processes, job.max_processes))
        os.setgroups([])
        os.setgid(job.drop_to_uid)
        os.setuid(job.drop_to_uid)
        applied.append(f"runs as uid {job.drop_to_uid}")
    else:  # Python is not readable by other users here: stay root, but in a read-only world
        _read_only_except_scratch(libc)
    return applied


def _read_only_except_scratch(libc) -> None:
    scratch = os.getcwd()
    with open("/proc/self/mountinfo") as mountinfo:
        mount_points = [line.split()[4] for line in mountinfo]
    for mount_point in mount_points:  # some (proc, sysfs) refuse; they hold nothing to delete
        libc.mount(b"none", mount_point.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
    if libc.mount(b"tmpfs", scratch.encode(), b"tmpfs", 0, b"size=256m,mode=0700") != 0:
        raise OSError(ctypes.get_errno(), "cannot mount the scratch folder")
    kit = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    writable = [path for path in ("/", kit, os.path.dirname(scratch)) if os.access(path, os.W_OK)]
    if writable:  # access() answers EROFS on a read-only mount, even to root
        raise OSError(f"{writable[0]} is still writable")
    os.chdir(scratch)  # the fresh tmpfs, not the directory it now covers


def _hide(libc, path: str) -> bool:
    """Cover a folder with an empty read-only tmpfs, a file with /dev/null."""
    if os.path.isdir(path):
        return libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_RDONLY, b"size=4k,mode=0555") == 0
    return libc.mount(b"/dev/null", path.encode(), None, MS_BIND, None) == 0


def _grade(job: Job, emit) -> None:
    from autograder import integrity

    def on_alarm(signum, frame):
        signal.setitimer(signal.ITIMER_REAL, 1.0)  # keep interrupting a `bare except:` that swallowed it
        if _process_storm.is_set():
            raise TooManyProcesses
        raise GradingTimeout

    signal.signal(signal.SIGALRM, on_alarm)
    shell = notebook_shell.GradingShell.instance()
    before = None
    for index, cell in enumerate(job.cells):
        if index in job.skip_cells:
            continue
        if before is None and cell.kind != "provided":
            before = integrity.snapshot()  # after the provided set-up code, before any student code
        emit(CellStarted(index))
        emit(CellDone(index, _run_cell(shell, cell.source, job.cell_seconds)))
    before = before or integrity.snapshot()
    check_runner.run_session(job.assignment, shell.user_ns,
                             lambda checks: _grade_items(job, emit, shell, checks, before))


def _grade_items(job: Job, emit, shell, checks: check_runner.Session, before: dict) -> None:
    """Each item in turn, inside the one pytest run of the hidden checks: first whether student code changed
    what the checks rely on, then the item's visible checks (the released test cell), then its hidden ones."""
    from autograder import integrity

    for item in job.items:
        changed = integrity.changes(before)
        if changed:
            emit(Tampered(changed[:20]))
            return
        emit(ItemStarted(item))
        # the kit's versions of the other answers this item calls stand in, so that it is judged alone
        replaced = check_plugin.stand_ins(importlib.import_module(f"{check_runner.HIDDEN_PACKAGE}.{job.assignment}"),
                                          item)
        with check_plugin.names_replaced(shell.user_ns, replaced):
            visible_error = _run_cell(shell, job.visible_checks[item], job.item_seconds)
        if visible_error is not None:  # as in nbgrader: a failing visible check costs the item's points
            emit(ItemDone(item, 0.0, [VISIBLE_CHECK_FAILED + visible_error]))
            continue
        _storms[0] = 0
        try:
            signal.setitimer(signal.ITIMER_REAL, job.item_seconds)
            result = checks.run(item)
            done = ItemDone(item, result.fraction, [m[:MESSAGE_LIMIT * 2] for m in result.messages],
                            result.not_attempted)
        except GradingTimeout as stopped:
            done = ItemDone(item, 0.0, [_stopped(stopped, f"grading {item}", job.item_seconds)])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        emit(done)
    changed = integrity.changes(before)
    if changed:
        emit(Tampered(changed[:20]))


def _stopped(stopped: GradingTimeout, what: str, seconds: float) -> str:
    _process_storm.clear()
    if isinstance(stopped, TooManyProcesses):
        return f"{what} started too many processes; they were killed and it was stopped"
    return f"{what} took longer than {seconds:g} s and was stopped: is there an endless loop?"


def _run_cell(shell, source: str, seconds: float) -> str | None:
    """Run one cell; return None, or a one-line account of its error."""
    _storms[0] = 0
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        result = shell.run_cell(source, store_history=False, silent=True)
    except GradingTimeout as stopped:  # raised outside IPython's own handler
        return _stopped(stopped, "the cell", seconds)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    error = result.error_before_exec or result.error_in_exec
    if error is None:
        return None
    if isinstance(error, GradingTimeout):
        return _stopped(error, "the cell", seconds)
    return f"{type(error).__name__}: {str(error)[:MESSAGE_LIMIT]}"


if __name__ == "__main__":
    sys.exit(main())
