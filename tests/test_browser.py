"""Does the kit work in a real JupyterLab, seen in a real (headless) Chromium? (issue 14, item 4)

The student's side: the release opened in JupyterLab from a student environment built from its requirements.txt,
answered and run through the UI, read back from the page. The instructor's side: nbgrader's formgrader showing the
bundled examples' autograded scores. Screenshots of both are kept as test artifacts: in $REGLAB_TEST_ARTIFACTS, else
in browser/ under pytest's temporary folder.
"""

import ast
import os
import shutil
import sys
from pathlib import Path

import pytest

from autograder import build, nbgrader_grading, notebooks
from autograder.answers import solution_answers
from autograder.notebooks import nbgrader_of
from tests.conftest import ASSIGNMENTS, ONE_THREAD, ROOT
from tests.headless_chromium import chromium, require_chromium
from tests.lab_server import running_lab
from tests.notebook_page import NotebookPage
from tests.student_env import student_environ
from tests.submissions.regularization import CHECK_LEVEL_WRONG

ASSIGNMENT = "regularization"
RIGHT = "build_optimizer"  # answered with the solution: its check cell must pass
WRONG = CHECK_LEVEL_WRONG["penalty-without-half"]  # l2_penalty without the ½: its visible check says so
# What must appear nowhere on the page: warnings, and JupyterLab's words for a widget it cannot show
WARNING_TEXTS = ("Warning", "IProgress", "Error displaying widget", "model not found")
PASSED = "Visible checks passed."


@pytest.fixture(scope="session")
def chromium_installed() -> None:
    """Chromium and Playwright are there (else skip or fail): asked before the student environment is built, which
    takes minutes. (The browser itself is started in each test: Playwright's event loop is best kept short-lived
    in a suite whose other tests run asyncio.)"""
    require_chromium()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Where the screenshots go: $REGLAB_TEST_ARTIFACTS (CI keeps it), else browser/ under pytest's basetemp."""
    folder = Path(os.environ.get("REGLAB_TEST_ARTIFACTS") or tmp_path_factory.getbasetemp() / "browser").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _say(capsys, message: str) -> None:
    with capsys.disabled():  # shown even when pytest captures output: where the screenshots are
        print(f"\n{message}")


def _visible_messages(test_cell_source: str) -> list[str]:
    """The messages of a check cell's visible asserts."""
    return [node.msg.value for node in ast.walk(ast.parse(test_cell_source))
            if isinstance(node, ast.Assert) and isinstance(node.msg, ast.Constant)]


def test_student_runs_the_release_in_jupyterlab(chromium_installed, student_python, artifacts, tmp_path, capsys):
    """In JupyterLab in Chromium, with one answer from the solutions and one wrong answer typed into their cells,
    do the provided cells run without an error or a warning, does the right answer's check cell pass and the wrong
    one's name the mistake, and does the page show a plot?"""
    release = tmp_path / ASSIGNMENT
    shutil.copytree(ROOT / "release" / ASSIGNMENT, release)
    notebook = notebooks.read(release / f"{ASSIGNMENT}.ipynb")
    index = {notebooks.grade_id(cell): i for i, cell in enumerate(notebook.cells)}
    last = index[WRONG.item]  # run everything up to the wrong answer's check cell
    code_cells = [i for i, cell in enumerate(notebook.cells[:last + 1]) if cell.cell_type == "code"]
    provided = [i for i in code_cells  # neither an answer nor a check: the kit's own code
                if not (nbgrader_of(notebook.cells[i]).get("solution") or nbgrader_of(notebook.cells[i]).get("grade"))]
    settings = notebook.cells[index["settings"]].source
    assert "PROFILE = None" in settings
    # offline: the kit's synthetic images, as README's note on data says for machines without a network
    env = student_environ(student_python, REGLAB_DATA="synthetic", REGLAB_DATA_DIR=str(tmp_path / "data"),
                          **ONE_THREAD)
    shots = artifacts / "student"
    shots.mkdir(exist_ok=True)

    with chromium() as browser, running_lab(student_python, release, tmp_path / "jupyter", env) as lab:
        page = NotebookPage.open(browser, lab, f"{ASSIGNMENT}.ipynb")
        # as README's student workflow says: choose the profile in the settings cell, answer, run the check cells
        page.replace_source(index["settings"], settings.replace("PROFILE = None", "PROFILE = 'tiny'"))
        page.replace_source(index[f"{RIGHT}_answer"], solution_answers(ASSIGNMENT)[f"{RIGHT}_answer"])
        for grade_id, source in WRONG.answers.items():
            page.replace_source(index[grade_id], source)
        page.run_all_above(last + 1)
        page.wait_until_run(code_cells)
        outputs = {i: page.outputs(i) for i in code_cells}
        plots = {i: page.images(i) for i in code_cells}
        page.screenshot_notebook(shots / "notebook.png")
        for i in code_cells:
            page.screenshot_cell(i, shots / f"cell-{i:02d}-{notebooks.grade_id(notebook.cells[i])}.png")
    _say(capsys, f"Screenshots of the student's notebook: {shots}")

    def text(i: int) -> str:
        return "\n".join(output.text for output in outputs[i])

    def printed(i: int) -> str:  # what the cell printed, not what a traceback quotes of its source
        return "\n".join(output.text for output in outputs[i] if not output.red)

    assert "Profile 'tiny' (chosen in this notebook)" in text(index["settings"])
    assert PASSED in printed(index[RIGHT]) and not any(output.red for output in outputs[index[RIGHT]])
    messages = _visible_messages(notebook.cells[index[WRONG.item]].source)
    shown = text(index[WRONG.item])
    assert any(f"AssertionError: {message}" in shown for message in messages), shown[-500:]
    assert PASSED not in printed(index[WRONG.item])
    assert sum(plots.values()) >= 1, "no plot on the page"
    # Everything the student did not cause, in one report: what the provided cells show in red (stderr, warnings,
    # tracebacks), and warning words anywhere on the page
    unwanted = {f"{notebooks.grade_id(notebook.cells[i])}: red output": [o.text for o in outputs[i] if o.red]
                for i in provided}
    unwanted |= {f"{notebooks.grade_id(notebook.cells[i])}: {word!r}": [text(i)[:500]]
                 for i in code_cells for word in WARNING_TEXTS if word in text(i)}
    found = [f"{where}: {texts!r}" for where, texts in unwanted.items() if texts]
    assert not found, "the page shows what the student did not cause:\n" + "\n".join(found)


