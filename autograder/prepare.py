"""Turn a submitted notebook into what the grader runs: the provided code, the student's answers, the items.

The release notebook is the template. Only answer cells come from the
submission; every locked cell runs as released (nbgrader's checksums tell
whether a student changed one), test cells are replaced by the hidden checks,
and cells tagged ``experiment`` do not run at all. Cells the student added
run where the student put them, since answers may use them.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import compute_checksum

from autograder import course
from autograder.course import ROOT
from autograder.notebooks import nbgrader_of

EXPERIMENT_TAG = "experiment"
# "## 3.2 Weight decay", and "# Part B: weight histograms" (a part numbered by a letter, without sections)
SECTION_HEADING = re.compile(r"^#{1,3}\s+(?:Part\s+([A-Z0-9]+)\b|(\d+(?:\.\d+)*)\.?\s)\s*:?\s*(.*)")
# "**(a) Complete `f`: ... (1 point)**", and "**Q1: Describe ...**" (Part B of penalties numbers its questions so)
QUESTION_LETTER = re.compile(r"\*\*(?:\(([a-z])\)|(Q\d+):)\s*(.*?)(?:\*\*|$)")
PROVIDED, ANSWER, ADDED = "provided", "answer", "added"


class InvalidSubmission(Exception):
    """The file cannot be graded at all; the message says why, for the student."""


@dataclass
class Cell:
    source: str
    kind: str  # PROVIDED, ANSWER or ADDED
    name: str  # the grade_id, or "cell N" for a cell the student added


@dataclass
class Item:
    grade_id: str
    points: float
    attempted: bool
    visible_checks: str  # the released test cell: nbgrader gives zero when these asserts fail
    label: str = ""  # "3.2 (a)": the question as the notebook numbers it
    title: str = ""  # "Complete build_optimizer": the question as the notebook asks it


@dataclass
class Written:
    grade_id: str
    points: float
    answered: bool
    label: str = ""
    title: str = ""


@dataclass
class Program:
    assignment: str
    cells: list[Cell] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    written: list[Written] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    questions: dict[str, "Question"] = field(default_factory=dict)  # by grade id, as the release asks them

    def in_words(self, cell: Cell) -> str:
        """How a student finds ``cell`` in their notebook: by its question, or by its first line."""
        question = self.questions.get(cell.name)
        if cell.kind == ANSWER and question is not None and question.label:
            return f"your answer to {question.label}"
        if cell.kind == ADDED:
            return f"the code cell you added ({cell.name})"
        return f"the provided cell that starts \"{_first_line(cell.source)}\""


def _first_line(source: str, limit: int = 50) -> str:
    line = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[:limit - 1] + "…"


def template(assignment: str, root: Path = ROOT) -> nbformat.NotebookNode:
    return nbformat.read(str(course.release_notebook(assignment, root)), as_version=4)


def read_submission(path: Path) -> nbformat.NotebookNode:
    """Read a submitted file as a notebook, or raise InvalidSubmission with a reason a student understands."""
    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as error:  # nbformat raises JSON, encoding and schema errors of many types
        raise InvalidSubmission(
            f"{path.name} is not a Jupyter notebook that can be read ({type(error).__name__}: {str(error)[:200]}). "
            "Save the notebook from Jupyter and submit the .ipynb file.") from None
    if not isinstance(notebook.get("cells"), list):
        raise InvalidSubmission(f"{path.name} holds no notebook cells.")
    return notebook


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


@dataclass(frozen=True)
class Question:
    label: str  # "3.2 (a)": the number of the last section heading above, and the last bold question letter
    title: str  # "Complete build_optimizer": the question's first sentence, as the student reads it


def short_title(text: str, limit: int = 90) -> str:
    """A question's first sentence without its points and Markdown: "Complete `f(x)`: ... (1 point)" gives
    "Complete f(x)"."""
    text = re.sub(r"\(\d+(?:\.\d+)? points?\)|\(no points\)", "", text)
    text = re.sub(r"\$[^$]*\$", "", text)  # formulas read badly as plain text: "l1_penalty(net, lam) and ..."
    text = re.sub(r"\s+([,.?])", r"\1", " ".join(re.sub(r"`|\*\*", "", text).split()))
    first = re.split(r"(?<=[?])\s|[.:](?:\s|$)", text, maxsplit=1)[0].strip()
    return first if len(first) <= limit else first[:limit - 1].rsplit(" ", 1)[0] + "…"


def questions(release: nbformat.NotebookNode) -> dict[str, Question]:
    """Each graded cell's question as the notebook shows it to the student, by grade id."""
    section, section_title, letter, letter_title, found = "", "", "", "", {}
    for cell in release.cells:
        nbgrader = nbgrader_of(cell)
        if cell.get("cell_type") == "markdown" and not nbgrader.get("solution"):
            for line in _source(cell).splitlines():
                heading = SECTION_HEADING.match(line)
                if heading:
                    section, section_title = heading.group(1) or heading.group(2), short_title(heading.group(3))
                    letter = letter_title = ""
                for question in QUESTION_LETTER.finditer(line):
                    letter = f"({question.group(1)})" if question.group(1) else question.group(2)
                    letter_title = short_title(question.group(3))
        grade_id = nbgrader.get("grade_id")
        if grade_id and (nbgrader.get("grade") or nbgrader.get("solution")):
            found[grade_id] = Question(f"{section} {letter}" if letter else section,
                                       letter_title if letter else section_title)
    return found


