"""Report writers: the files that instructors, CI servers, Gradescope and students read after grading.

Every writer takes ``SubmissionResult`` objects (``autograder.results``) and nothing else, so a report can
never show more than grading put into the result. Output is deterministic (submissions sorted by student,
no timestamps, fixed line endings): grading the same submissions twice gives byte-identical files, which
keeps reports diffable and cacheable.

| writer            | file                                   | read by                                   |
| ----------------- | -------------------------------------- | ----------------------------------------- |
| write_json        | report.json                            | tools; schemas/report.schema.json         |
| write_csv         | gradebook.csv                          | instructors' spreadsheets, LMS imports    |
| write_junit       | junit.xml                              | CI servers (Jenkins, GitLab, GitHub)      |
| write_gradescope  | gradescope/<student>/results.json      | Gradescope's autograder harness           |
| write_feedback    | feedback/<student>.md, .html           | the student                               |
| score_table       | (a string)                             | the instructor, on the console            |
"""

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from autograder.results import ERROR, PASSED, ItemResult, SubmissionResult

GENERATED_BY = "reglab autograder"
SCHEMAS = Path(__file__).parent / "schemas"

# Ids become file names: refuse path separators, "..", NUL and control characters, and ":" (on Windows
# "C:x" names another drive). Refusing beats renaming: two renamed ids could collide and swap feedback.
_UNSAFE_ID = re.compile(r"[/\\:\x00-\x1f]|\.\.|^\.?$")
# Characters XML 1.0 cannot hold at all (ANSI escapes in tracebacks are the usual ones): ElementTree would
# write them and every XML reader would then reject the whole file; in HTML and Markdown they are garbage.
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Markdown that a student's text could trigger inline: emphasis, code, links, strike-through, table cells.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]~|])")
# ...and at the start of a list item: headings, nested lists, thematic breaks ("- - -"), ordered lists ("1.").
_MARKDOWN_BLOCK_START = re.compile(r"^(\d*)([#+\-=]|(?<=\d)[.)])")


# --- shared helpers -------------------------------------------------------------------------------------


def _sorted(results: Iterable[SubmissionResult]) -> list[SubmissionResult]:
    """The results of one assignment, one per student, sorted by student (the order of every report)."""
    results = sorted(results, key=lambda result: result.student)
    if not results:
        raise ValueError("no results to report")
    students = [result.student for result in results]
    if len(set(students)) != len(students):
        raise ValueError(f"more than one result for a student: {students}")
    assignments = {result.assignment for result in results}
    if len(assignments) != 1:
        raise ValueError(f"results of more than one assignment: {sorted(assignments)}")
    return results


def _grade_ids(results: list[SubmissionResult]) -> list[str]:
    """The autograded items of the assignment, in its order: a submission that lacks some (read first) must
    not push the others to the end."""
    most_complete_first = sorted(results, key=lambda result: -len(result.items))
    return list(dict.fromkeys(item.grade_id for result in most_complete_first for item in result.items))


def _number(value: float) -> str:
    """Points for people: at most 2 decimals, no trailing zeros (10, 7.5, 0.33)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _score(points: float, max_points: float) -> str:
    return f"{_number(points)} / {_number(max_points)}"


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub("\ufffd", text)


def _failed(item: ItemResult) -> bool:
    return item.points < item.max_points


def _new_file(path) -> Path:
    """``path`` as a Path whose folder exists."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write_text(path, text: str) -> Path:
    """Write UTF-8 with "\\n" line ends whatever the platform, so that the bytes are the same everywhere."""
    path = _new_file(path)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def _write_json_document(document: dict, path) -> Path:
    # allow_nan=False: NaN is not JSON, and a consumer would choke on it far from here.
    return _write_text(path, json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _checked_student_id(student: str) -> str:
    if _UNSAFE_ID.search(student):
        raise ValueError(f"student id {student!r} cannot be used as a file name")
    return student


def _inside(root: Path, *parts: str) -> Path:
    """``root / parts``, refusing any path that would land outside ``root`` (second line of defence)."""
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"{path} is outside {root}")
    return path


# --- report.json ----------------------------------------------------------------------------------------


def _summary(results: list[SubmissionResult]) -> dict:
    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 4)

    item_points = {grade_id: [] for grade_id in _grade_ids(results)}
    for result in results:
        for item in result.items:
            item_points[item.grade_id].append(item.points)
    return {
        "count": len(results),
        "mean_points": mean([result.points for result in results]),
        "max_points": max(result.max_points for result in results),
        "written_max_points": max(result.written_points for result in results),
        "item_means": {grade_id: mean(points) for grade_id, points in item_points.items()},
        "isolation": sorted({result.isolation["launcher"] for result in results if result.isolation}),
        "graded_without_isolation": sum(bool(result.isolation and result.isolation["opt_out"]) for result in results),
    }


