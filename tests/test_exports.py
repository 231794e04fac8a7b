"""Do the LMS exports write the files Canvas and Moodle import, with the roster's ids, the late policy's penalties
and the written answers' points from nbgrader's gradebook, and refuse or list every student they cannot place
(issue 16, items 1 and 5)?

The grades come from reports written here by the kit's own report writer, so no test grades a notebook; the
gradebook is a real nbgrader one, made by releasing an assignment as the kit does.
"""

import csv
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from nbgrader.api import Gradebook
from nbgrader.exchange.abc.exchange import Exchange
from nbgrader.utils import parse_utc

from autograder import build, export, late_policy, roster, submission_times
from autograder.exports import canvas, moodle
from autograder.reports.json_report import write_json
from autograder.results import PASSED, ItemResult, SubmissionResult, WrittenItem
from tests import json_schemas
from tests.conftest import ASSIGNMENTS, ROOT

ASSIGNMENT = "regularization"  # any assignment: the export treats each one alike
ROSTER_HEADER = "student,name,email,canvas_id,sis_user_id,sis_login_id,section,moodle_idnumber,moodle_username"
ROSTER = {  # ada and ben hand in, dan does not
    "ada": "ada,Ada Lovelace,ada@example.edu,1001,S1,alovelace,Lab A,ID1,alovelace",
    "ben": "ben,Ben Okafor,ben@example.edu,1002,S2,bokafor,Lab A,ID2,bokafor",
    "dan": "dan,Dan Novak,dan@example.edu,1004,S4,dnovak,Lab B,ID4,dnovak",
}
# Deadline 18:00 in Berlin on 20 November 2026 (CET, UTC+1): 17:00 UTC
POLICY = """
deadline = 2026-11-20T18:00:00
timezone = "Europe/Berlin"
grace_minutes = 15
penalty_unit = "fraction"
penalty_per_day = 0.10
cap = 0.30
"""
DEADLINE_UTC = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def result(student: str, q1: float = 2.0, q2: float = 1.5, assignment: str = ASSIGNMENT,
           written: list[WrittenItem] | None = None) -> SubmissionResult:
    """A graded submission worth 15 points: q1 (2) and q2 (3) autograded, w1 and w2 (5 each) written, by default
    both left as the release's stub (so worth 0 with nothing to grade by hand)."""
    if written is None:
        written = [WrittenItem("w1", 5.0, False), WrittenItem("w2", 5.0, False)]
    items = [ItemResult("q1", q1, 2.0, PASSED), ItemResult("q2", q2, 3.0, PASSED)]
    return SubmissionResult(student, assignment, f"{student}/{assignment}/{assignment}.ipynb", items, written)


