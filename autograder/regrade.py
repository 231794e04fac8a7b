"""Grade again only what changed, and merge it into the reports already written.

    python -m autograder.grade PATH [PATH ...] --only ITEM [--only ITEM ...] --student ID [--student ID ...] --out DIR

After a hidden check is fixed, the instructor grades again the items it checks (``--only``) and/or the students
concerned (``--student``); either alone means every one of the other. What was graded again replaces its part of
DIR/ASSIGNMENT/report.json and everything else is kept; then every report file is written again, from the merged
results, by the usual writers, so that they agree with each other as after any grading. The console shows the
tables of a grading and, last, what changed (``autograder.report_diff``).

Inside a submission, ``--only`` still runs every cell of the notebook, since an item's checks need the namespace
the cells build, but it runs the checks of the chosen items alone; the other items keep their points, status and
messages. The submission's notices and grader notes are the old ones followed by any new ones (a kept item's
zero may be explained by an old notice). Its written answers, notebook path and time are the new run's; its
isolation too, or the old one where no code ran (every chosen item still a stub). ``--student`` without
``--only`` grades those students in full and replaces their results; a student whom the report does not hold yet
(a late submission) is added so.

It refuses, with exit 2 and before grading anyone:
- when DIR holds no report of the assignment to merge into (grade everyone first);
- when an ``--only`` item is not an autograded item of the assignment, or a ``--student`` has no submission under
  the paths given (the message names those that exist);
- when ``--only`` meets several assignments (pass --assignment), or a student whom the report does not hold yet;
- when the report was graded under other settings than the regrade would be: another assignment, other items
  (the release changed since), another kind of sandbox or --no-isolation, other limits of memory, files or time.
  Its students would be graded by other rules than their classmates: grade everyone again, into a new folder.

report.json records each regrade in ``regrades`` (``json_report.Regrade``): when, whose submissions, which items,
and the sha256 of the hidden checks it graded with.
"""

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from autograder import grade, grader_identity, launchers, prepare, report_diff, reports
from autograder.course import ROOT
from autograder.limits import Limits
from autograder.progress import Progress
from autograder.reports.common import grade_ids
from autograder.results import SubmissionResult

# How each launcher's name begins its record in a report (``launchers.Isolation.launcher``).
RECORDED_AS = {"bubblewrap": "bubblewrap", "namespaces": "root namespaces", "none": "none"}
IN_WORDS = {"none": "no sandbox (--no-isolation)"}  # how a launcher is named in a refusal, where not by its name


class RegradeRefused(Exception):
    """A regrade that cannot be merged into the report; the message says why and what to do instead."""


@dataclass(frozen=True)
class Selection:
    """What to grade again."""

    items: frozenset[str] | None  # --only; None: every autograded item
    students: frozenset[str] | None  # --student; None: every student found under the paths

    @classmethod
    def of(cls, items: Iterable[str] | None, students: Iterable[str] | None) -> "Selection":
        return cls(None if items is None else frozenset(items), None if students is None else frozenset(students))


@dataclass
class Plan:
    """One assignment's regrade: the report it merges into and the submissions it grades again."""

    assignment: str
    folder: Path  # DIR/ASSIGNMENT, where report.json is read and every report written again
    report: reports.Report
    submissions: list[grade.Submission]


def plan(submissions: list[grade.Submission], selection: Selection, out: Path, launcher: launchers.Launcher,
         limits: Limits) -> list[Plan]:
    """What each assignment's regrade grades and merges into; raises RegradeRefused for what cannot be merged."""
    chosen = _of_students(submissions, selection.students)
    assignments = sorted({submission.assignment for submission in chosen})
    if selection.items is not None and len(assignments) > 1:
        raise RegradeRefused(f"--only names items of one assignment, and the submissions found are of "
                             f"{', '.join(assignments)}: pass --assignment")
    twice = sorted(f"{a}/{s}" for (a, s), times in Counter((c.assignment, c.student) for c in chosen).items()
                   if times > 1)
    if twice:
        raise RegradeRefused(f"more than one notebook of one student for one assignment: {', '.join(twice)}")
    plans = []
    for assignment in assignments:
        folder = out / assignment
        report = _existing_report(folder, assignment, several=len(assignments) > 1)
        _check_items(folder, assignment, report, selection.items)
        _check_settings(folder, report, launcher, limits)
        mine = [submission for submission in chosen if submission.assignment == assignment]
        held = {result.student for result in report.results}
        late = sorted(submission.student for submission in mine if submission.student not in held)
        if selection.items is not None and late:
            raise RegradeRefused(f"{folder / 'report.json'} holds no result of {', '.join(late)} yet, and --only "
                                 f"would grade a part of theirs: grade them in full with "
                                 f"{' '.join(f'--student {student}' for student in late)} and without --only")
        plans.append(Plan(assignment, folder, report, mine))
    return plans


def _of_students(submissions: list[grade.Submission], students: frozenset[str] | None) -> list[grade.Submission]:
    if students is None:
        return submissions
    found = sorted({submission.student for submission in submissions})
    unknown = sorted(students - set(found))
    if unknown:
        raise RegradeRefused(f"--student: no submission of {', '.join(unknown)} under the paths given; the "
                             f"students found are: {', '.join(found)}")
    return [submission for submission in submissions if submission.student in students]


def _existing_report(folder: Path, assignment: str, several: bool = False) -> reports.Report:
    path = folder / "report.json"
    if not path.is_file():
        raise RegradeRefused(f"no report to merge into: {path} does not exist. Grade everyone first (without "
                             "--only and --student) into this --out, then regrade into it"
                             + (", or pass --assignment to regrade one assignment alone" if several else ""))
    try:
        report = reports.read_json(path)
    except (OSError, ValueError) as error:
        raise RegradeRefused(f"cannot read the report to merge into: {error}") from None
    others = sorted({report.assignment, *(result.assignment for result in report.results)} - {assignment})
    if others:
        raise RegradeRefused(f"{path} is a report of {', '.join(others)}, not of {assignment}: regrade into the "
                             f"--out that {assignment} was graded into")
    return report


