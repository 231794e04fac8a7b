"""Grade notebooks with the hidden checks, in parallel sandboxed workers, and write the reports.

    python -m autograder.grade PATH [PATH ...] [--assignment ID] [--workers N] [--out DIR] [--shard K/N|auto]
                               [--no-calibration] [--only ITEM ...] [--student ID ...]

PATH is a notebook, a folder of notebooks, or an nbgrader ``submitted/`` tree
(``STUDENT/ASSIGNMENT/*.ipynb``), which may hold several assignments. Reports go to
``DIR/ASSIGNMENT/`` (default ``reports/``), one folder per assignment graded:
report.json, gradebook.csv, junit.xml, gradescope/STUDENT/results.json and
feedback/STUDENT.{md,html}. One line per graded submission goes to standard error.

With ``--shard K/N`` it grades only the K-th of N slices of the submissions (``autograder.shards``: ``auto``
reads K and N from the engine that runs the job) and writes their results, not reports, to DIR
(``autograder.shard_files``); ``python -m autograder.merge`` joins the N folders into the reports. Without
``--shard`` it grades everything, even inside an engine's parallel job (a matrix over assignments is one):
sharding is never implied, only warned about. Before a shard grades anyone it grades each planned assignment's
reference solution on its node (``autograder.calibration``) and stops, exit 1, unless each earns full marks;
``--no-calibration`` skips that, on record.

With ``--only ITEM`` or ``--student ID`` (each may be repeated) it grades only those items and/or students and
merges them into the reports already in DIR (``autograder.regrade``, which says what is kept and what refused).
"""

import argparse
import os
import queue
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from autograder import calibration, grader_identity, launchers, limits, prepare, sandbox, shard_files, shards
from autograder.checks import points_earned
from autograder.course import assignments, solution_notebook
from autograder.progress import Progress
from autograder.protocol import CellJob, Job
from autograder.results import ERROR, FAILED, NOT_ATTEMPTED, PARTIAL, PASSED, ItemResult, SubmissionResult, WrittenItem


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str
    path: Path
    shown_as: str  # the path as reports show it: relative to what was asked to grade


def discover(paths: list[Path], assignment: str | None = None) -> list[Submission]:
    """The notebooks to grade under ``paths``, with their student ids and assignments.

    A notebook given directly, or lying loose in a given folder, belongs to the
    student named by its file; in nbgrader's ``STUDENT/ASSIGNMENT/x.ipynb``
    layout, to STUDENT (a given folder that is one student's, holding
    ``ASSIGNMENT/x.ipynb``, names the student itself).
    """
    known = assignments()
    found: list[Submission] = []
    for path in map(Path, paths):
        if path.is_file():
            notebooks = [(path.stem, path)]
            base = path.parent
        elif path.is_dir():
            notebooks = [(_student_of(nb.relative_to(path).parts, path, known), nb)
                         for nb in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in nb.parts]
            if not notebooks:
                raise FileNotFoundError(f"{path}: no .ipynb files in this folder or below it")
            base = path
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
        for student, notebook in notebooks:
            named = _named_assignment(notebook, known)
            if assignment and named not in (None, assignment):
                continue  # another assignment's notebook in the same submitted/ tree
            guess = assignment or named or (known[0] if len(known) == 1 else None)
            if guess is None:
                raise ValueError(f"{notebook}: cannot tell its assignment; pass --assignment ({', '.join(known)})")
            found.append(Submission(student, guess, notebook, str(notebook.relative_to(base))))
    if not found:
        raise FileNotFoundError(f"no notebooks of assignment {assignment!r} under {', '.join(map(str, paths))}")
    return found


def _student_of(parts: tuple[str, ...], root: Path, known: list[str]) -> str:
    if len(parts) >= 3:
        return parts[0]
    if len(parts) == 2:
        return root.resolve().name if parts[0] in known else parts[0]
    return Path(parts[0]).stem


def _named_assignment(notebook: Path, known: list[str]) -> str | None:
    """The assignment a notebook's folder or file name names, if any."""
    return next((name for name in (notebook.parent.name, notebook.stem) if name in known), None)


def grade_paths(paths: list[Path], assignment: str | None = None, workers: int = 2,
                limits: sandbox.Limits | None = None, hide: list[Path] | None = None,
                launcher: launchers.Launcher | None = None) -> list[SubmissionResult]:
    """Grade every notebook under ``paths``; one result per notebook, in the order found.

    ``launcher`` is what each worker starts inside; by default the strongest the machine offers, and
    ``launchers.IsolationUnavailable`` where it offers none (pass ``launchers.NoIsolation()`` to opt out).
    """
    hide = [Path(p).resolve() for p in paths] + [Path(p).resolve() for p in hide or []]
    return grade_submissions(discover(paths, assignment), workers, limits, hide, launcher)


