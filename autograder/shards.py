"""Which slice of the submissions one grading job grades: ``--shard K/N``, or K and N from the engine's variables.

The grader grows no scheduler: whatever runs many jobs (a CI matrix, a Slurm array, a Kubernetes Indexed Job)
starts one ``python -m autograder.grade --shard`` per job, and ``python -m autograder.merge`` joins their results.

Shards are numbered from 1, "shard K of N", as GitLab, Playwright and Jest number them. Every engine's own
numbering is mapped to that here, in ``from_environment`` (``--shard auto``):

=================  =====================================  ===========================================
engine             index (as the engine numbers it)       count
=================  =====================================  ===========================================
any (GitHub        ``REGLAB_SHARD_INDEX`` (from 1)        ``REGLAB_SHARD_COUNT``
Actions matrix)
GitLab             ``CI_NODE_INDEX`` (from 1)             ``CI_NODE_TOTAL``
Slurm array        ``SLURM_ARRAY_TASK_ID`` (from          ``SLURM_ARRAY_TASK_COUNT``, or from
                   ``SLURM_ARRAY_TASK_MIN``, in steps of  ``SLURM_ARRAY_TASK_MIN``/``MAX``/``STEP``
                   ``SLURM_ARRAY_TASK_STEP``)
Kubernetes         ``JOB_COMPLETION_INDEX`` (from 0)      ``REGLAB_SHARD_COUNT`` (Kubernetes exposes
Indexed Job                                               no count: set it to the Job's completions)
=================  =====================================  ===========================================

``REGLAB_SHARD_INDEX`` wins over every engine's variables (to re-run one shard by hand, say); otherwise the
variables of exactly one engine must be there: two engines' (a GitLab job that submits a Slurm array passes
``CI_NODE_*`` on to it) are refused as ambiguous rather than guessed between.

Every refusal is a ``ShardError`` that names the variable at fault and how to set it: a job whose count is
unknown must not fall back to grading everything, or every shard of a misconfigured job would.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# The variables whose presence means "some engine runs this job as one of several": reading any of them is
# an engine's doing, and an unsharded run inside such a job is worth a warning.
ENGINE_VARIABLES = ("REGLAB_SHARD_INDEX", "REGLAB_SHARD_COUNT", "CI_NODE_INDEX", "CI_NODE_TOTAL",
                    "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX")


class ShardError(ValueError):
    """The shard cannot be told, or is out of range; the message says which setting to fix and how."""


@dataclass(frozen=True)
class Shard:
    number: int  # from 1
    count: int
    # where K and N came from, for the shard's record and its messages; two shards are equal whatever it says
    source: str = field(default="--shard", compare=False)

    def __post_init__(self):
        if self.count < 1:
            raise ShardError(f"the shard count must be at least 1, not {self.count} ({self.source})")
        if not 1 <= self.number <= self.count:
            raise ShardError(f"shard {self.number} is out of range: shards are numbered 1 to {self.count} "
                             f"({self.source})")

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"

    def owns(self, assignment: str, student: str) -> bool:
        return owner(assignment, student, self.count) == self.number


def owner(assignment: str, student: str, count: int) -> int:
    """The shard (from 1) that grades ``student``'s ``assignment`` when there are ``count`` shards.

    A stable hash of the submission's own key, not its place in a sorted list: a student's shard never
    depends on who else handed in, so a late submission added to the tree moves no one else, and the same
    key lands in the same shard on every machine and Python (``hash()`` is salted per process; sha256 is
    not). The price is uneven shards: the sizes vary as coin tosses do (about sqrt(n) / 2 for 2 shards of n). The
    bench's 200 submissions fell 107 / 93 into 2 shards, so the larger shard bounds the speed-up at 1.87x there.
    Student ids hold no "/" (the reports refuse such ids), so the key is unambiguous.
    """
    digest = hashlib.sha256(f"{assignment}/{student}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse(text: str) -> Shard:
    """``Shard`` from "K/N" (``--shard 2/4``)."""
    number, slash, count = text.partition("/")
    if not slash or not number.strip().isdigit() or not count.strip().isdigit():
        raise ShardError(f"--shard {text!r}: write it as K/N, e.g. --shard 2/4 for the second of four shards "
                         "(or --shard auto to read them from the engine's variables)")
    return Shard(int(number), int(count), f"--shard {text}")


def from_environment(env: Mapping[str, str]) -> Shard:
    """The shard an engine's variables in ``env`` describe (see the table above), or ``ShardError``."""
    if "REGLAB_SHARD_INDEX" in env or ("REGLAB_SHARD_COUNT" in env and "JOB_COMPLETION_INDEX" not in env):
        return _reglab(env)
    found = [shard for shard in (read(env) for read in _ENGINES) if shard is not None]
    if not found:
        raise ShardError(
            "--shard auto found no engine's shard variables. Set REGLAB_SHARD_INDEX (from 1) and "
            "REGLAB_SHARD_COUNT (in a GitHub Actions matrix: env: {REGLAB_SHARD_INDEX: ${{ matrix.shard }}, "
            "REGLAB_SHARD_COUNT: N}), run under GitLab's parallel: (CI_NODE_INDEX, CI_NODE_TOTAL), a Slurm array "
            "(SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with REGLAB_SHARD_COUNT), "
            "or pass --shard K/N")
    if len(found) > 1:
        raise ShardError("--shard auto found more than one engine's shard variables (" +
                         "; ".join(shard.source for shard in found) + "): set REGLAB_SHARD_INDEX and "
                         "REGLAB_SHARD_COUNT, which win over them, or pass --shard K/N")
    return found[0]


