"""Can many machines grade one course in slices, and the slices be merged into the reports one machine writes?
Does each node first prove it grades the reference solutions in full? (issue 15, items 1 to 4)"""

import io
import json
import re
import shutil

import jsonschema
import pytest

from autograder import calibration, grade, launchers, merge, report_files, shard_files, shards
from autograder.calibration import AssignmentCalibration, Calibration
from autograder.limits import Limits
from autograder.progress import Progress
from autograder.results import ERROR, PASSED, ItemResult, SubmissionResult, WrittenItem
from autograder.shard_files import ShardRecord
from autograder.shards import Shard, ShardError
from tests import json_schemas
from tests.conftest import ASSIGNMENTS, ROOT, require_sandbox


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    return path


# --- which shard a job is: --shard K/N and the engines' variables -------------------------------------------

ENGINES = [  # (what the engine sets, the shard as --shard would say it)
    ({"REGLAB_SHARD_INDEX": "2", "REGLAB_SHARD_COUNT": "4"}, "2/4"),  # a GitHub Actions matrix, through env
    ({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3"}, "1/3"),  # GitLab parallel: 3, counting from 1
    ({"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "3"}, "3/3"),
    ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "4"}, "1/4"),  # --array=0-3
    ({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"}, "4/4"),  # --array=1-4
    ({"SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "12",
      "SLURM_ARRAY_TASK_STEP": "4"}, "3/4"),  # --array=0-12:4
    ({"JOB_COMPLETION_INDEX": "0", "REGLAB_SHARD_COUNT": "5"}, "1/5"),  # a Kubernetes Indexed Job, from 0
    ({"JOB_COMPLETION_INDEX": "4", "REGLAB_SHARD_COUNT": "5"}, "5/5"),
    # REGLAB_SHARD_INDEX wins: re-running one shard by hand inside an engine's job
    ({"REGLAB_SHARD_INDEX": "2", "REGLAB_SHARD_COUNT": "2", "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"}, "2/2"),
]


@pytest.mark.parametrize(("env", "expected"), ENGINES)
def test_each_engine_s_variables_name_the_shard(env, expected):
    """Does --shard auto map each engine's own numbering to shard K of N, counted from 1?"""
    assert str(shards.from_environment(env)) == expected


REFUSALS = [  # (what the engine sets, what the refusal must name)
    ({}, "found no engine's shard variables"),
    ({"CI_NODE_INDEX": "2"}, "CI_NODE_TOTAL is not set"),
    ({"CI_NODE_TOTAL": "2"}, "CI_NODE_INDEX is not set"),
    ({"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "2"}, "shard 3 is out of range"),
    ({"CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "2"}, "shard 0 is out of range"),
    ({"CI_NODE_INDEX": "two", "CI_NODE_TOTAL": "2"}, "is not a whole number"),
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0"}, "SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MAX"),
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "12",
      "SLURM_ARRAY_TASK_STEP": "4"}, "not on the array's range"),
    # sbatch --array=3 grade.sbatch, meant as "shard 3 again": Slurm says task 3 of a one-task array
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "3",
      "SLURM_ARRAY_TASK_COUNT": "1"}, "REGLAB_SHARD_INDEX=K,REGLAB_SHARD_COUNT=N"),
    ({"JOB_COMPLETION_INDEX": "0"}, "set REGLAB_SHARD_COUNT in the pod template"),
    ({"JOB_COMPLETION_INDEX": "5", "REGLAB_SHARD_COUNT": "5"}, "shard 6 is out of range"),
    ({"REGLAB_SHARD_INDEX": "1"}, "REGLAB_SHARD_COUNT is not set"),
    ({"REGLAB_SHARD_COUNT": "4"}, "REGLAB_SHARD_INDEX is not set"),
    ({"REGLAB_SHARD_INDEX": "1", "REGLAB_SHARD_COUNT": "0"}, "at least 1"),
    ({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2", "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1",
      "SLURM_ARRAY_TASK_COUNT": "2"}, "more than one engine"),
]


@pytest.mark.parametrize(("env", "why"), REFUSALS)
def test_an_unknown_count_or_index_is_refused_with_the_variable_to_set(env, why):
    """Is a job whose shard cannot be told refused, naming the variable, instead of grading everything?"""
    with pytest.raises(ShardError, match=re.escape(why)):
        shards.from_environment(env)


@pytest.mark.parametrize(("text", "why"), [("3", "write it as K/N"), ("a/b", "write it as K/N"),
                                          ("5/4", "out of range"), ("1/0", "at least 1")])
def test_a_malformed_shard_option_is_refused(text, why):
    """Is --shard that is not K/N with 1 <= K <= N refused, with how to write it?"""
    with pytest.raises(ShardError, match=why):
        shards.parse(text)


def test_an_unsharded_run_inside_a_parallel_job_is_warned_about():
    """Without --shard, does a job that an engine runs as one of several say that it grades everything?"""
    assert shards.unsharded_warning({}) is None
    assert shards.unsharded_warning({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "1"}) is None
    assert "--shard auto" in shards.unsharded_warning({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "4"})
    assert "JOB_COMPLETION_INDEX=2" in shards.unsharded_warning({"JOB_COMPLETION_INDEX": "2"})


@pytest.mark.parametrize(("env", "why"), [({"CI_NODE_INDEX": "2"}, "CI_NODE_TOTAL is not set"),
                                         ({}, "or pass --shard K/N")])
def test_the_command_exits_2_when_the_shard_is_unknown(env, why, monkeypatch, tmp_path, capsys):
    """Does `python -m autograder.grade --shard auto` exit 2 before grading anything, saying why?"""
    for name in shards.ENGINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "shard"
    assert grade.main([str(ROOT / "examples" / "submitted"), "--shard", "auto", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "refusing to grade:" in err and why in err and not out.exists()


def test_two_notebooks_of_one_student_are_refused_before_grading(tmp_path, capsys):
    """Does a shard refuse a plan with two notebooks of one student for one assignment (one report row each)?"""
    _touch(tmp_path / "submitted" / "ada" / "penalties" / "penalties.ipynb")
    _touch(tmp_path / "submitted" / "ada" / "penalties" / "copy.ipynb")
    out = tmp_path / "shard"
    assert grade.main([str(tmp_path / "submitted"), "--shard", "1/2", "--out", str(out)]) == 2
    assert "penalties/ada" in capsys.readouterr().err and not out.exists()


def test_progress_in_a_log_is_one_line_per_submission():
    """Off a terminal (a CI log), is each graded submission one plain line, not a progress bar?"""
    log = io.StringIO()
    with Progress(12, log) as progress:
        progress(3, 12, _result("cleo"))
    assert log.getvalue() == "[ 3/12] penalties/cleo: 2.5 / 3 (4.2 s)\n"


# --- slicing --------------------------------------------------------------------------------------------------

@pytest.fixture
def submitted_tree(tmp_path, monkeypatch):
    """A submitted/ tree of 40 students, each with two of the three assignments (notebooks never read)."""
    known = ["week1", "week2", "week3"]  # made up: no test file may list the course's assignments
    monkeypatch.setattr(grade, "assignments", lambda: known)
    for number in range(40):
        for assignment in (known[number % 3], known[(number + 1) % 3]):
            _touch(tmp_path / f"student{number:02}" / assignment / f"{assignment}.ipynb")
    return tmp_path


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_the_shards_partition_the_submissions(submitted_tree, count):
    """Is every submission in exactly one of N shards, and the same one whatever order the paths come in?"""
    submissions = grade.discover([submitted_tree])
    keys = sorted((s.assignment, s.student) for s in submissions)
    slices = [sorted((s.assignment, s.student) for s in submissions if Shard(number, count).owns(s.assignment,
                                                                                                     s.student))
              for number in range(1, count + 1)]
    assert sorted(key for part in slices for key in part) == keys
    by_student = grade.discover(sorted(submitted_tree.iterdir(), reverse=True))
    assert [sorted((s.assignment, s.student) for s in by_student if Shard(number, count).owns(s.assignment,
                                                                                                s.student))
            for number in range(1, count + 1)] == slices
    if count > 1:
        assert all(slices), "80 submissions left a shard empty: the hash spreads them badly"


def test_a_late_submission_moves_no_one_else(submitted_tree):
    """When one more student hands in, does everyone else stay in the shard they were in?"""
    before = {(s.assignment, s.student): shards.owner(s.assignment, s.student, 4)
              for s in grade.discover([submitted_tree])}
    _touch(submitted_tree / "zed" / "week2" / "week2.ipynb")
    after = {(s.assignment, s.student): shards.owner(s.assignment, s.student, 4)
             for s in grade.discover([submitted_tree])}
    assert {key: after[key] for key in before} == before


# --- result files and the merge's checks ------------------------------------------------------------------------

GRADER = {"kit_version": "0.1.0", "code_sha256": "c0de", "checks_sha256": "c4ec", "release_sha256": "4e1e",
          "python": "3.11.7", "torch": "2.14.1", "isolation": "bubblewrap", "limits": {"wall_seconds": 180.0}}
STUDENTS = ["ada", "ben", "cleo", "dan", "eve", "fay", "gus"]
PLAN = sorted(("penalties", student, f"{student}/penalties/penalties.ipynb") for student in STUDENTS)


def _result(student: str) -> SubmissionResult:
    points = 0.5 * (len(student) % 3)
    return SubmissionResult(
        student, "penalties", f"{student}/penalties/penalties.ipynb",
        [ItemResult("l1_penalty", points, 1.0, PASSED if points == 1 else ERROR, ["a message"], "2.1 (a)", "L1"),
         ItemResult("l2_penalty", 2.0, 2.0, PASSED, [], "2.1 (b)", "")],
        [WrittenItem("why_l1", 3.0, student != "ben", "2.2", "Why")], ["a notice"], ["a grader note"], 4.25,
        {"launcher": "bubblewrap", "namespaces": ["user", "pid"], "filesystem": "read-only", "limits": ["memory"],
         "opt_out": False, "applied": []})


CALIBRATED = Calibration([AssignmentCalibration("penalties", 3.0, 3.0, 9.0, 180.0)])


def _grade_fake_shard(folder, number: int, count: int, grader=GRADER, plan=PLAN, finish=True, only=None,
                      calibrated=CALIBRATED):
    """What `grade --shard number/count` leaves, with made-up results instead of hours of grading."""
    record = ShardRecord(Shard(number, count), grader, plan)
    shard_files.start(folder, record)
    if calibrated is not None:
        shard_files.calibrated(folder, record, calibrated)
    for assignment, student, _ in plan:
        if shards.owner(assignment, student, count) == number and (only is None or student in only):
            shard_files.write_result(folder, record, _result(student))
    if finish:
        shard_files.finish(folder, record)
    return folder


def _shards(tmp_path, count: int = 3, changes: dict[int, dict] | None = None) -> list:
    """Every shard's folder of a run with ``count`` shards; ``changes`` of a shard's grading, by its number."""
    return [_grade_fake_shard(tmp_path / f"shard-{number}", number, count, **(changes or {}).get(number, {}))
            for number in range(1, count + 1)]


def _check(folders) -> merge.MergeCheck:
    return merge.check([shard_files.read(folder) for folder in folders])


def test_a_result_reads_back_as_it_was_written():
    """Is SubmissionResult.from_dict the inverse of to_dict, through JSON as the result files hold it?"""
    result = _result("cleo")
    assert SubmissionResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_complete_shards_pass_the_check(tmp_path):
    """Does a full set of shards, each graded once by one grader, pass with nothing to report?"""
    found = _check(_shards(tmp_path))
    assert found.complete and found.missing == [] and found.conflicts == []


def test_missing_submissions_and_shards_are_listed(tmp_path):
    """Are the submissions of a shard that never ran, or stopped half-way, listed by name?"""
    folders = _shards(tmp_path, 3)
    stopped = next(s for s in STUDENTS if shards.owner("penalties", s, 3) == 2)
    _grade_fake_shard(folders[1], 2, 3, finish=False, only=[stopped])
    found = _check([folders[0], folders[1]])
    lost = sorted(s for s in STUDENTS if shards.owner("penalties", s, 3) != 1 and s != stopped)
    assert [line.split(":")[1].strip().split(" ")[0] for line in found.missing if line.startswith("missing: pen")] == [
        f"penalties/{student}" for student in lost]
    assert any("shard 2/3 did not finish" in line for line in found.missing) and not found.conflicts
    assert "missing: shard 3/3: no folder of it was given" in found.missing


def test_a_submission_graded_twice_is_a_conflict(tmp_path):
    """Is a shard graded into two folders (both given to the merge) reported as duplicated?"""
    folders = _shards(tmp_path, 2)
    again = _grade_fake_shard(tmp_path / "shard-1-again", 1, 2)
    found = _check([*folders, again])
    assert any(line.startswith("duplicated shard 1/2") for line in found.conflicts)
    assert any(line.startswith("duplicated: penalties/") for line in found.conflicts)


@pytest.mark.parametrize(("change", "named"), [
    ({"grader": {**GRADER, "torch": "2.15.0"}}, "mismatched grader: torch"),
    ({"grader": {**GRADER, "checks_sha256": "0ther"}}, "mismatched grader: checks_sha256"),
    ({"plan": [*PLAN, ("penalties", "zed", "zed/penalties/penalties.ipynb")]}, "mismatched plan"),
])
def test_a_shard_graded_by_another_grader_or_plan_is_a_conflict(tmp_path, change, named):
    """Is a shard whose grader identity or plan differs from the others' named, and never merged?"""
    found = _check(_shards(tmp_path, 2, {2: change}))
    assert any(named in line for line in found.conflicts), found.conflicts


def test_a_result_left_from_another_run_is_a_conflict(tmp_path):
    """Is a result file whose grader differs from its own folder's record (copied in from elsewhere) named?"""
    folders = _shards(tmp_path, 2)
    stale = sorted((folders[0] / "results" / "penalties").glob("*.json"))[0]
    document = json.loads(stale.read_text())
    stale.write_text(json.dumps({**document, "grader": {**GRADER, "torch": "2.13.0"}}))
    found = _check(folders)
    assert [line.split(":")[0] for line in found.conflicts] == [str(stale)]
    assert "left from another run" in found.conflicts[0]


def test_shards_of_another_count_are_a_conflict(tmp_path):
    """Are folders of a 2-shard and a 3-shard run of the same plan refused together?"""
    found = _check([_grade_fake_shard(tmp_path / "a", 1, 2), _grade_fake_shard(tmp_path / "b", 2, 3)])
    assert any("mismatched shard count" in line for line in found.conflicts)


def test_grading_a_shard_again_replaces_its_folder(tmp_path):
    """Does re-running a shard into its folder leave no result of the earlier run to be merged twice?"""
    folder = _grade_fake_shard(tmp_path / "shard-1", 1, 2)
    _grade_fake_shard(folder, 1, 2, finish=False, only=[])
    assert shard_files.read(folder).graded == []
    (tmp_path / "other" / "results").mkdir(parents=True)
    with pytest.raises(FileExistsError, match="not a shard's output"):
        shard_files.start(tmp_path / "other", ShardRecord(Shard(1, 2), GRADER, PLAN))


def test_the_merge_command_refuses_listing_every_problem(tmp_path, capsys):
    """Does `python -m autograder.merge` exit non-zero, list what is missing and write no report?"""
    folders = _shards(tmp_path, 3)
    assert merge.main([str(folders[0]), str(folders[2]), "--out", str(tmp_path / "reports")]) == 1
    err = capsys.readouterr().err
    assert "refusing to merge" in err and "missing: penalties/" in err and "--allow-incomplete" in err
    assert not (tmp_path / "reports").exists()


def test_allow_incomplete_writes_the_reports_and_records_it(tmp_path, capsys):
    """With --allow-incomplete, are the reports written, the gap printed loudly and kept in merge.json?"""
    folders = _shards(tmp_path, 3)
    reports = tmp_path / "reports"
    assert merge.main([str(folders[0]), str(folders[2]), "--out", str(reports), "--allow-incomplete"]) == 0
    assert "INCOMPLETE" in capsys.readouterr().err
    record = json.loads((reports / "merge.json").read_text())
    assert record["allowed_incomplete"] and not record["complete"] and record["missing"]
    graded = json.loads((reports / "penalties" / "report.json").read_text())["submissions"]
    assert {s["student"] for s in graded} == {s for s in STUDENTS if shards.owner("penalties", s, 3) != 2}


def test_allow_incomplete_never_lets_a_conflict_through(tmp_path):
    """Is a shard of another grader refused even with --allow-incomplete?"""
    folders = _shards(tmp_path, 2, {1: {"grader": {**GRADER, "python": "3.12.0"}}})
    assert merge.main([*map(str, folders), "--out", str(tmp_path / "reports"), "--allow-incomplete"]) == 1


def test_merging_twice_writes_the_same_bytes(tmp_path):
    """Is the merge idempotent, whatever order the folders are given in?"""
    folders = [str(folder) for folder in _shards(tmp_path, 3)]
    assert merge.main([*folders, "--out", str(tmp_path / "first")]) == 0
    assert merge.main([*reversed(folders), "--out", str(tmp_path / "second")]) == 0
    assert report_files.files(tmp_path / "first") == report_files.files(tmp_path / "second")
    assert merge.main([*folders, "--out", str(tmp_path / "first")]) == 0
    assert report_files.files(tmp_path / "first") == report_files.files(tmp_path / "second")


def test_the_merge_prints_the_item_analysis_after_the_scores(tmp_path, capsys):
    """Does the merge print each assignment's item analysis after its score table, as an unsharded run does?"""
    assert merge.main([*map(str, _shards(tmp_path, 2)), "--out", str(tmp_path / "reports")]) == 0
    printed = capsys.readouterr().out
    analysis = printed.index(f"Item analysis ({len(STUDENTS)} submissions):")
    assert printed.index("autograded") < analysis < printed.index("Isolation")
    assert f"  l1_penalty: {len(STUDENTS)}× a message" in printed  # every made-up l1_penalty fell short


# --- end to end: real grading, sharded and not ----------------------------------------------------------------

EXAMPLES = [str(ROOT / "examples" / "submitted"), "--workers", "2"]  # every assignment of ada, ben and cleo


@pytest.fixture(scope="module")
def graded_examples(tmp_path_factory):
    """The bundled examples (three students, every assignment) graded unsharded and as 2 shards, merged."""
    require_sandbox("grading the examples needs the sandbox")
    folder = tmp_path_factory.mktemp("graded")
    assert grade.main([*EXAMPLES, "--out", str(folder / "unsharded")]) == 0
    for number in (1, 2):
        assert grade.main([*EXAMPLES, "--shard", f"{number}/2", "--out", str(folder / f"shard-{number}")]) == 0
    assert merge.main([str(folder / "shard-1"), str(folder / "shard-2"), "--out", str(folder / "merged")]) == 0
    return folder


def test_merged_shards_equal_an_unsharded_run(graded_examples):
    """Are the merged reports of 2 shards the unsharded run's files, byte for byte but the timings?"""
    unsharded = report_files.without_timings(graded_examples / "unsharded")
    assert unsharded == report_files.without_timings(graded_examples / "merged")
    for assignment in ASSIGNMENTS:
        assert {f"{assignment}/report.json", f"{assignment}/gradebook.csv", f"{assignment}/junit.xml",
                f"{assignment}/feedback/cleo.html", f"{assignment}/gradescope/ada/results.json"} <= unsharded.keys()
    assert all(shard_files.read(graded_examples / f"shard-{n}").graded for n in (1, 2)), "a shard graded nothing"
    record = json.loads((graded_examples / "merged" / "merge.json").read_text())
    assert record["complete"] and record["grader"]["isolation"] == launchers.choose("auto").name


def _shard_documents(graded_examples) -> dict[str, dict]:
    """One of each file a sharded run writes, from real grading: the schema's name -> the document."""
    folder = graded_examples / "shard-1"
    (result,) = sorted((folder / shard_files.RESULTS).rglob("*.json"))[:1]
    return {"shard.schema.json": json.loads((folder / shard_files.MANIFEST).read_text()),
            "shard-result.schema.json": json.loads(result.read_text()),
            "merge.schema.json": json.loads((graded_examples / "merged" / report_files.MERGE_RECORD).read_text())}


SPOILS = [  # (schema, a change that breaks the document)
    ("shard.schema.json", lambda document: document.update(format=1)),
    ("shard.schema.json", lambda document: document["shard"].update(number=0)),
    ("shard.schema.json", lambda document: document["grader"].pop("checks_sha256")),
    ("shard.schema.json", lambda document: document["calibration"]["assignments"][0].update(passed="yes")),
    ("shard.schema.json", lambda document: document["plan"]["submissions"].append(["regularization", "ada"])),
    ("shard-result.schema.json", lambda document: document["result"].pop("points")),
    ("shard-result.schema.json", lambda document: document.update(plan_sha256="abc")),
    ("merge.schema.json", lambda document: document["shards"][0].update(speed_factor=0.5)),
    ("merge.schema.json", lambda document: document["grader"].update(isolation="docker")),
    ("merge.schema.json", lambda document: document.pop("complete")),
]


@pytest.mark.parametrize(("name", "spoil"), SPOILS)
def test_the_shard_files_follow_their_schemas(graded_examples, name, spoil):
    """Do shard.json, a result file and merge.json of a real sharded run follow their schemas, which reject each
    a missing, misspelt or mistyped field?"""
    document = _shard_documents(graded_examples)[name]
    json_schemas.validate(document, name)
    spoil(document)
    with pytest.raises(jsonschema.ValidationError):
        json_schemas.validate(document, name)


def test_the_merge_records_each_node_s_speed(graded_examples):
    """Does merge.json give each node's time to grade the reference solutions over the fastest node's?"""
    factors = [entry["speed_factor"] for entry in _shard_documents(graded_examples)["merge.schema.json"]["shards"]]
    assert min(factors) == 1 and all(factor >= 1 for factor in factors)


def test_a_shard_graded_again_merges_to_the_same_reports(graded_examples, tmp_path):
    """After shard 1 is graded again into a fresh copy of its folder, does the merge give the same reports?"""
    again = tmp_path / "shard-1"
    shutil.copytree(graded_examples / "shard-1", again)  # the failed run's leftovers, replaced by the re-run
    assert grade.main([*EXAMPLES, "--shard", "1/2", "--out", str(again)]) == 0
    assert merge.main([str(again), str(graded_examples / "shard-2"), "--out", str(tmp_path / "merged")]) == 0
    assert report_files.differences(graded_examples / "merged", tmp_path / "merged") == []
    assert all(shard_files.read(graded_examples / f"shard-{n}").record.calibration.passed for n in (1, 2))


# --- calibration: the reference solution graded on the node first (item 3) -------------------------------------

def _solution(points: float, status=PASSED, messages=(), grader_notes=(), seconds=6.0) -> SubmissionResult:
    """A graded reference solution of two items, the second worth 2 points earning ``points`` of them."""
    return SubmissionResult("solution", "penalties", "solutions/penalties/penalties.ipynb",
                            [ItemResult("l1_penalty", 1.0, 1.0, PASSED, [], "2.1 (a)", "L1"),
                             ItemResult("l2_penalty", points, 2.0, status, list(messages), "2.1 (b)", "L2")],
                            [], [], list(grader_notes), seconds)


def _raises(assignment):
    raise ModuleNotFoundError("No module named 'torch'")


CALIBRATIONS = [  # (what grading the solution gives, passed?, what a failure must name)
    (lambda a: _solution(2.0), True, None),
    (lambda a: _solution(0.0, ERROR, ["the cell ran past its 1 s limit"]), False,
     "2.1 (b) (l2_penalty): 0 / 2, error: the cell ran past its 1 s limit"),
    (lambda a: _solution(1.0, "partial", ["loss too high"]), False, "1 / 2, partial: loss too high"),
    (lambda a: _solution(2.0, grader_notes=["the worker crashed 4 times"]), False, "grader: the worker crashed"),
    (lambda a: SubmissionResult("solution", a, "x.ipynb"), False, "found no autograded items"),
    (_raises, False, "raised ModuleNotFoundError: No module named 'torch'"),
]


@pytest.mark.parametrize(("graded", "passed", "named"), CALIBRATIONS)
def test_only_full_marks_calibrate_a_node(graded, passed, named):
    """Does a node pass only where every solution earns every point with no grader note, and a failure name the
    assignment, its points, the items that fell short and how to fix it?"""
    measured = calibration.calibrate(["penalties"], Limits(wall_seconds=60), graded)
    assert measured.passed is passed and not measured.skipped
    if passed:
        assert measured.assignments[0].share_of_wall_limit == 0.1  # 6 s of a 60 s budget
        assert measured.summary() == \
            "calibration passed: penalties: 3 / 3 points in 6.0 s (10% of the 60 s wall limit)"
    else:
        message = measured.failure_message()
        assert "penalties: " in message and named in message and "--limits" in message and "less loaded" in message


def test_a_calibration_reads_back_as_it_was_written():
    """Does shard.json keep the calibration: each assignment's seconds, share of the limit and shortfalls?"""
    measured = calibration.calibrate(["penalties"], Limits(), lambda a: _solution(0.5, "partial", ["slow"]))
    fields = json.loads(json.dumps(measured.to_dict()))
    assert Calibration.from_dict(fields) == measured
    assert fields["assignments"][0]["share_of_wall_limit"] == round(6.0 / 180.0, 4) and not fields["passed"]


PLANNED = [grade.Submission(student, "penalties", ROOT / "nowhere" / f"{student}.ipynb",
                            f"{student}/penalties/penalties.ipynb") for student in STUDENTS]


@pytest.fixture
def fake_node(monkeypatch) -> list[str]:
    """A node that grades without grading: made-up results from the made-up GRADER, the students it "graded" kept
    in the list returned, in the order they came."""
    graded = []

    def grade_submissions(submissions, workers, limits, hide, launcher, on_result):
        for done, submission in enumerate(submissions, 1):
            graded.append(submission.student)
            on_result(done, len(submissions), _result(submission.student))
        return [_result(s.student) for s in submissions]

    monkeypatch.setattr(grade, "grade_submissions", grade_submissions)
    monkeypatch.setattr(grade.grader_identity, "identity", lambda launcher, limits: GRADER)
    return graded


def test_a_failed_calibration_grades_no_student_and_the_merge_refuses_the_shard(tmp_path, fake_node, capsys):
    """When the solution falls short on a node, does its shard exit 1 naming why, grade no one, drop an earlier
    run's results, and does the merge report it as not finished?"""
    folders = _shards(tmp_path, 2)  # an earlier, successful run: shard 1's folder is graded again below
    timed_out = lambda a: _solution(0.0, ERROR, ["the cell ran past its 1 s limit"])  # noqa: E731
    assert grade._grade_shard(Shard(1, 2), PLANNED, folders[0], 1, Limits(cell_seconds=1), [],
                              launchers.NoIsolation(), grade_solution=timed_out) == 1
    err = capsys.readouterr().err
    assert "calibration failed" in err and "penalties: 1 / 3 points" in err and "ran past its 1 s limit" in err
    assert fake_node == []
    output = shard_files.read(folders[0])
    assert output.graded == [] and not output.record.finished and not output.record.calibration.passed
    found = _check(folders)
    assert any("shard 1/2 did not finish: its calibration failed: penalties: 1 / 3" in line for line in found.missing)
    assert merge.main([*map(str, folders), "--out", str(tmp_path / "reports")]) == 1
    err = capsys.readouterr().err
    assert "its calibration failed" in err and "mismatched" not in err and not (tmp_path / "reports").exists()


def test_a_shard_with_no_calibration_recorded_did_not_finish(tmp_path):
    """Is a shard interrupted before its calibration was recorded counted as not finished (failing closed)?"""
    folders = _shards(tmp_path, 2, {2: {"calibrated": None}})
    assert "did not finish: no calibration recorded" in " ".join(_check(folders).missing)


def test_a_calibrated_shard_grades_its_slice(tmp_path, fake_node, capsys):
    """After a passing calibration, does the shard grade its slice, keep the calibration and finish?"""
    out = tmp_path / "shard-1"
    slow = lambda a: _solution(2.0, seconds=120.0)  # noqa: E731
    assert grade._grade_shard(Shard(1, 2), PLANNED, out, 1, Limits(), [], launchers.NoIsolation(),
                              grade_solution=slow) == 0
    assert sorted(fake_node) == sorted(s for s in STUDENTS if shards.owner("penalties", s, 2) == 1)
    record = shard_files.read(out).record
    assert record.finished and record.calibration.passed
    assert record.calibration.assignments[0].share_of_wall_limit == round(120 / 180, 4)
    assert "needed 67% of the wall limit" in capsys.readouterr().err


def test_no_calibration_is_recorded_and_printed_by_the_merge(tmp_path, fake_node, capsys):
    """Is --no-calibration written into shard.json, and does the merge print it loudly and keep it in merge.json?"""
    folders = _shards(tmp_path, 2)
    never = lambda a: pytest.fail("calibrated despite --no-calibration")  # noqa: E731
    assert grade._grade_shard(Shard(2, 2), PLANNED, folders[1], 1, Limits(), [], launchers.NoIsolation(),
                              calibrate=False, grade_solution=never) == 0
    assert "calibration skipped (--no-calibration)" in capsys.readouterr().err
    assert json.loads((folders[1] / "shard.json").read_text())["calibration"]["skipped"] is True
    reports = tmp_path / "reports"
    assert merge.main([*map(str, folders), "--out", str(reports)]) == 0
    assert "UNCALIBRATED" in capsys.readouterr().err
    assert "shard 2/2 was graded with --no-calibration" in json.loads((reports / "merge.json").read_text())[
        "uncalibrated"][0]


def test_no_calibration_without_a_shard_is_refused(capsys):
    """Is --no-calibration refused where there is no shard to calibrate, rather than silently ignored?"""
    with pytest.raises(SystemExit):
        grade.main([str(ROOT / "examples" / "submitted"), "--no-calibration"])
    assert "goes with --shard" in capsys.readouterr().err


def test_the_reference_solution_calibrates_this_node():
    """Does the regularization solution, graded for real with the default launcher and limits, earn full marks
    within a share of the wall limit?"""
    launcher = require_sandbox("calibrating needs the sandbox")
    measured = calibration.calibrate(["regularization"], Limits(), grade.solution_grader(Limits(), [], launcher))
    assert measured.passed, measured.failure_message()
    assert 0 < measured.assignments[0].share_of_wall_limit < 1
