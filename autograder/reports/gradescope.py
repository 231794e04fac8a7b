"""Gradescope's results.json, one per submission, and what a student sees of it, and when.

Gradescope shows each test entry by its "visibility" (its Autograder Specifications, "Controlling Test Case
Visibility"): ``visible`` at once, ``after_published`` once the instructor publishes the grades, ``hidden`` to
instructors only; while any entry that carries points is not yet visible, students do not see their total either.
Each autograded item gives two entries:

- **its visible checks** (``visible``, no points, so an informational pass/fail): whether the asserts of the
  test cell in the student's own notebook passed, and whatever kept the item from being graded (an answer not
  written, a time limit, a crash). None of it says more than running the notebook does, and a student who
  uploaded the wrong file, or a notebook that breaks on the grader, learns it at once and can submit again;
- **its points and all its messages** (``after_published``), the hidden checks' included: they test cases the
  student has not seen, and Gradescope takes any number of submissions, so partial points and their messages
  before the deadline would let a student tune an answer to the hidden checks one submission at a time.

A last entry, ``hidden``, tells instructors what the submission ran inside and, where the grader itself failed,
why and what to do; students never see it, nor standard output, which is the grader's log.
"""

from pathlib import Path

from autograder.reports.common import failed, isolation_line, item_title, number, write_json_document
from autograder.reports.registry import report_format
from autograder.results import ERROR, NOT_ATTEMPTED, PASSED, VISIBLE_CHECK_FAILED, ItemResult, SubmissionResult

VISIBLE, AFTER_PUBLISHED, INSTRUCTORS_ONLY = "visible", "after_published", "hidden"  # Gradescope's words
VISIBLE_CHECKS_PASSED = ("The visible checks of this question (those in your notebook) passed. Its points, and what "
                         "the hidden checks found, are shown when your instructor publishes the grades.")
INSTRUCTOR_ENTRY = "For instructors: how this submission was graded"
WHEN_SHOWN = ("below, each one's visible checks now; its points and the hidden checks' findings when your "
              "instructor publishes the grades.")
FAILED_GRADER = ("The grader itself failed on this submission: its score is not a grade, and the student was told that "
                 "the notebook could not be graded automatically.")


def _gradescope_output(result: SubmissionResult) -> str:
    graded = f"{len(result.items)} questions are graded automatically ({number(result.max_points)} points)"
    lines = [f"{graded}: {WHEN_SHOWN}"]
    if result.written:
        names = ", ".join(item_title(item) for item in result.written)
        lines.append(f"Written answers ({names}) are graded by hand: {number(result.written_points)} more points, "
                     "not included in this score.")
    if result.notices:
        lines += ["", "Notices:", *(f"- {notice}" for notice in result.notices)]
    return "\n".join(lines)


def says_what_the_notebook_says(item: ItemResult, message: str) -> bool:
    """Whether a student may read ``message`` before grades are published: a failed visible check, or why the item
    could not be graded (not attempted, stopped, broken), never a hidden check's finding."""
    return item.status in (NOT_ATTEMPTED, ERROR) or message.startswith(VISIBLE_CHECK_FAILED)


def _visible_checks_test(item: ItemResult) -> dict:
    shown = [message for message in item.messages if says_what_the_notebook_says(item, message)]
    return {
        "name": f"{item_title(item)}: visible checks",
        "status": "failed" if shown else "passed",
        "output": "\n".join(shown) or VISIBLE_CHECKS_PASSED,
        "visibility": VISIBLE,
        "extra_data": {"grade_id": item.grade_id},
    }


def _points_test(item: ItemResult) -> dict:
    return {
        "name": item_title(item),
        "score": item.points,
        "max_score": item.max_points,
        # Gradescope knows only passed/failed; reglab's finer status is kept in extra_data.
        "status": "passed" if item.status == PASSED and not failed(item) else "failed",
        "output": "\n".join(item.messages),
        "visibility": AFTER_PUBLISHED,
        "extra_data": {"grade_id": item.grade_id, "status": item.status},
    }


def _instructor_test(result: SubmissionResult) -> dict:
    lines = []
    if result.grader_notes:
        lines += [FAILED_GRADER, *result.grader_notes, ""]
    lines.append("Isolation: " + (isolation_line(result.isolation) if result.isolation is not None
                                  else "none needed (none of the submission's code ran)"))
    return {
        "name": INSTRUCTOR_ENTRY,
        "status": "failed" if result.grader_notes else "passed",
        "output": "\n".join(lines),
        "visibility": INSTRUCTORS_ONLY,
        "extra_data": {"grader_notes": result.grader_notes, "isolation": result.isolation},
    }


@report_format("gradescope/{student}/results.json", "Gradescope's autograder harness")
def write_gradescope(result: SubmissionResult, path) -> Path:
    """Gradescope's ``/autograder/results/results.json`` for one submission (its "Autograder Specifications").

    "score" is the autograded total and overrides the sum of the tests. Written answers are not tests:
    a test without a score counts as an informational pass/fail check, which a hand-graded answer is not,
    so they are named in "output" and graded in Gradescope's own manual-grading questions. All text is
    sent as "text" (Gradescope's default "simple_format" renders HTML, and messages can hold a student's).
    Validated by ``schemas/gradescope-results.schema.json``.
    """
    tests = [test for item in result.items for test in (_visible_checks_test(item), _points_test(item))]
    document = {
        "score": result.points,
        "execution_time": round(result.seconds, 3),
        "output": _gradescope_output(result),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": VISIBLE,  # each test sets its own
        "stdout_visibility": INSTRUCTORS_ONLY,  # stdout is the grader's log, for instructors only
        "tests": [*tests, _instructor_test(result)],
    }
    return write_json_document(document, path)
