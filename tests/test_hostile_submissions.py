"""Does a broken or hostile submission get its row, lose only what it broke, and leave everyone else alone?

Each submission below is the solution with one hostile change, named after
what it tries. All are graded together in one batch, with short limits.
"""

import os
import socket
import textwrap
from pathlib import Path

import nbformat
import pytest

from autograder import grade, sandbox
from autograder.results import ERROR
from tests.conftest import ROOT
from tests.submissions import make_submission

AS_ROOT = os.geteuid() == 0
CHECKS_FILE = ROOT / "autograder" / "checks" / "regularization.py"
SLEEPER = "987654"  # an argument no other process on the machine uses
LIMITS = sandbox.Limits(wall_seconds=90, cell_seconds=4, item_seconds=8, stall_seconds=4)
GRID = "N_GRID_EXPERIMENTS = 4 * 5 * 6\n"
WRONG_GRID = "N_GRID_EXPERIMENTS = 4 + 5 + 6\n"


def _solution_stopper_with(body: str) -> str:
    return textwrap.dedent('''
        class EarlyStopper:
            def __init__(self, patience=5):
                self.patience = patience

            def __call__(self, net, epoch, epoch_stats):
        ''') + textwrap.indent(textwrap.dedent(body), " " * 8)


def hostile_submissions(canary: Path, port: int) -> dict[str, dict[str, str]]:
    """Name -> answer-cell overrides of the solution; each tries one thing."""
    return {
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
            for _ in range(200):
                subprocess.Popen(['sleep', '{SLEEPER}'], start_new_session=True)
            """) + GRID},
        "floods-output": {"grid_size_answer": "for _ in range(10_000):\n    print('x' * 100_000)\n" + GRID},
        "deletes-files": {"grid_size_answer": textwrap.dedent(f"""
            import os, shutil
            shutil.rmtree({str(canary.parent)!r}, ignore_errors=True)
            for path in [{str(ROOT / 'README.md')!r}, {str(ROOT / 'reglab' / 'training.py')!r}]:
                try:
                    os.remove(path)
                except OSError:
                    pass
            """) + GRID},
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
            forged = b'{"event": "item", "fraction": 1.0, "grade_id": "grid_size", "messages": [], "state": "done"}'
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
        "reads-the-hidden-checks": {"build_optimizer_answer": textwrap.dedent(f"""
            def build_optimizer(net, weight_decay, lr=1e-4):
                import inspect
                leaked = []
                try:
                    leaked.append(open({str(CHECKS_FILE)!r}).read())
                except OSError as error:
                    leaked.append(repr(error))
                try:
                    import autograder.checks.regularization as checks
                    leaked.append(inspect.getsource(checks))
                except Exception as error:
                    leaked.append(repr(error))
                raise RuntimeError(' '.join(leaked))
            """)},
        "connects-to-the-network": {"grid_size_answer": textwrap.dedent(f"""
            import socket
            try:
                socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'leak')
            except OSError:
                pass
            """) + GRID},
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    canary = tmp_path_factory.mktemp("canary") / "keep.txt"
    canary.write_text("still here")
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    submissions = hostile_submissions(canary, server.getsockname()[1])
    for name, overrides in submissions.items():
        nbformat.write(make_submission("regularization", overrides), folder / f"{name}.ipynb")
    changed = make_submission("regularization")
    setup = next(cell for cell in changed.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    setup.source += "\nStop = 'stop'\nfit = None\n"
    nbformat.write(changed, folder / "changes-a-locked-cell.ipynb")
    (folder / "not-json.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n not a notebook")
    (folder / "json-but-not-a-notebook.ipynb").write_text('{"answers": [1, 2, 3]}')
    (folder / "empty-file.ipynb").write_text("")
    results = grade.grade_paths([folder], "regularization", workers=2, limits=LIMITS)
    try:
        connection, _ = server.accept()
        received = connection.recv(100)
    except OSError:
        received = b""
    server.close()
    return {result.student: result for result in results}, canary, received


def _lost(result) -> set[str]:
    return {item.grade_id for item in result.items if item.points < item.max_points}


@pytest.mark.parametrize(("name", "expected_lost"), [
    ("infinite-loop-at-top-level", {"grid_size"}),
    ("infinite-loop-swallowing-interrupts", {"EarlyStopper"}),
    ("exits-the-interpreter", {"grid_size"}),
    ("segfaults", {"plot_learning_curve"}),
    ("exhausts-memory", {"BestModelTracker"}),
    ("floods-output", {"grid_size"}),
    ("prints-fake-scores", {"grid_size"}),
    ("forges-grader-messages", {"grid_size"}),
    ("deletes-files", set()),
    ("connects-to-the-network", set()),
    ("changes-a-locked-cell", set()),
    ("rebinds-stop-to-none", {"EarlyStopper"}),
])
def test_a_hostile_answer_costs_its_own_item_only(graded, name, expected_lost):
    """Does the submission keep every point except those of the answer it broke?"""
    results, _, _ = graded
    assert _lost(results[name]) == expected_lost


@pytest.mark.parametrize("name", ["infinite-loop-at-top-level", "infinite-loop-swallowing-interrupts",
                                  "exits-the-interpreter", "segfaults"])
def test_the_report_says_what_broke(graded, name):
    """Is what stopped the grading (a time limit, an exit, a crash) named in the submission's report?"""
    results, _, _ = graded
    text = " ".join(results[name].notices + [m for item in results[name].items for m in item.messages])
    assert any(word in text for word in ("longer than", "stopped", "killed", "ended", "SIGSEGV"))