class Course:
    """A course folder with reports, a roster, a policy and nbgrader's submitted/ timestamps, and the export run."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.reports = folder / "reports"
        self.submitted = folder / "submitted"
        self.roster = folder / "roster.csv"
        self.policy = folder / "late-policy.toml"

    def graded(self, *results: SubmissionResult) -> "Course":
        for assignment in {r.assignment for r in results}:
            write_json([r for r in results if r.assignment == assignment], self.reports / assignment / "report.json")
        return self

    def listing(self, *rows: str, header: str = ROSTER_HEADER) -> "Course":
        self.roster.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        return self

    def timestamp(self, student: str, text: str, assignment: str = ASSIGNMENT) -> "Course":
        path = self.submitted / student / assignment / "timestamp.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")  # as nbgrader writes it: no line end
        return self

    def export(self, lms: str, *options: str, policy: str | None = POLICY) -> "Exported":
        out = self.folder / "out" / f"{lms}.csv"
        arguments = [lms, "--reports", str(self.reports), "--roster", str(self.roster), "--out", str(out), *options]
        if policy is not None:
            self.policy.write_text(policy, encoding="utf-8")
            arguments += ["--late-policy", str(self.policy), "--submitted", str(self.submitted)]
        return Exported(export.main(arguments), out)


class Exported:
    def __init__(self, code: int, out: Path):
        self.code, self.out = code, out

    @property
    def rows(self) -> list[list[str]]:
        with self.out.open(newline="", encoding="utf-8") as file:
            return list(csv.reader(file))

    def row(self, first_cell: str) -> dict[str, str]:
        header, *rows = self.rows
        [found] = [row for row in rows if row[0] == first_cell]
        return dict(zip(header, found, strict=True))

    @property
    def record(self) -> dict:
        return json.loads(Path(f"{self.out}.json").read_text(encoding="utf-8"))

    def grade(self, student: str, assignment: str = ASSIGNMENT) -> dict:
        [found] = [g for g in self.record["grades"] if (g["student"], g["assignment"]) == (student, assignment)]
        return found


@pytest.fixture
def course(tmp_path) -> Course:
    """ada and ben graded, both on time; dan on the roster with no submission; no written answer to grade."""
    return (Course(tmp_path).graded(result("ada"), result("ben", q1=0.0, q2=0.0))
            .listing(*ROSTER.values())
            .timestamp("ada", "2026-11-20 16:41:09.184302 UTC").timestamp("ben", "2026-11-20 12:00:00.000000 UTC"))


DETAILS = [f"{ASSIGNMENT}: autograded", f"{ASSIGNMENT}: written", f"{ASSIGNMENT}: days late",
           f"{ASSIGNMENT}: late penalty", f"{ASSIGNMENT}: q1", f"{ASSIGNMENT}: q2"]


def test_canvas_file_has_canvas_own_header_and_points_possible_row(course):
    """Are the header and the second row exactly what Canvas's importer reads: Student, ID, SIS User ID, SIS Login
    ID, Section, the assignment, and a "Points Possible" row that marks every column but the total read only?"""
    rows = course.export("canvas").rows
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT, *DETAILS,
                       f"{ASSIGNMENT}: notes"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "15", *["(read only)"] * (len(DETAILS) + 1)]


def test_moodle_file_has_user_fields_then_grade_and_feedback_columns(course):
    """Is the header Moodle's user fields as its export names them, then per assignment the grade, its feedback
    column as Moodle's export names it, and the details, with no second row?"""
    rows = course.export("moodle").rows
    assert rows[0] == ["Full name", "Email address", "ID number", "Username", ASSIGNMENT, f"{ASSIGNMENT} (Feedback)",
                       *DETAILS]
    assert [row[0] for row in rows[1:]] == ["Ada Lovelace", "Ben Okafor", "Dan Novak"]


def test_the_roster_maps_each_student_to_the_lms_ids(course):
    """Does each row carry the roster's ids for that student, in the roster's order, with that student's grade?"""
    canvas_file, moodle_file = course.export("canvas"), course.export("moodle")
    assert [row[:5] for row in canvas_file.rows[2:]] == [
        ["Ada Lovelace", "1001", "S1", "alovelace", "Lab A"], ["Ben Okafor", "1002", "S2", "bokafor", "Lab A"],
        ["Dan Novak", "1004", "S4", "dnovak", "Lab B"]]
    assert canvas_file.row("Ada Lovelace")[ASSIGNMENT] == "3.5" and canvas_file.row("Ben Okafor")[ASSIGNMENT] == "0"
    ben = moodle_file.row("Ben Okafor")
    assert [ben[column] for column in ("Email address", "ID number", "Username", ASSIGNMENT)] == [
        "ben@example.edu", "ID2", "bokafor", "0"]


def test_a_roster_student_without_a_submission_gets_no_grade_cells_and_is_listed(course, capsys):
    """Does dan, on the roster with nothing handed in, get each LMS's own "no grade" (Canvas: empty, Moodle: "-"),
    never 0, and is he printed and recorded?"""
    canvas_file = course.export("canvas")
    printed = capsys.readouterr().out
    moodle_file = course.export("moodle")
    assert {canvas_file.row("Dan Novak")[column] for column in [ASSIGNMENT, *DETAILS]} == {""}
    assert {moodle_file.row("Dan Novak")[column] for column in [ASSIGNMENT, *DETAILS]} == {"-"}
    assert canvas_file.row("Dan Novak")[f"{ASSIGNMENT}: notes"] == "no submission"
    assert f"No submission (\"no grade\" cells): dan/{ASSIGNMENT}" in printed
    assert canvas_file.record["no_submission"] == [{"student": "dan", "assignment": ASSIGNMENT}]


