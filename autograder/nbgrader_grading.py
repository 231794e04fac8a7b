"""Grade with nbgrader itself: autograde collected submissions, write feedback, read the scores back.

``python -m autograder.nbgrader_grading ASSIGNMENT [SUBMISSIONS]`` copies a
``submitted/``-shaped folder (``STUDENT/ASSIGNMENT/*.ipynb``) into the course,
runs ``nbgrader autograde`` and ``nbgrader generate_feedback``, and prints
each student's autograded points.
"""

import argparse
import logging
import shutil
import sys
import warnings
from pathlib import Path

import pandas as pd
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.coursedir import CourseDirectory

from autograder import course
from autograder.course import ROOT


def autograde(assignment: str, root: Path = ROOT, gradebook: Path | None = None,
              output_root: Path | None = None) -> pd.DataFrame:
    """Autograde every submission of ``assignment``, write its feedback, and return the score table."""
    course.run(Autograde, assignment, course.config(root, gradebook, output_root), student="*")
    course.run(GenerateFeedback, assignment, course.config(root, gradebook, output_root), student="*")
    return scores(assignment, course.config(root, gradebook, output_root))


def scores(assignment: str, course_config) -> pd.DataFrame:
    """One row per student: the points of every autograded item, their total, and what awaits hand grading."""
    rows = []
    with Gradebook(CourseDirectory(config=course_config).db_url) as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            row = {"student": submission.student_id}
            written = 0.0
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell_type == "code":
                        row[grade.name] = grade.score
                    else:
                        written += grade.max_score
            autograded = [value for key, value in row.items() if key != "student"]
            row["autograded"] = sum(autograded)
            row["of"] = sum(g.max_score for nb in submission.notebooks for g in nb.grades if g.cell_type == "code")
            row["written, graded by hand"] = f"{written:g} points"
            rows.append(row)
    return pd.DataFrame(rows).sort_values("student").set_index("student")


def collect(submissions: Path, assignment: str, root: Path = ROOT) -> list[str]:
    """Copy ``submissions/STUDENT/ASSIGNMENT/`` folders into the course's submitted/ folder."""
    students = []
    for folder in sorted(Path(submissions).glob(f"*/{assignment}")):
        student = folder.parent.name
        target = root / "submitted" / student / assignment
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(folder, target)
        students.append(student)
    return students


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.nbgrader_grading", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("submissions", nargs="?", type=Path, help="a folder shaped like submitted/ to collect first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    # nbgrader's gradebook trips SQLAlchemy 2's warnings about its own session use on every submission (the tests
    # filter them too, pyproject.toml); an instructor can do nothing about them, and they bury the warnings that
    # matter (a changed locked cell)
    warnings.filterwarnings("ignore", message=r".*not in session, add operation along", module=r"nbgrader\.")
    if args.submissions:
        students = collect(args.submissions, args.assignment)
        if not students:
            parser.error(f"no STUDENT/{args.assignment}/ folders in {args.submissions}")
        print(f"collected {len(students)} submissions: {', '.join(students)}")
    table = autograde(args.assignment)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.to_string())
    print(f"\nfeedback: {ROOT / 'feedback'}/STUDENT/{args.assignment}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
