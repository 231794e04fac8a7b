"""Report writers: the files that instructors, CI servers, Gradescope and students read after grading.

Every writer takes ``SubmissionResult`` objects (``autograder.results``) and nothing else, so a report can
never show more than grading put into the result. Output is deterministic (submissions sorted by student,
no timestamps, fixed line endings): grading the same submissions twice gives byte-identical files, which
keeps reports diffable and cacheable.

Each format lives in one module that registers its writer with ``@report_format(path, reader)``
(``registry.py``); ``write_all``, the grader's closing message and the README's table all come from
``FORMATS``. Importing this package imports every format module.

The item analysis (``item_analysis.py``: per item, how the class did and its most common failures) is the
instructor's: in report.json's summary and on the console after the scores, never in a student's file.
"""

from autograder.reports import feedback, gradebook, gradescope, json_report, junit  # noqa: F401 -- registers
from autograder.reports.common import GENERATED_BY, SCHEMAS
from autograder.reports.feedback import write_feedback
from autograder.reports.gradebook import instructor_tables, isolation_summary, score_table, write_csv
from autograder.reports.gradescope import write_gradescope
from autograder.reports.item_analysis import ItemAnalysis, analyse, analysis_table
from autograder.reports.json_report import Regrade, Report, read_json, write_json
from autograder.reports.junit import write_junit
from autograder.reports.registry import FORMATS, ReportFormat, listing, report_format, write_all

__all__ = ["FORMATS", "GENERATED_BY", "SCHEMAS", "ItemAnalysis", "Regrade", "Report", "ReportFormat", "analyse",
           "analysis_table", "instructor_tables", "isolation_summary", "listing", "read_json", "report_format",
           "score_table", "write_all", "write_csv", "write_feedback", "write_gradescope", "write_json",
           "write_junit"]
