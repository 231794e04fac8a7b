"""nbgrader preprocessors for the feedback that students see (``nbgrader generate_feedback``)."""

from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from nbgrader.utils import is_grade
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

