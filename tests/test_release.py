"""Are the committed release and solutions what source/ generates, and is the release safe to hand out?"""

import re
from pathlib import Path

import pytest

from autograder import answers, build, course, notebooks
from autograder.notebooks import nbgrader_of
from tests.conftest import ASSIGNMENTS, ROOT

VOLATILE_CELL_FIELDS = ("id",)
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                    "BEGIN MARK SCHEME", "grade_cell", "autograder")


def _normalized(notebook):
    for cell in notebook.cells:
        for field in VOLATILE_CELL_FIELDS:
            cell.pop(field, None)
    return notebook


def _tree(folder: Path) -> dict[str, object]:
    """Every file below ``folder``: notebooks as normalized JSON, other files as bytes."""
    return {
        str(path.relative_to(folder)):
            _normalized(notebooks.read(path)) if path.suffix == ".ipynb" else path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def _source(assignment):
    return notebooks.read(course.source_notebook(assignment))


def _release(assignment):
    return notebooks.read(course.release_notebook(assignment))


def _spec_grade_ids(assignment) -> list[str]:
    spec = (ROOT / "autograder" / "specs" / f"{assignment}.md").read_text()
    return re.findall(r"^\| `(\w+)` \|", spec, flags=re.MULTILINE)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_what_source_generates(assignment, tmp_path):
    """Does regenerating the release from source/ give exactly the committed release/ (cell ids aside)?"""
    build.build_release(assignment, output_root=tmp_path, gradebook=tmp_path / "gradebook.db")
    assert _tree(tmp_path / "release" / assignment) == _tree(ROOT / "release" / assignment), (
        "release/ is stale: run `make release` and commit the result"
    )
    assert (tmp_path / "release" / "README.md").read_bytes() == (ROOT / "release" / "README.md").read_bytes()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_solutions_are_what_source_generates(assignment, tmp_path):
    """Does regenerating the solutions from source/ give exactly the committed solutions/?"""
    build.build_solutions(assignment, output_root=tmp_path, gradebook=tmp_path / "gradebook.db")
    assert _tree(tmp_path / "solutions" / assignment) == _tree(ROOT / "solutions" / assignment), (
        "solutions/ is stale: run `make solutions` and commit the result"
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_bundled_examples_are_submissions_of_the_current_release(assignment):
    """Is every example submission the current release with that student's answers (so that nbgrader, which runs
    the whole notebook, runs today's provided cells)?"""
    paths = sorted((ROOT / "examples" / "submitted").glob(f"*/{assignment}/{assignment}.ipynb"))
    assert paths
    for path in paths:
        example = notebooks.read(path)
        current = answers.on_current_release(example, assignment)
        assert [cell.source for cell in example.cells] == [cell.source for cell in current.cells], (
            f"{path.relative_to(ROOT)} is not on the current release: run `python -m autograder.build examples`")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(assignment):
    """Is every solution line, model answer and hidden-check call gone from the release?"""
    release_text = "\n".join(cell.source for cell in _release(assignment).cells)
    for marker in SOLUTION_MARKERS:
        assert marker not in release_text
    source = _source(assignment).cells
    provided_lines = {line.strip() for cell in source if not nbgrader_of(cell).get("solution")
                      for line in cell.source.splitlines()}
    for cell in source:
        if not nbgrader_of(cell).get("solution"):
            continue
        regions = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, flags=re.DOTALL)
        secret_lines = [line.strip() for region in regions or [cell.source] for line in region.splitlines()]
        for line in secret_lines:
            # short lines ("return net") and the provided code's own lines may recur
            if len(line) > 12 and line not in provided_lines:
                assert line not in release_text, f"{nbgrader_of(cell)['grade_id']}: {line!r} leaked into the release"


def test_release_helper_package_holds_no_instructor_code():
    """Does the reglab copy shipped to students stay free of the autograder?"""
    for assignment in ASSIGNMENTS:
        for path in (ROOT / "release" / assignment / "reglab").rglob("*.py"):
            assert "autograder" not in path.read_text(), path


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_holds_no_outputs(assignment):
    """Is the instructor notebook committed without outputs or execution counts?"""
    for cell in _source(assignment).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, nbgrader_of(cell).get("grade_id")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_ids_are_unique_and_every_spec_item_is_graded(assignment):
    """Is every grade_id unique, and is every autograded item of the spec a test cell with points?"""
    cells = _source(assignment).cells
    ids = [nbgrader_of(cell)["grade_id"] for cell in cells]
    assert len(ids) == len(set(ids))
    test_cells = {nbgrader_of(c)["grade_id"]: c for c in cells if c.cell_type == "code" and nbgrader_of(c).get("grade")}
    assert set(_spec_grade_ids(assignment)) == set(test_cells)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_add_up_to_the_stated_total(assignment):
    """Do nbgrader's points equal the total, and the autograded and by-hand parts, stated in the notebook?"""
    cells = _source(assignment).cells
    graded = [c for c in cells if nbgrader_of(c).get("grade")]
    total = sum(nbgrader_of(c)["points"] for c in graded)
    auto = sum(nbgrader_of(c)["points"] for c in graded if c.cell_type == "code")
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    stated = re.search(r"This assignment has \*\*(\d+) points\*\*: (\d+) for code .* and (\d+) for written", text)
    assert stated, "the notebook should state its total points"
    assert tuple(map(int, stated.groups())) == (total, auto, total - auto)
    for section in re.finditer(r"^## (\d\.\d) .*\((\d+) points\)", text, flags=re.MULTILINE):
        in_section = [c for c in graded if _section_of(cells, c) == section.group(1)]
        assert sum(nbgrader_of(c)["points"] for c in in_section) == int(section.group(2)), section.group(0)


def _section_of(cells, target) -> str | None:
    section = None
    for cell in cells:
        headings = re.findall(r"^## (\d\.\d) ", cell.source, flags=re.MULTILINE) if cell.cell_type == "markdown" else []
        section = headings[-1] if headings else section  # a cell may open a part and its first section
        if cell is target:
            return section
    return None


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_test_cell_has_visible_checks_and_a_hidden_part_worth_its_points(assignment):
    """Does each autograded test cell show visible checks and call the hidden checks with its own points?"""
    for cell in _source(assignment).cells:
        nbgrader = nbgrader_of(cell)
        if cell.cell_type != "code" or not nbgrader.get("grade"):
            continue
        hidden = re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, flags=re.DOTALL)
        visible = re.sub(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", "", cell.source, flags=re.DOTALL)
        assert "assert" in visible, nbgrader["grade_id"]
        call = re.search(r'grade_cell\("(\w+)", "(\w+)", globals\(\), points=([\d.]+)\)', hidden[-1])
        assert call, nbgrader["grade_id"]
        assert call.groups() == (assignment, nbgrader["grade_id"], f"{nbgrader['points']}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_training_cells_are_tagged_as_experiments(assignment):
    """Is every cell that trains (calls fit) or plots their results tagged so that a grader can skip it?"""
    for cell in _source(assignment).cells:
        trains_or_plots = re.search(r"\bfit\(|plotter_", cell.source)
        if cell.cell_type == "code" and not nbgrader_of(cell).get("solution") and trains_or_plots:
            assert "experiment" in cell.metadata.get("tags", []), nbgrader_of(cell)["grade_id"]


def test_spec_copy_matches_the_shared_spec():
    """Is the repository's copy of the graded interface the one in ../shared/spec (where that exists)?"""
    shared = ROOT.parent / "shared" / "spec" / "regularization.md"
    if not shared.exists():
        pytest.skip("no ../shared beside this checkout (a student or instructor clone)")
    assert (ROOT / "autograder" / "specs" / "regularization.md").read_text() == shared.read_text()
