"""Does the grader refuse to grade without isolation unless told to, record what it had, and keep the hidden
checks out of student code's reach in every mode? CI runs this module as root and as an unprivileged user."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from autograder import launchers, limits, protocol
from tests.submissions import make_submission
from tests.test_hostile_submissions import check_files, code_lines, grade_with_kit, hostile_submissions, read_report

READERS = ["reads-the-check-files", "reads-the-checks-through-inspect", "reads-the-checks-through-gc",
           "reads-the-checks-through-frames", "fails-inside-a-check"]


def test_the_grader_refuses_when_no_isolation_can_be_had(kit_copy, tmp_path):
    """Without bubblewrap, is grading refused with a message that says how to get isolation, and nothing written?"""
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    nbformat.write(make_submission("regularization"), submissions / "ada.ipynb")
    out = tmp_path / "reports"
    run = grade_with_kit(kit_copy, [submissions], out, "--isolation", "bubblewrap",
                         env={"PATH": str(tmp_path / "no-programs-here")})
    assert run.returncode == 2
    assert "Refusing to grade" in run.stderr and "bubblewrap (bwrap) is not installed" in run.stderr
    assert "apt-get install bubblewrap" in run.stderr and "--no-isolation" in run.stderr
    assert not out.exists()


def test_auto_refuses_where_no_launcher_works(monkeypatch):
    """Does "auto" refuse, naming every launcher's problem, where none can give its guarantees?"""
    monkeypatch.setattr(launchers.shutil, "which", lambda name: None)
    with pytest.raises(launchers.IsolationUnavailable) as refusal:
        launchers.choose("auto")
    assert "bubblewrap: bubblewrap (bwrap) is not installed" in str(refusal.value)
    assert "namespaces:" in str(refusal.value)
    assert isinstance(launchers.choose("auto", no_isolation=True), launchers.NoIsolation)


@pytest.fixture(scope="module")
def unisolated(kit_copy, tmp_path_factory):
    """The solution and the check readers, graded with the explicit opt-out."""
    batch = tmp_path_factory.mktemp("unisolated")
    readers = hostile_submissions(kit_copy, batch, batch / "canary.txt", 9, 9)
    for name in ["holds-a-secret", *READERS]:
        nbformat.write(make_submission("regularization", readers[name]), batch / f"{name}.ipynb")
    out = tmp_path_factory.mktemp("unisolated-reports")
    run = grade_with_kit(kit_copy, [batch], out, "--no-isolation")
    assert run.returncode == 0, run.stderr[-3000:]
    return run, out, read_report(out), kit_copy


def test_the_opt_out_is_printed_and_recorded_in_every_report(unisolated):
    """Is --no-isolation printed with the scores, and recorded in report.json and JUnit for every submission?"""
    run, out, results, _ = unisolated
    assert "WARNING: graded WITHOUT isolation (--no-isolation)" in run.stdout
    assert all(result.isolation["opt_out"] and result.isolation["launcher"] == "none" for result in results.values())
    summary = json.loads((out / "regularization" / "report.json").read_text())["summary"]
    assert summary["graded_without_isolation"] == len(results)
    suites = ET.parse(out / "regularization" / "junit.xml").getroot().findall("testsuite")
    opt_outs = [suite.find("properties/property[@name='isolation.opt_out']").get("value") for suite in suites]
    assert opt_outs == ["true"] * len(results)
    assert results["holds-a-secret"].points == results["holds-a-secret"].max_points


def test_feedback_carries_no_internal_notices(unisolated):
    """Does a student's feedback page say nothing of the sandbox (that is for the instructor's reports)?"""
    _, out, _, _ = unisolated
    for page in (out / "regularization" / "feedback").iterdir():
        text = page.read_text().lower()
        assert "isolation" not in text and "sandbox" not in text and "bubblewrap" not in text


@pytest.mark.parametrize("name", ["reads-the-checks-through-inspect", "reads-the-checks-through-gc",
                                  "reads-the-checks-through-frames", "fails-inside-a-check"])
def test_checks_cannot_be_read_from_memory_even_without_isolation(unisolated, name):
    """Do inspect, linecache, gc, frames and a check's traceback find no check source, even unsandboxed?"""
    _, _, results, kit = unisolated
    lines = code_lines(check_files(kit))
    text = " ".join(message for item in results[name].items for message in item.messages)
    assert [line for line in lines if line in text] == []


def test_without_isolation_the_check_files_can_be_read(unisolated):
    """Is the opt-out as weak as the README says (files are readable), so that the leak test above can fail?"""
    _, _, results, kit = unisolated
    text = " ".join(message for item in results["reads-the-check-files"].items for message in item.messages)
    first_lines = (kit / "autograder" / "checks" / "regularization.py").read_text()[:60]
    assert first_lines[:40] in text


def test_limits_are_set_by_name():
    """Does --limits change the named limits only, and refuse an unknown name with the valid ones?"""
    parsed = limits.parse("cell=4, item=8,wall=90,max_processes=32")
    assert (parsed.cell_seconds, parsed.item_seconds, parsed.wall_seconds, parsed.max_processes) == (4, 8, 90, 32)
    assert parsed.memory_bytes == limits.Limits().memory_bytes
    with pytest.raises(ValueError, match="cell, item"):
        limits.parse("cells=4")


def test_events_are_typed_and_forgeries_dropped():
    """Does an event survive the pipe as its type, and is a line with another key's signature dropped?"""
    key, other = b"k" * 32, b"o" * 32
    event = protocol.ItemDone("grid_size", 0.5, ["half"], not_attempted=False)
    line = protocol.signed_line(event, key).rstrip("\n")
    assert protocol.verified_event(line, key) == event
    assert protocol.verified_event(protocol.signed_line(event, other).rstrip("\n"), key) is None
    assert protocol.verified_event('{"event": "Done"}\t' + "0" * 64, key) is None
    job = protocol.Job("regularization", [protocol.CellJob("x = 1", "answer", "a")], ["a"], {"a": "assert x"})
    assert protocol.Job.from_json(job.to_json()) == job


def test_the_sandbox_binds_no_folder_twice_and_hides_only_what_is_visible(tmp_path):
    """Are nested folders bound once (outermost), and secret paths inside another secret path left alone?"""
    inner, outer = tmp_path / "a" / "b", tmp_path / "a"
    inner.mkdir(parents=True)
    assert launchers._outermost([inner, outer, Path("/usr/lib")]) == [outer]
    hidden = launchers._secret_paths([inner, outer])
    assert outer in hidden and inner not in hidden
