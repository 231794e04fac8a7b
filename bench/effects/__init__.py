"""Do the notebooks show what their written questions ask about? Run each one and look.

    python -m bench.effects [--run ASSIGNMENT:PROFILE ...] [--data auto|synthetic|real] [--out bench/results]

For each assignment and profile, this executes the solution notebook from top
to bottom in a real Jupyter kernel (nbclient), as a student would with "Run
All", and then tests in that same kernel the effects its written questions ask
about: a named list per question, in ``bench/effects/<assignment>.py``. It
writes one table, ``effects.md`` and ``effects.json``: per run, the data it ran
on, the notebook's minutes, and each effect, seen or not, with the numbers
behind it.

By default every assignment runs in ``quick``, plus the profiles its effects
module lists (``ALSO_PROFILES``: ``full`` where the original experiment takes
minutes on a CPU, not hours).
The data are the real datasets where their files are in ``data/`` (``--data
auto``), the kit's synthetic images otherwise. This is a measurement, never a
timed test; ``tests/test_bench.py`` keeps it running on the ``tiny`` profile.
"""

import argparse
import importlib
import json
import os
import platform
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from autograder import course, notebooks
from bench import results as results_file

MARKER = "REGLAB-EFFECTS "  # the line of the notebook's last output that carries the effects, as JSON
DEFAULT_PROFILE = "quick"


@dataclass
class Run:
    assignment: str
    profile: str
    data: str  # "synthetic" (the kit's own images) or "real" (the datasets' files in data/)
    minutes: float  # the notebook's cells, kernel start excluded
    slowest_cells: dict[str, float]  # cell id -> seconds, the five slowest
    errors: list[str]
    effects: list[dict] = field(default_factory=list)  # question, claim, seen, evidence

    @property
    def seen(self) -> int:
        return sum(effect["seen"] for effect in self.effects)


def effects_module(assignment: str):
    return importlib.import_module(f"bench.effects.{assignment}")


def default_runs() -> list[tuple[str, str]]:
    return [(assignment, profile) for assignment in course.assignments()
            for profile in (DEFAULT_PROFILE, *effects_module(assignment).ALSO_PROFILES)]


def data_source(assignment: str, wanted: str, data_dir: Path) -> str:
    """'real' where every dataset the notebook reads is in ``data_dir`` (or where asked for), else 'synthetic'."""
    if wanted != "auto":
        return wanted
    from reglab.data import real_data_present

    present = all(real_data_present(name, data_dir) for name in effects_module(assignment).DATASETS)
    return "real" if present else "synthetic"


def run_notebook(assignment: str, profile: str, data: str, data_dir: Path, timeout: int,
                 keep: Path | None = None) -> Run:
    """Execute the solution notebook under ``profile``, then measure its effects in the same kernel; with
    ``keep``, write the executed notebook there, to look at its plots and tables."""
    notebook, errors = execute_solution(assignment, profile, data, data_dir, timeout,
                                        after=[_measuring_source(assignment)])
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        notebooks.write(notebook, keep / f"{assignment}-{profile}.ipynb")
    return summarize(assignment, profile, data, notebook.cells[:-1], errors, notebook.cells[-1])


