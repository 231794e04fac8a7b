"""Regrading (issue 16, item 3): after a check is fixed, grade only what changed, merge it into the report, and
see whose points changed (``python -m autograder.grade --only/--student``, ``python -m autograder.report_diff``)."""

import csv
import io
import json
import re
import shutil
from datetime import datetime

import jsonschema
import pytest

from autograder import grade, launchers, regrade, report_diff, report_files, reports
from autograder.reports.common import GENERATED_BY
from autograder.results import FAILED, NOT_ATTEMPTED, PARTIAL, PASSED, ItemResult, SubmissionResult
from tests import json_schemas
from tests.conftest import ROOT, require_sandbox

ASSIGNMENT = "regularization"  # the quickest to grade of the bundled examples
EXAMPLES = [str(ROOT / "examples" / "submitted"), "--workers", "2"]
STALE = "graded by the broken check"


def _grade(out, *options) -> int:
    return grade.main([*EXAMPLES, "--assignment", ASSIGNMENT, "--out", str(out), *options])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The bundled examples of one assignment (ada, ben, cleo), graded once for real: the reports to regrade."""
    require_sandbox("grading the examples needs the sandbox")
    out = tmp_path_factory.mktemp("graded")
    assert _grade(out) == 0
    return out


def _copy(graded, tmp_path):
    shutil.copytree(graded, tmp_path / "reports")
    return tmp_path / "reports"


def _report_path(out):
    return out / ASSIGNMENT / "report.json"


def _edit(out, change) -> dict:
    """Change report.json in place, as ``change(document)`` does; return the document."""
    document = json.loads(_report_path(out).read_text(encoding="utf-8"))
    change(document)
    _report_path(out).write_text(json.dumps(document, indent=2), encoding="utf-8")
    return document


def _stale(document, *cells, points=0.0):
    """Points and messages the broken check gave, in the cells (student, item) of the report."""
    for entry in document["submissions"]:
        for item in entry["items"]:
            if (entry["student"], item["grade_id"]) in cells:
                item.update(points=points, status="failed" if points == 0 else "partial", messages=[STALE])


def _results(path) -> dict[str, SubmissionResult]:
    return {result.student: result for result in reports.read_json(path).results}


def _without_timing(result: SubmissionResult) -> dict:
    return {**result.to_dict(), "seconds": None}


# --- one item of one student, regraded from a report that holds stale points ---------------------------------

@pytest.fixture(scope="module")
def regraded(graded, tmp_path_factory):
    """A report whose cells (cleo, build_optimizer), (cleo, l2_penalty) and (ada, build_optimizer) hold what a
    broken check gave, then build_optimizer of cleo regraded into it: (old report.json, the reports, printed)."""
    folder = tmp_path_factory.mktemp("regraded")
    out = folder / "reports"
    shutil.copytree(graded, out)
    _edit(out, lambda document: _stale(document, ("cleo", "build_optimizer"), ("ada", "build_optimizer")))
    _edit(out, lambda document: _stale(document, ("cleo", "l2_penalty"), points=0.5))
    old = shutil.copy(_report_path(out), folder / "old-report.json")
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", printed)
        assert _grade(out, "--only", "build_optimizer", "--student", "cleo") == 0
    return old, out, printed.getvalue()


def test_regrading_one_item_of_one_student_changes_only_that_cell(graded, regraded):
    """Is the regraded cell the check's fresh verdict, and every other cell, stale ones included, and every other
    student kept as the report held them?"""
    old, out, _ = regraded
    before, after, fresh = _results(old), _results(_report_path(out)), _results(_report_path(graded))
    assert after["cleo"].items[0] == fresh["cleo"].items[0]
    assert after["cleo"].items[0].grade_id == "build_optimizer" and after["cleo"].items[0].points == 0.75
    expected = {student: _without_timing(result) for student, result in before.items()}
    expected["cleo"]["items"][0] = fresh["cleo"].to_dict()["items"][0]
    # its isolation is the new run's: the same sandbox, though its record may name another worker slot's uid
    expected["cleo"].update(points=before["cleo"].points + 0.75, isolation=after["cleo"].isolation)
    assert after["cleo"].isolation["launcher"] == before["cleo"].isolation["launcher"]
    assert {student: _without_timing(result) for student, result in after.items()} == expected
    assert after["ada"].seconds == before["ada"].seconds and after["cleo"].seconds != before["cleo"].seconds


def test_every_report_file_is_written_again_from_the_merged_report(regraded):
    """Do the gradebook and the feedback agree with the merged report.json, kept stale cells included?"""
    _, out, _ = regraded
    with (out / ASSIGNMENT / "gradebook.csv").open(encoding="utf-8") as gradebook:
        rows = {row["student"]: row for row in csv.DictReader(gradebook)}
    assert (rows["cleo"]["build_optimizer"], rows["cleo"]["l2_penalty"], rows["ada"]["build_optimizer"]) == \
        ("0.75", "0.5", "0.0")
    assert float(rows["cleo"]["autograded"]) == _results(_report_path(out))["cleo"].points
    assert STALE in (out / ASSIGNMENT / "feedback" / "ada.md").read_text(encoding="utf-8")
    document = json.loads(_report_path(out).read_text(encoding="utf-8"))
    json_schemas.validate(document, "report.schema.json")
    assert document["summary"]["item_means"]["build_optimizer"] == round((0 + 0 + 0.75) / 3, 4)


def test_the_regrade_is_recorded(regraded):
    """Does report.json record when the regrade ran, whose submissions and which items, and with which checks?"""
    _, out, _ = regraded
    (record,) = reports.read_json(_report_path(out)).regrades
    assert (record.students, record.items) == (["cleo"], ["build_optimizer"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record.at) and len(record.checks_sha256) == 64


@pytest.mark.parametrize("spoil", [
    lambda record: record.update(at="yesterday"),
    lambda record: record.update(items=[]),
    lambda record: record.pop("checks_sha256"),
    lambda record: record.update(students=[]),
])
def test_the_schema_rejects_a_wrong_regrade_record(regraded, spoil):
    """Does the report schema reject a regrade record without a UTC time, items, checks or students?"""
    _, out, _ = regraded
    document = json.loads(_report_path(out).read_text(encoding="utf-8"))
    spoil(document["regrades"][0])
    with pytest.raises(jsonschema.ValidationError):
        json_schemas.validate(document, "report.schema.json")


def test_the_fixed_check_shows_in_the_diff(regraded, capsys):
    """Does report_diff list the regraded cell, old and new points and messages, and the total, in each format,
    exiting 1 as diff does when something changed; and does the regrade print the same?"""
    old, out, printed = regraded
    new = _report_path(out)
    assert report_diff.main([str(old), str(new)]) == 1
    text = capsys.readouterr().out
    assert text.splitlines()[:5] == [
        f"{ASSIGNMENT}: points changed for 1 item of 1 student; totals changed for 1 student; 0 added, 0 removed",
        "Items:", "  cleo  build_optimizer: 0 / 1 -> 0.75 / 1  (failed -> partial)", f"    was: {STALE}",
        ("    now: build_optimizer: the optimizer is AdamW (decoupled weight decay); the question asks for Adam "
         "with coupled (L2) weight decay.")]
    assert "Totals:\n  cleo: 6.5 / 11 -> 7.25 / 11" in text
    assert text.strip() in printed
    assert report_diff.main([str(old), str(new), "--format", "csv"]) == 1
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(row["change"], row["student"], row["item"], row["old_points"], row["new_points"]) for row in rows] == [
        ("points", "cleo", "build_optimizer", "0.0", "0.75"), ("total", "cleo", "", "6.5", "7.25")]
    assert report_diff.main([str(old), str(new), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["differs"] and document["added"] == document["removed"] == []
    assert [(c["student"], c["item"], c["old_messages"]) for c in document["items"]] == [
        ("cleo", "build_optimizer", [STALE])]


# --- whole students, late submissions, the history ------------------------------------------------------------

def test_a_student_regraded_in_full_is_replaced_and_each_regrade_recorded(graded, tmp_path, monkeypatch):
    """Does --student alone replace the whole result, notices included, write the same files whenever it runs,
    and does a second regrade add to the record?"""
    out = _copy(graded, tmp_path)

    def spoil(document):
        _stale(document, *(("ben", item["grade_id"]) for item in document["submissions"][1]["items"]), points=0.5)
        document["submissions"][1]["notices"] = ["a notice of the broken grading"]

    _edit(out, spoil)
    twin = shutil.copytree(out, tmp_path / "twin")
    assert _grade(out, "--student", "ben") == 0  # ben answered nothing: no worker runs, it takes no time
    fresh = _results(_report_path(graded))["ben"]
    assert _without_timing(_results(_report_path(out))["ben"]) == _without_timing(fresh)

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2031, 1, 2, 3, 4, 5, tzinfo=tz)

    monkeypatch.setattr(regrade, "datetime", Later)
    assert _grade(twin, "--student", "ben") == 0  # the same regrade of the same report: the same files but when
    assert reports.read_json(_report_path(twin)).regrades[0].at == "2031-01-02T03:04:05Z"
    assert report_files.without_timings(twin) == report_files.without_timings(out)
    assert _grade(out, "--student", "ben", "--only", "l2_penalty", "--only", "grid_size") == 0
    history = reports.read_json(_report_path(out)).regrades
    assert [(record.students, record.items) for record in history] == [
        (["ben"], None), (["ben"], ["grid_size", "l2_penalty"])]


def test_a_late_submission_is_added_in_full_only(graded, tmp_path, capsys):
    """Is a student the report lacks added by --student, and refused with --only (a part of a grade is none)?"""
    out = _copy(graded, tmp_path)
    _edit(out, lambda document: document["submissions"].pop(1))  # ben
    assert _grade(out, "--student", "ben", "--only", "grid_size") == 2
    assert "holds no result of ben yet" in capsys.readouterr().err
    assert _grade(out, "--student", "ben") == 0
    assert _without_timing(_results(_report_path(out))["ben"]) == \
        _without_timing(_results(_report_path(graded))["ben"])
    assert "Added:\n  ben: 0 / 11" in capsys.readouterr().out


# --- refusals: exit 2, before grading anyone, nothing written -------------------------------------------------

def _renamed_item(out):
    _edit(out, lambda document: [item.update(grade_id="old_name") for entry in document["submissions"]
                                 for item in entry["items"] if item["grade_id"] == "grid_size"])


def _another_assignment(out):
    (out / "penalties").mkdir()
    shutil.copy(_report_path(out), out / "penalties" / "report.json")


REFUSALS = [  # (options, what to do to the reports first, what the refusal must say)
    pytest.param(["--only", "build_optimizer"], lambda out: shutil.rmtree(out / ASSIGNMENT),
                 ["no report to merge into"], id="no_report"),
    pytest.param(["--only", "no_such_item"], None,
                 ["no_such_item is no item of regularization",
                  "items of regularization are: build_optimizer, l2_penalty"], id="unknown_item"),
    pytest.param(["--only", "q3_2_e"], None, ["q3_2_e is a written answer, graded by hand"], id="written_answer"),
    pytest.param(["--student", "zed", "--student", "ada"], None,
                 ["no submission of zed under the paths given", "students found are: ada, ben, cleo"],
                 id="unknown_student"),
    pytest.param(["--student", "ada", "--no-isolation"], None,
                 ["this regrade would run inside no sandbox (--no-isolation)"], id="other_sandbox"),
    pytest.param(["--student", "ada", "--limits", "cell=60"], None,
                 ["would use memory 2 GiB; files 4 MiB; time 60 s a cell"], id="other_limits"),
    pytest.param(["--student", "ada"], _renamed_item, ["only in the report: old_name; only in the release: grid_size"],
                 id="release_changed"),
]


@pytest.mark.parametrize(("options", "prepare", "said"), REFUSALS)
def test_what_cannot_be_merged_is_refused(graded, tmp_path, capsys, options, prepare, said):
    """Is a regrade refused, naming what exists, when there is no report, an unknown item or student, other
    settings (sandbox, limits) or other items than the release's, with exit 2 and no file changed?"""
    out = _copy(graded, tmp_path)
    if prepare is not None:
        prepare(out)
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    assert _grade(out, *options) == 2
    err = capsys.readouterr().err
    assert "refusing to regrade" in err
    for words in said:
        assert words in err
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


