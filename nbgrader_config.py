"""nbgrader settings for the reglab course (the repository root is the course root)."""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    GetGrades,
    IncludeHeaderFooter,
    LockCells,
)

from autograder.feedback import ShortenTestTracebacks

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

# Autograding runs the long experiment cells in the `tiny` profile
# (reglab.active_profile() sees NBGRADER_EXECUTION); give a slow machine room.
c.ExecutePreprocessor.timeout = 300

# Feedback shows each test cell's visible checks and the messages of the hidden
# ones, never the hidden region itself (nbgrader's default feedback shows it,
# and a traceback would quote its lines).
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, ShortenTestTracebacks, CSSHTMLHeaderPreprocessor]
