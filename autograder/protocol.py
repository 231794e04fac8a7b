"""What crosses the process boundary between the grader and a worker: the job, the events, how a worker ended.

The grader (``autograder.sandbox``) sends one ``Job`` as JSON on the worker's standard input; the worker
(``autograder.worker``) answers with events, one signed JSON line each, on a pipe. Both sides use only the
types here, so a field is named in one place and a typo fails at once instead of reading as "missing".
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field
from typing import Literal


@dataclass(frozen=True)
class CellJob:
    source: str
    kind: str  # prepare.PROVIDED, ANSWER or ADDED
    name: str  # the grade_id, or "cell N" for a cell the student added


@dataclass(frozen=True)
class Job:
    """Everything one worker start needs. ``hidden_sources`` are the hidden checks' modules, sent as text so that
    the worker never reads them from disk (the sandbox hides the files); the worker forgets them once imported."""

    assignment: str
    cells: list[CellJob]
    items: list[str]  # grade_ids to grade, in order
    visible_checks: dict[str, str]  # grade_id -> the released test cell (its asserts)
    skip_cells: list[int] = field(default_factory=list)  # cells that broke an earlier attempt
    cell_seconds: float = 30.0
    item_seconds: float = 30.0
    key: str = ""  # hex HMAC key for the events; per worker start
    own_pid_namespace: bool = False  # the launcher gave the worker a pid namespace: it may kill all else in it
    hidden_sources: dict[str, str] = field(default_factory=dict)  # module name -> source
    # root's own namespaces only (``launchers.RootNamespaces``): what the worker does to itself after its imports
    isolate_self: bool = False
    hide: list[str] = field(default_factory=list)  # paths to cover with an empty read-only mount
    drop_to_uid: int | None = None  # the unprivileged uid to become, or None to stay root in a read-only world
    max_processes: int = 64

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Job:
        fields = json.loads(text)
        fields["cells"] = [CellJob(**cell) for cell in fields["cells"]]
        return cls(**fields)


# --- events: worker -> grader ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CellStarted:
    """Before a cell runs: if the worker dies now, this cell is what killed it (and is skipped on restart)."""

    index: int


@dataclass(frozen=True)
class CellDone:
    """After a cell ran, with how it failed, if it did."""

    index: int
    error: str | None  # one line: the exception type and message, or None


@dataclass(frozen=True)
class ItemStarted:
    """Before an item's checks run: if the worker dies now, the item is broken, and grading goes on without it."""

    grade_id: str


@dataclass(frozen=True)
class ItemDone:
    """An item's score and the messages its student reads."""

    grade_id: str
    fraction: float  # share of the item's checks that passed, in [0, 1]
    messages: list[str]  # for the student
    not_attempted: bool = False  # every failed check met the answer's stub (NotImplementedError)


@dataclass(frozen=True)
class Tampered:
    names: list[str]  # protected attributes a submission replaced


@dataclass(frozen=True)
class Isolated:
    applied: list[str]  # what the worker did to itself before student code ran (root namespaces only)


@dataclass(frozen=True)
class Done:
    pass


Event = CellStarted | CellDone | ItemStarted | ItemDone | Tampered | Isolated | Done
EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in (CellStarted, CellDone, ItemStarted, ItemDone,
                                                              Tampered, Isolated, Done)}


def signed_line(event: Event, key: bytes) -> str:
    """One event as a JSON line with its HMAC, so that a line printed or forged by student code counts for nothing."""
    payload = json.dumps({"event": type(event).__name__, **asdict(event)}, sort_keys=True)
    return f"{payload}\t{hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()}\n"


def verified_event(line: str, key: bytes) -> Event | None:
    """The event on a line, if its signature is the worker's; forged or malformed lines give None."""
    payload, _, signature = line.rpartition("\t")
    expected = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    if not payload or not hmac.compare_digest(signature, expected):
        return None
    try:
        fields = json.loads(payload)
        return EVENT_TYPES[fields.pop("event")](**fields)
    except (ValueError, KeyError, TypeError):
        return None


# --- how a worker start ended ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ended:
    how: Literal["done", "timeout", "stalled", "signal", "exit", "exited"]  # "exited": not yet told apart
    detail: str = ""  # the signal's name or the exit code

    def why(self, wall_seconds: float) -> str:
        """In words, for the report."""
        if self.how == "timeout":
            return f"it used up the {wall_seconds:g} s time limit"
        if self.how == "stalled":
            return "it ran past its time limit and did not stop when interrupted"
        if self.how == "signal":
            out_of_memory = " (out of memory?)" if self.detail == "SIGKILL" else ""
            return f"the process was killed by {self.detail}{out_of_memory}"
        return f"the process ended early (exit {self.detail})"
