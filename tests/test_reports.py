"""The report writers: every format validates against its schema, and says what the results say, escaped."""

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import xmlschema

from autograder import reports
from autograder.reports.common import score
from autograder.results import (
    ERROR,
    FAILED,
    NOT_ATTEMPTED,
    PARTIAL,
    PASSED,
    STATUSES,
    ItemResult,
    SubmissionResult,
    WrittenItem,
)
from tests import json_schemas

ASSIGNMENT = "regularization"
ITEMS = ["q1_weight_decay", "q2_dropout"]
SCRIPT = "<script>alert(1)</script>"
HOSTILE_MESSAGES = [f"your output: {SCRIPT}", "loss & accuracy differ", "\x1b[31mred\x1b[0m"]


def submission(student, items, answered=True, notices=(), seconds=1.5):
    return SubmissionResult(student=student, assignment=ASSIGNMENT, notebook=f"{ASSIGNMENT}.ipynb",
                            items=list(items), written=[WrittenItem("q3_explain", 4, answered)],
                            notices=list(notices), seconds=seconds)


def full_marks():
    return submission("alice", [ItemResult("q1_weight_decay", 3, 3, PASSED), ItemResult("q2_dropout", 2, 2, PASSED)])


def not_attempted():
    stub = ["The answer cell still holds the stub."]
    return submission("bob", [ItemResult("q1_weight_decay", 0, 3, NOT_ATTEMPTED, stub),
                              ItemResult("q2_dropout", 0, 2, NOT_ATTEMPTED, stub)], answered=False)


def partial_with_error():
    return submission("carol", [
        ItemResult("q1_weight_decay", 1.5, 3, PARTIAL, ["the penalty ignores the biases", "lambda = 0 gives no decay"]),
        ItemResult("q2_dropout", 0, 2, ERROR, ["grading stopped: the cell ran past its time limit of 60 s"]),
    ], notices=["the locked cell 'setup' was changed; the original was restored", "cell 7 timed out"], seconds=61.25)


def hostile_messages():
    return submission("dave", [ItemResult("q1_weight_decay", 0, 3, FAILED, HOSTILE_MESSAGES),
                               ItemResult("q2_dropout", 2 / 3, 2, PARTIAL, ["1 of 3 checks failed"])])


@pytest.fixture
def results():
    # Not in student order: every report must sort them itself.
    return [partial_with_error(), full_marks(), hostile_messages(), not_attempted()]


def validate_json(document, name):
    json_schemas.validate(document, name)


def junit_schema():
    return xmlschema.XMLSchema(reports.SCHEMAS / "junit.xsd")


def gradescope_document(result, tmp_path):
    return json.loads(reports.write_gradescope(result, tmp_path / "results.json").read_text(encoding="utf-8"))


# --- report.json ----------------------------------------------------------------------------------------


def test_json_report_validates_and_round_trips_the_numbers(results, tmp_path):
    """Does report.json validate against its schema and give back every submission's numbers?"""
    report = json.loads(reports.write_json(results, tmp_path / "report.json").read_text(encoding="utf-8"))
    validate_json(report, "report.schema.json")
    assert report["assignment"] == ASSIGNMENT and report["generated_by"] == "reglab autograder"
    assert [entry["student"] for entry in report["submissions"]] == ["alice", "bob", "carol", "dave"]
    by_student = {result.student: result for result in results}
    for entry in report["submissions"]:
        assert entry == by_student[entry["student"]].to_dict()
    summary = report["summary"]
    assert summary["count"] == 4 and summary["max_points"] == 5 and summary["written_max_points"] == 4
    assert summary["mean_points"] == pytest.approx((5 + 0 + 1.5 + 2 / 3) / 4, abs=1e-4)
    assert list(summary["item_means"]) == ITEMS
    assert summary["item_means"]["q1_weight_decay"] == pytest.approx(4.5 / 4)


def test_report_schema_knows_every_status():
    """Does the report schema accept exactly the statuses that results.py defines?"""
    schema = json_schemas.load("report.schema.json")
    assert tuple(schema["$defs"]["item"]["properties"]["status"]["enum"]) == STATUSES


# --- gradebook.csv and the console table ----------------------------------------------------------------