def unsharded_warning(env: Mapping[str, str]) -> str | None:
    """What to say when a job that an engine runs as one of several grades without ``--shard``: every such job
    would grade everything (the merge refuses their output, but the hours are spent). None where none is."""
    variables = ", ".join(f"{name}={env[name]}" for name in ENGINE_VARIABLES if name in env)
    if not variables:
        return None
    try:
        if from_environment(env).count == 1:
            return None
    except ShardError:
        pass
    return (f"WARNING: this job looks like one of several parallel jobs ({variables}), but --shard was not "
            "given, so it grades every submission. Pass --shard auto to grade its slice only.")


def _integer(env: Mapping[str, str], name: str, how_to_set: str) -> int:
    if name not in env:
        raise ShardError(f"{name} is not set: {how_to_set}")
    value = env[name].strip()
    if not value.lstrip("-").isdigit():
        raise ShardError(f"{name}={env[name]!r} is not a whole number: {how_to_set}")
    return int(value)


def _reglab(env: Mapping[str, str]) -> Shard:
    number = _integer(env, "REGLAB_SHARD_INDEX", "set it to this job's shard, from 1")
    count = _integer(env, "REGLAB_SHARD_COUNT", "set it to the number of shards (the matrix's length)")
    return Shard(number, count, f"REGLAB_SHARD_INDEX={number}, REGLAB_SHARD_COUNT={count}")


def _gitlab(env: Mapping[str, str]) -> Shard | None:
    if "CI_NODE_INDEX" not in env and "CI_NODE_TOTAL" not in env:
        return None
    how = "GitLab sets CI_NODE_INDEX and CI_NODE_TOTAL in a job with parallel: N"
    number, count = _integer(env, "CI_NODE_INDEX", how), _integer(env, "CI_NODE_TOTAL", how)
    return Shard(number, count, f"GitLab CI_NODE_INDEX={number}, CI_NODE_TOTAL={count}")


def _slurm(env: Mapping[str, str]) -> Shard | None:
    """A Slurm array numbers its tasks as ``--array`` says (0-3, 1-4, 0-15:4): the shard is the task's place."""
    if "SLURM_ARRAY_TASK_ID" not in env:
        return None
    how = "Slurm sets it for each task of an array job (sbatch --array=1-N)"
    task = _integer(env, "SLURM_ARRAY_TASK_ID", how)
    first = _integer(env, "SLURM_ARRAY_TASK_MIN", how)
    step = _integer(env, "SLURM_ARRAY_TASK_STEP", how) if "SLURM_ARRAY_TASK_STEP" in env else 1
    if "SLURM_ARRAY_TASK_COUNT" in env:
        count = _integer(env, "SLURM_ARRAY_TASK_COUNT", how)
    elif "SLURM_ARRAY_TASK_MAX" in env:
        count = (_integer(env, "SLURM_ARRAY_TASK_MAX", how) - first) // max(step, 1) + 1
    else:
        raise ShardError(f"SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MAX are not set: {how}")
    if count == 1:  # sbatch --array=3 to re-run shard 3: Slurm says "task 3 of 1", which would grade everything
        raise ShardError(f"SLURM_ARRAY_TASK_ID={task} is the only task of its array, so its shard count would be 1 "
                         "and it would grade every submission. To grade shard K of N again, pass its numbers: sbatch "
                         "--array=K --export=ALL,REGLAB_SHARD_INDEX=K,REGLAB_SHARD_COUNT=N grade.sbatch")
    if step < 1 or (task - first) % step:
        raise ShardError(f"SLURM_ARRAY_TASK_ID={task} is not on the array's range {first}, {first + step}, ...: "
                         "give the array an evenly spaced range (sbatch --array=1-N), or pass --shard K/N")
    source = f"Slurm SLURM_ARRAY_TASK_ID={task} of {count} from {first}"
    return Shard((task - first) // step + 1, count, source + (f" in steps of {step}" if step != 1 else ""))


def _kubernetes(env: Mapping[str, str]) -> Shard | None:
    if "JOB_COMPLETION_INDEX" not in env:
        return None
    index = _integer(env, "JOB_COMPLETION_INDEX", "Kubernetes sets it in a Job with completionMode: Indexed")
    count = _integer(env, "REGLAB_SHARD_COUNT", "Kubernetes exposes no count: set REGLAB_SHARD_COUNT in the pod "
                                                "template's env to the Job's spec.completions")
    return Shard(index + 1, count, f"Kubernetes JOB_COMPLETION_INDEX={index}, REGLAB_SHARD_COUNT={count}")


_ENGINES: list[Callable[[Mapping[str, str]], Shard | None]] = [_gitlab, _slurm, _kubernetes]