def _autograded_items(assignment: str) -> tuple[list[str], list[str]]:
    """The grade ids of the assignment's release as it is now: its autograded items, and its written answers."""
    program = prepare.release_program(assignment, prepare.template(assignment))
    return [item.grade_id for item in program.items], [written.grade_id for written in program.written]


def _check_items(folder: Path, assignment: str, report: reports.Report, items: frozenset[str] | None) -> None:
    autograded, written = _autograded_items(assignment)
    unknown = sorted((items or frozenset()) - set(autograded))
    if unknown:
        why = "; ".join(f"{grade_id} is a written answer, graded by hand" if grade_id in written
                        else f"{grade_id} is no item of {assignment}" for grade_id in unknown)
        raise RegradeRefused(f"--only: {why}. The autograded items of {assignment} are: {', '.join(autograded)}")
    recorded = grade_ids(report.results)
    if set(recorded) != set(autograded):
        only_report = sorted(set(recorded) - set(autograded)) or ["none"]
        only_release = sorted(set(autograded) - set(recorded)) or ["none"]
        raise RegradeRefused(f"{folder / 'report.json'} was graded with other items than {assignment}'s release has "
                             f"now (only in the report: {', '.join(only_report)}; only in the release: "
                             f"{', '.join(only_release)}): grade everyone again, into a new folder")


def _check_settings(folder: Path, report: reports.Report, launcher: launchers.Launcher, limits: Limits) -> None:
    """Refuse where the report's submissions ran inside another kind of sandbox, or under other limits, than this
    regrade's would: a submission records one isolation, and classmates are graded by one set of rules."""
    ran = [result.isolation for result in report.results if result.isolation]  # None: none of its code ran
    expected = limits.describe()  # memory, files, time; the process cap's record depends on the machine
    problems = [f"it was graded inside {recorded}, this regrade would run inside "
                f"{IN_WORDS.get(launcher.name, launcher.name)}"
                for recorded in sorted({isolation["launcher"] for isolation in ran})
                if not recorded.startswith(RECORDED_AS[launcher.name])]
    problems += [f"it was graded with the limits {'; '.join(recorded)}, this regrade would use {'; '.join(expected)}"
                 for recorded in sorted({tuple(isolation["limits"][:len(expected)]) for isolation in ran})
                 if list(recorded) != expected]
    if problems:
        raise RegradeRefused(f"{folder / 'report.json'} was graded under other settings: {'; and '.join(problems)}. "
                             "Regrade with its settings (--isolation, --no-isolation, --limits), or grade everyone "
                             "again, into a new folder")


def merged(old: list[SubmissionResult], new: list[SubmissionResult],
           items: frozenset[str] | None) -> list[SubmissionResult]:
    """``old`` with ``new`` merged in: whole where every item was graded again (``items`` None), else item by item
    into the student's old result."""
    by_student = {result.student: result for result in old}
    for result in new:
        kept = by_student.get(result.student)
        by_student[result.student] = result if items is None or kept is None else _merged_submission(kept, result)
    return sorted(by_student.values(), key=lambda result: result.student)


def _merged_submission(old: SubmissionResult, new: SubmissionResult) -> SubmissionResult:
    regraded = {item.grade_id: item for item in new.items}
    held = {item.grade_id for item in old.items}
    return SubmissionResult(
        new.student, new.assignment, new.notebook,
        [regraded.get(item.grade_id, item) for item in old.items] + [i for i in new.items if i.grade_id not in held],
        new.written, _both(old.notices, new.notices), _both(old.grader_notes, new.grader_notes), new.seconds,
        new.isolation or old.isolation)


def _both(old: list[str], new: list[str]) -> list[str]:
    return list(dict.fromkeys([*old, *new]))


def _what(record: reports.Regrade) -> str:
    items = "every item" if record.items is None else ", ".join(record.items)
    return f"{items} of {', '.join(record.students)}"


def regrade(submissions: list[grade.Submission], selection: Selection, out: Path, workers: int, limits: Limits,
            hide: list[Path], launcher: launchers.Launcher) -> int:
    """The command: plan, grade what was chosen, merge, write every report again, print what changed."""
    try:
        plans = plan(submissions, selection, out, launcher, limits)
    except RegradeRefused as refusal:
        print(f"python -m autograder.grade: refusing to regrade: {refusal}", file=sys.stderr)
        return 2
    chosen = [submission for each in plans for submission in each.submissions]
    with Progress(len(chosen)) as progress:
        results = grade.grade_submissions(chosen, workers, limits, hide, launcher, progress, selection.items)
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    checks = grader_identity.files_sha256(ROOT, ["autograder/checks"])
    for each in plans:
        new = [result for result in results if result.assignment == each.assignment]
        after = merged(each.report.results, new, selection.items)
        record = reports.Regrade(at, sorted(result.student for result in new),
                                 None if selection.items is None else sorted(selection.items), checks)
        reports.write_all(after, each.folder, regrades=[*each.report.regrades, record])
        print(f"{each.assignment}: regraded {_what(record)}; merged into {each.folder / 'report.json'}")
        print(f"{reports.instructor_tables(after)}\n")
        print(f"{report_diff.as_text(report_diff.diff(each.report.results, after))}\n")
    print(reports.isolation_summary(results))
    print(f"Reports: {reports.listing(f'{out}/ASSIGNMENT')}")
    return 0