def test_gradebook_has_one_row_per_student_and_the_totals(results, tmp_path):
    """Does the gradebook have the documented columns, in item order, and totals that add up?"""
    table = pd.read_csv(reports.write_csv(results, tmp_path / "gradebook.csv"))
    assert list(table.columns) == ["student", "notebook", *ITEMS, "autograded", "autograded_max", "written_max",
                                   "notices"]
    assert list(table["student"]) == ["alice", "bob", "carol", "dave"]
    assert table[ITEMS].sum(axis=1).tolist() == pytest.approx(table["autograded"].tolist(), abs=1e-4)
    assert table["autograded"].tolist() == pytest.approx([5, 0, 1.5, 2 / 3], abs=1e-4)
    assert table["autograded_max"].tolist() == [5] * 4
    assert table["written_max"].tolist() == [4] * 4
    assert table["notices"].tolist() == [0, 0, 2, 0]


def test_gradebook_leaves_an_item_a_submission_lacks_empty(tmp_path):
    """Does a missing item stay an empty cell (not a zero) without moving the other columns?"""
    short = submission("zoe", [ItemResult("q2_dropout", 1, 2, PARTIAL)])
    table = pd.read_csv(reports.write_csv([short, full_marks()], tmp_path / "gradebook.csv"))
    assert list(table.columns[2:4]) == ITEMS
    assert pd.isna(table.set_index("student").loc["zoe", "q1_weight_decay"])


def test_score_table_rounds_and_right_aligns(results):
    """Does the console table show each student's points with at most 2 decimals, right-aligned?"""
    lines = reports.score_table(results).splitlines()
    assert lines[0].split() == ["student", *ITEMS, "autograded", "written", "(by", "hand)"]
    assert [line.split()[0] for line in lines[1:]] == ["alice", "bob", "carol", "dave"]
    assert lines[4].split() == ["dave", "0", "0.67", "0.67", "/", "5", "4"]
    assert lines[3].split()[1:] == ["1.5", "0", "1.5", "/", "5", "4"]
    # right-aligned: every row ends in the same column
    assert len({len(line) for line in lines}) == 1


# --- Gradescope -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [full_marks, not_attempted, partial_with_error, hostile_messages])
def test_gradescope_results_validate_and_add_up(make, tmp_path):
    """Does results.json follow Gradescope's documented format, with a score equal to the sum of its tests?"""
    result = make()
    document = gradescope_document(result, tmp_path)
    validate_json(document, "gradescope-results.schema.json")
    scored = [test for test in document["tests"] if "score" in test]
    # SubmissionResult.points rounds to 4 decimals; the tests keep each item's exact points.
    assert document["score"] == pytest.approx(sum(test["score"] for test in scored), abs=1e-4)
    assert document["score"] == result.points
    assert [test["name"] for test in scored] == ITEMS
    assert [test["max_score"] for test in scored] == [3, 2]
    for test, item in zip(scored, result.items, strict=True):
        assert test["status"] == ("passed" if item.status == PASSED else "failed")
        assert test["output"] == "\n".join(item.messages)
    assert document["visibility"] == "visible" and document["stdout_visibility"] == "hidden"


def _entries(document, visibility):
    return [test for test in document["tests"] if test["visibility"] == visibility]


@pytest.mark.parametrize("make", [full_marks, not_attempted, partial_with_error, hostile_messages])
def test_gradescope_shows_points_and_hidden_findings_after_publication_only(make, tmp_path):
    """Before grades are published, does a student see each item's visible checks and nothing of the hidden ones:
    no points (so no total either), no hidden check's message; and after, every item's points and messages?"""
    result = make()
    document = gradescope_document(result, tmp_path)
    visible, published = _entries(document, "visible"), _entries(document, "after_published")
    assert [test["name"] for test in visible] == [f"{item}: visible checks" for item in ITEMS]
    assert all("score" not in test and "max_score" not in test for test in visible)
    assert [test["name"] for test in published] == ITEMS
    assert [test["output"] for test in published] == ["\n".join(item.messages) for item in result.items]
    hidden_findings = [message for item in result.items if item.status in (PASSED, PARTIAL, FAILED)
                       for message in item.messages]
    shown_now = document["output"] + " ".join(test["output"] for test in visible)
    assert not [message for message in hidden_findings if message in shown_now]
    assert score(result.points, result.max_points) not in document["output"]  # "5 / 5": the total waits too