def test_a_report_of_another_assignment_is_refused(graded, tmp_path, capsys):
    """Is a report.json of another assignment in the assignment's folder refused, not merged into?"""
    out = _copy(graded, tmp_path)
    _another_assignment(out)
    assert grade.main([*EXAMPLES, "--assignment", "penalties", "--out", str(out), "--student", "ada"]) == 2
    assert "is a report of regularization, not of penalties" in capsys.readouterr().err


def test_only_across_assignments_asks_for_one(graded, tmp_path, capsys):
    """Does --only over a submitted/ tree of several assignments ask for --assignment, items being per assignment?"""
    assert grade.main([*EXAMPLES, "--out", str(_copy(graded, tmp_path)), "--only", "build_optimizer"]) == 2
    assert "pass --assignment" in capsys.readouterr().err


def test_a_shard_cannot_regrade(tmp_path, capsys):
    """Are --only and --student refused with --shard, which writes results for a merge, not reports?"""
    with pytest.raises(SystemExit) as stopped:
        _grade(tmp_path, "--shard", "1/2", "--student", "ada")
    assert stopped.value.code == 2 and "a shard writes no reports" in capsys.readouterr().err


# --- inside a submission: every cell runs, the chosen checks alone ----------------------------------------------

def test_only_runs_every_cell_and_the_chosen_checks_alone(monkeypatch):
    """Does the worker's job keep every cell of the notebook (the checks need their namespace) but hold the chosen
    items alone, and the result those items alone?"""
    from autograder import prepare, sandbox

    sent = []

    def run(job, *args):
        sent.append(job)
        return sandbox.Outcome(items={item: sandbox.ItemOutcome(1.0, []) for item in job.items})

    monkeypatch.setattr(grade.sandbox, "run", run)
    notebook = ROOT / "examples" / "submitted" / "cleo" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    submission = grade.Submission("cleo", ASSIGNMENT, notebook, "cleo")
    release = prepare.template(ASSIGNMENT)
    every = grade.grade_notebook(submission, release, launcher=launchers.NoIsolation())
    chosen = grade.grade_notebook(submission, release, launcher=launchers.NoIsolation(),
                                  only=frozenset({"grid_size", "l2_penalty"}))
    assert sent[1].cells == sent[0].cells and len(sent[0].items) == 9
    assert sent[1].items == ["l2_penalty", "grid_size"] and set(sent[1].visible_checks) == set(sent[1].items)
    assert [item.grade_id for item in chosen.items] == ["l2_penalty", "grid_size"]
    assert len(every.items) == 9