# what to do as each submission's grading ends: (how many have ended, how many there are, its result)
OnResult = Callable[[int, int, SubmissionResult], None]


def grade_submissions(submissions: list[Submission], workers: int = 2, limits: sandbox.Limits | None = None,
                      hide: list[Path] | None = None, launcher: launchers.Launcher | None = None,
                      on_result: OnResult | None = None, only: frozenset[str] | None = None) -> list[SubmissionResult]:
    """Grade ``submissions``; one result each, in their order. ``on_result`` is called for one at a time.
    ``only``: grade these items alone (``grade_notebook``)."""
    launcher = launcher or launchers.choose()
    releases = {name: prepare.template(name) for name in {s.assignment for s in submissions}}
    limits = limits or sandbox.Limits()
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(workers):
        slots.put(slot)
    ended = threading.Lock()  # callers write files and lines: one at a time, in the order results come
    done = 0

    def grade_one(submission: Submission) -> SubmissionResult:
        nonlocal done
        slot = slots.get()
        try:
            result = grade_notebook(submission, releases[submission.assignment], slot, limits, hide, launcher, only)
        finally:
            slots.put(slot)
        with ended:
            done += 1
            if on_result is not None:
                on_result(done, len(submissions), result)
        return result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(grade_one, submissions))


def grade_notebook(submission: Submission, release, slot: int = 0, limits: sandbox.Limits | None = None,
                   hide: list[Path] | None = None, launcher: launchers.Launcher | None = None,
                   only: frozenset[str] | None = None) -> SubmissionResult:
    """Grade one submission against its assignment's release notebook, in worker slot ``slot``.

    With ``only`` (grade ids) the result holds those items alone: every cell still runs, since an item's checks
    need the namespace the notebook builds, but only their checks do (a regrade, ``autograder.regrade``).
    """
    launcher = launcher or launchers.choose()
    start = time.monotonic()
    result = SubmissionResult(submission.student, submission.assignment, submission.shown_as)
    try:
        program = prepare.build_program(prepare.read_submission(submission.path), submission.assignment, release)
    except prepare.InvalidSubmission as invalid:
        result = ungraded(submission, release, str(invalid), only=only)
        result.seconds = time.monotonic() - start
        return result
    items = [item for item in program.items if only is None or item.grade_id in only]
    job = Job(submission.assignment, [CellJob(c.source, c.kind, c.name) for c in program.cells],
              [item.grade_id for item in items if item.attempted],
              {item.grade_id: item.visible_checks for item in items})
    outcome = sandbox.run(job, submission.path, slot, limits or sandbox.Limits(), hide or [], launcher)
    result.items = [_item_result(item, outcome) for item in items]
    result.written = [WrittenItem(w.grade_id, w.points, w.answered, w.label, w.title) for w in program.written]
    result.notices = program.notices + [
        f"Running {program.in_words(program.cells[index])} stopped the grading ({why}), so it was skipped."
        for index, why in outcome.skipped_cells
    ] + [f"{program.in_words(program.cells[index]).capitalize()} raised {error}"
         for index, error in outcome.cell_errors]
    if outcome.grader_notes:  # the grader's own failure: the student is told it is not theirs to fix
        result.notices.append("Your notebook could not be graded automatically; your instructor has been told.")
    result.grader_notes = outcome.grader_notes
    result.isolation = outcome.isolation.to_dict() if outcome.isolation is not None else None
    result.seconds = round(time.monotonic() - start, 2)
    return result


def ungraded(submission: Submission, release, message: str, grader_notes: list[str] | None = None,
             only: frozenset[str] | None = None) -> SubmissionResult:
    """The result of a submission none of whose code ran: every item (of ``only``, in a regrade) an error that
    says ``message`` (for the student, also a notice), every written answer unanswered, and ``grader_notes`` for
    the instructor where the grader itself is why."""
    program = prepare.release_program(submission.assignment, release)
    result = SubmissionResult(submission.student, submission.assignment, submission.shown_as)
    result.items = [ItemResult(item.grade_id, 0.0, item.points, ERROR, [message], item.label, item.title)
                    for item in program.items if only is None or item.grade_id in only]
    result.written = [WrittenItem(w.grade_id, w.points, False, w.label, w.title) for w in program.written]
    result.notices.append(message)
    result.grader_notes = list(grader_notes or [])
    return result