def test_gradescope_shows_visible_check_failures_and_unwritten_answers_at_once(tmp_path):
    """Is a failed visible check (which the student's notebook shows anyway), an answer not written and an item
    that could not be graded shown before publication, each failing its visible-checks entry?"""
    visible_failure = "a visible check failed: AssertionError: build_optimizer must return an optimizer"
    result = submission("erin", [ItemResult("q1_weight_decay", 0, 3, FAILED, [visible_failure]),
                                 ItemResult("q2_dropout", 0, 2, ERROR, ["grading stopped: the cell took too long"])])
    visible = _entries(gradescope_document(result, tmp_path), "visible")
    assert [(test["status"], test["output"]) for test in visible] == [
        ("failed", visible_failure), ("failed", "grading stopped: the cell took too long")]
    visible = _entries(gradescope_document(not_attempted(), tmp_path), "visible")
    assert [test["status"] for test in visible] == ["failed", "failed"]
    assert all("stub" in test["output"] for test in visible)
    visible = _entries(gradescope_document(hostile_messages(), tmp_path), "visible")
    assert [test["status"] for test in visible] == ["passed", "passed"]  # the hidden checks failed, not these


def test_gradescope_tells_instructors_alone_how_it_was_graded(tmp_path):
    """Does one entry that students never see give the isolation and, where the grader failed, its notes?"""
    result = partial_with_error()
    result.isolation = {"launcher": "bubblewrap 0.8.0", "namespaces": ["user"], "filesystem": "read-only",
                        "limits": ["memory 2 GiB"], "opt_out": False, "applied": []}
    result.grader_notes = ["The grader could not start (bwrap: No permissions to create new namespace)."]
    document = gradescope_document(result, tmp_path)
    [instructors] = _entries(document, "hidden")
    assert document["tests"][-1] is not None and document["tests"][-1]["name"] == instructors["name"]
    assert "bubblewrap 0.8.0" in instructors["output"] and "No permissions" in instructors["output"]
    assert instructors["status"] == "failed"
    shown = json.dumps([test for test in document["tests"] if test["visibility"] != "hidden"]) + document["output"]
    assert "bwrap" not in shown and "bubblewrap" not in shown


def test_gradescope_output_says_written_answers_are_graded_by_hand(tmp_path):
    """Does the summary name the written answers and their points, and show the notices, as plain text?"""
    document = gradescope_document(partial_with_error(), tmp_path)
    assert "q3_explain" in document["output"] and "graded by hand: 4 more points" in document["output"]
    assert "cell 7 timed out" in document["output"]
    # Gradescope renders "simple_format" (its default) as HTML; student text must stay text.
    assert document["output_format"] == document["test_output_format"] == "text"


# --- junit.xml ------------------------------------------------------------------------------------------


def test_junit_validates_with_the_right_counts(results, tmp_path):
    """Does junit.xml validate against the JUnit XSD with tests/failures/errors counted per submission?"""
    path = reports.write_junit(results, tmp_path / "junit.xml")
    junit_schema().validate(path)
    root = ET.parse(path).getroot()
    counts = {suite.get("name"): (suite.get("tests"), suite.get("failures"), suite.get("errors"))
              for suite in root.iter("testsuite")}
    assert counts == {"alice": ("2", "0", "0"), "bob": ("2", "2", "0"), "carol": ("2", "1", "1"),
                      "dave": ("2", "2", "0")}
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("8", "5", "1")
    assert root.find(".//skipped") is None
    assert {case.get("classname") for case in root.iter("testcase")} >= {"regularization.carol"}


def test_junit_types_failures_by_status_and_keeps_notices(results, tmp_path):
    """Is a missing answer a failure of type "not attempted", a broken item an error, and are notices in system-out?"""
    root = ET.parse(reports.write_junit(results, tmp_path / "junit.xml")).getroot()
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert [failure.get("type") for failure in suites["bob"].iter("failure")] == [NOT_ATTEMPTED] * 2
    carol = suites["carol"]
    assert carol.find("testcase[@name='q1_weight_decay']/failure").text.splitlines() == [
        "the penalty ignores the biases", "lambda = 0 gives no decay"]
    error = carol.find("testcase[@name='q2_dropout']/error")
    assert error.get("type") == ERROR and "time limit" in error.text
    assert "cell 7 timed out" in carol.find("system-out").text
    assert suites["alice"].find("system-out") is None


