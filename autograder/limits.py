"""What one submission may use while it is graded."""

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 180.0  # one submission, all attempts together
    cell_seconds: float = 30.0  # one cell of the notebook
    item_seconds: float = 30.0  # one item's checks
    stall_seconds: float = 15.0  # past a cell's or an item's own limit with no word: the worker is stuck
    memory_bytes: int = 2 * 2**30  # data segment (RLIMIT_DATA): what numpy and torch allocate
    output_bytes: int = 4 * 2**20  # largest file it may write (RLIMIT_FSIZE): its printed output included
    max_processes: int = 64  # threads count too
    attempts: int = 4  # worker starts per submission, retries after a crash included

    def describe(self) -> list[str]:
        return [f"memory {self.memory_bytes / 2**30:g} GiB", f"files {self.output_bytes / 2**20:g} MiB",
                (f"time {self.cell_seconds:g} s a cell, {self.item_seconds:g} s an item's checks, "
                 f"{self.wall_seconds:g} s a submission")]


def parse(text: str, base: Limits | None = None) -> Limits:
    """``Limits`` from "cell=4,item=8,wall=90" (each name a field without its unit suffix), over ``base``."""
    names = {field.name.rsplit("_", 1)[0] if field.name.endswith(("_seconds", "_bytes")) else field.name: field
             for field in fields(Limits)}
    changes = {}
    for part in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = part.partition("=")
        if name not in names or not value:
            raise ValueError(f"unknown limit {part!r}: use NAME=VALUE with NAME one of {', '.join(names)}")
        field = names[name]
        changes[field.name] = int(value) if field.type in (int, "int") else float(value)
    return replace(base or Limits(), **changes)
