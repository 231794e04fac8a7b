"""Does the Gradescope bundle hold the grader and nothing secret, install exactly what it pins, and grade a
submission in a folder laid out like Gradescope's as ``python -m autograder.grade`` grades it, refusing, in
words, where no sandbox starts?

Each run lays out ROOT as Gradescope lays out ``/autograder`` (``REGLAB_GRADESCOPE_ROOT``): ``ROOT/source`` is the
unzipped bundle, ``ROOT/submission`` the student's files, ``ROOT/results`` where ``results.json`` goes. The
bundle's own ``setup.sh`` runs first, for real, with two stand-ins on PATH, so that nothing is downloaded:
``apt-get``, which writes down what it was asked for, and ``python3``, whose ``-m venv DIR`` makes ``DIR/bin/python``
a Python that writes down ``-m pip ...`` instead of installing and runs this test environment's Python for all
else. ``run_autograder`` then runs the Python that setup.sh made, at the path where setup.sh made it: the seam is
only what pip would have installed, which is this environment's packages, at the versions the bundle pins
(``test_requirements_pin_what_the_grader_imports``). The grading runs use ``regularization``, the fastest.
"""

import copy
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import course, gradescope_bundle, gradescope_run, worker
from autograder.reports.gradescope import AFTER_PUBLISHED, INSTRUCTOR_ENTRY, INSTRUCTORS_ONLY, VISIBLE
from autograder.results import VISIBLE_CHECK_FAILED
from tests import json_schemas
from tests.conftest import ASSIGNMENTS, ROOT, require_sandbox
from tests.submissions import make_submission
from tests.test_hostile_submissions import code_lines

ASSIGNMENT = "regularization"
EXAMPLES = ROOT / "examples" / "submitted"
FORBIDDEN_PARTS = {"solutions", "source", "examples", "tests", ".git", "submitted", "autograded", "feedback",
                   "bench", "specs", "schemas", "gradebook.db"}
NO_SANDBOX = {"bwrap": "bwrap: No permissions to create a new namespace", "unshare": "unshare: Operation not permitted"}
FORGED = {"score": 1000, "tests": []}
RUN_SECONDS = 600


# --- the bundle -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    """Every assignment's bundle, and regularization's with the recorded opt-out, built by the module's command."""
    out = tmp_path_factory.mktemp("dist")
    assert gradescope_bundle.main([*ASSIGNMENTS, "--out", str(out)]) == 0
    assert gradescope_bundle.main([ASSIGNMENT, "--out", str(out), "--isolation", "none"]) == 0
    return {path.name.removesuffix(".zip"): path for path in out.glob("*.zip")}