def test_junit_survives_control_characters_in_messages(tmp_path):
    """Does a message with terminal escape codes (invalid in XML) still give a file every XML reader accepts?"""
    path = reports.write_junit([hostile_messages()], tmp_path / "junit.xml")
    junit_schema().validate(path)
    failure = ET.parse(path).getroot().find(".//failure")
    assert SCRIPT in failure.text and "loss & accuracy differ" in failure.text and "\x1b" not in failure.text


# --- feedback pages -------------------------------------------------------------------------------------


class Page(HTMLParser):
    """What a browser would see: the elements, the attributes that load something, and the text."""

    def __init__(self, markup):
        super().__init__()
        self.tags, self.loads, self.text = [], [], []
        self.feed(markup)
        self.text = "".join(self.text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.loads += [value for name, value in attrs if name in ("src", "href", "action")]

    def handle_data(self, data):
        self.text += data


def feedback(result, tmp_path):
    markdown, page = reports.write_feedback(result, tmp_path)
    return markdown.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")


def test_feedback_html_escapes_student_text_and_shows_every_message(tmp_path):
    """Is a <script> in a message shown as text, never run, and is every message on the page?"""
    _, markup = feedback(hostile_messages(), tmp_path)
    page = Page(markup)
    assert "script" not in page.tags and page.loads == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup and "loss &amp; accuracy differ" in markup
    for message in ["your output: " + SCRIPT, "loss & accuracy differ", "1 of 3 checks failed"]:
        assert message in page.text
    assert "\x1b" not in markup


def test_feedback_html_lists_items_written_answers_and_notices(tmp_path):
    """Does the page show the total, each item's points and status, the written answers and the notices?"""
    _, markup = feedback(partial_with_error(), tmp_path)
    text = Page(markup).text
    assert "regularization: feedback for carol" in text and "Autograded: 1.5 / 5 points" in text
    assert "1.5 / 3" in text and "0 / 2" in text and "partial" in text and "error" in text
    assert "Written answers — graded by hand" in text and "q3_explain (4 points): answered" in text
    assert "the locked cell 'setup' was changed; the original was restored" in text


def test_feedback_markdown_lists_written_answers_as_graded_by_hand(tmp_path):
    """Does the Markdown list each written answer under "graded by hand", with its points and whether answered?"""
    markdown, _ = feedback(not_attempted(), tmp_path)
    lines = markdown.splitlines()
    section = lines.index("## Written answers — graded by hand")
    assert r"- q3\_explain (4 points): not answered" in lines[section:]
    assert "**Autograded: 0 / 5 points**" in lines
    assert r"| q1\_weight\_decay | 0 / 3 | not attempted |" in lines


@pytest.mark.parametrize("text", [
    SCRIPT, "loss & accuracy", "*bold* and __init__ and ~~gone~~", "[link](http://example.com) `code`",
    "# not a heading", "- - -", "1. not a list", "12) nor this", "+ plus", "| a | b |", r"back\slash",
    "&amp; stays literal", "two\nlines  and   spaces",
])
def test_markdown_messages_render_as_literal_text(text, tmp_path):
    """Does a Markdown renderer (mistune, as nbconvert uses) show a message as the text it is, never as markup?"""
    mistune = pytest.importorskip("mistune")
    result = submission("erin", [ItemResult("q1_weight_decay", 0, 3, FAILED, [text])])
    markdown, _ = feedback(result, tmp_path)
    item = next(line for line in markdown.splitlines() if line.startswith("- ") and "q3" not in line)
    page = Page(mistune.html(item))
    assert page.tags == ["ul", "li"]
    assert page.text.strip() == " ".join(text.split())


# --- write_all: paths and determinism -------------------------------------------------------------------


def test_write_all_writes_every_file_inside_out_dir(results, tmp_path):
    """Does write_all write the documented files, and return them keyed by their path in out_dir?"""
    paths = reports.write_all(results, tmp_path / "out")
    students = ["alice", "bob", "carol", "dave"]
    assert set(paths) == {"report.json", "gradebook.csv", "junit.xml",
                          *(f"gradescope/{student}/results.json" for student in students),
                          *(f"feedback/{student}.{ext}" for student in students for ext in ("md", "html"))}
    for relative, path in paths.items():
        assert path == tmp_path / "out" / relative and path.is_file()


def test_every_registered_format_is_written_and_documented(results, tmp_path):
    """Does write_all write one file per registered format (and student), and does the README's table of
    report files name each format, so that adding a format in one module is enough and cannot go unlisted?"""
    paths = reports.write_all(results, tmp_path / "out")
    expected = {report.path.format(student=result.student) for report in reports.FORMATS for result in results}
    assert set(paths) == expected
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = [line for line in readme.splitlines() if line.startswith("| `")]
    for report in reports.FORMATS:
        assert any(f"`{report.path.replace('{student}', 'STUDENT')}`" in line for line in table), report.path


@pytest.mark.parametrize("student", [
    "../evil", "../../../evil", "..", "a/../../evil", "a/b", "/tmp/evil", "..\\evil", "C:evil", "", "bad\x00id",
])
def test_hostile_student_id_cannot_write_outside_out_dir(student, results, tmp_path):
    """Is a student id that is not a plain file name refused before anything at all is written?"""
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="student id"):
        reports.write_all([*results, submission(student, [])], out)
    with pytest.raises(ValueError, match="student id"):
        reports.write_feedback(submission(student, []), out / "feedback")
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_reports_refuse_mixed_or_duplicate_submissions():
    """Is a second result for a student, or a result of another assignment, refused instead of overwritten?"""
    with pytest.raises(ValueError, match="more than one result"):
        reports.score_table([full_marks(), full_marks()])
    other = full_marks()
    other.student, other.assignment = "zoe", "augmentation"
    with pytest.raises(ValueError, match="more than one assignment"):
        reports.score_table([full_marks(), other])
    with pytest.raises(ValueError, match="no results"):
        reports.score_table([])


