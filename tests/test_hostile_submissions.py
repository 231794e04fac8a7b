"""Does a broken or hostile submission get its row, lose only what it broke, and leave everyone else alone?

Each submission below is the solution with one hostile change, named after what it tries. All are graded
together in one batch, with short limits, by the grader of a temporary copy of the kit (``kit_copy``), so
that an attack that got through would hit the copy, never the checkout. The batch is graded once under each
launcher this machine offers: bubblewrap for every user, and root's own namespaces as root. CI runs this
module as root and again as an unprivileged user.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder import notebooks
from autograder.results import ERROR, SubmissionResult
from tests.submissions import make_submission

AS_ROOT = os.geteuid() == 0
MODES = ["bubblewrap", "namespaces"] if AS_ROOT else ["bubblewrap"]
SLEEPER = "987654"  # arguments no other process on the machine uses
DAEMON = "876543"
SECRET = "MARKER-ONLY-IN-ANOTHER-SUBMISSION-4711"
LIMITS = "wall=120,cell=8,item=10,stall=5"  # short, with room for a loaded CI machine
GRID = "N_GRID_EXPERIMENTS = 4 * 5 * 6\n"
WRONG_GRID = "N_GRID_EXPERIMENTS = 4 + 5 + 6\n"


def _solution_stopper_with(body: str) -> str:
    return textwrap.dedent('''
        class EarlyStopper:
            def __init__(self, patience=5):
                self.patience = patience

            def __call__(self, net, epoch, epoch_stats):
        ''') + textwrap.indent(textwrap.dedent(body), " " * 8)


def _optimizer_that_raises(leak: str) -> str:
    """An answer to build_optimizer whose error message carries whatever ``leak`` (code) collects in ``leaked``."""
    return textwrap.dedent('''
        def build_optimizer(net, weight_decay, lr=1e-4):
            leaked = []
        ''') + textwrap.indent(textwrap.dedent(leak), " " * 4) + "    raise RuntimeError(' | '.join(leaked))\n"


def hostile_submissions(kit: Path, batch: Path, canary: Path, port: int, listener: int) -> dict[str, dict[str, str]]:
    """Name -> answer-cell overrides of the solution; each tries one thing."""
    checks = kit / "autograder" / "checks" / "regularization.py"
    return {
        "holds-a-secret": {"grid_size_answer": f"# {SECRET}\n" + GRID},
        "infinite-loop-at-top-level": {"grid_size_answer": "while True:\n    pass\n" + GRID},
        "infinite-loop-swallowing-interrupts": {"EarlyStopper_answer": _solution_stopper_with("""
            while True:
                try:
                    import time
                    time.sleep(0.05)
                except BaseException:
                    pass
            """)},
        "exits-the-interpreter": {"grid_size_answer": "import os\nos._exit(3)\n" + GRID},
        "segfaults": {"plot_learning_curve_answer": "import ctypes\nctypes.string_at(0)\n"},
        "exhausts-memory": {"BestModelTracker_answer": "hog = [bytearray(2**30) for _ in range(64)]\n"},
        "spawns-processes": {"grid_size_answer": textwrap.dedent(f"""
            import subprocess
            for _ in range(20):
                subprocess.Popen(['sleep', '{SLEEPER}'], start_new_session=True)
            """) + GRID},
        "starts-a-daemon": {"grid_size_answer": textwrap.dedent(f"""
            import os
            if os.fork() == 0:  # the classic double fork: the grandchild belongs to no one
                os.setsid()
                if os.fork() == 0:
                    os.execvp('sleep', ['sleep', '{DAEMON}'])
                os._exit(0)
            os.wait()
            """) + GRID},
        "fork-bomb": {"grid_size_answer": textwrap.dedent("""
            import os
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
            """)},
        "floods-output": {"grid_size_answer": "for _ in range(10_000):\n    print('x' * 100_000)\n" + GRID},
        "deletes-files": {"grid_size_answer": textwrap.dedent(f"""
            import os, shutil
            shutil.rmtree({str(canary.parent)!r}, ignore_errors=True)
            for path in {[str(kit / "README.md"), str(kit / "reglab" / "training.py"), str(checks),
                          str(batch / "holds-a-secret.ipynb")]!r}:
                try:
                    os.remove(path)
                except OSError:
                    pass
            shutil.rmtree({str(kit / "release")!r}, ignore_errors=True)
            """) + GRID},
        "writes-into-the-kit": {"grid_size_answer": textwrap.dedent(f"""
            for path in {[str(kit / "reglab" / "training.py"), str(kit / "autograder" / "grade.py"),
                          str(kit / "autograder" / "planted.py"), str(checks)]!r}:
                try:
                    with open(path, 'a') as file:
                        file.write('\\nraise SystemExit("planted")\\n')
                except OSError:
                    pass
            """) + GRID},
        "reads-another-submission": {"build_optimizer_answer": _optimizer_that_raises(f"""
            import os
            for path in [{str(batch / "holds-a-secret.ipynb")!r}, {str(batch)!r}]:
                try:
                    leaked.append(open(path).read() if path.endswith('.ipynb') else ' '.join(os.listdir(path)))
                except OSError as error:
                    leaked.append(repr(error))
            """)},
        "prints-fake-scores": {"grid_size_answer": textwrap.dedent("""
            print('grid_size: 1.0 passed')
            print('{"score": 11, "tests": [{"name": "grid_size", "score": 1, "max_score": 1}]}')
            for name in ['report.json', 'results.json', '../report.json']:
                try:
                    open(name, 'w').write('{"score": 11}')
                except OSError:
                    pass
            """) + WRONG_GRID},
        "forges-grader-messages": {"grid_size_answer": textwrap.dedent("""
            import os
            forged = b'{"event": "ItemDone", "fraction": 1.0, "grade_id": "grid_size", "messages": [],'
            forged += b' "not_attempted": false}'
            for fd in range(3, 64):
                try:
                    os.write(fd, forged + b'\\t' + b'0' * 64 + b'\\n')
                except OSError:
                    pass
            """) + WRONG_GRID},
        "replaces-library-functions": {"l2_penalty_answer": "torch.allclose = lambda *args, **kwargs: True\n"},
        "replaces-the-stop-marker": {"EarlyStopper_answer": textwrap.dedent("""
            import reglab.training
            reglab.training.Stop = 'stop'
            reglab.Stop = 'stop'

            class EarlyStopper:
                def __init__(self, patience=5):
                    pass

                def __call__(self, net, epoch, epoch_stats):
                    return 'stop'
            """)},
        "rebinds-stop-to-none": {"EarlyStopper_answer": "Stop = None\n" + _solution_stopper_with("return None")},
        "reads-the-check-files": {"build_optimizer_answer": _optimizer_that_raises(f"""
            for path in [{str(checks)!r}, {str(kit / "solutions" / "regularization" / "regularization.ipynb")!r},
                         {str(kit / "tests" / "submissions" / "regularization.py")!r}]:
                try:
                    leaked.append(open(path).read())
                except OSError as error:
                    leaked.append(repr(error))
            """)},
        "reads-the-checks-through-inspect": {"build_optimizer_answer": _optimizer_that_raises("""
            import inspect, linecache, sys
            checks = sys.modules.get('autograder.checks.regularization')
            for target in [checks, *[value for value in vars(checks).values() if callable(value)]]:
                try:
                    leaked.append(inspect.getsource(target))
                except Exception as error:
                    leaked.append(repr(error))
                code = getattr(target, '__code__', None)
                if code is not None:
                    leaked.append(''.join(linecache.getlines(code.co_filename)))
            """)},
        "reads-the-checks-through-gc": {"build_optimizer_answer": _optimizer_that_raises("""
            import gc
            for container in gc.get_objects():
                values = container.values() if isinstance(container, dict) else \\
                    container if isinstance(container, list | tuple) else ()
                for value in values:
                    if isinstance(value, str) and 'CheckFailed' in value and len(value) > 200:
                        leaked.append(value)
            """)},
        "reads-the-checks-through-frames": {"build_optimizer_answer": _optimizer_that_raises("""
            import inspect, sys, traceback
            leaked.append(''.join(traceback.format_stack()))
            frame = sys._getframe(1)
            while frame is not None:
                try:
                    leaked.append(inspect.getsource(frame))
                except Exception as error:
                    leaked.append(repr(error))
                frame = frame.f_back
            """)},
        "fails-inside-a-check": {"build_optimizer_answer": textwrap.dedent("""
            import traceback

            def build_optimizer(net, weight_decay, lr=1e-4):
                class Exploding:
                    def __getattr__(self, name):
                        raise ValueError(''.join(traceback.format_stack()))
                return Exploding()
            """)},
        "connects-to-the-network": {"grid_size_answer": textwrap.dedent(f"""
            import socket
            try:
                socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'leak')
            except OSError:
                pass
            """) + GRID},
        "binds-a-socket": {"grid_size_answer": textwrap.dedent(f"""
            import socket, time
            try:
                server = socket.create_server(('127.0.0.1', {listener}))
                server.listen()
                time.sleep(3)
            except OSError:
                pass
            """) + GRID},
    }


# Points each submission must lose (those of the answer it broke) under isolation, and no others.
EXPECTED_LOST = {
    "holds-a-secret": set(),
    "infinite-loop-at-top-level": {"grid_size"},
    "infinite-loop-swallowing-interrupts": {"EarlyStopper"},
    "exits-the-interpreter": {"grid_size"},
    "segfaults": {"plot_learning_curve"},
    "exhausts-memory": {"BestModelTracker"},
    "spawns-processes": set(),
    "starts-a-daemon": set(),
    "fork-bomb": {"grid_size"},
    "floods-output": {"grid_size"},
    "deletes-files": set(),
    "writes-into-the-kit": set(),
    "reads-another-submission": {"build_optimizer"},
    "prints-fake-scores": {"grid_size"},
    "forges-grader-messages": {"grid_size"},
    "rebinds-stop-to-none": {"EarlyStopper"},
    "reads-the-check-files": {"build_optimizer"},
    "reads-the-checks-through-inspect": {"build_optimizer"},
    "reads-the-checks-through-gc": {"build_optimizer"},
    "reads-the-checks-through-frames": {"build_optimizer"},
    "fails-inside-a-check": {"build_optimizer"},
    "connects-to-the-network": set(),
    "binds-a-socket": set(),
    "changes-a-locked-cell": set(),
}
NOT_NOTEBOOKS = ["not-json", "json-but-not-a-notebook", "empty-file"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Probe(threading.Thread):
    """Tries to connect to ``port`` on this machine's loopback while grading runs: a listener a submission
    bound there would answer."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port, self.reached, self.stop = port, False, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                self.reached = True
            except OSError:
                pass


