"""Canvas's gradebook import CSV (Grades > Import).

Follows the format of Canvas's own gradebook export, which its importer reads back. Read for this module: Canvas's
source (instructure/canvas-lms, ``app/models/gradebook_importer.rb``, which parses the file, and
``lib/gradebook_exporter.rb``, which writes the export), and a university's summary of Instructure's guide "How
do I import grades in the Gradebook?" (Ohio State's CarmenCanvas guide: Student name or ID or SIS User ID, SIS
Login ID, Section, then the assignments). Instructure's guide itself was not reachable from here.

- Header: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per assignment. The
  importer wants "Student" first and "ID" second, takes "SIS User ID" and "SIS Login ID" in that order, and wants
  the last student column to be "Section". It finds a student by ``ID`` (Canvas's user id), else by SIS User ID,
  else by SIS Login ID, else by name; the kit refuses a roster row with none of the three ids.
- A second row whose first cell holds "Points Possible" (Canvas writes ``"    Points Possible"``), with each
  assignment's points possible; a column whose points possible reads "(read only)" is not imported, which is how
  Canvas's own export marks its computed columns. The kit marks every detail column so: only ``A`` is imported.
- An assignment column is matched by title (or by "Title (id)"); a title Canvas does not know is offered as a new
  assignment in the import's review. The kit writes the assignment id as the title: rename one or the other.
- An empty cell is "no grade", as Canvas's export writes an ungraded submission, so a roster student with no
  submission gets empty cells, not 0: the kit does not know why (an extension, an excuse, a paper copy), and
  Canvas's missing-submission policy or "Set default grade" makes the zero a decision in Canvas.

Not verified against a running Canvas (none was reachable): that a blank cell over a grade already in Canvas is
left alone rather than cleared (the importer's code counts it as a change, which its review page shows), and how
the review page shows the read-only detail columns when some student is not matched (the importer skips them only
when every student is matched).
"""

from autograder.exports import columns
from autograder.exports.grades import Export
from autograder.reports.common import number
from autograder.roster import RosterEntry

NAME = "canvas"
IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "    Points Possible"  # as Canvas's export writes it; the importer looks for "Points Possible"
READ_ONLY = "(read only)"
NO_GRADE = ""


def identity_problems(roster: list[RosterEntry]) -> list[str]:
    """Roster rows Canvas could match by name alone."""
    return [f"{entry.student}: no canvas_id, sis_user_id or sis_login_id in the roster; Canvas would match the row "
            "by name alone" for entry in roster if not (entry.canvas_id or entry.sis_user_id or entry.sis_login_id)]


def table(export: Export) -> list[list[str]]:
    """The file's rows: the header, the points possible, then one row per roster student."""
    header, points = list(IDENTITY), [POINTS_POSSIBLE] + [""] * (len(IDENTITY) - 1)
    for shape in export.shapes:
        details = [name for name, _ in columns.details(shape)] + [f"{shape.assignment}: notes"]
        header += [shape.assignment, *details]
        points += [number(shape.points_possible)] + [READ_ONLY] * len(details)
    rows = [columns.unique(header), points]
    for entry, grades in export.rows:
        row = [columns.text(entry.name), entry.canvas_id, entry.sis_user_id, entry.sis_login_id, entry.section]
        for shape in export.shapes:
            grade = grades[shape.assignment]
            if grade.submitted:
                row += [columns.total(grade), *(cell(grade) for _, cell in columns.details(shape))]
            else:
                row += [NO_GRADE] * (1 + len(columns.details(shape)))
            row.append(columns.notes(grade))
        rows.append(row)
    return rows


def import_steps(export: Export) -> str:
    titles = ", ".join(shape.assignment for shape in export.shapes)
    return (f"Canvas: Grades > Import, choose the file; the columns {titles} are imported (match them to the "
            "assignments in the review), every other column is marked read only and skipped.")