def test_a_graded_student_missing_from_the_roster_is_refused(course, capsys):
    """Is the export refused (exit 1, nothing to upload) when eve was graded but is not on the roster, with her
    name printed and recorded?"""
    course.graded(result("ada"), result("ben"), result("eve")).listing(ROSTER["ada"], ROSTER["ben"])
    exported = course.export("canvas")
    assert exported.code == 1
    assert "eve: graded, but not in the roster" in capsys.readouterr().err
    assert not exported.out.exists()
    assert exported.record["exported"] is False and exported.record["not_in_roster"] == ["eve"]
    assert any(problem.startswith("eve: ") for problem in exported.record["problems"])


def test_allow_unmatched_leaves_them_out_and_records_it(course, capsys):
    """With --allow-unmatched, is eve left out of the file, and is that printed and recorded as an opt-out?"""
    course.graded(result("ada"), result("eve")).listing(ROSTER["ada"])
    exported = course.export("moodle", "--allow-unmatched")
    assert exported.code == 0
    assert [row[0] for row in exported.rows[1:]] == ["Ada Lovelace"]
    assert "Graded but not in the roster, left out (--allow-unmatched): eve" in capsys.readouterr().out
    assert exported.record["opt_outs"] == {"allow_unmatched": True, "allow_ungraded_written": False}
    assert exported.record["not_in_roster"] == ["eve"] and exported.record["exported"] is True