# --- merging, on hand-made results ---------------------------------------------------------------------------

def _result(student, items, notices=(), isolation=None, seconds=1.0):
    return SubmissionResult(student, ASSIGNMENT, f"{student}.ipynb", list(items), [], list(notices), [], seconds,
                            isolation)


SANDBOX = {"launcher": "bubblewrap 0.8.0", "namespaces": [], "filesystem": "", "limits": [], "opt_out": False,
           "applied": []}


def test_merging_keeps_what_was_not_graded_again():
    """Does an --only merge replace the chosen items alone, keep the old notices before new ones, and keep the old
    isolation where no code ran; and does a whole regrade replace everything?"""
    old = [_result("ada", [ItemResult("a", 0, 1, FAILED, ["old"]), ItemResult("b", 0, 1, FAILED, ["old"])],
                   ["cell 3 raised NameError"], SANDBOX),
           _result("ben", [ItemResult("a", 1, 1, PASSED)])]
    new = [_result("ada", [ItemResult("b", 0, 1, NOT_ATTEMPTED, ["stub"])], ["a new notice"], None, 0.1)]
    (ada, ben) = regrade.merged(old, new, frozenset({"b"}))
    assert ada.items == [old[0].items[0], new[0].items[0]] and ben == old[1]
    assert ada.notices == ["cell 3 raised NameError", "a new notice"] and ada.isolation == SANDBOX
    assert ada.seconds == 0.1
    assert regrade.merged(old, new, None) == [new[0], old[1]]