def _item_result(item: prepare.Item, outcome: sandbox.Outcome) -> ItemResult:
    if not item.attempted:
        return ItemResult(item.grade_id, 0.0, item.points, NOT_ATTEMPTED,
                          ["not attempted: the answer cell still holds the stub, raise NotImplementedError()."],
                          item.label, item.title)
    if outcome.tampered:
        return ItemResult(item.grade_id, 0.0, item.points, ERROR, [
            "Your code replaced part of a library the grader relies on (" + ", ".join(outcome.tampered[:5])
            + "), so it cannot be graded automatically; your instructor will look at it."], item.label, item.title)
    if item.grade_id in outcome.broken_items:
        return ItemResult(item.grade_id, 0.0, item.points, ERROR, [outcome.broken_items[item.grade_id]], item.label,
                          item.title)
    graded = outcome.items[item.grade_id]
    points = points_earned(graded.fraction, item.points)
    status = PASSED if graded.fraction >= 1 else PARTIAL if graded.fraction > 0 else FAILED
    if graded.not_attempted:
        status = NOT_ATTEMPTED
    return ItemResult(item.grade_id, points, item.points, status, graded.messages, item.label, item.title)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--assignment", choices=assignments())
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--isolation", choices=launchers.CHOICES, default="auto",
                        help="what each submission runs inside (default: the strongest this machine offers)")
    parser.add_argument("--no-isolation", action="store_true",
                        help="grade without a sandbox where none can be had; printed and recorded in every report")
    parser.add_argument("--limits", default="", metavar="NAME=VALUE,...",
                        help="change limits, e.g. cell=60,wall=300 (seconds) or memory=4294967296 (bytes)")
    parser.add_argument("--shard", metavar="K/N|auto",
                        help="grade the K-th of N slices and write results for python -m autograder.merge, not "
                             "reports; auto: K and N from the engine's variables (CI_NODE_INDEX/CI_NODE_TOTAL, "
                             "SLURM_ARRAY_TASK_*, JOB_COMPLETION_INDEX with REGLAB_SHARD_COUNT, "
                             "REGLAB_SHARD_INDEX/REGLAB_SHARD_COUNT)")
    parser.add_argument("--no-calibration", action="store_true",
                        help="with --shard: grade without first grading the reference solutions on this node; "
                             "recorded in shard.json and printed by the merge")
    parser.add_argument("--only", action="append", metavar="ITEM",
                        help="regrade: grade only this autograded item (repeat for more) and merge it into the "
                             "report already in --out; the other items keep their points and messages")
    parser.add_argument("--student", action="append", metavar="ID",
                        help="regrade: grade only this student (repeat for more) and merge into the report already "
                             "in --out; the other students are kept as they are")
    args = parser.parse_args(argv)
    if args.no_calibration and args.shard is None:
        parser.error("--no-calibration goes with --shard (only a shard calibrates its node)")
    regrading = args.only is not None or args.student is not None
    if regrading and args.shard is not None:
        parser.error("--only and --student merge into the reports in --out; a shard writes no reports (regrade "
                     "after the merge, into its --out)")
    try:
        shard = None if args.shard is None else (
            shards.from_environment(os.environ) if args.shard == "auto" else shards.parse(args.shard))
        launcher = launchers.choose(args.isolation, no_isolation=args.no_isolation)
        chosen_limits = limits.parse(args.limits)
    except shards.ShardError as refusal:  # never a fallback to everything: every shard would grade it all
        print(f"python -m autograder.grade: refusing to grade: {refusal}", file=sys.stderr)
        return 2
    except launchers.IsolationUnavailable as refusal:
        print(f"python -m autograder.grade: {refusal}", file=sys.stderr)
        return 2
    except ValueError as error:
        parser.error(str(error))
    try:
        submissions = discover(args.paths, args.assignment)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    hide = [Path(p).resolve() for p in args.paths] + [args.out.resolve()]
    if regrading:
        from autograder import regrade  # it grades with this module's functions

        return regrade.regrade(submissions, regrade.Selection.of(args.only, args.student), args.out, args.workers,
                               chosen_limits, hide, launcher)
    if shard is not None:
        return _grade_shard(shard, submissions, args.out, args.workers, chosen_limits, hide, launcher,
                            calibrate=not args.no_calibration)
    if warning := shards.unsharded_warning(os.environ):
        print(warning, file=sys.stderr)
    with Progress(len(submissions)) as progress:
        results = grade_submissions(submissions, args.workers, chosen_limits, hide, launcher, progress)
    return _write_reports(results, args.out)


