"""Does the README's "Adding an assignment" name every place an assignment lives, and no code list them by hand?"""

import re
import subprocess

import pytest

from autograder import course
from tests.conftest import ASSIGNMENTS, ROOT

# names every assignment, but as a made-up course of its own: discovery's fixture, not this course's list
KNOWN_LISTS = ["tests/test_grade_discovery.py"]
# `make release solutions` writes the first two from source/; the benchmarks write their measurements, per assignment
GENERATED = ("release/", "solutions/", "bench/results/")


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"### {title}")
    return text[start:text.index("\n#", start + 1)]


def places_to_touch() -> list[str]:
    """The paths of "Adding an assignment", with NEW for the assignment and {a,b} for alternatives."""
    return sorted({path for path in re.findall(r"`([^`\s]*NEW[^`\s]*)`", _section("Adding an assignment"))
                   if "/" in path})


def _expand(path: str, assignment: str) -> list[str]:
    alternatives = re.search(r"\{([^}]*)\}", path)
    paths = [path.replace(alternatives.group(0), choice) for choice in alternatives.group(1).split(",")] \
        if alternatives else [path]
    return [p.replace("NEW", assignment) for p in paths]


def test_the_section_names_the_places():
    assert {"source/NEW/NEW.ipynb", "autograder/checks/NEW.py", "autograder/specs/NEW.md",
            "tests/submissions/NEW.py"} <= set(places_to_touch())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_has_every_place(assignment):
    missing = [path for place in places_to_touch() for path in _expand(place, assignment)
               if not (ROOT / path).exists()]
    assert missing == []
    assert course.release_notebook(assignment).exists() and course.solution_notebook(assignment).exists()


def test_no_file_keeps_a_list_of_the_assignments():
    """Code finds assignments in source/ (``course.assignments``): a file that names every one of them holds a
    list that a new assignment would have to join, a place the README does not name."""
    def naming(assignment: str) -> set[str]:
        return set(subprocess.run(["git", "grep", "-l", "-w", assignment, "--", ":!*.ipynb", ":!*.md"], cwd=ROOT,
                                  capture_output=True, text=True, check=True).stdout.split())

    lists = set.intersection(*map(naming, ASSIGNMENTS))
    own = {path for assignment in ASSIGNMENTS for place in places_to_touch() for path in _expand(place, assignment)}
    # an assignment's own files may use another's name as a word ("penalties" is an item of cnn_regularization)
    assert sorted(lists - own - {p for p in lists if p.startswith(GENERATED)}) == sorted(KNOWN_LISTS)