def write_json(results: list[SubmissionResult], path) -> Path:
    """The full report, for tools: every submission as ``SubmissionResult.to_dict`` plus a summary.

    Validated by ``schemas/report.schema.json``.
    """
    results = _sorted(results)
    document = {
        "assignment": results[0].assignment,
        "generated_by": GENERATED_BY,
        "submissions": [result.to_dict() for result in results],
        "summary": _summary(results),
    }
    return _write_json_document(document, path)


# --- gradebook.csv and the console table ----------------------------------------------------------------


def _gradebook(results: list[SubmissionResult], cell: Callable[[float], object]) -> pd.DataFrame:
    """One row per student: each item's points, then the totals; ``cell`` formats each number.

    Items a submission lacks stay empty (NaN), so a missing cell is not mistaken for a zero.
    """
    rows = []
    for result in results:
        points = {item.grade_id: cell(item.points) for item in result.items}
        rows.append({"student": result.student, "notebook": result.notebook, **points})
    return pd.DataFrame(rows, columns=["student", "notebook", *_grade_ids(results)])


def write_csv(results: list[SubmissionResult], path) -> Path:
    """The gradebook, for instructors and LMS imports: one row per student, one column per item's points,
    then the autograded total and maximum, the maximum of the written answers (graded by hand, so not in
    ``autograded``) and the number of notices."""
    results = _sorted(results)
    table = _gradebook(results, cell=lambda value: round(value, 4))
    table["autograded"] = [result.points for result in results]
    table["autograded_max"] = [result.max_points for result in results]
    table["written_max"] = [result.written_points for result in results]
    table["notices"] = [len(result.notices) for result in results]
    path = _new_file(path)
    table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


def isolation_summary(results: list[SubmissionResult]) -> str:
    """What the submissions ran inside, for the instructor's console: one line per distinct sandbox, and a
    warning above them when any was graded with --no-isolation."""
    kinds: dict[str, int] = {}
    for result in results:
        if result.isolation:
            line = _isolation_line(result.isolation)
            kinds[line] = kinds.get(line, 0) + 1
    lines = [f"Isolation ({count} submission{'s' * (count != 1)}): {line}" for line, count in kinds.items()]
    if any(result.isolation and result.isolation["opt_out"] for result in results):
        lines.insert(0, "WARNING: graded WITHOUT isolation (--no-isolation): submissions could read and change "
                        "anything this user can. Every report records it.")
    return "\n".join(lines)


def _isolation_line(isolation: dict) -> str:
    if isolation["opt_out"]:
        return "none (--no-isolation); limits: " + "; ".join(isolation["limits"])
    return (f"{isolation['launcher']}: {', '.join(isolation['namespaces'])} namespaces; {isolation['filesystem']}; "
            + "; ".join(isolation["limits"] + isolation["applied"]))


def score_table(results: list[SubmissionResult]) -> str:
    """The table the CLI prints after grading: each item's points, the autograded total / max, and the
    points that are left to grade by hand. Plain text, numbers right-aligned, at most 2 decimals."""
    results = _sorted(results)
    table = _gradebook(results, cell=_number).drop(columns="notebook").fillna("-")
    table["autograded"] = [_score(result.points, result.max_points) for result in results]
    table["written (by hand)"] = [_number(result.written_points) for result in results]
    return table.to_string(index=False)


# --- junit.xml ------------------------------------------------------------------------------------------


def _testcase(result: SubmissionResult, item: ItemResult) -> ET.Element:
    case = ET.Element("testcase", classname=f"{result.assignment}.{result.student}", name=item.grade_id)
    # No time attribute: items are not timed separately, and a made-up 0 would read as a measurement.
    if item.status == ERROR or _failed(item):
        outcome = ET.SubElement(case, "error" if item.status == ERROR else "failure")
        outcome.set("message", f"{_score(item.points, item.max_points)} points ({item.status})")
        outcome.set("type", item.status)
        outcome.text = "\n".join(item.messages)
    return case


def _testsuite(result: SubmissionResult) -> ET.Element:
    cases = [_testcase(result, item) for item in result.items]
    suite = ET.Element("testsuite", name=result.student, tests=str(len(cases)),
                       failures=str(sum(case.find("failure") is not None for case in cases)),
                       errors=str(sum(case.find("error") is not None for case in cases)),
                       time=f"{result.seconds:.3f}")
    if result.isolation:  # what the submission ran inside, for whoever reads the CI's test report
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="isolation", value=_isolation_line(result.isolation))
        ET.SubElement(properties, "property", name="isolation.opt_out", value=str(result.isolation["opt_out"]).lower())
    suite.extend(cases)
    if result.notices:
        ET.SubElement(suite, "system-out").text = "\n".join(result.notices)
    return suite


