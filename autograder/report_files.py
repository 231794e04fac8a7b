"""A grading run's report files, read back for comparison: the merge of shards must write what one unsharded run
writes, byte for byte apart from the timings (which no two runs share). Used by the tests, and by
``bench.shards``, which must never report the throughput of a merge that writes other reports."""

import re
from pathlib import Path

# Where each report records how long grading took.
TIMINGS = [
    (re.compile(rb'"seconds": [0-9.]+'), b'"seconds": T'),  # report.json
    (re.compile(rb'"execution_time": [0-9.]+'), b'"execution_time": T'),  # gradescope/STUDENT/results.json
    (re.compile(rb' time="[0-9.]+"'), b' time="T"'),  # junit.xml
    (re.compile(rb'"at": "[0-9T:Z-]+"'), b'"at": "T"'),  # report.json's regrades: when each one ran
]
MERGE_RECORD = "merge.json"  # the merge's own record of its shards: no unsharded run writes one


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, by its path relative to it."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


def without_timings(folder: Path) -> dict[str, bytes]:
    """The report files under ``folder`` but the merge's record, with every timing blanked."""
    found = {}
    for name, content in files(folder).items():
        for pattern, blank in TIMINGS:
            content = pattern.sub(blank, content)
        found[name] = content
    found.pop(MERGE_RECORD, None)
    return found


def differences(expected: Path, actual: Path) -> list[str]:
    """How the reports under ``actual`` differ from those under ``expected``, timings apart: one line per file
    missing, extra or different; empty when they are the same."""
    want, got = without_timings(expected), without_timings(actual)
    return ([f"missing: {name}" for name in sorted(want.keys() - got.keys())]
            + [f"extra: {name}" for name in sorted(got.keys() - want.keys())]
            + [f"different: {name}" for name in sorted(want.keys() & got.keys()) if want[name] != got[name]])