@pytest.mark.parametrize(("roster_text", "complaint"), [
    (f"{ROSTER_HEADER},canvas_ids\n{ROSTER['ada']},1", "unknown column(s) 'canvas_ids'"),
    ("name,email\nAda,ada@example.edu", "no 'student' column"),
    (f"{ROSTER_HEADER}\n{ROSTER['ada']}\n{ROSTER['ada']}", "student 'ada' is listed 2 times"),
    (f"{ROSTER_HEADER}\n,Nobody,,,,,,,", "line 2: no student id"),
])
def test_an_invalid_roster_is_refused_saying_why(tmp_path, roster_text, complaint):
    """Is a roster with a misspelt column, no student column, a student twice or a row without an id refused?"""
    path = tmp_path / "roster.csv"
    path.write_text(roster_text + "\n", encoding="utf-8")
    with pytest.raises(roster.InvalidRoster, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        roster.read(path)


def test_roster_rows_the_lms_cannot_match_are_refused(course, capsys):
    """Is a Canvas row with no Canvas or SIS id refused (Canvas would match by name alone), and a Moodle export
    whose roster fills no user field for everyone (Moodle stops the whole import at an unknown user)?"""
    course.listing("ada,Ada Lovelace,ada@example.edu,,,,Lab A,,", "ben,Ben Okafor,,1002,S2,bokafor,Lab A,ID2,")
    assert course.export("canvas").code == 1
    assert "ada: no canvas_id, sis_user_id or sis_login_id" in capsys.readouterr().err
    assert course.export("moodle").code == 1
    assert "Email address lacks ben" in capsys.readouterr().err
    course.listing("ada,Ada Lovelace,ada@example.edu,1001,,,,ID1,", "ben,Ben Okafor,,1002,,,,ID2,")
    assert course.export("moodle").code == 0  # the ID number column is complete: map it to useridnumber


def test_a_name_that_reads_as_a_formula_is_written_as_text(course):
    """Does a spreadsheet opening the file see "=1+1" as a name, not a formula (CSV injection)?"""
    course.listing("ada,=1+1,ada@example.edu,1001,S1,alovelace,Lab A,ID1,alovelace", ROSTER["ben"])
    assert course.export("canvas").rows[2][:2] == ["'=1+1", "1001"]


# The late policy: deadline 17:00 UTC, 15 minutes' grace, 10 % of 20 points (2) a started day, at most 30 % (6)
@pytest.mark.parametrize(("late_by", "days", "penalty"), [
    (timedelta(0), 0, 0.0),  # on time, to the second
    (timedelta(minutes=-30), 0, 0.0),  # early
    (timedelta(minutes=15), 0, 0.0),  # the last second of the grace period
    (timedelta(minutes=15, seconds=1), 1, 2.0),  # just past the grace period: the first day, counted from the deadline
    (timedelta(hours=23, minutes=59), 1, 2.0),
    (timedelta(days=1), 1, 2.0),  # 24 hours is still the first day
    (timedelta(days=1, seconds=1), 2, 4.0),  # a second into the second day
    (timedelta(days=2, hours=1), 3, 6.0),  # at the cap
    (timedelta(days=9), 9, 6.0),  # past the cap: the cap
])
def test_the_penalty_per_started_day_after_the_grace_period_up_to_the_cap(late_by, days, penalty):
    policy = late_policy.from_document(_policy_document())
    lateness = late_policy.assess(policy, ASSIGNMENT, DEADLINE_UTC + late_by, points_possible=20.0)
    assert (lateness.days_late, lateness.penalty) == (days, penalty)


def test_a_penalty_in_points_is_not_scaled_by_the_points_possible():
    """With penalty_unit = "points", is each day's penalty those points, and the cap too (not fractions of 20)?"""
    policy = late_policy.from_document(_policy_document(penalty_unit="points", penalty_per_day=1.5, cap=4.0))
    assert late_policy.assess(policy, ASSIGNMENT, DEADLINE_UTC + timedelta(days=2), 20.0).penalty == 3.0
    assert late_policy.assess(policy, ASSIGNMENT, DEADLINE_UTC + timedelta(days=5), 20.0).penalty == 4.0


def test_a_missing_timestamp_is_on_time_and_listed(course, capsys):
    """Is a submission without timestamp.txt exported on time, printed, noted in its row and recorded?"""
    (course.submitted / "ben" / ASSIGNMENT / "timestamp.txt").unlink()
    exported = course.export("canvas")
    assert exported.code == 0
    assert f"No timestamp.txt, counted as on time: ben/{ASSIGNMENT}" in capsys.readouterr().out
    assert exported.row("Ben Okafor")[f"{ASSIGNMENT}: days late"] == "0"
    assert "no submission time" in exported.row("Ben Okafor")[f"{ASSIGNMENT}: notes"]
    assert [(m["student"], m["assignment"]) for m in exported.record["missing_timestamps"]] == [("ben", ASSIGNMENT)]
    assert exported.grade("ben")["days_late"] == 0 and exported.grade("ben")["timestamp"] is None


@pytest.mark.parametrize(("deadline", "timezone", "submitted", "days"), [
    # 18:00 in Berlin in November is 17:00 UTC: 17:30 UTC is late, though 17:30 < 18:00 read as UTC
    ("2026-11-20T18:00:00", "Europe/Berlin", datetime(2026, 11, 20, 17, 30, tzinfo=UTC), 1),
    ("2026-11-20T18:00:00", "Europe/Berlin", datetime(2026, 11, 20, 16, 50, tzinfo=UTC), 0),
    # in July Berlin keeps summer time (UTC+2): 18:00 is 16:00 UTC
    ("2026-07-10T18:00:00", "Europe/Berlin", datetime(2026, 7, 10, 16, 30, tzinfo=UTC), 1),
    # a deadline with its own offset needs no timezone
    ("2026-11-20T18:00:00-05:00", None, datetime(2026, 11, 20, 22, 59, tzinfo=UTC), 0),
    ("2026-11-20T18:00:00-05:00", None, datetime(2026, 11, 20, 23, 30, tzinfo=UTC), 1),
])
def test_the_deadline_is_read_in_its_time_zone(deadline, timezone, submitted, days):
    document = _policy_document(deadline=deadline, timezone=timezone)
    lateness = late_policy.assess(late_policy.from_document(document), ASSIGNMENT, submitted, 20.0)
    assert lateness.days_late == days


def test_the_late_penalty_reaches_the_lms_file_and_the_record(course, capsys):
    """Does a submission 16 h late lose 10 % of its 15 points possible (1.5) in both files' totals, with the days
    late, penalty, submission time and totals before and after recorded, and one within the grace period none?"""
    course.timestamp("ada", "2026-11-21 09:42:07.512380 UTC").timestamp("ben", "2026-11-20 17:08:55.730114 UTC")
    canvas_file, moodle_file = course.export("canvas"), course.export("moodle")
    assert f"Late: ada/{ASSIGNMENT}: 1 day late (submitted 2026-11-21 10:42 CET, due 2026-11-20 18:00 CET)" \
           in capsys.readouterr().out
    for exported in (canvas_file, moodle_file):
        assert exported.row("Ada Lovelace")[ASSIGNMENT] == "2"  # 3.5 less 1.5
        assert exported.row("Ada Lovelace")[f"{ASSIGNMENT}: days late"] == "1"
        assert exported.row("Ada Lovelace")[f"{ASSIGNMENT}: late penalty"] == "1.5"
    assert "1 day late" in moodle_file.row("Ada Lovelace")[f"{ASSIGNMENT} (Feedback)"]
    assert canvas_file.grade("ada") | {"notes": []} == {
        "student": "ada", "assignment": ASSIGNMENT, "timestamp": "2026-11-21 09:42:07.512380 UTC",
        "submitted_at": "2026-11-21T09:42:07.512380+00:00", "deadline": "2026-11-20T18:00:00+01:00", "days_late": 1,
        "penalty": 1.5, "autograded": 3.5, "written": 0.0, "written_not_graded": [], "total_before_penalty": 3.5,
        "total": 2.0, "notes": []}
    assert canvas_file.grade("ben")["days_late"] == 0 and canvas_file.grade("ben")["penalty"] == 0
    assert "within the grace period" in canvas_file.row("Ben Okafor")[f"{ASSIGNMENT}: notes"]


def test_a_penalty_never_takes_a_total_below_zero(course):
    course.timestamp("ben", "2026-11-23 09:00:00.000000 UTC")  # 3 days late: 30 % of 15 from ben's 0
    ben = course.export("canvas").grade("ben")
    assert (ben["total_before_penalty"], ben["penalty"], ben["total"]) == (0.0, 4.5, 0.0)


@pytest.mark.parametrize(("text", "complaint"), [
    ("2026-07-10 18:03:12.123456 CEST", "does not know the time zone 'CEST'"),  # what %Z writes for Berlin in July
    ("2026-11-20 18:03:12.123456 +0100", "as +0100 seconds"),
    ("2026-11-20 17:03:12.123456", "has no time zone"),
    ("yesterday evening", "not a time"),
])
def test_a_timestamp_nbgrader_would_misread_is_refused(text, complaint):
    """Is a timestamp that nbgrader's parse_utc reads wrongly without a word (an unknown zone or an offset read as
    UTC or as seconds) refused, naming the problem?"""
    with pytest.raises(submission_times.UnreadableTimestamp, match=complaint.replace("+", r"\+")):
        submission_times.parse(text)


@pytest.mark.parametrize(("zone", "moment"), [
    ("UTC", datetime(2026, 11, 20, 17, 3, 12, 123456, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 11, 20, 17, 3, 12, 123456, tzinfo=UTC)),  # written "... CET"
    ("America/New_York", datetime(2026, 11, 20, 17, 3, 12, 123456, tzinfo=UTC)),  # written "... EST"
])
def test_a_timestamp_as_nbgrader_writes_it_is_read_as_nbgrader_reads_it(zone, moment):
    """Is the time nbgrader's exchange writes (its default timestamp_format, in the exchange's time zone) read
    back as the same instant, and as nbgrader's own parse_utc reads it?"""
    text = moment.astimezone(ZoneInfo(zone)).strftime(Exchange.timestamp_format.default_value)
    assert submission_times.parse(text) == moment
    assert submission_times.parse(text) == parse_utc(text).replace(tzinfo=UTC)


def test_an_empty_timestamp_file_is_no_timestamp(tmp_path):
    """Is an empty timestamp.txt treated as nbgrader treats it: as no timestamp (so on time, and listed)?"""
    (tmp_path / "ada" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "ada" / ASSIGNMENT / "timestamp.txt").write_text("\n")
    assert submission_times.read(tmp_path, "ada", ASSIGNMENT).submitted_at is None


def test_an_unreadable_timestamp_refuses_the_export(course, capsys):
    course.timestamp("ada", "2026-11-20 18:03:12.123456 CEST")
    assert course.export("canvas").code == 1
    assert "does not know the time zone 'CEST'" in capsys.readouterr().err


@pytest.mark.parametrize(("changes", "complaint"), [
    ({"grace": 15}, "unknown key(s) grace"),
    ({"timezone": None}, "has no offset: give `timezone`"),
    ({"timezone": "Berlin"}, "not an IANA time zone name"),
    ({"penalty_per_day": 10}, "fractions of the points possible"),
    ({"penalty_unit": "percent"}, "penalty_unit 'percent': it is one of fraction, points"),
    ({"cap": None}, "no cap"),
    ({"deadline": None}, "no deadline"),
])
def test_an_invalid_policy_is_refused_saying_why(changes, complaint):
    with pytest.raises(late_policy.InvalidPolicy, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        late_policy.from_document(_policy_document(**changes))


def test_an_exported_assignment_without_a_deadline_is_refused(course, capsys):
    """Is an assignment the policy gives no deadline refused, rather than exported as on time?"""
    policy = 'timezone = "Europe/Berlin"\npenalty_per_day = 0.1\ncap = 0.3\n[deadlines]\nother = 2026-11-20T18:00:00\n'
    assert course.export("canvas", policy=policy).code == 1
    assert f"{ASSIGNMENT}: the late policy gives no deadline" in capsys.readouterr().err


def test_the_record_follows_its_schema(course):
    """Does the record follow autograder/schemas/lms-export.schema.json, and does the schema reject a record
    whose late days went negative?"""
    course.timestamp("ada", "2026-11-21 09:42:07.512380 UTC")
    document = course.export("moodle").record
    json_schemas.validate(document, "lms-export.schema.json")
    document["grades"][0]["days_late"] = -1
    with pytest.raises(jsonschema.ValidationError):
        json_schemas.validate(document, "lms-export.schema.json")


# Written answers, graded by hand in nbgrader's formgrader: a real gradebook, made as the kit makes one


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory) -> tuple[Path, list[str]]:
    """A course gradebook that knows the assignment (released as `make release` does) and holds ada's submission;
    with the grade ids of its written answers."""
    folder = tmp_path_factory.mktemp("gradebook-course")
    path = folder / "gradebook.db"
    build.build_release(ASSIGNMENT, output_root=folder, gradebook=path)
    with Gradebook(f"sqlite:///{path}") as book:
        book.update_or_create_student("ada")
        submission = book.add_submission(ASSIGNMENT, "ada")
        written = [grade.name for notebook in submission.notebooks for grade in notebook.grades
                   if grade.cell_type == "markdown"]
    assert len(written) >= 2
    return path, written


def _grade_by_hand(path: Path, scores: dict[str, float], extra_credit: dict[str, float] | None = None) -> None:
    """What the formgrader does when a grader scores an answer: set the grade's manual score."""
    with Gradebook(f"sqlite:///{path}") as book:
        for grade_id, score in scores.items():
            grade = book.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, "ada")
            grade.manual_score = score
            grade.extra_credit = (extra_credit or {}).get(grade_id)
        book.db.commit()