def _xml_clean(element: ET.Element) -> None:
    """Replace characters that XML cannot hold in every text and attribute (student text can hold any)."""
    for node in element.iter():
        node.text = node.text and _printable(node.text)
        node.attrib = {key: _printable(value) for key, value in node.attrib.items()}


def write_junit(results: list[SubmissionResult], path) -> Path:
    """JUnit XML for CI servers: a <testsuite> per submission, a <testcase> per autograded item.

    An item below full points is a <failure> (type = its status, "not attempted" included: a missing
    answer is not a skipped test); an item whose grading broke off is an <error>. Submission notices go to
    the suite's <system-out>. Written answers are not in it: they are graded by hand. Validated by
    ``schemas/junit.xsd``, a strict subset of the Jenkins xunit plugin's junit-10.xsd.
    """
    results = _sorted(results)
    suites = [_testsuite(result) for result in results]
    root = ET.Element("testsuites", name=f"{GENERATED_BY}: {results[0].assignment}")
    for count in ("tests", "failures", "errors"):
        root.set(count, str(sum(int(suite.get(count)) for suite in suites)))
    root.set("time", f"{sum(result.seconds for result in results):.3f}")
    root.extend(suites)
    _xml_clean(root)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    path = _new_file(path)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


# --- Gradescope -----------------------------------------------------------------------------------------


def _gradescope_output(result: SubmissionResult) -> str:
    lines = [f"Autograded: {_score(result.points, result.max_points)} points."]
    if result.written:
        names = ", ".join(item.grade_id for item in result.written)
        lines.append(f"Written answers ({names}) are graded by hand: {_number(result.written_points)} more points, "
                     "not included in this score.")
    if result.notices:
        lines += ["", "Notices:", *(f"- {notice}" for notice in result.notices)]
    return "\n".join(lines)


def _gradescope_test(item: ItemResult) -> dict:
    return {
        "name": item.grade_id,
        "score": item.points,
        "max_score": item.max_points,
        # Gradescope knows only passed/failed; reglab's finer status is kept in extra_data.
        "status": "passed" if item.status == PASSED and not _failed(item) else "failed",
        "output": "\n".join(item.messages),
        "visibility": "visible",
        "extra_data": {"status": item.status},
    }


def write_gradescope(result: SubmissionResult, path) -> Path:
    """Gradescope's ``/autograder/results/results.json`` for one submission (its "Autograder Specifications").

    "score" is the autograded total and overrides the sum of the tests. Written answers are not tests:
    a test without a score counts as an informational pass/fail check, which a hand-graded answer is not,
    so they are named in "output" and graded in Gradescope's own manual-grading questions. All text is
    sent as "text" (Gradescope's default "simple_format" renders HTML, and messages can hold a student's).
    Validated by ``schemas/gradescope-results.schema.json``.
    """
    document = {
        "score": result.points,
        "execution_time": round(result.seconds, 3),
        "output": _gradescope_output(result),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",  # stdout is the grader's log, for instructors only
        "tests": [_gradescope_test(item) for item in result.items],
    }
    return _write_json_document(document, path)


# --- feedback pages -------------------------------------------------------------------------------------
# The Markdown and HTML pages say the same things in the same order; these helpers hold the wording, the two
# renderers only the markup. Texts are passed raw and escaped by the renderer, once.

_WRITTEN_HEADING = "Written answers — graded by hand"


def _feedback_title(result: SubmissionResult) -> str:
    return f"{result.assignment}: feedback for {result.student}"


def _feedback_total(result: SubmissionResult) -> str:
    return f"Autograded: {_score(result.points, result.max_points)} points"


def _written_note(result: SubmissionResult) -> str:
    return f"Worth {_number(result.written_points)} points, not included in the autograded total."


def _written_lines(result: SubmissionResult) -> list[str]:
    return [f"{item.grade_id} ({_number(item.max_points)} point{'' if item.max_points == 1 else 's'}): "
            f"{'answered' if item.answered else 'not answered'}" for item in result.written]


def _markdown_text(text: str) -> str:
    """``text`` as literal Markdown on one line: HTML escaped (Markdown passes tags through to the page),
    inline markup and block starts backslash-escaped, line breaks and runs of spaces folded into one space
    (indentation and trailing spaces mean code blocks and hard breaks)."""
    text = " ".join(_printable(text).split())
    text = _MARKDOWN_INLINE.sub(r"\\\1", html.escape(text, quote=False))
    return _MARKDOWN_BLOCK_START.sub(r"\1\\\2", text)


