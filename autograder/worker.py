"""The grading process of one submission, started by ``autograder.sandbox``; never run by hand.

Order matters: everything the checks need is imported while the process can
still be trusted; then, where the OS allows, the kit's files are hidden and
root's privileges dropped; only then does student code run, cell by cell in a
real IPython shell, followed by each item's hidden checks. Every step is
reported to the parent as a signed line on a pipe, so that whatever happens
later (a crash, a hang, a forged line), what was graded is kept.
"""

import ctypes
import hashlib
import hmac
import importlib
import json
import os
import resource
import signal
import sys

TRUSTED_IMPORTS = ("torch", "torchvision", "numpy", "pandas", "matplotlib", "matplotlib.pyplot",
                   "matplotlib_inline.backend_inline", "reglab", "autograder.checks", "autograder.integrity",
                   "IPython.core.interactiveshell")
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x1, 0x20, 0x1000, 0x4000, 0x40000
MESSAGE_LIMIT = 300  # characters of an error message from student code that reach a report


class GradingTimeout(BaseException):
    """Raised in student code that outlives its time; BaseException so that `except Exception` cannot catch it."""


def main() -> int:
    channel = os.fdopen(int(sys.argv[1]), "w", buffering=1)
    job = json.loads(sys.stdin.read())
    sys.stdin.close()
    emit = _signer(channel, bytes.fromhex(job.pop("key")))
    for module in TRUSTED_IMPORTS:
        importlib.import_module(module)
    import torch

    torch.set_num_threads(1)
    _prime_optimizers(torch)
    importlib.import_module(f"autograder.checks.{job['assignment']}")
    emit({"event": "isolation", "applied": _isolate(job)})
    _grade(job, emit)
    emit({"event": "done"})
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
    """A function that writes one event as a JSON line followed by its HMAC."""

    def emit(event: dict) -> None:
        payload = json.dumps(event, sort_keys=True)
        channel.write(f"{payload}\t{hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()}\n")

    return emit


def _isolate(job: dict) -> list[str]:
    """Hide the kit's files and fence in the file system where the OS allows; return what was applied."""
    if os.geteuid() != 0:
        return []
    applied = []
    libc = ctypes.CDLL(None, use_errno=True)
    # the sandbox started this process in its own mount namespace; keep mounts from leaking out of it
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return applied
    hidden = [path for path in job["hide"] if os.path.exists(path) and _hide(libc, path)]
    if hidden:
        applied.append(f"hid {len(hidden)} paths of the kit and the course")
    if job["uid"] is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (job["max_processes"], job["max_processes"]))
        os.setgroups([])
        os.setgid(job["uid"])
        os.setuid(job["uid"])
        applied.append(f"runs as uid {job['uid']}")
    else:  # Python is not readable by other users here: stay root, but in a read-only world
        _read_only_except_scratch(libc)
        applied.append("file system read-only except a scratch folder")
    return applied


def _read_only_except_scratch(libc) -> None:
    scratch = os.getcwd()
    with open("/proc/self/mountinfo") as mountinfo:
        mount_points = [line.split()[4] for line in mountinfo]
    for mount_point in mount_points:  # some (proc, sysfs) refuse; they hold nothing to delete
        libc.mount(b"none", mount_point.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
    libc.mount(b"tmpfs", scratch.encode(), b"tmpfs", 0, b"size=256m,mode=0700")
    os.chdir(scratch)  # the fresh tmpfs, not the directory it now covers


def _hide(libc, path: str) -> bool:
    """Cover a folder with an empty read-only tmpfs, a file with /dev/null."""
    if os.path.isdir(path):
        return libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_RDONLY, b"size=4k,mode=0555") == 0
    return libc.mount(b"/dev/null", path.encode(), None, MS_BIND, None) == 0


def _grade(job: dict, emit) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from autograder import integrity
    from autograder.checks import run_checks

    def on_alarm(signum, frame):
        signal.setitimer(signal.ITIMER_REAL, 1.0)  # keep interrupting a `bare except:` that swallowed it
        raise GradingTimeout()

    class GradingShell(InteractiveShell):
        def enable_gui(self, gui=None):
            """`%matplotlib inline` asks for a GUI event loop; inline figures need none (as in ipykernel)."""

    signal.signal(signal.SIGALRM, on_alarm)
    shell = GradingShell.instance()
    before = None
    for index, cell in enumerate(job["cells"]):
        if index in job["skip_cells"]:
            continue
        if before is None and cell["kind"] != "provided":
            before = integrity.snapshot()  # after the provided set-up code, before any student code
        emit({"event": "cell", "index": index, "state": "start"})
        error = _run_cell(shell, cell["source"], job["cell_seconds"])
        emit({"event": "cell", "index": index, "state": "done", "error": error})
    before = before or integrity.snapshot()
    for item in job["items"]:
        changed = integrity.changes(before)
        if changed:
            emit({"event": "tampered", "names": changed[:20]})
            return
        emit({"event": "item", "grade_id": item, "state": "start"})
        visible_error = _run_cell(shell, job["visible_checks"][item], job["item_seconds"])
        if visible_error is not None:  # as in nbgrader: a failing visible check costs the item's points
            emit({"event": "item", "grade_id": item, "state": "done", "fraction": 0.0,
                  "messages": [f"a visible check failed: {visible_error}"]})
            continue
        try:
            signal.setitimer(signal.ITIMER_REAL, job["item_seconds"])
            result = run_checks(job["assignment"], item, shell.user_ns)
            fraction, messages = result.fraction, [m[:MESSAGE_LIMIT * 2] for m in result.messages]
        except GradingTimeout:
            fraction, messages = 0.0, [f"grading {item} took longer than {job['item_seconds']:g} s: "
                                       "is there an endless loop?"]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        emit({"event": "item", "grade_id": item, "state": "done", "fraction": fraction, "messages": messages})
    changed = integrity.changes(before)
    if changed:
        emit({"event": "tampered", "names": changed[:20]})


def _run_cell(shell, source: str, seconds: float) -> str | None:
    """Run one cell; return None, or a one-line account of its error."""
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        result = shell.run_cell(source, store_history=False, silent=True)
    except GradingTimeout:  # raised outside IPython's own handler
        return f"the cell took longer than {seconds:g} s and was stopped"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    error = result.error_before_exec or result.error_in_exec
    if error is None:
        return None
    if isinstance(error, GradingTimeout):
        return f"the cell took longer than {seconds:g} s and was stopped"
    return f"{type(error).__name__}: {str(error)[:MESSAGE_LIMIT]}"


if __name__ == "__main__":
    sys.exit(main())