# --- report_diff, on hand-made results -------------------------------------------------------------------------

def _report(tmp_path, name, results):
    return reports.write_json(results, tmp_path / name / "report.json")


def test_the_diff_lists_added_removed_and_changed(tmp_path, capsys):
    """Are students added and removed listed with their totals, an item whose messages alone changed left out,
    and the text the same whatever order the students come in?"""
    old = [_result("ada", [ItemResult("a", 1, 2, PARTIAL, ["one"])]), _result("cleo", [ItemResult("a", 2, 2, PASSED)])]
    new = [_result("ben", [ItemResult("a", 0, 2, FAILED)]), _result("ada", [ItemResult("a", 1, 2, PARTIAL, ["two"])])]
    found = report_diff.diff(old, new)
    assert found.items == [] and found.totals == []
    assert [(s.student, s.points) for s in found.added] == [("ben", 0)]
    assert [(s.student, s.points) for s in found.removed] == [("cleo", 2)]
    assert report_diff.as_text(found) == report_diff.as_text(report_diff.diff(old[::-1], new[::-1])) == "\n".join([
        f"{ASSIGNMENT}: points changed for 0 items of 0 students; totals changed for 0 students; 1 added, 1 removed",
        "Added:", "  ben: 0 / 2", "Removed:", "  cleo: 2 / 2"])
    rows = list(csv.DictReader(io.StringIO(report_diff.as_csv(found))))
    assert [(row["change"], row["student"], row["old_points"], row["new_points"]) for row in rows] == [
        ("added", "ben", "", "0"), ("removed", "cleo", "2", "")]


