"""nbgrader settings for the reglab course (the repository root is the course root)."""

from pathlib import Path

import nbgrader
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearMarkScheme,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IncludeHeaderFooter,
    LockCells,
    OverwriteKernelspec,
)

from autograder.feedback import (
    ClearHiddenTestsFromFeedback,
    DescribePlots,
    DropPartialCreditResults,
    MarkAnswersToGradeByHand,
    NameQuestions,
    ShortenTestTracebacks,
)
from autograder.locked_cells import OverwriteCellsAsReleased

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
# nbgrader's default is the singular "solution"; the kit keeps its solutions in solutions/
c.CourseDirectory.solution_directory = "solutions"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# never copy downloaded data, checkpoints or caches from source/ into a release
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "data", ".pytest_cache"]

# Stubs in the students' words (the seed notebooks say TODO)
c.ClearSolutions.code_stub = {"python": "# TODO: your code here\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "TODO: Your answer here."

# Solutions are written without executing them: executed outputs would be
# volatile (timings, progress bars) and the tests execute the solutions anyway.
c.GenerateSolution.preprocessors = [IncludeHeaderFooter, LockCells, ClearOutput, ClearMarkScheme]

# nbgrader's own sanitizing steps, in its order, with locked cells compared against the release rather
# than the source: nbgrader's comparison flags every test cell with hidden tests (jupyter/nbgrader#1961)
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCellsAsReleased, CheckCellMetadata,
]

# Autograding runs the long experiment cells in the `tiny` profile
# (reglab.active_profile() sees NBGRADER_EXECUTION); give a slow machine room.
c.ExecutePreprocessor.timeout = 300
# Encrypt the traffic between nbgrader and the kernel it grades in (CurveZMQ), where the kernel says it can
# (ipykernel >= 7 does); plain TCP makes the kernel warn that anyone on the machine could listen.
c.KernelManager.transport_encryption = "auto"

# Feedback shows each test cell's visible checks and the messages of the hidden
# ones, never the hidden region itself (nbgrader's default feedback shows it,
# and a traceback would quote its lines), nor the partial-credit value under the
# cell; an answer awaiting hand grading says so instead of "Score: 0.0".
c.GenerateFeedback.preprocessors = [
    GetGrades, MarkAnswersToGradeByHand, NameQuestions, ClearHiddenTestsFromFeedback, ShortenTestTracebacks,
    DropPartialCreditResults, DescribePlots, CSSHTMLHeaderPreprocessor,
]
# The kit's page extends nbgrader's (autograder/templates/feedback/reglab.html.j2). nbgrader adds its own
# template folder only when none is configured, so both are named here, the kit's first.
c.HTMLExporter.extra_template_basedirs = [
    str(Path(__file__).resolve().parent / "autograder" / "templates"),
    str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
]
c.HTMLExporter.template_name = "feedback"
c.HTMLExporter.template_file = "reglab.html.j2"
