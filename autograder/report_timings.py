"""Reports compared apart from their timings: what "the merge writes an unsharded run's reports" means.

Two gradings of the same submissions write the same report files byte for byte but for the seconds each
submission took, which no two runs share. ``without_timings`` blanks exactly those fields, so that whatever
else differs (a score, a row's order, a feedback page) still shows. The merge's own record (``merge.json``)
is left out: an unsharded run writes none. Used by the shard tests and by ``bench.shards``, which must never
report the throughput of a merge that writes other reports.
"""

import re
from pathlib import Path

TIMINGS = [  # (a timing as one report format writes it, the same with its value blanked)
    (re.compile(rb'"seconds": [0-9.]+'), b'"seconds": T'),  # report.json
    (re.compile(rb'"execution_time": [0-9.]+'), b'"execution_time": T'),  # gradescope/STUDENT/results.json
    (re.compile(rb' time="[0-9.]+"'), b' time="T"'),  # junit.xml
]
MERGE_RECORD = "merge.json"


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, by its path relative to it (with "/"), as bytes."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


def without_timings(folder: Path) -> dict[str, bytes]:
    """Every report file under ``folder`` but merge.json, with the timings blanked."""
    reports = {}
    for name, content in files(folder).items():
        for pattern, blank in TIMINGS:
            content = pattern.sub(blank, content)
        reports[name] = content
    reports.pop(MERGE_RECORD, None)
    return reports


def differences(expected: Path, actual: Path) -> list[str]:
    """How the reports under ``actual`` differ from those under ``expected``, timings apart: one line per file
    missing, extra or different; empty when they are the same."""
    want, got = without_timings(expected), without_timings(actual)
    return ([f"missing: {name}" for name in sorted(want.keys() - got.keys())]
            + [f"extra: {name}" for name in sorted(got.keys() - want.keys())]
            + [f"different: {name}" for name in sorted(want.keys() & got.keys()) if want[name] != got[name]])