def listing(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_bundle_holds_no_solution_or_source(bundles, assignment):
    """Does the bundle hold no solutions, sources, examples, tests or history, no solution notebook, no solution
    line, and no hidden checks of another assignment?"""
    files = listing(bundles[assignment])
    assert not [name for name in files if FORBIDDEN_PARTS & set(Path(name).parts)]
    assert not [name for name, data in files.items() if b"### BEGIN SOLUTION" in data]
    secrets = {course.solution_notebook(a).read_bytes() for a in ASSIGNMENTS} | {
        course.source_notebook(a).read_bytes() for a in ASSIGNMENTS}
    assert not [name for name, data in files.items() if data in secrets]
    assert {name for name in files if name.startswith("autograder/checks/")} == {
        "autograder/checks/__init__.py", f"autograder/checks/{assignment}.py", "autograder/checks/probes.py"}
    assert [name for name in files if name.startswith("release/")] == [f"release/{assignment}/{assignment}.ipynb"]
    assert files[f"release/{assignment}/{assignment}.ipynb"] == course.release_notebook(assignment).read_bytes()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_bundle_has_gradescopes_scripts_at_its_root(bundles, assignment):
    """Are setup.sh and run_autograder at the zip's root, executable, and valid bash; is the record there?"""
    with zipfile.ZipFile(bundles[assignment]) as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        for script in ("setup.sh", "run_autograder"):
            assert stat.S_IMODE(modes[script]) == 0o755
            checked = subprocess.run(["bash", "-n"], input=archive.read(script), capture_output=True)
            assert checked.returncode == 0, checked.stderr
        record = json.loads(archive.read(gradescope_run.RECORD))
    assert (record["assignment"], record["isolation"], record["isolation_opt_out"]) == (assignment, "auto", False)
    assert stat.S_IMODE(modes["autograder/grade.py"]) == 0o644


def test_bundle_is_the_same_bytes_when_built_again(bundles, tmp_path):
    """Does building again give the same bytes (no time stamps, a fixed order)?"""
    again = gradescope_bundle.build(ASSIGNMENT, tmp_path)
    assert again.read_bytes() == bundles[ASSIGNMENT].read_bytes()


def test_opt_out_is_recorded_and_named(bundles):
    """Is a bundle built without isolation named so, and does its record say so?"""
    files = listing(bundles[f"{ASSIGNMENT}.no-isolation"])
    record = json.loads(files[gradescope_run.RECORD])
    assert (record["isolation"], record["isolation_opt_out"]) == ("none", True)
    assert files.keys() == listing(bundles[ASSIGNMENT]).keys()


def test_builder_refuses_a_solution_line():
    """Would a solution line that reached the files stop the build?"""
    with pytest.raises(SystemExit, match="solution lines"):
        gradescope_bundle.refuse_secrets({"reglab/leak.py": b"x = 1\n### BEGIN SOLUTION\n"})


def requirement_lines(bundle: Path) -> list[str]:
    text = listing(bundle)[gradescope_bundle.REQUIREMENTS].decode()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_requirements_pin_what_the_grader_imports(bundles):
    """Is every requirement pinned, the kit's tested pins taken from constraints.txt with PyTorch's CPU wheels from
    PyTorch's index, and every package that the bundle's Python imports from outside the standard library listed?"""
    lines = requirement_lines(bundles[ASSIGNMENT])
    assert lines[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"
    pinned = dict(line.split("==") for line in lines[1:])
    assert all(version and "*" not in version for version in pinned.values())
    tested = gradescope_bundle.pins()
    assert {"torch", "torchvision", "nbgrader"} <= tested.keys()
    for name, version in tested.items():
        assert pinned[name] == (f"{version}+cpu" if name in ("torch", "torchvision") else version)
    imported = set(worker.TRUSTED_IMPORTS)
    for name, data in listing(bundles[ASSIGNMENT]).items():
        if name.endswith(".py"):
            imported |= _all_imports(data.decode())
    third_party = {name.split(".")[0] for name in imported} - set(sys.stdlib_module_names) - {"autograder", "reglab"}
    distributions = _distributions()
    missing = {module for module in third_party if not set(distributions.get(module, [])) & pinned.keys()}
    assert missing == set()


def _all_imports(source: str) -> set[str]:
    import ast

    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def _distributions() -> dict[str, list[str]]:
    import importlib.metadata

    return {module: [gradescope_bundle._normalized(name) for name in names]
            for module, names in importlib.metadata.packages_distributions().items()}


# --- Gradescope's folder, set up by the bundle's setup.sh ---------------------------------------------------


def _script(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    path.chmod(0o755)
    return path


def install(bundle: Path, root: Path) -> dict[str, list[str]]:
    """Lay out ``root`` as Gradescope's /autograder with ``bundle`` in source/, and run its setup.sh there with
    apt-get and pip written down, not run; return what each was asked."""
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)  # Python's zipfile extracts without the zip's modes
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does when it builds
    stand_ins = root.parent / f"{root.name}-stand-ins"
    stand_ins.mkdir()
    logs = {tool: stand_ins / f"{tool}.log" for tool in ("apt-get", "pip")}
    _script(stand_ins / "apt-get", f"""
        #!/bin/bash
        echo "$*" >> {logs['apt-get']}
        """)
    _script(stand_ins / "python3", f"""
        #!/bin/bash
        if [ "$1" = -m ] && [ "$2" = venv ]; then
            mkdir -p "$3/bin"
            printf '%s\\n' '#!/bin/bash' \\
                'if [ "$1" = -m ] && [ "$2" = pip ]; then echo "$*" >> {logs['pip']}; exit 0; fi' \\
                'exec {sys.executable} "$@"' > "$3/bin/python"
            chmod +x "$3/bin/python"
            exit 0
        fi
        exec {sys.executable} "$@"
        """)
    env = {**os.environ, "PATH": f"{stand_ins}:{os.environ['PATH']}", "REGLAB_GRADESCOPE_ROOT": str(root)}
    env.pop("PYTHONPATH", None)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root, env=env, capture_output=True,
                           text=True, timeout=RUN_SECONDS)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return {tool: log.read_text().splitlines() if log.exists() else [] for tool, log in logs.items()}


def run_autograder(root: Path, files: dict[str, bytes], *, without_sandbox: bool = False) -> tuple[dict, str]:
    """Gradescope's run for one submission: ``files`` in ROOT/submission, then ROOT/run_autograder from ROOT,
    as root; its results.json and its standard output. ``without_sandbox``: bwrap and unshare refuse, as in a
    container whose seccomp profile forbids namespaces."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, data in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_bytes(data)
    path = os.environ["PATH"]
    if without_sandbox:
        refusing = root.parent / f"{root.name}-no-sandbox"
        refusing.mkdir(exist_ok=True)
        for tool, message in NO_SANDBOX.items():
            _script(refusing / tool, f"""
                #!/bin/bash
                echo "{message}" >&2
                exit 1
                """)
        path = f"{refusing}:{path}"
    env = {**os.environ, "PATH": path, "REGLAB_GRADESCOPE_ROOT": str(root)}
    env.pop("PYTHONPATH", None)
    run = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                         timeout=RUN_SECONDS)
    assert run.returncode == 0, run.stdout + run.stderr
    document = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    json_schemas.validate(document, "gradescope-results.schema.json")
    return document, run.stdout


@pytest.fixture(scope="module")
def installed(bundles, tmp_path_factory) -> dict:
    """regularization's bundle, set up by its setup.sh in a folder laid out like Gradescope's."""
    require_sandbox("grading needs a sandbox here")
    root = tmp_path_factory.mktemp("gradescope") / "autograder"
    return {"root": root, "asked": install(bundles[ASSIGNMENT], root)}


def test_setup_installs_exactly_the_pinned_requirements(installed):
    """Does setup.sh install Python and bubblewrap with apt, and with pip only the bundle's pinned file?"""
    root = installed["root"]
    assert "install -y --no-install-recommends python3 python3-venv bubblewrap" in installed["asked"]["apt-get"]
    assert installed["asked"]["pip"] == [
        f"-m pip install --no-cache-dir --requirement {root}/source/{gradescope_bundle.REQUIREMENTS}"]
    assert (root / gradescope_bundle.VENV / "bin" / "python").exists()


def hostile(root: Path) -> bytes:
    """The solution, but its build_optimizer reads the hidden checks and its grid_size cell writes a forged
    results.json. build_optimizer raises with whatever it read, so that a leak would reach the report; it loses its
    point in every run, sandboxed or not, and the rest keep theirs."""
    checks = root / "source" / "autograder" / "checks"
    read = textwrap.dedent(f"""
        import os

        def build_optimizer(net, weight_decay, lr=1e-4):
            leaked = []
            for path in [{str(checks / 'regularization.py')!r}, {str(checks / 'probes.py')!r}]:
                try:
                    leaked.append(open(path).read())
                except OSError as error:
                    leaked.append(type(error).__name__)
            try:
                leaked.append(' '.join(os.listdir({str(checks)!r})))
            except OSError as error:
                leaked.append(type(error).__name__)
            raise RuntimeError(' | '.join(leaked))
        """)
    forge = textwrap.dedent(f"""
        import json
        for path in [{str(root / 'results' / 'results.json')!r}, 'results.json']:
            try:
                with open(path, 'w') as file:
                    json.dump({FORGED!r}, file)
            except OSError:
                pass
        N_GRID_EXPERIMENTS = 4 * 5 * 6
        """)
    notebook = make_submission(ASSIGNMENT, {"build_optimizer_answer": read, "grid_size_answer": forge})
    return nbformat.writes(notebook).encode()


def _example(student: str) -> bytes:
    return (EXAMPLES / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()


@pytest.fixture(scope="module")
def graded(installed, tmp_path_factory) -> dict:
    """Each submission graded by run_autograder in the Gradescope folder, and by python -m autograder.grade."""
    root = installed["root"]
    notebooks = {"ada": _example("ada"), "ben": _example("ben"), "cleo": _example("cleo"), "hostile": hostile(root)}
    runs = {}
    for student, notebook in notebooks.items():
        files = {f"{ASSIGNMENT}.ipynb": notebook}
        if student == "ada":  # what a zip from a Mac or a Jupyter folder carries beside the notebook: not submitted
            files |= {f"__MACOSX/._{ASSIGNMENT}.ipynb": b"\x00\x05\x16\x07 resource fork",
                      f".ipynb_checkpoints/{ASSIGNMENT}-checkpoint.ipynb": _example("ben")}
        runs[student] = run_autograder(root, files)
    batch = tmp_path_factory.mktemp("batch")
    for student, notebook in notebooks.items():
        (batch / f"{student}.ipynb").write_bytes(notebook)
    out = tmp_path_factory.mktemp("reports")
    grading = subprocess.run([sys.executable, "-m", "autograder.grade", str(batch), "--assignment", ASSIGNMENT,
                              "--workers", "2", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                             timeout=RUN_SECONDS)
    assert grading.returncode == 0, grading.stderr[-3000:]
    by_grade = {student: json.loads((out / ASSIGNMENT / "gradescope" / student / "results.json").read_text())
                for student in notebooks}
    return {"root": root, "runs": runs, "grade": by_grade}


def points(document: dict) -> dict[str, float]:
    return {test["extra_data"]["grade_id"]: test["score"] for test in document["tests"] if "score" in test}


def entries(document: dict, visibility: str) -> list[dict]:
    return [test for test in document["tests"] if test["visibility"] == visibility]


@pytest.mark.parametrize("student", ["ada", "ben", "cleo", "hostile"])
def test_run_autograder_gives_the_points_of_autograder_grade(graded, student):
    """Does run_autograder give the notebook the points that python -m autograder.grade gives it, item by item?"""
    document, stdout = graded["runs"][student]
    by_grade = graded["grade"][student]
    assert points(document) == points(by_grade) and document["score"] == by_grade["score"]
    assert f"with the kit in {graded['root'] / 'source'}" in stdout  # the bundle's grader, not the checkout's


@pytest.mark.parametrize("student", ["ada", "ben", "cleo"])
def test_run_autograder_writes_what_autograder_grade_writes(graded, student):
    """Is its results.json the one python -m autograder.grade writes for Gradescope, apart from the time taken?"""
    document, by_grade = copy.deepcopy(graded["runs"][student][0]), copy.deepcopy(graded["grade"][student])
    for same in (document, by_grade):
        same.pop("execution_time")
        same["tests"][-1].pop("output")  # the instructors' entry names the sandbox, which each machine words its way
        same["tests"][-1]["extra_data"].pop("isolation")
    assert document == by_grade


def test_solution_earns_full_marks_and_the_release_none(graded):
    """Does the solution earn every point, the untouched release none, and the known-wrong notebook some?"""
    ada, ben, cleo = (graded["runs"][student][0] for student in ("ada", "ben", "cleo"))
    maximum = sum(test["max_score"] for test in ada["tests"] if "max_score" in test)
    assert maximum == 11 and ada["score"] == maximum
    assert ben["score"] == 0
    assert 0 < cleo["score"] < maximum


def test_visibility_hides_points_and_hidden_findings_until_published(graded):
    """Before publication, does a student see each item's visible checks and not one hidden check's finding; do the
    points wait for publication; do instructors alone see how it was graded, and the log?"""
    cleo, _ = graded["runs"]["cleo"]
    assert cleo["stdout_visibility"] == INSTRUCTORS_ONLY
    visible, published = entries(cleo, VISIBLE), entries(cleo, AFTER_PUBLISHED)
    assert len(visible) == len(published) == 9
    assert all("score" not in test for test in visible) and all("score" in test for test in published)
    assert [test["name"] for test in entries(cleo, INSTRUCTORS_ONLY)] == [INSTRUCTOR_ENTRY]
    findings = [line for test in published for line in test["output"].splitlines()
                if line and not line.startswith(VISIBLE_CHECK_FAILED)]
    shown_now = cleo["output"] + "\n".join(test["output"] for test in visible)
    assert findings and not [line for line in findings if line in shown_now]
    assert [test["output"] for test in visible if test["status"] == "failed"] == [
        line for test in published for line in test["output"].splitlines() if line.startswith(VISIBLE_CHECK_FAILED)]
    ada, _ = graded["runs"]["ada"]
    assert {test["status"] for test in entries(ada, VISIBLE)} == {"passed"}
    ben, _ = graded["runs"]["ben"]
    assert all(test["status"] == "failed" and "not attempted" in test["output"] for test in entries(ben, VISIBLE))


def test_hostile_submission_reads_no_check_and_forges_no_result(graded):
    """Does a submission that reads the hidden checks in ROOT/source and writes ROOT/results/results.json find the
    checks' folder empty, leave the results alone, and keep its points (the solution's, less build_optimizer's)?"""
    document, _ = graded["runs"]["hostile"]
    ada, _ = graded["runs"]["ada"]
    assert document["score"] == ada["score"] - 1 != FORGED["score"]
    checks = graded["root"] / "source" / "autograder" / "checks"
    text = json.dumps(document)
    assert "FileNotFoundError | FileNotFoundError |" in text  # the files are not there, and their folder lists empty
    leaked = [line for line in code_lines([checks / "regularization.py", checks / "probes.py"]) if line in text]
    assert leaked == []


def test_several_or_no_notebooks_say_what_to_submit(installed):
    """Does a submission with no notebook, or with two, get results that say so and what to submit, with nothing
    run and nothing passed?"""
    root = installed["root"]
    none, _ = run_autograder(root, {"answers.pdf": b"%PDF-1.4"})
    two, _ = run_autograder(root, {f"{ASSIGNMENT}.ipynb": _example("ada"), f"old/{ASSIGNMENT}.ipynb": _example("ben")})
    for document, words in ((none, "No notebook was found"), (two, f"old/{ASSIGNMENT}.ipynb")):
        assert words in document["output"] and document["score"] == 0
        visible = entries(document, VISIBLE)
        assert visible and all(test["status"] == "failed" and words in test["output"] for test in visible)
        [instructors] = entries(document, INSTRUCTORS_ONLY)
        assert "none of the submission's code ran" in instructors["output"]


def test_without_a_sandbox_it_refuses_and_says_so(installed):
    """Where no sandbox starts (bwrap and unshare refuse, as under Docker's default seccomp profile), does the
    student read that the notebook could not be graded automatically and that the score is not a grade, and the
    instructor why and what to do, in an entry students never see?"""
    document, stdout = run_autograder(installed["root"], {f"{ASSIGNMENT}.ipynb": _example("ada")}, without_sandbox=True)
    assert document["score"] == 0
    assert "could not be graded automatically" in document["output"] and "not your grade" in document["output"]
    assert all(test["status"] == "failed" for test in document["tests"])
    [instructors] = entries(document, INSTRUCTORS_ONLY)
    assert "Refusing to grade" in instructors["output"] and "No permissions" in instructors["output"]
    assert "GRADESCOPE_ISOLATION=none" in instructors["output"]
    shown = document["output"] + json.dumps([test for test in document["tests"] if test is not instructors])
    assert "bwrap" not in shown and "GRADESCOPE_ISOLATION" not in shown
    assert "Refusing to grade" in stdout


def test_opt_out_grades_without_a_sandbox_and_the_risk_is_real(bundles, tmp_path_factory):
    """Does a bundle built with the recorded opt-out grade where no sandbox starts, with the points of the sandboxed
    run, say so to instructors on every result, and (the risk the README states) let a submission read the hidden
    checks in ROOT/source?"""
    root = tmp_path_factory.mktemp("gradescope-opt-out") / "autograder"
    install(bundles[f"{ASSIGNMENT}.no-isolation"], root)
    document, stdout = run_autograder(root, {f"{ASSIGNMENT}.ipynb": hostile(root)}, without_sandbox=True)
    assert document["score"] == 10  # the solution's 11, less build_optimizer's point: graded, not refused
    assert "recorded opt-out" in stdout
    [instructors] = entries(document, INSTRUCTORS_ONLY)
    assert "none (--no-isolation)" in instructors["output"] and instructors["extra_data"]["isolation"]["opt_out"]
    # the check file's first line, read by the submission: why grading without a sandbox is an opt-in
    assert "Hidden checks of the `regularization` assignment" in json.dumps(document)


def test_results_say_so_when_setup_never_ran(bundles, tmp_path):
    """Where setup.sh failed and there is no Python to grade with, does run_autograder still write results that
    tell the student it could not grade and the instructor where to look?"""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundles[ASSIGNMENT]) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    document, stdout = run_autograder(root, {f"{ASSIGNMENT}.ipynb": _example("ada")})
    assert document["score"] == 0 and "could not be graded automatically" in document["output"]
    [instructors] = entries(document, INSTRUCTORS_ONLY)
    assert "setup.sh" in instructors["output"] and "wrote no results" in stdout
