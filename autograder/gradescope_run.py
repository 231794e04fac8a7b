"""What a Gradescope bundle's ``run_autograder`` runs: grade the notebook in ROOT/submission into
ROOT/results/results.json with the kit's grader and sandbox, and write that file whatever happens.

    python -m autograder.gradescope_run      # in a bundle (``autograder.gradescope_bundle``), from ROOT/source

ROOT is Gradescope's ``/autograder``, or ``$REGLAB_GRADESCOPE_ROOT`` where set (the tests lay out a folder like it).
The bundle's record (``reglab-gradescope.json`` beside ``autograder/``) names the assignment and the isolation
the bundle was built for: ``auto`` (or a launcher) by default, ``none`` only by the instructor's recorded opt-out.

Every outcome is a results.json that validates against Gradescope's format (``autograder.reports.gradescope``
decides what students see, and when):

- one notebook: graded as ``python -m autograder.grade`` grades it, with the same points;
- none, or several: every item says so, and what to submit; nothing runs;
- no sandbox in the container: the grader refuses, as it does everywhere. The student reads that the notebook
  could not be graded automatically and that the score is not a grade; the instructor, in an entry students
  never see, why and what to do. Never a silent zero;
- the grader itself fails: the same, with the error for the instructor.

Standard output, shown to instructors only, is the grader's log: the score table and what it ran inside.
"""

import json
import os
import sys
import time
import traceback
from pathlib import Path

from autograder import course, grade, launchers, prepare
from autograder.results import SubmissionResult

ROOT_VARIABLE = "REGLAB_GRADESCOPE_ROOT"
DEFAULT_ROOT = "/autograder"
RECORD = "reglab-gradescope.json"
NO_ISOLATION = "none"  # the record's isolation when the instructor opted out
STUDENT = "submission"  # Gradescope grades one submission per run; no report names its student
# Not what a student handed in: macOS's resource forks in zips, Jupyter's autosaved copies.
NOT_SUBMITTED = ("__MACOSX", ".ipynb_checkpoints")
NOT_GRADED = ("Your notebook could not be graded automatically, for a reason on the side of the grader, not yours; "
              "your instructor has been told. Any score shown for it is not your grade.")
NO_SANDBOX_WHAT_TO_DO = (
    "What to do: this container let no sandbox start (above), and the bundle was built to require one, so no "
    "submission is graded automatically. Either have Gradescope's containers allow user namespaces (bubblewrap "
    "needs them; ask Gradescope's support), or build the bundle again with the recorded opt-out, make gradescope "
    "GRADESCOPE_ISOLATION=none, after reading what that risks (README, Gradescope: the hidden checks then lie "
    "readable in /autograder/source), upload it and regrade all submissions. Until then grade the notebooks with "
    "python -m autograder.grade on a machine that has a sandbox.")


def gradescope_root() -> Path:
    return Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT)


def read_record(kit: Path = course.ROOT) -> dict:
    """The bundle's record, written by ``autograder.gradescope_bundle``."""
    return json.loads((kit / RECORD).read_text(encoding="utf-8"))


def submitted_notebooks(folder: Path) -> list[Path]:
    """The notebooks a student handed in: every ``.ipynb`` file under ``folder``, links not followed."""
    found = []
    for parent, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in NOT_SUBMITTED)
        found += [Path(parent, name) for name in sorted(files)
                  if name.endswith(".ipynb") and not name.startswith("._") and not Path(parent, name).is_symlink()]
    return found


def wrong_count_message(found: list[Path], folder: Path, assignment: str) -> str:
    if not found:
        return (f"No notebook was found in your submission. Submit your notebook file, {assignment}.ipynb (the .ipynb "
                "file itself, not a PDF, a web page or a link), and it is graded again.")
    names = ", ".join(path.relative_to(folder).as_posix() for path in found)
    return (f"Your submission holds {len(found)} notebooks ({names}), so the grader cannot tell which to grade. "
            f"Submit only one: your {assignment}.ipynb.")


def _whole_submission(root: Path, assignment: str) -> grade.Submission:
    """The submission folder itself, standing for a submission whose notebook could not be picked or graded."""
    return grade.Submission(STUDENT, assignment, root / "submission", "submission")


def grade_submission(root: Path, assignment: str, isolation: str) -> SubmissionResult:
    """The result of the one submission under ``root``: graded, or a result that says why it could not be."""
    release = prepare.template(assignment)
    folder = root / "submission"
    found = submitted_notebooks(folder)
    if len(found) != 1:
        return grade.ungraded(_whole_submission(root, assignment), release,
                              wrong_count_message(found, folder, assignment))
    submission = grade.Submission(STUDENT, assignment, found[0], found[0].relative_to(folder).as_posix())
    try:
        launcher = (launchers.choose(no_isolation=True) if isolation == NO_ISOLATION
                    else launchers.choose(isolation))
    except launchers.IsolationUnavailable as refusal:
        return grade.ungraded(submission, release, NOT_GRADED, [str(refusal), NO_SANDBOX_WHAT_TO_DO])
    # the submission and the results are no business of the submission's code: hidden where the launcher can
    [result] = grade.grade_submissions([submission], workers=1, hide=[folder, root / "results"], launcher=launcher)
    return result


def main() -> int:
    from autograder import reports

    started = time.monotonic()
    root = gradescope_root()
    record = read_record()
    assignment, isolation = record["assignment"], record["isolation"]
    print(f"reglab {record['kit_version']}: grading {assignment} from {root / 'submission'} with the kit in "
          f"{course.ROOT}; isolation: {isolation}" + (" (the instructor's recorded opt-out)"
                                                       if isolation == NO_ISOLATION else ""))
    try:
        result = grade_submission(root, assignment, isolation)
    except Exception:  # the grader's own failure: still a results.json, which says so
        print(traceback.format_exc())
        result = grade.ungraded(_whole_submission(root, assignment), prepare.template(assignment), NOT_GRADED,
                                [f"The grader failed: {traceback.format_exc(limit=-3)}"])
    result.seconds = round(time.monotonic() - started, 2)
    results = root / "results" / "results.json"
    partial = results.with_name(results.name + ".partial")  # whole or not at all: run_autograder checks for it
    reports.write_gradescope(result, partial)
    partial.replace(results)
    print(reports.score_table([result]))
    for note in result.grader_notes:
        print(f"Grader note: {note}")
    print(reports.isolation_summary([result]))
    print(f"Results: {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