@pytest.fixture
def written_course(tmp_path, gradebook) -> tuple[Course, Path, list[str]]:
    """ada's submission with every written answer of the real assignment answered (1 point each), none graded."""
    path, written = gradebook
    copy = tmp_path / "gradebook.db"
    copy.write_bytes(path.read_bytes())
    ada = result("ada", written=[WrittenItem(grade_id, 1.0, True) for grade_id in written])
    course = Course(tmp_path).graded(ada).listing(ROSTER["ada"]).timestamp("ada", "2026-11-20 12:00:00.000000 UTC")
    return course, copy, written


def test_written_points_graded_in_the_formgrader_are_in_the_total(written_course):
    """Once every written answer has a manual score in nbgrader's gradebook, is the total the autograded points
    plus those scores (extra credit included, as nbgrader counts it)?"""
    course, path, written = written_course
    _grade_by_hand(path, dict.fromkeys(written[1:], 1.0) | {written[0]: 0.5}, {written[0]: 0.25})
    exported = course.export("canvas", "--gradebook", str(path))
    assert exported.code == 0
    expected_written = len(written) - 1 + 0.75
    assert exported.grade("ada")["written"] == pytest.approx(expected_written)
    assert float(exported.row("Ada Lovelace")[ASSIGNMENT]) == pytest.approx(3.5 + expected_written, abs=0.005)
    assert exported.record["written_not_graded"] == []


