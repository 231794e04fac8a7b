"""Moodle's grade import CSV (Grades > Import > CSV file).

Follows Moodle's "Grade import" documentation (docs.moodle.org, Grade_import, 3.11 and 4.5: "the import file format
is the same as the corresponding export format"; the user column and every grade column are mapped by hand at
import, "Map from" a column "Map to" useremail, useridnumber and so on; feedback is to be imported together with its
grades) and its source (moodle/moodle, ``grade/import/csv/classes/load_data.php``, which reads the file, and
``grade/export/lib.php``, which names the export's columns), read for this module:

- Any header names: at import the teacher maps one column to the user field it holds, ``useremail``,
  ``useridnumber``, ``username`` or ``userid``, and each other column to a grade item, to "new grade item" (named by
  its header), to a grade item's feedback, or to nothing. The kit writes ``Full name`` (for people; not mapped),
  ``Email address``, ``ID number`` and ``Username``, and refuses a roster unless one of the last three is filled
  for every student, since Moodle stops the whole import at a row whose user it cannot find.
- Per assignment ``A``: ``A``, the total to map to the grade item; ``A (Feedback)``, named as Moodle's export names
  a feedback column (``{name} ({extra})``), with the notes (late, written answers not graded yet), to map to the
  item's feedback; then the detail columns, to leave unmapped or map to grade items of their own.
- ``-`` is "no grade", as Moodle's export writes it, and its importer reads ``-`` and an empty cell alike as no
  grade. A roster student with no submission gets ``-``, not 0: the kit does not know why, and the course's
  aggregation ("Aggregate only non-empty grades") decides what a missing grade counts.

Not verified against a running Moodle (none was reachable): the mapping page's defaults for these headers; that
the user columns' names are word for word those of Moodle's English export (the mapping makes them matter to
people only); that the grade item's maximum must be the assignment's points possible (create the item with it;
the import does not scale); and that importing "no grade" over a grade entered by hand clears it, as the importer's
code reads.
"""

from autograder.exports import columns
from autograder.exports.grades import Export
from autograder.roster import RosterEntry

NAME = "moodle"
IDENTITY = ["Full name", "Email address", "ID number", "Username"]
# the identity columns the teacher can map, with the roster's field and Moodle's "Map to" value for each
USER_FIELDS = {"Email address": ("email", "useremail"), "ID number": ("moodle_idnumber", "useridnumber"),
               "Username": ("moodle_username", "username")}
NO_GRADE = "-"


def complete_user_fields(roster: list[RosterEntry]) -> list[str]:
    """The identity columns filled for every roster student: those the teacher can map at import."""
    return [header for header, (field, _) in USER_FIELDS.items() if all(getattr(entry, field) for entry in roster)]


def identity_problems(roster: list[RosterEntry]) -> list[str]:
    if not roster or complete_user_fields(roster):
        return []
    return [f"no user field is filled for every roster student (Moodle stops the whole import at a row it cannot "
            f"match): {header} lacks " + ", ".join(entry.student for entry in roster if not getattr(entry, field))
            for header, (field, _) in USER_FIELDS.items()]


def table(export: Export) -> list[list[str]]:
    """The file's rows: the header, then one row per roster student."""
    header = list(IDENTITY)
    for shape in export.shapes:
        header += [shape.assignment, f"{shape.assignment} (Feedback)", *(name for name, _ in columns.details(shape))]
    rows = [columns.unique(header)]
    for entry, grades in export.rows:
        row = [columns.text(entry.name), entry.email, entry.moodle_idnumber, entry.moodle_username]
        for shape in export.shapes:
            grade = grades[shape.assignment]
            if grade.submitted:
                details = [cell(grade) for _, cell in columns.details(shape)]
                row += [columns.total(grade), columns.notes(grade), *details]
            else:
                row += [NO_GRADE, "", *[NO_GRADE] * len(columns.details(shape))]
        rows.append(row)
    return rows


def import_steps(export: Export) -> str:
    fields = complete_user_fields([entry for entry, _ in export.rows])
    mapping = " or ".join(f"'{header}' to {USER_FIELDS[header][1]}" for header in fields)
    titles = ", ".join(shape.assignment for shape in export.shapes)
    return (f"Moodle: Grades > Import > CSV file; identify users by mapping {mapping}; map each assignment's column "
            f"({titles}) to its grade item and its '(Feedback)' column to that item's feedback; leave the others "
            "unmapped.")
