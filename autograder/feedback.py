"""nbgrader preprocessors for the feedback that students see (``nbgrader generate_feedback``).

They run after nbgrader's ``GetGrades`` (see ``nbgrader_config.py``); the page
itself is the kit's template, ``autograder/templates/feedback/reglab.html.j2``.
"""

from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import List


class FeedbackPreprocessor(NbGraderPreprocessor):
    """An nbgrader preprocessor that takes the HTML exporter's settings without a warning.

    The HTML exporter configures ``display_data_priority`` for every nbconvert
    class; nbgrader's base class re-declares that trait as not configurable, so
    traitlets warns "Config option `display_data_priority` not recognized" for
    each nbgrader preprocessor in the feedback pipeline. nbgrader's ``GetGrades``
    avoids it the same way: by declaring the trait configurable again.
    """

    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value).tag(config=True)


class ClearHiddenTestsFromFeedback(FeedbackPreprocessor, ClearHiddenTests):
    """nbgrader's ``ClearHiddenTests``: feedback shows a test cell's visible checks, never its hidden region."""


class ShortenTestTracebacks(FeedbackPreprocessor):
    """Reduce the traceback of a failed test cell to its last line ("AssertionError: message").

    An IPython traceback prints the lines around the failing one, and in a test
    cell those can be the hidden region that ClearHiddenTests removed from the
    cell's source. The message is what a student needs; the lines are not.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and is_grade(cell):
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


class DropPartialCreditResults(FeedbackPreprocessor):
    """Remove the result value ("Out[6]: 0.75") from under test cells.

    The hidden region ends with ``grade_cell(...)``, whose value nbgrader reads
    as the cell's partial credit, so the autograded notebook must keep it. In
    feedback it is an unexplained number: the cell's heading already shows the
    score.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            cell.outputs = [output for output in cell.outputs if output.output_type != "execute_result"]
        return cell, resources


class MarkAnswersToGradeByHand(FeedbackPreprocessor):
    """Mark the graded cells that nobody has scored yet, and total their points, for the template.

    Left alone, nbgrader's feedback shows a written answer awaiting hand
    grading as "Score: 0.0 / 1.0" and counts it as lost in the page's total.
    A grade with neither an automatic nor a manual score is pending; once an
    instructor grades it in the formgrader it has a manual score, and the
    regenerated feedback shows that. Runs after GetGrades, which sets the
    cells' scores and the page's totals.
    """

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        grader = resources["nbgrader"]
        with Gradebook(grader["db_url"]) as gradebook:
            pending = {grade.name: grade.max_score
                       for grade in gradebook.find_submission_notebook(
                           grader["notebook"], grader["assignment"], grader["student"]).grades
                       if grade.auto_score is None and grade.manual_score is None}
        for cell in nb.cells:
            if is_grade(cell) and cell.metadata.nbgrader["grade_id"] in pending:
                cell.metadata.nbgrader["to_grade_by_hand"] = True
        grader["points_to_grade_by_hand"] = sum(pending.values())
        return nb, resources


class NameQuestions(FeedbackPreprocessor):
    """Give each graded cell its question as the notebook asks it ("3.2 (a) Complete build_optimizer ..."), for
    the template to show instead of nbgrader's "Test cell" and the cell's grade id (an instructor's name)."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        from autograder.prepare import question_of, questions  # the kit's grader reads the headings the same way

        found = questions(nb)
        for cell in nb.cells:
            if is_grade(cell) and (question := question_of(found, cell.metadata.nbgrader["grade_id"])).label:
                cell.metadata.nbgrader["question"] = f"{question.label} {question.title}".strip()
        return nb, resources


class DescribePlots(FeedbackPreprocessor):
    """Give every plot in the feedback a text alternative, which nbconvert's template writes as the image's alt
    (without one, nbconvert warns for each page and a screen reader says nothing useful)."""

    def preprocess_cell(self, cell, resources, cell_index):
        question = cell.metadata.get("nbgrader", {}).get("question")
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                described = output.setdefault("metadata", {}).setdefault("image/png", {})
                described.setdefault("alt", f"A plot drawn by the cell{' of ' + question if question else ''}")
        return cell, resources
