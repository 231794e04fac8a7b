"""junit.xml: one test suite per submission and one test case per item, for CI servers."""

import xml.etree.ElementTree as ET
from pathlib import Path

from autograder.reports.common import GENERATED_BY, failed, isolation_line, new_file, printable, score, sorted_results
from autograder.reports.registry import report_format
from autograder.results import ERROR, ItemResult, SubmissionResult


def _testcase(result: SubmissionResult, item: ItemResult) -> ET.Element:
    case = ET.Element("testcase", classname=f"{result.assignment}.{result.student}", name=item.grade_id)
    # No time attribute: items are not timed separately, and a made-up 0 would read as a measurement.
    if item.status == ERROR or failed(item):
        outcome = ET.SubElement(case, "error" if item.status == ERROR else "failure")
        outcome.set("message", f"{score(item.points, item.max_points)} points ({item.status})")
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
        ET.SubElement(properties, "property", name="isolation", value=isolation_line(result.isolation))
        ET.SubElement(properties, "property", name="isolation.opt_out", value=str(result.isolation["opt_out"]).lower())
    suite.extend(cases)
    if result.notices or result.grader_notes:  # CI's log is the instructor's: the grader's own notes too
        ET.SubElement(suite, "system-out").text = "\n".join(result.notices + result.grader_notes)
    return suite


def _xml_clean(element: ET.Element) -> None:
    """Replace characters that XML cannot hold in every text and attribute (student text can hold any)."""
    for node in element.iter():
        node.text = node.text and printable(node.text)
        node.attrib = {key: printable(value) for key, value in node.attrib.items()}


@report_format("junit.xml", "CI servers (Jenkins, GitLab, GitHub)")
def write_junit(results: list[SubmissionResult], path) -> Path:
    """JUnit XML for CI servers: a <testsuite> per submission, a <testcase> per autograded item.

    An item below full points is a <failure> (type = its status, "not attempted" included: a missing
    answer is not a skipped test); an item whose grading broke off is an <error>. Submission notices go to
    the suite's <system-out>. Written answers are not in it: they are graded by hand. Validated by
    ``schemas/junit.xsd``, a strict subset of the Jenkins xunit plugin's junit-10.xsd.
    """
    results = sorted_results(results)
    suites = [_testsuite(result) for result in results]
    root = ET.Element("testsuites", name=f"{GENERATED_BY}: {results[0].assignment}")
    for count in ("tests", "failures", "errors"):
        root.set(count, str(sum(int(suite.get(count)) for suite in suites)))
    root.set("time", f"{sum(result.seconds for result in results):.3f}")
    root.extend(suites)
    _xml_clean(root)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    path = new_file(path)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
