"""The student's feedback, as a Markdown file and a self-contained HTML page, rendered from the Jinja2 templates
in ``templates/`` (as nbgrader renders its feedback).

Both pages say the same things in the same order; the context below holds the wording, the templates only the
markup. Every text from a result is escaped exactly once: by autoescaping in HTML (after ``printable``, the
environment's ``finalize``), and by the ``md`` filter, which the Markdown template applies to every text.
"""

import functools
import html
import re
from pathlib import Path

import jinja2

from autograder.reports.common import checked_student_id, inside, item_title, number, printable, score, write_text
from autograder.reports.registry import STUDENT, report_format
from autograder.results import SubmissionResult

# Markdown that a student's text could trigger inline: emphasis, code, links, strike-through, table cells.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]~|])")
# ...and at the start of a list item: headings, nested lists, thematic breaks ("- - -"), ordered lists ("1.").
_MARKDOWN_BLOCK_START = re.compile(r"^(\d*)([#+\-=]|(?<=\d)[.)])")


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown on one line: HTML escaped (Markdown passes tags through to the page),
    inline markup and block starts backslash-escaped, line breaks and runs of spaces folded into one space
    (indentation and trailing spaces mean code blocks and hard breaks)."""
    text = " ".join(printable(str(text)).split())
    text = _MARKDOWN_INLINE.sub(r"\\\1", html.escape(text, quote=False))
    return _MARKDOWN_BLOCK_START.sub(r"\1\\\2", text)


@functools.cache
def _environment(autoescape: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("autograder.reports", "templates"), autoescape=autoescape,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        finalize=(lambda value: printable(value) if isinstance(value, str) else value) if autoescape else None)
    environment.filters["md"] = markdown_text
    return environment


def _context(result: SubmissionResult) -> dict:
    return {
        "title": f"{result.assignment}: feedback for {result.student}",
        "notebook": result.notebook,
        "total": f"Autograded: {score(result.points, result.max_points)} points",
        "items": [{"title": item_title(item), "score": score(item.points, item.max_points), "status": item.status,
                   "messages": item.messages} for item in result.items],
        "written_heading": "Written answers — graded by hand",
        "written_note": f"Worth {number(result.written_points)} points, not included in the autograded total.",
        "written": [f"{item_title(item)} ({number(item.max_points)} point{'' if item.max_points == 1 else 's'}): "
                    f"{'answered' if item.answered else 'not answered'}" for item in result.written],
        "notices": result.notices,
    }


@report_format(f"feedback/{STUDENT}.md", "the student")
def write_feedback_markdown(result: SubmissionResult, path) -> Path:
    return write_text(path, _environment(False).get_template("feedback.md").render(_context(result)))


@report_format(f"feedback/{STUDENT}.html", "the student (self-contained: inline CSS, no scripts, no outside assets)")
def write_feedback_html(result: SubmissionResult, path) -> Path:
    return write_text(path, _environment(True).get_template("feedback.html").render(_context(result)))


def write_feedback(result: SubmissionResult, folder) -> list[Path]:
    """Both feedback pages of one student in ``folder``: ``<student>.md`` and ``<student>.html``."""
    folder = Path(folder)
    student = checked_student_id(result.student)
    return [write_feedback_markdown(result, inside(folder, f"{student}.md")),
            write_feedback_html(result, inside(folder, f"{student}.html"))]
