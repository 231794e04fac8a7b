"""Export the graded assignments as a Canvas or Moodle grade import file, with late penalties applied.

    python -m autograder.export canvas|moodle --reports reports/ [--assignment A ...] --roster roster.csv
        [--late-policy policy.toml --submitted submitted/] [--gradebook gradebook.db] --out FILE
        [--allow-unmatched] [--allow-ungraded-written]

Writes FILE (the CSV the LMS imports) and FILE.json (the record: ``autograder.exports.record``). The roster
(``autograder.roster``) maps the kit's student ids to the LMS's; the late policy (``autograder.late_policy``) is
applied to nbgrader's ``submitted/STUDENT/ASSIGNMENT/timestamp.txt``; the written answers' points come from
nbgrader's gradebook, where the formgrader keeps them.

It refuses (exit 1, listing every problem, and writing the record but no CSV) when a graded student is missing from
the roster (``--allow-unmatched`` leaves them out, on record), when a written answer is not graded yet
(``--allow-ungraded-written`` exports the points graded so far, with a note in each such row, on record), when a
roster row has no id the LMS can match, when a timestamp would be misread, or when the policy gives an exported
assignment no deadline. Roster students with no submission, and submissions with no timestamp (on time), are
listed and exported.
"""

import argparse
import sys
from pathlib import Path

from autograder import late_policy, roster
from autograder.exports import FORMATS, grades, record, write_csv
from autograder.exports.grades import Export, Grade


def problems(export: Export, lms: str, allow_unmatched: bool, allow_ungraded_written: bool) -> list[str]:
    """Why the export must not be written; empty when it may be."""
    found = [f"{student}: graded, but not in the roster (add them, or pass --allow-unmatched to leave them out)"
             for student in export.not_in_roster if not allow_unmatched]
    if not allow_ungraded_written:
        found += [f"{_which(grade)}: {len(grade.written_not_graded)} written answer(s) not graded yet (grade them in "
                  "the formgrader and pass --gradebook, or pass --allow-ungraded-written); their grade ids are in the "
                  "record" for grade in export.written_not_graded]
    found += FORMATS[lms].identity_problems([entry for entry, _ in export.rows])
    found += export.unreadable
    found += [f"{assignment}: the late policy gives no deadline (add it under [deadlines], or give `deadline`)"
              for assignment in export.missing_deadlines]
    return found


def listing(export: Export, allow_unmatched: bool) -> list[str]:
    """What a person must know even when the export goes ahead: nothing is left out without a word."""
    lines = []
    if export.not_in_roster:
        verdict = "left out (--allow-unmatched)" if allow_unmatched else "refused"
        lines.append(f"Graded but not in the roster, {verdict}: {', '.join(export.not_in_roster)}")
    if export.no_submission:
        lines.append(f"No submission (\"no grade\" cells): {_listed(export.no_submission)}")
    if export.missing_timestamps:
        lines.append(f"No timestamp.txt, counted as on time: {_listed(export.missing_timestamps)}")
    lines += [f"Late: {_which(grade)}: {grade.notes()[0]}" for grade in export.late]
    if export.written_not_graded:
        lines.append(f"Written answers not graded yet: {_listed(export.written_not_graded)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("lms", choices=sorted(FORMATS), help="the LMS whose import format to write")
    parser.add_argument("--reports", type=Path, default=Path("reports"),
                        help="the grader's --out: REPORTS/ASSIGNMENT/report.json (default: reports)")
    parser.add_argument("--assignment", nargs="+", metavar="A",
                        help="the assignments to export (default: every one with a report)")
    parser.add_argument("--roster", type=Path, required=True, help="CSV: student, name, email, canvas_id, ...")
    parser.add_argument("--late-policy", type=Path, help="TOML: deadline, timezone, grace, penalty per day, cap")
    parser.add_argument("--submitted", type=Path, help="nbgrader's submitted/ (STUDENT/ASSIGNMENT/timestamp.txt)")
    parser.add_argument("--gradebook", type=Path, help="nbgrader's gradebook.db, with the written answers' points")
    parser.add_argument("--out", type=Path, required=True, help="the CSV to write; its record goes to OUT.json")
    parser.add_argument("--allow-unmatched", action="store_true",
                        help="leave graded students missing from the roster out of the CSV (recorded)")
    parser.add_argument("--allow-ungraded-written", action="store_true",
                        help="export though written answers are not graded yet, with the points so far (recorded)")
    args = parser.parse_args(argv)
    if args.late_policy and not args.submitted:
        parser.error("--late-policy needs --submitted: the submission times are nbgrader's timestamp.txt files")
    assignments = args.assignment or grades.reported_assignments(args.reports)
    if not assignments:
        parser.error(f"no reports in {args.reports} (REPORTS/ASSIGNMENT/report.json): grade first (make example)")
    try:
        students = roster.read(args.roster)
        policy = late_policy.load(args.late_policy) if args.late_policy else None
        export = grades.assemble(args.reports, assignments, students, policy, args.submitted, args.gradebook)
    except (OSError, ValueError) as error:  # a missing file, an invalid roster or policy, a report of another kind
        print(f"python -m autograder.export: {error}", file=sys.stderr)
        return 2
    found = problems(export, args.lms, args.allow_unmatched, args.allow_ungraded_written)
    for line in listing(export, args.allow_unmatched):
        print(line)
    sources = {"reports": str(args.reports), "roster": str(args.roster), "late_policy": _text(args.late_policy),
               "submitted": _text(args.submitted), "gradebook": _text(args.gradebook)}
    opt_outs = {"allow_unmatched": args.allow_unmatched, "allow_ungraded_written": args.allow_ungraded_written}
    document = record.document(export, lms=args.lms, csv_path=args.out, sources=sources, policy=policy,
                               opt_outs=opt_outs, problems=found)
    record_path = record.write(record.path_for(args.out), document)
    if found:
        print(f"python -m autograder.export: refusing to export: {len(found)} problem(s):", file=sys.stderr)
        print("\n".join(f"  {problem}" for problem in found), file=sys.stderr)
        stale = " (the CSV there is from an earlier run)" if args.out.exists() else ""
        print(f"No CSV written to {args.out}{stale}; the problems are recorded in {record_path}.", file=sys.stderr)
        return 1
    lms = FORMATS[args.lms]
    path = write_csv(lms.table(export), args.out)
    if export.not_in_roster:
        print(f"WARNING: {len(export.not_in_roster)} graded student(s) left out (--allow-unmatched), on record")
    if export.written_not_graded:
        print(f"WARNING: {len(export.written_not_graded)} total(s) lack written answers not graded yet "
              "(--allow-ungraded-written), noted in their rows and on record")
    print(f"Wrote {path} ({len(export.rows)} students, {len(export.shapes)} assignment(s)) and {record_path}")
    print(lms.import_steps(export))
    return 0


def _which(grade: Grade) -> str:
    return f"{grade.student}/{grade.shape.assignment}"


def _listed(found: list[Grade]) -> str:
    return ", ".join(map(_which, found))


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


if __name__ == "__main__":
    sys.exit(main())
