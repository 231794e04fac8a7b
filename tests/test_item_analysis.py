"""Item analysis (issue 16, item 4): per item the mean points, the shares of each outcome and the most common
failures, in report.json's summary and on the instructor's console; never in a student's feedback."""

import json

import jsonschema
import pytest

from autograder import grade, reports
from autograder.reports import item_analysis
from autograder.results import ERROR, FAILED, NOT_ATTEMPTED, PARTIAL, PASSED, ItemResult
from tests import json_schemas
from tests.test_reports import full_marks, hostile_messages, not_attempted, partial_with_error, submission


@pytest.fixture
def results():
    return [partial_with_error(), full_marks(), hostile_messages(), not_attempted()]


def _by_item(results):
    return {analysis.grade_id: analysis for analysis in item_analysis.analyse(results)}


def test_each_item_s_mean_and_shares_of_outcomes(results):
    """Does each item get its mean points and the share of full, partial, zero, not attempted and error marks,
    adding up to 1, with "not attempted" and "error" told by status and the rest by points?"""
    found = _by_item(results)
    assert list(found) == ["q1_weight_decay", "q2_dropout"]
    q1, q2 = found["q1_weight_decay"], found["q2_dropout"]
    # q1: alice 3/3, bob not attempted, carol 1.5/3 partial, dave 0/3 failed
    assert (q1.count, q1.mean_points, q1.max_points) == (4, 1.125, 3)
    assert q1.shares == {"full": 0.25, "partial": 0.25, "zero": 0.25, "not_attempted": 0.25, "error": 0.0}
    # q2: alice 2/2, bob not attempted, carol an error, dave 2/3 of a point
    assert q2.mean_points == pytest.approx((2 + 2 / 3) / 4, abs=1e-4)
    assert q2.shares == {"full": 0.25, "partial": 0.25, "zero": 0.0, "not_attempted": 0.25, "error": 0.25}
    for analysis in found.values():
        assert sum(analysis.shares.values()) == pytest.approx(1)


@pytest.mark.parametrize(("item", "expected"), [
    (ItemResult("q", 2, 2, PASSED), "full"),
    (ItemResult("q", 0.5, 2, PARTIAL), "partial"),
    (ItemResult("q", 0, 2, PARTIAL), "zero"),  # a sliver of a check, floored to 0 points, is no partial mark
    (ItemResult("q", 0, 2, FAILED), "zero"),
    (ItemResult("q", 0, 2, NOT_ATTEMPTED), "not_attempted"),
    (ItemResult("q", 0, 2, ERROR), "error"),
    (ItemResult("q", 1, 2, NOT_ATTEMPTED), "not_attempted"),  # the status wins: what the student was told
])
def test_each_item_falls_in_one_outcome(item, expected):
    """Is an item's outcome its status where that is "error" or "not attempted", and its points otherwise?"""
    assert item_analysis.outcome(item) == expected


def _failing(student, *messages, status=FAILED):
    return submission(student, [ItemResult("q1_weight_decay", 0, 3, status, list(messages))])


def test_failures_that_differ_only_in_numbers_are_one():
    """Are messages differing only in their numbers counted as one failure, shown with # for the numbers, while a
    failure all students read alike keeps its words; and is the most common first, at most three?"""
    results = [
        _failing("a", "expected 0.25, got 0.31", "l2_penalty ignores the biases"),
        _failing("b", "expected 0.25, got 0.4", "l2_penalty ignores the biases"),
        _failing("c", "expected 0.25, got 0.31"),
        _failing("d", "the loss is NaN after 3 epochs"),
        _failing("e", "a fourth, rarer failure"),
    ]
    top = _by_item(results)["q1_weight_decay"].top_failures
    assert [(failure.message, failure.count) for failure in top] == [
        ("expected #, got #", 3), ("l2_penalty ignores the biases", 2), ("a fourth, rarer failure", 1)]