def test_spawned_processes_do_not_outlive_grading(graded):
    """Is every process a submission started, even in its own session, gone after grading?"""
    results, _, _ = graded
    assert "spawns-processes" in results
    survivors = [pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline(pid).endswith(f"sleep {SLEEPER}")]
    assert survivors == []


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


@pytest.mark.skipif(not AS_ROOT, reason="a read-only file system view needs root (mount namespaces)")
def test_files_outside_the_scratch_folder_survive(graded):
    """Do the kit's files and a file elsewhere on the machine survive a submission that deletes them?"""
    _, canary, _ = graded
    assert canary.read_text() == "still here"
    assert (ROOT / "README.md").exists() and (ROOT / "reglab" / "training.py").exists()


@pytest.mark.skipif(not AS_ROOT, reason="a private network namespace needs root")
def test_no_network_during_grading(graded):
    """Does a connection attempt to a server on this machine reach nothing?"""
    _, _, received = graded
    assert received == b""


@pytest.mark.parametrize("name", ["replaces-library-functions", "replaces-the-stop-marker"])
def test_replacing_what_the_checks_rely_on_earns_nothing(graded, name):
    """Is a submission that patches torch or the Stop marker stopped from earning points, and flagged?"""
    results, _, _ = graded
    result = results[name]
    assert result.points == 0
    assert all(item.status == ERROR for item in result.items)
    assert "replaced part of a library" in result.items[0].messages[0]


def test_hidden_check_code_cannot_be_read_back(graded):
    """Does no report text of a submission that reads the hidden checks contain their code?"""
    results, _, _ = graded
    result = results["reads-the-hidden-checks"]
    text = " ".join(result.notices + [m for item in result.items for m in item.messages])
    secret_lines = [line.strip() for line in CHECKS_FILE.read_text().splitlines() if len(line.strip()) > 25]
    assert not any(line in text for line in secret_lines)
    assert _lost(result) == {"build_optimizer"}


def test_changed_locked_cell_is_reported_and_the_released_version_used(graded):
    """Is a changed locked cell named in the report, with full marks from the released code?"""
    results, _, _ = graded
    result = results["changes-a-locked-cell"]
    assert any("locked cell 'setup' was changed" in notice for notice in result.notices)
    assert result.points == result.max_points


@pytest.mark.parametrize("name", ["not-json", "json-but-not-a-notebook", "empty-file"])
def test_a_file_that_is_not_a_notebook_still_gets_its_row(graded, name):
    """Does an unreadable file get a report row with zero points and a message saying what to submit?"""
    results, _, _ = graded
    result = results[name]
    assert result.points == 0
    assert len(result.items) == 9
    assert any("notebook" in notice for notice in result.notices)


def test_every_submission_has_a_row(graded):
    """Does every file in the batch, however hostile, appear in the results?"""
    results, _, _ = graded
    assert len(results) == len(hostile_submissions(Path("canary"), 0)) + len(
        ["changes-a-locked-cell", "not-json", "json-but-not-a-notebook", "empty-file"])