def test_the_diff_exits_like_diff(tmp_path, capsys):
    """Does report_diff exit 0 for reports with the same points, 1 for different ones, 2 for one it cannot read or
    reports of two assignments?"""
    same = _report(tmp_path, "same", [_result("ada", [ItemResult("a", 1, 1, PASSED)])])
    other = _report(tmp_path, "other", [_result("ada", [ItemResult("a", 0.5, 1, PARTIAL)])])
    assert report_diff.main([str(same), str(same)]) == 0
    assert capsys.readouterr().out.strip() == f"{ASSIGNMENT}: no points changed; no student added or removed"
    assert report_diff.main([str(same), str(other), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["totals"] == [
        {"student": "ada", "old_points": 1, "old_max": 1, "new_points": 0.5, "new_max": 1}]
    (tmp_path / "broken.json").write_text("{")
    assert report_diff.main([str(same), str(tmp_path / "broken.json")]) == 2
    assert report_diff.main([str(same), str(tmp_path / "missing.json")]) == 2
    elsewhere = _result("ada", [ItemResult("a", 1, 1, PASSED)])
    elsewhere.assignment = "penalties"
    assert report_diff.main([str(same), str(_report(tmp_path, "penalties", [elsewhere]))]) == 2
    assert "different assignments" in capsys.readouterr().err
    (tmp_path / "not-a-report.json").write_text(json.dumps({"generated_by": "someone else"}))
    assert report_diff.main([str(same), str(tmp_path / "not-a-report.json")]) == 2
    assert f"not a report.json written by the {GENERATED_BY}" in capsys.readouterr().err


def test_the_text_puts_each_message_on_its_own_line():
    """Does the text give each old and new message a line of its own under its item, and say where there is none?"""
    old = [_result("ada", [ItemResult("a", 0.5, 1, PARTIAL, ["first.", "second."])])]
    new = [_result("ada", [ItemResult("a", 1, 1, PASSED)])]
    assert report_diff.as_text(report_diff.diff(old, new)).splitlines()[2:6] == [
        "  ada  a: 0.5 / 1 -> 1 / 1  (partial -> passed)", "    was: first.", "         second.",
        "    now: (no message)"]