def _write_reports(results: list[SubmissionResult], out: Path) -> int:
    from autograder import reports

    by_assignment: dict[str, list[SubmissionResult]] = {}
    for result in results:
        by_assignment.setdefault(result.assignment, []).append(result)
    for assignment, group in sorted(by_assignment.items()):
        reports.write_all(group, out / assignment)
        print(f"{assignment}\n{reports.instructor_tables(group)}\n")
    print(reports.isolation_summary(results))
    print(f"Reports: {reports.listing(f'{out}/ASSIGNMENT')}")
    return 0


def solution_grader(limits: sandbox.Limits, hide: list[Path],
                    launcher: launchers.Launcher) -> calibration.GradeSolution:
    """Grades an assignment's reference solution as a student's submission is graded: same launcher, same limits."""
    def grade_solution(assignment: str) -> SubmissionResult:
        notebook = solution_notebook(assignment)
        if not notebook.is_file():
            raise FileNotFoundError(f"{notebook} is missing (make solutions generates it)")
        submission = Submission("solution", assignment, notebook, f"solutions/{assignment}/{notebook.name}")
        return grade_notebook(submission, prepare.template(assignment), 0, limits, hide, launcher)
    return grade_solution


def _grade_shard(shard: shards.Shard, submissions: list[Submission], out: Path, workers: int,
                 chosen_limits: sandbox.Limits, hide: list[Path], launcher: launchers.Launcher,
                 calibrate: bool = True, grade_solution: calibration.GradeSolution | None = None) -> int:
    """Calibrate this node, then grade this shard's slice of ``submissions`` and write one result file each
    (``autograder.shard_files``). ``grade_solution`` stands in for real grading of the solutions in tests."""
    from autograder import reports

    plan = sorted((s.assignment, s.student, s.shown_as) for s in submissions)
    twice = sorted(key for key, times in Counter((a, s) for a, s, _ in plan).items() if times > 1)
    if twice:  # the reports hold one result per student and assignment: refuse before hours are spent
        print("python -m autograder.grade: more than one notebook of one student for one assignment: "
              + ", ".join(f"{a}/{s}" for a, s in twice), file=sys.stderr)
        return 2
    mine = sorted((s for s in submissions if shard.owns(s.assignment, s.student)),
                  key=lambda s: (s.assignment, s.student))
    record = shard_files.ShardRecord(shard, grader_identity.identity(launcher, chosen_limits), plan)
    try:
        shard_files.start(out, record)
    except FileExistsError as refusal:
        print(f"python -m autograder.grade: {refusal}", file=sys.stderr)
        return 2
    if calibrate:  # the whole plan's assignments: every shard's record then says the same things of its node
        print(f"Shard {shard}: calibrating: grading the reference solution of "
              f"{', '.join(sorted({a for a, _, _ in plan}))}", file=sys.stderr)
        measured = calibration.calibrate([a for a, _, _ in plan], chosen_limits,
                                         grade_solution or solution_grader(chosen_limits, hide, launcher))
    else:
        measured = calibration.Calibration(skipped=True)
    shard_files.calibrated(out, record, measured)
    if not calibrate:
        print(f"WARNING: shard {shard}: {measured.summary()}", file=sys.stderr)
    elif not measured.passed:
        print(f"python -m autograder.grade: shard {shard}: calibration failed: {measured.failure_message()}",
              file=sys.stderr)
        return 1
    else:
        print(f"Shard {shard}: {measured.summary()}", file=sys.stderr)
        for tight in (a for a in measured.assignments if a.share_of_wall_limit > calibration.TIGHT):
            print(f"WARNING: shard {shard}: the reference solution of {tight.assignment} needed "
                  f"{tight.share_of_wall_limit:.0%} of the wall limit: slower students may run out of time on this "
                  "node", file=sys.stderr)
    print(f"Shard {shard} ({shard.source}): grading {len(mine)} of {len(plan)} submissions", file=sys.stderr)

    with Progress(len(mine)) as progress:
        def keep(done: int, total: int, result: SubmissionResult) -> None:
            shard_files.write_result(out, record, result)
            progress(done, total, result)

        results = grade_submissions(mine, workers, chosen_limits, hide, launcher, keep)
    shard_files.finish(out, record)
    if results:
        print(reports.isolation_summary(results))
    print(f"Shard {shard}: {len(results)} results in {out / shard_files.RESULTS}; join the {shard.count} shards' "
          f"folders with: python -m autograder.merge DIR [DIR ...] --out REPORTS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
