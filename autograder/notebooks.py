"""Reading and executing notebooks with nbformat and nbclient (a real Jupyter kernel)."""

import os
from dataclasses import dataclass
from pathlib import Path

import nbclient
import nbformat

TINY_ENVIRONMENT = {"REGLAB_PROFILE": "tiny", "REGLAB_DATA": "synthetic"}


@dataclass(frozen=True)
class CellError:
    grade_id: str | None  # nbgrader's id of the cell, where it has one
    index: int
    ename: str
    evalue: str


def read(path: str | os.PathLike) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=nbformat.NO_CONVERT)


def nbgrader_of(cell) -> dict:
    """A cell's nbgrader metadata; {} where it has none, or where a hand-edited file holds something else."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return nbgrader if isinstance(nbgrader, dict) else {}


def grade_id(cell) -> str | None:
    return nbgrader_of(cell).get("grade_id")


def execute(notebook: nbformat.NotebookNode, workdir: str | os.PathLike, env: dict[str, str] | None = None,
            timeout: int = 600, allow_errors: bool = False) -> list[CellError]:
    """Execute ``notebook`` in place in ``workdir`` and return the errors of its cells.

    ``env`` is added to this process's environment for the kernel. With
    ``allow_errors`` every cell runs, as "Run All" does; without it, execution
    stops at the first error and raises ``nbclient.exceptions.CellExecutionError``.
    """
    client = nbclient.NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env={**os.environ, **(env or {})})
    return cell_errors(notebook)


def cell_errors(notebook: nbformat.NotebookNode) -> list[CellError]:
    return [
        CellError(grade_id(cell), index, output.ename, output.evalue)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]


def write(notebook: nbformat.NotebookNode, path: str | os.PathLike) -> Path:
    nbformat.write(notebook, str(path))
    return Path(path)