def execute_solution(assignment: str, profile: str, data: str, data_dir: Path, timeout: int,
                     before: list[str] = (), after: list[str] = ()):
    """The solution notebook executed under ``profile`` from top to bottom in one kernel, with the code cells
    ``before`` run ahead of its own and ``after`` run behind them; the executed notebook and its cells' errors."""
    import nbformat

    notebook = notebooks.read(course.solution_notebook(assignment))
    notebook.cells = ([nbformat.v4.new_code_cell(source) for source in before] + notebook.cells
                      + [nbformat.v4.new_code_cell(source) for source in after])
    env = {"REGLAB_PROFILE": profile, "REGLAB_DATA": data, "REGLAB_DATA_DIR": str(data_dir.resolve()),
           "PYTHONPATH": os.pathsep.join([str(course.ROOT), os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory(prefix=f"effects-{assignment}-") as workdir:
        shutil.copytree(course.solution_notebook(assignment).parent, workdir, dirs_exist_ok=True)
        errors = notebooks.execute(notebook, workdir, env=env, timeout=timeout, allow_errors=True)
    return notebook, errors


def summarize(assignment: str, profile: str, data: str, own_cells: list, errors: list, measuring_cell) -> Run:
    """A run from the executed notebook's own cells (their minutes) and the cell that measured its effects."""
    seconds = {_cell_name(index, cell): _seconds(cell) for index, cell in enumerate(own_cells)}
    slowest = dict(sorted(seconds.items(), key=lambda item: -item[1])[:5])
    return Run(assignment, profile, data, round(sum(seconds.values()) / 60, 2),
               {name: round(s, 1) for name, s in slowest.items()},
               [f"{error.grade_id or error.index}: {error.ename}: {error.evalue}" for error in errors],
               _reported_effects(measuring_cell))


def report_effects(assignment: str, namespace: dict) -> None:
    """Called in the kernel after the notebook: print every effect of ``assignment``, measured in ``namespace``."""
    measured = []
    for effect in effects_module(assignment).EFFECTS:
        try:
            seen, evidence = effect.measure(namespace)
        except Exception as error:  # a missing variable or a run that failed: not seen, and why
            seen, evidence = False, f"could not measure: {type(error).__name__}: {error}"
        measured.append({"question": effect.question, "claim": effect.claim, "seen": bool(seen),
                         "evidence": evidence})
    print(MARKER + json.dumps(measured))


def _measuring_source(assignment: str) -> str:
    return f"from bench.effects import report_effects\nreport_effects({assignment!r}, globals())"


def _reported_effects(cell) -> list[dict]:
    for output in cell.get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith(MARKER):
                return json.loads(line[len(MARKER):])
    return []


def _cell_name(index: int, cell) -> str:
    return notebooks.grade_id(cell) or f"cell {index}"


def _seconds(cell) -> float:
    """How long the kernel took for a cell, from the timestamps nbclient records in its metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
        return 0.0
    start, end = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                  for key in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


def markdown(runs: list[Run], machine: str) -> str:
    lines = [f"Measured on {machine}.", "",
             "| assignment | profile | data | notebook minutes | effects seen |", "|---|---|---|---|---|"]
    lines += [f"| {run.assignment} | {run.profile} | {run.data} | {run.minutes:.1f} | "
              f"{run.seen} of {len(run.effects)} |" for run in runs]
    for run in runs:
        lines += ["", f"### {run.assignment}, {run.profile} ({run.data} data, {run.minutes:.1f} min)", ""]
        lines += [f"- error in {error}" for error in run.errors]
        lines += ["| question | effect | seen | measured |", "|---|---|---|---|"]
        lines += [f"| {e['question']} | {_cell(e['claim'])} | {'yes' if e['seen'] else '**no**'} | "
                  f"{_cell(e['evidence'])} |" for e in run.effects]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a table cell's own bars, as in "mean |w|"


def machine() -> str:
    import torch

    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"torch {torch.__version__}, {time.strftime('%Y-%m-%d')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.effects", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", action="append", metavar="ASSIGNMENT:PROFILE",
                        help="one run (repeatable); by default every assignment in quick and in its ALSO_PROFILES")
    parser.add_argument("--data", choices=["auto", "synthetic", "real"], default="auto")
    parser.add_argument("--data-dir", type=Path, default=course.ROOT / "data")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument("--out", type=Path, default=results_file.DEFAULT_FOLDER)
    parser.add_argument("--keep", type=Path, help="write the executed notebooks into this folder")
    options = parser.parse_args(argv)
    wanted = [tuple(run.split(":", 1)) for run in options.run] if options.run else default_runs()
    runs = []
    for assignment, profile in wanted:
        data = data_source(assignment, options.data, options.data_dir)
        print(f"{assignment}, {profile}, {data} data ...", flush=True)
        run = run_notebook(assignment, profile, data, options.data_dir, options.timeout, options.keep)
        print(f"  {run.minutes:.1f} min, {run.seen} of {len(run.effects)} effects seen, {len(run.errors)} errors",
              flush=True)
        runs.append(run)
    options.out.mkdir(parents=True, exist_ok=True)
    where = machine()
    (options.out / "effects.json").write_text(
        json.dumps({"machine": where, "runs": [asdict(run) for run in runs]}, indent=1) + "\n")
    table = markdown(runs, where)
    (options.out / "effects.md").write_text(table)
    print(table)
    complete = all(not run.errors and run.effects for run in runs)
    return 0 if complete else 1