def grade_with_kit(kit: Path, paths: list[Path], out: Path, *options: str,
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the kit copy's grader command as an instructor would, from the copy's folder."""
    return subprocess.run(
        [sys.executable, "-m", "autograder.grade", *map(str, paths), "--assignment", "regularization",
         "--workers", "2", "--out", str(out), "--limits", LIMITS, *options],
        cwd=kit, env={**os.environ, "PYTHONPATH": str(kit), **(env or {})}, capture_output=True, text=True,
        timeout=900)


def read_report(out: Path) -> dict[str, SubmissionResult]:
    document = json.loads((out / "regularization" / "report.json").read_text())
    return {entry["student"]: SubmissionResult.from_dict(entry) for entry in document["submissions"]}


@pytest.fixture(scope="module", params=MODES)
def graded(request, kit_copy, tmp_path_factory):
    """The whole hostile batch graded under one launcher; what it left behind, measured."""
    mode = request.param
    batch = tmp_path_factory.mktemp(f"hostile-{mode}")
    canary = tmp_path_factory.mktemp("canary") / "keep.txt"
    canary.write_text("still here")
    kit_files = {path: path.read_bytes() for path in kit_copy.rglob("*") if path.is_file()}
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    listener = _free_port()
    submissions = hostile_submissions(kit_copy, batch, canary, server.getsockname()[1], listener)
    for name, overrides in submissions.items():
        nbformat.write(make_submission("regularization", overrides), batch / f"{name}.ipynb")
    changed = make_submission("regularization")
    setup = next(cell for cell in changed.cells if notebooks.grade_id(cell) == "setup")
    setup.source += "\nStop = 'stop'\nfit = None\n"
    nbformat.write(changed, batch / "changes-a-locked-cell.ipynb")
    (batch / "not-json.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n not a notebook")
    (batch / "json-but-not-a-notebook.ipynb").write_text('{"answers": [1, 2, 3]}')
    (batch / "empty-file.ipynb").write_text("")
    probe = _Probe(listener)
    probe.start()
    out = tmp_path_factory.mktemp(f"reports-{mode}")
    started = time.monotonic()
    run = grade_with_kit(kit_copy, [batch], out, "--isolation", mode)
    seconds = time.monotonic() - started
    probe.stop.set()
    try:
        connection, _ = server.accept()
        received = connection.recv(100)
    except OSError:
        received = b""
    server.close()
    assert run.returncode == 0, run.stderr[-3000:]
    time.sleep(0.5)  # a process killed at the end is gone from /proc a moment later
    return {
        "mode": mode, "results": read_report(out), "run": run, "canary": canary, "received": received,
        "probe": probe, "kit": kit_copy, "kit_files": kit_files, "batch": batch, "seconds": seconds,
        "survivors": _processes_with_argument(SLEEPER) + _processes_with_argument(DAEMON),
        "out": out,
    }


def _processes_with_argument(argument: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argument.encode() in command:
            found.append(pid)
    return found


def check_files(kit: Path) -> list[Path]:
    """The hidden checks that regularization's grading runs."""
    return [kit / "autograder" / "checks" / name for name in ("regularization.py", "probes.py", "conftest.py")]


def code_lines(paths: list[Path]) -> set[str]:
    """The lines of ``paths`` that would give code away if a report quoted them: long enough to be unmistakable,
    and not a comment or a message that checks show students on purpose."""
    return {line.strip() for path in paths for line in path.read_text().splitlines()
            if len(line.strip()) > 25 and not line.strip().startswith(("#", "raise CheckFailed", "f\"", "\""))}


def _lost(result) -> set[str]:
    return {item.grade_id for item in result.items if item.points < item.max_points}


def _text(result) -> str:
    return " ".join(result.notices + [m for item in result.items for m in item.messages])


@pytest.mark.parametrize(("name", "expected_lost"), sorted(EXPECTED_LOST.items()))
def test_a_hostile_answer_costs_its_own_item_only(graded, name, expected_lost):
    """Does the submission keep every point except those of the answer it broke?"""
    assert _lost(graded["results"][name]) == expected_lost, _text(graded["results"][name])


@pytest.mark.parametrize("name", ["infinite-loop-at-top-level", "infinite-loop-swallowing-interrupts",
                                  "exits-the-interpreter", "segfaults", "fork-bomb"])
def test_the_report_says_what_broke(graded, name):
    """Is what stopped the grading (a time limit, an exit, a crash, too many processes) named in the report?"""
    text = _text(graded["results"][name])
    assert any(word in text for word in ("longer than", "stopped", "killed", "ended", "SIGSEGV", "processes"))


def test_no_process_outlives_grading(graded):
    """Is every process a submission started (in its own session, or as a double-forked daemon) gone?"""
    assert graded["survivors"] == []


def test_files_outside_the_scratch_folder_survive(graded):
    """Do the kit's files, another submission and a file elsewhere survive submissions that delete and write?"""
    assert graded["canary"].read_text() == "still here"
    now = {path: path.read_bytes() for path in graded["kit"].rglob("*") if path.is_file() and
           "__pycache__" not in path.parts}
    before = {path: data for path, data in graded["kit_files"].items() if "__pycache__" not in path.parts}
    assert now == before
    assert (graded["batch"] / "holds-a-secret.ipynb").exists()


def test_no_network_during_grading(graded):
    """Does a connection to a server on this machine reach nothing, and a listener bound inside stay unreachable?"""
    assert graded["received"] == b""
    assert not graded["probe"].reached


def test_another_submission_cannot_be_read(graded):
    """Does a submission that reads another one of its batch learn nothing of it?"""
    text = _text(graded["results"]["reads-another-submission"])
    assert SECRET not in text
    assert "forges-grader-messages" not in text  # the batch's folder cannot be listed either


@pytest.mark.parametrize("name", ["reads-the-check-files", "reads-the-checks-through-inspect",
                                  "reads-the-checks-through-gc", "reads-the-checks-through-frames",
                                  "fails-inside-a-check"])
def test_hidden_check_code_cannot_be_read_back(graded, name):
    """Does no report of a submission that reads the hidden checks (or the solutions, or the kit's tests)
    quote them, by file, inspect, gc, frames or a check's traceback?"""
    kit = graded["kit"]
    secret_lines = code_lines([*check_files(kit), kit / "tests" / "submissions" / "regularization.py"])
    reports = [path.read_text(errors="replace") for path in graded["out"].rglob("*") if path.is_file()]
    leaked = [line for line in secret_lines if any(line in text for text in reports)]
    assert leaked == []
    assert "BEGIN SOLUTION" not in _text(graded["results"][name])


@pytest.mark.parametrize("name", ["replaces-library-functions", "replaces-the-stop-marker"])
def test_replacing_what_the_checks_rely_on_earns_nothing(graded, name):
    """Is a submission that patches torch or the Stop marker stopped from earning points, and flagged?"""
    result = graded["results"][name]
    assert result.points == 0
    assert all(item.status == ERROR for item in result.items)
    assert "replaced part of a library" in result.items[0].messages[0]


def test_changed_locked_cell_is_reported_and_the_released_version_used(graded):
    """Is a changed locked cell named in the report, with full marks from the released code?"""
    result = graded["results"]["changes-a-locked-cell"]
    assert any("changed a locked cell, the one that starts \"%config InlineBackend" in notice
               for notice in result.notices)
    assert result.points == result.max_points


@pytest.mark.parametrize("name", NOT_NOTEBOOKS)
def test_a_file_that_is_not_a_notebook_still_gets_its_row(graded, name):
    """Does an unreadable file get a report row with zero points and a message saying what to submit?"""
    result = graded["results"][name]
    assert result.points == 0
    assert len(result.items) == 9
    assert any("notebook" in notice for notice in result.notices)


def test_every_submission_has_a_row(graded):
    """Does every file in the batch, however hostile, appear in the results?"""
    assert set(graded["results"]) == set(EXPECTED_LOST) | set(NOT_NOTEBOOKS) | {"replaces-library-functions",
                                                                                "replaces-the-stop-marker"}


def test_every_result_records_its_isolation(graded):
    """Does every submission whose code ran record the launcher it ran inside, and none an opt-out?"""
    launcher = "bubblewrap" if graded["mode"] == "bubblewrap" else "root namespaces"
    ran = [result for name, result in graded["results"].items() if name not in NOT_NOTEBOOKS]
    assert all(result.isolation and result.isolation["launcher"].startswith(launcher) for result in ran)
    assert not any(result.isolation["opt_out"] for result in ran)
    assert f"Isolation ({len(ran)} submissions): {launcher}" in graded["run"].stdout