def test_a_failure_counts_once_per_submission_and_never_for_a_missing_answer():
    """Does one submission count once for a failure it states twice in numbers' variants, and do the messages of
    not attempted and full-marks items stay out (their share says it already)?"""
    results = [
        _failing("a", "run 1 of the grid failed", "run 2 of the grid failed"),
        _failing("b", "the answer cell still holds the stub", status=NOT_ATTEMPTED),
        submission("c", [ItemResult("q1_weight_decay", 3, 3, PASSED, ["a note on a passed item"])]),
        _failing("d", "grading stopped: the cell ran past its time limit of 30 s", status=ERROR),
    ]
    top = _by_item(results)["q1_weight_decay"].top_failures
    assert sorted((failure.message, failure.count) for failure in top) == [
        ("grading stopped: the cell ran past its time limit of 30 s", 1), ("run # of the grid failed", 1)]


@pytest.mark.parametrize(("text", "expected"), [
    ("expected 0.25, got -3.", "expected #, got #."),
    ("l1_penalty(net, 1e-05) is not 2.5e+3", "l1_penalty(net, #) is not #"),
    ("conv2d in q3 of v1.2", "conv2d in q3 of v1.2"),  # digits of names are no numbers
    ("tensor([0.1, .5])", "tensor([#, #])"),
])
def test_numbers_are_told_from_names(text, expected):
    """Does the grouping key replace standalone numbers alone, leaving the digits inside names?"""
    assert item_analysis.without_numbers(text) == expected


def test_report_json_summary_holds_the_analysis(results, tmp_path):
    """Does report.json's summary hold each item's analysis, valid by the schema, with item_means kept as it was?"""
    document = json.loads(reports.write_json(results, tmp_path / "report.json").read_text(encoding="utf-8"))
    json_schemas.validate(document, "report.schema.json")
    summary = document["summary"]
    assert list(summary["item_analysis"]) == list(summary["item_means"]) == ["q1_weight_decay", "q2_dropout"]
    q2 = summary["item_analysis"]["q2_dropout"]
    assert q2["mean_points"] == summary["item_means"]["q2_dropout"]
    assert q2["shares"]["error"] == 0.25 and q2["count"] == 4 and q2["max_points"] == 2
    assert q2["top_failures"] == [{"message": "1 of 3 checks failed", "count": 1},
                                  {"message": "grading stopped: the cell ran past its time limit of 60 s", "count": 1}]


@pytest.mark.parametrize("spoil", [
    lambda analysis: analysis["shares"].update(full=1.5),
    lambda analysis: analysis["shares"].pop("error"),
    lambda analysis: analysis["top_failures"].append({"message": "x", "count": 0}),
    lambda analysis: analysis.pop("top_failures"),
])
def test_the_schema_rejects_a_wrong_analysis(results, tmp_path, spoil):
    """Does the report schema reject a share above 1, a missing outcome, a failure met by nobody, a missing field?"""
    document = json.loads(reports.write_json(results, tmp_path / "report.json").read_text(encoding="utf-8"))
    spoil(document["summary"]["item_analysis"]["q2_dropout"])
    with pytest.raises(jsonschema.ValidationError):
        json_schemas.validate(document, "report.schema.json")


def test_the_console_table_follows_the_score_table(results, tmp_path, capsys):
    """Does `python -m autograder.grade` print, after each score table, a row per item with its mean and shares,
    then each item's most common failures with their counts?"""
    assert grade._write_reports(results, tmp_path) == 0
    printed = capsys.readouterr().out
    assert printed.index("autograded") < printed.index("Item analysis (4 submissions):")
    table = reports.analysis_table(results).splitlines()
    assert table[1].split() == ["item", "mean", "/", "max", "full", "partial", "zero", "not", "attempted", "error"]
    assert table[2].split() == ["q1_weight_decay", "1.12", "/", "3", "25%", "25%", "25%", "25%", "0%"]
    assert table[3].split() == ["q2_dropout", "0.67", "/", "2", "25%", "25%", "0%", "25%", "25%"]
    assert "  q2_dropout: 1× grading stopped: the cell ran past its time limit of 60 s" in table
    assert "\n".join(table) in printed


def test_students_never_see_it(results, tmp_path):
    """Do the feedback pages and Gradescope results stay free of the analysis and of classmates' failures?"""
    written = reports.write_all(results, tmp_path)
    carol = [written[name].read_text(encoding="utf-8") for name in
             ("feedback/carol.md", "feedback/carol.html", "gradescope/carol/results.json")]
    for page in carol:
        assert "loss &amp; accuracy" not in page and "loss & accuracy" not in page  # dave's message
        assert "analysis" not in page.lower() and "25%" not in page