def test_outputs_are_deterministic(results, tmp_path):
    """Does writing the same results twice, in any order, give byte-identical files?"""
    first = reports.write_all(results, tmp_path / "first")
    second = reports.write_all(list(reversed(results)), tmp_path / "second")
    assert first.keys() == second.keys()
    for relative in first:
        assert first[relative].read_bytes() == second[relative].read_bytes(), relative
    assert str(tmp_path) not in "".join(path.read_text(encoding="utf-8") for path in first.values())


# --- the schemas can fail -------------------------------------------------------------------------------


def good_report(tmp_path):
    return json.loads(reports.write_json([partial_with_error()], tmp_path / "report.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "spoil"), [
    ("report.schema.json", lambda document: document.pop("summary")),
    ("report.schema.json", lambda document: document["submissions"][0]["items"][0].update(status="great")),
    ("report.schema.json", lambda document: document["submissions"][0].update(points="1.5")),
    ("gradescope-results.schema.json", lambda document: document.update(score="ten")),
    ("gradescope-results.schema.json", lambda document: document["tests"][0].update(status="ok")),
    ("gradescope-results.schema.json", lambda document: document["tests"][0].update(max_points=3)),
    ("gradescope-results.schema.json", lambda document: document.update(visibility="always")),
    ("gradescope-results.schema.json", lambda document: [document.pop("score"), document["tests"][1].pop("score")]),
])
def test_json_schemas_reject_a_wrong_document(name, spoil, tmp_path):
    """Does each JSON schema reject a document with a missing, misspelt or mistyped field?"""
    document = good_report(tmp_path) if name == "report.schema.json" else gradescope_document(
        partial_with_error(), tmp_path)
    validate_json(document, name)  # the unspoilt document passes, so the failure below is the spoiling's
    spoil(document)
    with pytest.raises(jsonschema.ValidationError):
        validate_json(document, name)