def test_formgrader_lists_the_autograded_scores(chromium_installed, artifacts, tmp_path, capsys):
    """Does nbgrader's formgrader, in JupyterLab's server from the instructor's environment, list the course's
    assignments and the autograded scores of the bundled examples (ada full marks, ben zero)?"""
    course = tmp_path / "course"
    course.mkdir()
    gradebook = course / "gradebook.db"
    for assignment in ASSIGNMENTS:  # every assignment listed; one autograded, to keep the test short
        build.build_release(assignment, output_root=course, gradebook=gradebook)
        shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
    students = nbgrader_grading.collect(ROOT / "examples" / "submitted", ASSIGNMENT, root=course)
    table = nbgrader_grading.autograde(ASSIGNMENT, gradebook=gradebook, output_root=course)
    assert students == ["ada", "ben", "cleo"]
    _write_course_config(course, gradebook)
    kit, ours = _loaded_config(ROOT), _loaded_config(course)
    assert {section: ours[section] for section in kit if section != "CourseDirectory"} == {
        section: kit[section] for section in kit if section != "CourseDirectory"}
    # the course's nbgrader_config.py imports the kit (autograder.feedback); nbgrader needs the venv's bin/ (alembic)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    shots = artifacts / "formgrader"
    shots.mkdir(exist_ok=True)

    with chromium() as browser, running_lab(Path(sys.executable), course, tmp_path / "jupyter", env) as lab:
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      extra_http_headers={"Authorization": f"token {lab.token}"})
        page = context.new_page()
        page.goto(lab.url("formgrader"))
        page.wait_for_selector(f"#main-table tr:has-text('{ASSIGNMENT}')", timeout=60_000)
        listed = page.locator("#main-table").inner_text()
        page.screenshot(path=shots / "manage-assignments.png", full_page=True)

        page.goto(lab.url(f"formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}"))
        page.wait_for_selector("#main-table tr:has-text('Submission #')", timeout=60_000)
        page.get_by_text("Show All Names").click()
        rows = page.locator("#main-table tr")
        rows.first.locator("td.name a.name-shown").wait_for(state="visible")
        code_scores = {row.locator("td.name a.name-shown").inner_text().strip():
                       row.locator("td.code-score").inner_text().strip() for row in rows.all()}
        page.screenshot(path=shots / f"gradebook-{ASSIGNMENT}.png", full_page=True)
    _say(capsys, f"Screenshots of the formgrader: {shots}")

    assert all(assignment in listed for assignment in ASSIGNMENTS), listed
    full = table.loc["ada", "of"]
    assert code_scores == {student: f"{_score(table.loc[student, 'autograded'])} / {_score(full)}"
                           for student in students}
    assert code_scores["ada"] == f"{_score(full)} / {_score(full)}" and code_scores["ben"] == f"0 / {_score(full)}"


def _score(points: float) -> str:
    """A score as the formgrader writes it: at most two decimals, no trailing zeros."""
    return f"{round(float(points), 2):g}"


def _write_course_config(course: Path, gradebook: Path) -> None:
    """An nbgrader_config.py for this course folder (the formgrader reads it from its working folder) that loads the
    kit's own, so that every setting of the kit holds, including the paths it builds from its own __file__."""
    (course / "nbgrader_config.py").write_text(
        "# Written by tests/test_browser.py: the kit's settings, for a course in a temporary folder\n"
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(ROOT / 'nbgrader_config.py')!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(gradebook)!r}\n")


def _loaded_config(folder: Path):
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()