def question_of(found: dict[str, Question], grade_id: str) -> Question:
    """The question of a graded cell: a test cell is labelled as its answer cell is ("x" as "x_answer")."""
    return found.get(f"{grade_id}_answer", found.get(grade_id, Question("", "")))


def build_program(submission: nbformat.NotebookNode, assignment: str, release: nbformat.NotebookNode) -> Program:
    program = Program(assignment)
    released = {nbgrader_of(cell)["grade_id"]: cell for cell in release.cells if nbgrader_of(cell).get("grade_id")}
    # the student's cells by grade_id (first one wins, as in nbgrader), and the added cells before each
    student_cells: dict[str, dict] = {}
    added_before: dict[str, list[tuple[int, str]]] = {}
    pending: list[tuple[int, str]] = []
    for number, cell in enumerate(submission.cells, start=1):
        grade_id = nbgrader_of(cell).get("grade_id")
        if grade_id in released and grade_id not in student_cells:
            student_cells[grade_id] = cell
            added_before[grade_id], pending = pending, []
        elif grade_id in released:
            first = _first_line(_source(cell))
            program.notices.append(f"A graded cell appears twice (the one that starts \"{first}\"); the first copy "
                                   "was graded.")
        elif cell.get("cell_type") == "code" and _source(cell).strip():
            pending.append((number, _source(cell)))

    for grade_id, released_cell in released.items():
        for number, source in added_before.get(grade_id, []):
            program.cells.append(Cell(source, ADDED, f"cell {number}"))
        _add_released_cell(program, grade_id, released_cell, student_cells.get(grade_id), released)
    found = program.questions = questions(release)
    for graded in [*program.items, *program.written]:
        question = question_of(found, graded.grade_id)
        graded.label, graded.title = question.label, question.title
    for number, source in pending:  # cells added after the last released one
        program.cells.append(Cell(source, ADDED, f"cell {number}"))
    return program


def release_program(assignment: str, release: nbformat.NotebookNode) -> Program:
    """The program of a notebook with nothing in it: the release's items and written answers, none attempted."""
    return build_program(nbformat.v4.new_notebook(), assignment, release)


def _add_released_cell(program: Program, grade_id: str, released_cell, student_cell, released: dict) -> None:
    nbgrader = nbgrader_of(released_cell)
    unchanged = student_cell is not None and _source(student_cell) == released_cell.source
    if nbgrader.get("solution"):
        if nbgrader.get("grade"):  # a written answer, graded by hand
            answered = student_cell is not None and not unchanged and _source(student_cell).strip() != ""
            program.written.append(Written(grade_id, float(nbgrader["points"]), answered))
        elif released_cell.cell_type == "code":
            source = _source(student_cell) if student_cell is not None else released_cell.source
            program.cells.append(Cell(source, ANSWER, grade_id))
        return
    locked = (f"a locked cell, the one that starts \"{_first_line(released_cell.source)}\"; the released version was "
              "graded instead.")
    if nbgrader.get("locked") and student_cell is not None and _changed(student_cell, released_cell):
        program.notices.append(f"You changed {locked}")
    elif nbgrader.get("locked") and student_cell is None:
        program.notices.append(f"You deleted {locked}")
    if released_cell.cell_type != "code" or EXPERIMENT_TAG in released_cell.metadata.get("tags", []):
        return
    if nbgrader.get("grade"):  # a test cell: its hidden part becomes the item's checks
        attempted = _attempted(program, grade_id, released)
        program.items.append(Item(grade_id, float(nbgrader["points"]), attempted, released_cell.source))
        return
    program.cells.append(Cell(released_cell.source, PROVIDED, grade_id))


def _changed(student_cell, released_cell) -> bool:
    """nbgrader's own test: the checksum of the submitted cell against the one recorded at release."""
    recorded = nbgrader_of(released_cell).get("checksum")
    if recorded is None:
        return _source(student_cell) != released_cell.source
    probe = nbformat.from_dict({**released_cell, "source": _source(student_cell)})
    return compute_checksum(probe) != recorded


def _attempted(program: Program, grade_id: str, released: dict) -> bool:
    """Whether the item's answer cell holds more than the release's stub."""
    answer_id = f"{grade_id}_answer"
    answer = next((cell for cell in program.cells if cell.name == answer_id), None)
    stub = released[answer_id].source.strip() if answer_id in released else ""
    return answer is not None and answer.source.strip() not in ("", stub)


def run_in_process(path: Path, assignment: str) -> tuple[dict, list[str]]:
    """Run a notebook as the grader runs it, but in this process and without a sandbox: for the instructor's
    own tools (``pytest autograder/checks``, the benchmarks), never for students' work. Returns the namespace
    and a line for each cell that raised (a broken cell costs what depends on it, as in the grader)."""
    import matplotlib.pyplot as plt

    from autograder import notebook_shell  # IPython, only where a notebook runs here

    program = build_program(read_submission(path), assignment, template(assignment))
    shell = notebook_shell.shell()
    errors = []
    backend = plt.get_backend()
    try:
        for cell in program.cells:
            result = shell.run_cell(cell.source, store_history=False, silent=True)
            error = result.error_before_exec or result.error_in_exec
            if error is not None:
                errors.append(f"{path.name}, {cell.name}: {type(error).__name__}: {error}")
    finally:
        plt.switch_backend(backend)  # `%matplotlib inline` is the notebook's setting, not this process's
    return shell.user_ns, errors