def _markdown_list(texts: Iterable[str]) -> list[str]:
    return [f"- {_markdown_text(text)}" for text in texts]


def _feedback_markdown(result: SubmissionResult) -> str:
    md = _markdown_text
    lines = [
        f"# {md(_feedback_title(result))}",
        "",
        f"Notebook: {md(result.notebook)}",
        "",
        f"**{_feedback_total(result)}**",
        "",
        "| Item | Points | Status |",
        "| --- | ---: | --- |",
        *(f"| {md(item.grade_id)} | {_score(item.points, item.max_points)} | {md(item.status)} |"
          for item in result.items),
    ]
    for item in result.items:
        if item.messages:
            lines += ["", f"### {md(item.grade_id)}", "", *_markdown_list(item.messages)]
    if result.written:
        lines += ["", f"## {_WRITTEN_HEADING}", "", _written_note(result), "", *_markdown_list(_written_lines(result))]
    if result.notices:
        lines += ["", "## Notices", "", *_markdown_list(result.notices)]
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem;
       color: #1f2328; line-height: 1.5; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; } h3 { font-size: 1.05rem; }
.total { font-size: 1.2rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #d0d7de; padding: .4rem .6rem; text-align: left; }
.points { text-align: right; font-variant-numeric: tabular-nums; }
li { white-space: pre-wrap; }
.status { border-radius: 1rem; padding: .1rem .6rem; font-size: .9rem; background: #eaeef2; }
.passed { background: #dafbe1; } .partial { background: #fff8c5; }
.failed, .not-attempted, .error { background: #ffebe9; }
""".strip()


def _html_text(text: str) -> str:
    return html.escape(_printable(text))


def _html_list(texts: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{_html_text(text)}</li>" for text in texts) + "</ul>"


def _html_row(item: ItemResult) -> str:
    status = f'<span class="status {_html_text(item.status.replace(" ", "-"))}">{_html_text(item.status)}</span>'
    return (f'<tr><td>{_html_text(item.grade_id)}</td><td class="points">{_score(item.points, item.max_points)}</td>'
            f"<td>{status}</td></tr>")


def _feedback_html(result: SubmissionResult) -> str:
    e = _html_text
    body = [
        f"<h1>{e(_feedback_title(result))}</h1>",
        f"<p>Notebook: {e(result.notebook)}</p>",
        f'<p class="total">{_feedback_total(result)}</p>',
        '<table><thead><tr><th>Item</th><th class="points">Points</th><th>Status</th></tr></thead>',
        f"<tbody>{''.join(_html_row(item) for item in result.items)}</tbody></table>",
        *(f"<h3>{e(item.grade_id)}</h3>{_html_list(item.messages)}" for item in result.items if item.messages),
    ]
    if result.written:
        body += [f"<h2>{_WRITTEN_HEADING}</h2>", f"<p>{_written_note(result)}</p>", _html_list(_written_lines(result))]
    if result.notices:
        body += ["<h2>Notices</h2>", _html_list(result.notices)]
    # The CSP forbids scripts and every outside resource: should escaping ever miss something, it cannot run.
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(_feedback_title(result))}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head><body>",
        *body,
        "</body></html>",
    ]) + "\n"


def write_feedback(result: SubmissionResult, folder) -> list[Path]:
    """The student's feedback, as ``<student>.md`` and a self-contained ``<student>.html`` (inline CSS, no
    scripts, no outside assets) in ``folder``: autograded points, a table of items, each item's messages,
    the written answers (graded by hand) and the notices. Every text from the result is escaped."""
    folder = Path(folder)
    student = _checked_student_id(result.student)
    return [_write_text(_inside(folder, f"{student}.md"), _feedback_markdown(result)),
            _write_text(_inside(folder, f"{student}.html"), _feedback_html(result))]


# --- everything -----------------------------------------------------------------------------------------


def write_all(results: list[SubmissionResult], out_dir) -> dict[str, Path]:
    """Write every report into ``out_dir``; returns each file's path keyed by its path relative to out_dir.

    Student ids are checked before anything is written, so a hostile id leaves no partial reports behind.
    """
    out_dir = Path(out_dir)
    results = _sorted(results)
    for result in results:
        _checked_student_id(result.student)
    paths = [
        write_json(results, out_dir / "report.json"),
        write_csv(results, out_dir / "gradebook.csv"),
        write_junit(results, out_dir / "junit.xml"),
    ]
    for result in results:
        paths.append(write_gradescope(result, _inside(out_dir, "gradescope", result.student, "results.json")))
        paths += write_feedback(result, out_dir / "feedback")
    return {path.relative_to(out_dir).as_posix(): path for path in paths}