@pytest.mark.parametrize(("xpath", "spoil"), [
    ("testsuite", lambda element: element.attrib.pop("tests")),
    ("testsuite", lambda element: element.set("failures", "one")),
    ("testsuite/testcase", lambda element: ET.SubElement(element, "skipped")),
    ("testsuite/testcase[failure]", lambda element: ET.SubElement(element, "error", message="x", type="error")),
])
def test_junit_schema_rejects_a_wrong_document(xpath, spoil, tmp_path):
    """Does the JUnit XSD reject a suite without counts, a non-numeric count, a skip, and a double outcome?"""
    root = ET.parse(reports.write_junit([partial_with_error()], tmp_path / "junit.xml")).getroot()
    schema = junit_schema()
    schema.validate(root)
    spoil(root.find(xpath))
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(root)


def test_feedback_names_items_by_their_question(tmp_path):
    """Does the student see each item as the notebook asks its question ("3.2 (a) Complete build_optimizer"), not by
    the instructor's grade id?"""
    result = submission("fay", [ItemResult("build_optimizer", 0, 1, FAILED, ["wrong"], label="3.2 (a)",
                                           title="Complete build_optimizer")])
    markdown, markup = feedback(result, tmp_path)
    assert "3.2 (a) Complete build_optimizer" in Page(markup).text
    assert "build_optimizer" not in Page(markup).text.replace("Complete build_optimizer", "")
    assert r"### 3\.2 (a) Complete build\_optimizer" in markdown.splitlines()  # escaped: "3." could start a list


def test_question_labels_follow_the_notebook():
    """Are labels and titles read from the release's section headings and bold questions?"""
    from autograder import prepare

    found = prepare.questions(prepare.template("regularization"))
    assert found["build_optimizer"] == prepare.Question("3.2 (a)",
                                                        "Complete build_optimizer below, then run the experiment")
    assert found["q3_2_e"].label == "3.2 (e)" and found["grid_size_answer"].label == "3.5 (c)"
    assert found["q3_3_b"].title.startswith("Should you put dropout layers before or after ReLU")


def test_question_labels_of_parts_lettered_questions_and_formulas():
    """Does a part numbered by a letter ("# Part B") label its questions, also those numbered "Q1", does a section
    without lettered questions label its cell by itself, and do titles drop points, Markdown and formulas?"""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from autograder import prepare

    def graded(grade_id):
        return new_code_cell("", metadata={"nbgrader": {"grade": True, "grade_id": grade_id, "points": 1}})

    notebook = new_notebook(cells=[
        new_markdown_cell("## 1.2 Half of the training set (1 point)"), graded("half_of"),
        new_markdown_cell("## 1.6 Regularizing\n**(b) Complete `l1(net, lam)` $= \\lambda \\sum |\\theta|$ and `l2`. "
                          "(2 points)**"), graded("penalties"),
        new_markdown_cell("# Part B: weight histograms (FashionMNIST) (4 points)\n**(a) Complete `data(net)`: the "
                          "weights. (1 point)**"), graded("data"),
        new_markdown_cell("**Q1: Describe the histograms. (1 point)**"), graded("q5_1"),
    ])
    found = prepare.questions(notebook)
    assert found["half_of"] == prepare.Question("1.2", "Half of the training set")
    assert found["penalties"] == prepare.Question("1.6 (b)", "Complete l1(net, lam) and l2")
    assert found["data"] == prepare.Question("B (a)", "Complete data(net)")
    assert found["q5_1"] == prepare.Question("B Q1", "Describe the histograms")


def test_grader_notes_reach_the_instructor_never_the_student(tmp_path):
    """Is the grader's own failure ("could not start") in the instructor's JUnit and report.json, and absent from
    the student's feedback and Gradescope output, which say in words that the instructor has been told?"""
    result = submission("gus", [ItemResult("q1_weight_decay", 0, 3, ERROR, ["grading stopped: no worker"])],
                        notices=["Your notebook could not be graded automatically; your instructor has been told."])
    result.grader_notes = ["The grader could not start (bwrap: No permissions to create new namespace)."]
    markdown, markup = feedback(result, tmp_path)
    for student_page in (markdown, Page(markup).text):
        assert "bwrap" not in student_page and "instructor has been told" in student_page
    junit = ET.parse(reports.write_junit([result], tmp_path / "junit.xml")).getroot()
    assert "bwrap" in junit.find(".//system-out").text
    assert result.to_dict()["grader_notes"] == result.grader_notes