def test_written_answers_not_graded_yet_refuse_the_export(written_course, capsys):
    """Is the export refused while one written answer has no manual score, naming it in the record?"""
    course, path, written = written_course
    _grade_by_hand(path, dict.fromkeys(written[1:], 1.0))
    exported = course.export("moodle", "--gradebook", str(path))
    assert exported.code == 1
    assert f"ada/{ASSIGNMENT}: 1 written answer(s) not graded yet" in capsys.readouterr().err
    assert exported.record["written_not_graded"] == [
        {"student": "ada", "assignment": ASSIGNMENT, "grade_ids": [written[0]], "points": 1.0}]
    assert not exported.out.exists()


def test_allow_ungraded_written_exports_the_points_so_far_and_says_so(written_course):
    """With --allow-ungraded-written, does the total hold the answers graded so far, the row say the others are
    not graded yet, and the record keep the opt-out?"""
    course, path, written = written_course
    _grade_by_hand(path, {written[0]: 1.0})
    exported = course.export("moodle", "--gradebook", str(path), "--allow-ungraded-written")
    assert exported.code == 0
    assert exported.row("Ada Lovelace")[ASSIGNMENT] == "4.5"
    assert f"written answers not graded yet: {len(written) - 1}" in exported.row("Ada Lovelace")[
        f"{ASSIGNMENT} (Feedback)"]
    assert exported.record["opt_outs"]["allow_ungraded_written"] is True


