"""Autograde's check of locked cells: against the release the students got, not the instructor's source.

nbgrader's ``OverwriteCells`` compares each locked cell of a submission with the
checksum the gradebook stored for the *source* cell. A test cell with a
``### BEGIN HIDDEN TESTS`` region is released without that region, so an
untouched test cell never matches and nbgrader warns "Attribute 'checksum' for
cell X has changed!" for every one of them (jupyter/nbgrader#1961). A warning
that fires on every submission trains instructors to ignore the one that flags
real tampering; this subclass warns only when the cell differs from the release.
"""

import copy

from nbformat.notebooknode import NotebookNode
from nbgrader.api import MissingEntry, SourceCell
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells
from nbgrader.utils import compute_checksum, is_grade, is_locked, is_solution, is_task


class OverwriteCellsAsReleased(OverwriteCells):
    """nbgrader's ``OverwriteCells``, with locked cells compared with their released version.

    A locked cell is still replaced by the gradebook's source (so the hidden
    tests run); a submitted cell that matches the release is replaced silently,
    one that does not is named in a warning.
    """

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int) -> tuple[NotebookNode, dict]:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            return cell, resources
        source_cell = self._source_cell(grade_id)
        if source_cell is None and not _has_nbgrader_role(cell):
            # nbgrader records only cells with a role; the kit gives some ordinary cells a stable id too
            # ('names', 'settings'), and nbgrader would warn that they "do not exist in the database"
            return cell, resources
        if source_cell is not None and source_cell.locked and compute_checksum(cell) == self._released_checksum(
                cell, source_cell):
            # as released: put the hidden tests back before nbgrader compares it with the source
            cell.source = source_cell.source
        return super().preprocess_cell(cell, resources, cell_index)

    def report_change(self, name: str, attr: str, old, new) -> None:
        if attr != "checksum":
            super().report_change(name, attr, old, new)
            return
        # only a cell that differs from the release gets here; nbgrader's own message quotes the source's
        # checksum, which no student's notebook ever had
        self.log.warning("Locked cell '%s' differs from the released notebook: graded with the release's "
                         "version of the cell instead (and its hidden tests).", name)

    def _released_checksum(self, cell: NotebookNode, source_cell: SourceCell) -> str:
        """The checksum the cell has in the release: its source with nbgrader's own hidden-test clearing applied."""
        released = copy.deepcopy(cell)
        released.source = source_cell.source
        # the course's delimiters (parent=self passes its config); the submitted metadata is not trusted here
        ClearHiddenTests(parent=self, enforce_metadata=False).preprocess_cell(released, {}, 0)
        return compute_checksum(released)

    def _source_cell(self, grade_id: str) -> SourceCell | None:
        try:
            return self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return None


def _has_nbgrader_role(cell: NotebookNode) -> bool:
    return is_grade(cell) or is_solution(cell) or is_locked(cell) or is_task(cell)
