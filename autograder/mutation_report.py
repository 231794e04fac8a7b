"""How many mutants of the solutions do the hidden checks catch? Grade them with the real grader; write the report.

    python -m autograder.mutation_report [--assignment NAME ...] [--workers 2] [--out bench/results]

A mutant (``autograder.mutants``) is killed when the grader gives it fewer points than the solution. One that
survives is either a gap in the checks or equivalent by the spec: it behaves as the spec asks (``0.0001`` for
the learning rate of a network that is never trained, say). Equivalent mutants are listed with a one-line
reason in ``autograder/specs/<assignment>.equivalent_mutants.toml``; every other survivor is listed in the report, to be
fixed in the checks. A mutant that loses points on another item than its own shows that items are not graded
independently: the report counts those too.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder import answers, course, grade, mutants, notebooks
from autograder.results import SubmissionResult

SPECS = course.ROOT / "autograder" / "specs"
DEFAULT_OUT = course.ROOT / "bench" / "results"


@dataclass
class ItemRow:
    assignment: str
    item: str
    mutants: int = 0
    killed: int = 0
    equivalent: int = 0
    survived: list[dict] = field(default_factory=list)  # neither killed nor explained: a gap in the checks
    elsewhere: list[str] = field(default_factory=list)  # killed by another item's points: items not independent


def equivalents(assignment: str, specs: Path = SPECS) -> dict[str, str]:
    """{mutant key: why it behaves as the spec asks} of one assignment's solution."""
    path = specs / f"{assignment}.equivalent_mutants.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}


def grade_mutants(assignment: str, found: list[mutants.Mutant], workers: int) -> dict[str, SubmissionResult]:
    """Each mutant as a whole submission (the solution elsewhere), graded by the grader; by mutant key."""
    with tempfile.TemporaryDirectory(prefix="reglab-mutants-") as scratch:
        folder = Path(scratch) / assignment
        folder.mkdir()
        for mutant in found:
            notebook = answers.make_submission(assignment, {answers.answer_cell_id(mutant.item): mutant.source})
            notebooks.write(notebook, folder / f"{mutant.key}.ipynb")
        results = grade.grade_paths([folder], assignment, workers=workers)
    return {result.student: result for result in results}


def rows(assignment: str, found: list[mutants.Mutant], results: dict[str, SubmissionResult],
         explained: dict[str, str]) -> list[ItemRow]:
    table = {item: ItemRow(assignment, item) for item in dict.fromkeys(m.item for m in found)}
    for mutant in found:
        row = table[mutant.item]
        row.mutants += 1
        result = results[mutant.key]
        lost = {item.grade_id for item in result.items if item.points < item.max_points}
        if lost:
            row.killed += 1
            if lost - {mutant.item}:
                row.elsewhere.append(f"{mutant.key}: {', '.join(sorted(lost - {mutant.item}))}")
        elif mutant.key in explained:
            row.equivalent += 1
        else:
            row.survived.append({"key": mutant.key, "what": mutant.what, "line": mutant.line})
    return list(table.values())


def markdown(table: list[ItemRow]) -> str:
    lines = ["| assignment | item | mutants | killed | equivalent | survived | kill rate | other items lost |",
             "|---|---|---|---|---|---|---|---|"]
    for row in table:
        judged = row.mutants - row.equivalent
        rate = f"{row.killed / judged:.0%}" if judged else "—"
        lines.append(f"| {row.assignment} | {row.item} | {row.mutants} | {row.killed} | {row.equivalent} | "
                     f"{len(row.survived)} | {rate} | {len(row.elsewhere)} |")
    total = Counter()
    for row in table:
        total.update(mutants=row.mutants, killed=row.killed, equivalent=row.equivalent, survived=len(row.survived),
                     elsewhere=len(row.elsewhere))
    judged = total["mutants"] - total["equivalent"]
    rate = f"{total['killed'] / judged:.0%}" if judged else "—"
    lines.append(f"| **all** | | {total['mutants']} | {total['killed']} | {total['equivalent']} | "
                 f"{total['survived']} | {rate} | {total['elsewhere']} |")
    survivors = [f"- `{row.assignment}` `{s['key']}`: {s['what']} (line {s['line']})"
                 for row in table for s in row.survived]
    return "\n".join([*lines, "", "Survivors not explained as equivalent (gaps in the checks):", "",
                      *(survivors or ["- none"])]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.mutation_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", action="append", choices=course.assignments())
    parser.add_argument("--item", action="append", help="only the mutants of these items")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    table: list[ItemRow] = []
    for assignment in args.assignment or course.assignments():
        found = [m for m in mutants.mutants(assignment) if not args.item or m.item in args.item]
        if not found:
            continue
        print(f"{assignment}: grading {len(found)} mutants", flush=True)
        table += rows(assignment, found, grade_mutants(assignment, found, args.workers), equivalents(assignment))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mutation.json").write_text(json.dumps([asdict(row) for row in table], indent=2) + "\n")
    report = markdown(table)
    (args.out / "mutation.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
