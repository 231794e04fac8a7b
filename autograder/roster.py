"""The course roster: who each of the kit's students is in the LMS.

A roster is a CSV file with a header row and one row per student. Its columns (only ``student`` is required; a
column may be left out or a cell left empty):

| column | what it holds | used by |
|---|---|---|
| ``student`` | the kit's id: nbgrader's folder name in ``submitted/`` | every export |
| ``name`` | the name people read ("Ada Lovelace") | Canvas's "Student", Moodle's "Full name" |
| ``email`` | the LMS account's e-mail address | Moodle's "Email address" |
| ``canvas_id`` | Canvas's numeric user id | Canvas's "ID" |
| ``sis_user_id`` | the SIS user id | Canvas's "SIS User ID" |
| ``sis_login_id`` | the SIS login id | Canvas's "SIS Login ID" |
| ``section`` | the course section | Canvas's "Section" |
| ``moodle_idnumber`` | the Moodle profile's ID number | Moodle's "ID number" |
| ``moodle_username`` | the Moodle username | Moodle's "Username" |

Any other column is refused, naming the valid ones: a misspelt "canvas_ids" would otherwise leave every id empty
without a word.
"""

import csv
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class RosterEntry:
    student: str
    name: str = ""
    email: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    moodle_idnumber: str = ""
    moodle_username: str = ""


COLUMNS = tuple(field.name for field in fields(RosterEntry))


class InvalidRoster(ValueError):
    """The roster file cannot be used as it is; the message says where and why."""


def read(path: Path) -> list[RosterEntry]:
    """The roster's entries in the file's order (the order the exports keep)."""
    path = Path(path)
    # utf-8-sig: a roster saved by a spreadsheet often starts with a byte order mark
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        header = [name.strip() for name in reader.fieldnames or []]
        unknown = [name for name in header if name not in COLUMNS]
        if unknown:
            raise InvalidRoster(f"{path}: unknown column(s) {', '.join(map(repr, unknown))}; "
                                f"the columns are: {', '.join(COLUMNS)}")
        if "student" not in header:
            raise InvalidRoster(f"{path}: no 'student' column (the kit's student id, nbgrader's folder name)")
        entries, problems = [], []
        for line, row in enumerate(reader, start=2):
            values = {name.strip(): (value or "").strip() for name, value in row.items() if name is not None}
            if not values["student"]:
                problems.append(f"line {line}: no student id")
                continue
            entries.append(RosterEntry(**values))
    seen: dict[str, int] = {}
    for entry in entries:
        seen[entry.student] = seen.get(entry.student, 0) + 1
    problems += [f"student {student!r} is listed {times} times" for student, times in seen.items() if times > 1]
    if problems:
        raise InvalidRoster(f"{path}: " + "; ".join(problems))
    return entries
