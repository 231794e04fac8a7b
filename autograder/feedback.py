"""nbgrader preprocessors for the feedback that students see."""

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade


class ShortenTestTracebacks(NbGraderPreprocessor):
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