def test_without_a_gradebook_only_untouched_answers_are_known(course):
    """Without a gradebook, is an answer left as the release's stub worth 0 (as nbgrader scores it) and an answered
    one not graded yet?"""
    course.graded(result("ada", written=[WrittenItem("w1", 5.0, True), WrittenItem("w2", 5.0, False)]), result("ben"))
    assert course.export("canvas").code == 1  # ada answered w1
    exported = course.export("canvas", "--allow-ungraded-written")
    assert exported.record["written_not_graded"] == [
        {"student": "ada", "assignment": ASSIGNMENT, "grade_ids": ["w1"], "points": 5.0}]
    assert exported.grade("ada")["written_not_graded"] == ["w1"] and exported.grade("ben")["written_not_graded"] == []


# The bundled example: `make example`, then `make lms-example`


def test_the_bundled_example_has_one_late_submission(tmp_path, capsys):
    """With the examples' roster, late policy and nbgrader timestamps, is cleo one day late on one assignment,
    ada within the grace period on one, ben (no timestamps) on time and listed, and dan (no submission) listed?"""
    course = Course(tmp_path).graded(*(result(student, assignment=assignment, written=[])
                                       for student in ("ada", "ben", "cleo") for assignment in ASSIGNMENTS))
    exported = export.main(["canvas", "--reports", str(course.reports), "--roster", str(ROOT / "examples/roster.csv"),
                            "--late-policy", str(ROOT / "examples/late-policy.toml"),
                            "--submitted", str(ROOT / "examples/submitted"), "--out", str(tmp_path / "canvas.csv")])
    printed = capsys.readouterr().out
    assert exported == 0
    record = json.loads((tmp_path / "canvas.csv.json").read_text())
    late = [(g["student"], g["assignment"], g["days_late"], g["penalty"]) for g in record["grades"] if g["days_late"]]
    assert late == [("cleo", ASSIGNMENT, 1, 0.5)]  # 10 % of the 5 points possible here
    assert [g["assignment"] for g in record["grades"] if g["student"] == "ada" and "within the grace period"
            in " ".join(g["notes"])] != []
    assert {m["student"] for m in record["missing_timestamps"]} == {"ben"}
    assert {m["student"] for m in record["no_submission"]} == {"dan"}
    assert "Late: cleo/" in printed


def test_make_lms_example_exports_for_both_lms():
    """Does `make lms-example` export the graded examples for Canvas and for Moodle with the examples' roster,
    late policy and timestamps?"""
    dry_run = subprocess.run(["make", "--dry-run", "lms-example"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    for lms in ("canvas", "moodle"):
        [line] = [line for line in dry_run.splitlines() if f"autograder.export {lms} " in line]
        assert "--roster examples/roster.csv" in line and "--late-policy examples/late-policy.toml" in line
        assert "--submitted examples/submitted" in line and f"--out reports/lms/{lms}.csv" in line


def test_the_lms_modules_name_the_documented_identity_columns():
    """The identity columns, as Canvas's importer and Moodle's export name them, in one place each."""
    assert canvas.IDENTITY == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert moodle.IDENTITY == ["Full name", "Email address", "ID number", "Username"]


def _policy_document(**changes) -> dict:
    """The default POLICY as a TOML document, with ``changes`` (None removes a key; a deadline is ISO text)."""
    import tomllib

    document = tomllib.loads(POLICY)
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        elif key == "deadline":
            document[key] = datetime.fromisoformat(value)
        else:
            document[key] = value
    return document
