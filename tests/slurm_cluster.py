"""A real, single-node Slurm cluster for a test: Debian's munged, slurmctld and slurmd, started in a scratch folder.

Everything the daemons keep (their configuration, munge key and socket, state, spool, logs, pid files) lives in
that folder, on ports nobody else holds, so the machine's own /etc/slurm and /etc/munge are never read or
changed, and stopping the cluster leaves nothing behind. The clients (sbatch, squeue) find it through
``SLURM_CONF`` in the environment this yields.

slurmd runs jobs as the user who submitted them, which only root can do: like any slurmd it must run as root
(CI does). What one node cannot show, a second would: jobs on another machine than the one that submitted
them, the shared file system the shard folders then need, and nodes of different speeds (which calibration
is for).
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
INSTALL_HINT = "apt-get install slurm-wlm munge"


def missing() -> str | None:
    """Why a single-node cluster cannot be started here, or None."""
    absent = [name for name in (*DAEMONS, "sbatch", "squeue", "scontrol") if shutil.which(name) is None]
    if absent:
        return f"a single-node Slurm needs {', '.join(absent)}: {INSTALL_HINT}"
    if os.geteuid() != 0:
        return "a single-node Slurm needs root: slurmd runs each job as the user who submitted it (CI runs as root)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _memory_mib() -> int:
    """The node's memory as Slurm counts it (MiB): jobs asking for more (#SBATCH --mem) are refused at submission."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def _configuration(folder: Path) -> str:
    return "\n".join([
        "ClusterName=reglab-test",
        "SlurmctldHost=localhost(127.0.0.1)",
        f"SlurmctldPort={_free_port()}",
        f"SlurmdPort={_free_port()}",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={folder / 'munge.socket'}",
        "SlurmUser=root",
        "SlurmdUser=root",
        f"StateSaveLocation={folder / 'state'}",
        f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
        f"SlurmdPidFile={folder / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'slurmctld.log'}",
        f"SlurmdLogFile={folder / 'slurmd.log'}",
        # no cgroups, no accounting daemon: the least a node needs to run batch jobs and arrays
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "SchedulerParameters=sched_interval=1",
        "ReturnToService=2",
        "MpiDefault=none",
        f"NodeName=localhost NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={_memory_mib()} State=UNKNOWN",
        "PartitionName=grading Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
    ]) + "\n"


def logs(folder: Path, lines: int = 15) -> str:
    """The last lines of each daemon's log, for a failing test's message."""
    parts = []
    for name in ("munged.log", "slurmctld.log", "slurmd.log"):
        path = folder / name
        if path.exists():
            parts.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
    return "\n".join(parts)


def _wait_for_idle_node(environ: dict[str, str], folder: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = subprocess.run(["sinfo", "-h", "-o", "%t"], env=environ, capture_output=True, text=True)
        if states.returncode == 0 and states.stdout.split() == ["idle"]:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the Slurm node did not come up within {timeout:.0f} s:\n{logs(folder)}")


@contextmanager
def single_node_slurm(folder: Path) -> Iterator[dict[str, str]]:
    """Start munged, slurmctld and slurmd in ``folder``; yield the environment for Slurm's clients; stop them all."""
    for sub in ("state", "spool"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    key = folder / "munge.key"
    key.write_bytes(os.urandom(1024))  # a key of its own: the machine's /etc/munge is never read
    key.chmod(0o600)
    configuration = folder / "slurm.conf"
    configuration.write_text(_configuration(folder))
    environ = {**os.environ, "SLURM_CONF": str(configuration)}
    munged_pid = folder / "munged.pid"
    try:
        # --force: munged refuses to run as root otherwise; this one serves only the daemons below
        subprocess.run(["munged", "--force", f"--key-file={key}", f"--socket={folder / 'munge.socket'}",
                        f"--pid-file={munged_pid}", f"--log-file={folder / 'munged.log'}",
                        f"--seed-file={folder / 'munged.seed'}"], check=True, capture_output=True, text=True)
        subprocess.run(["slurmctld", "-f", str(configuration)], env=environ, check=True, capture_output=True)
        subprocess.run(["slurmd", "-f", str(configuration), "-N", "localhost"], env=environ, check=True,
                       capture_output=True)
        _wait_for_idle_node(environ, folder)
        yield environ
    finally:
        subprocess.run(["scancel", "--quiet", "--user", "root"], env=environ, capture_output=True)
        subprocess.run(["scontrol", "shutdown"], env=environ, capture_output=True)
        _stop(folder / "slurmd.pid", asked=True)
        _stop(folder / "slurmctld.pid", asked=True)
        _stop(munged_pid, asked=False)  # munged has no shutdown command: SIGTERM is its way


def _stop(pid_file: Path, asked: bool, timeout: float = 30) -> None:
    """Wait for a daemon to exit once ``asked`` to (scontrol shutdown), else SIGTERM it; SIGKILL what stays."""
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    for signal_number in ((None,) if asked else ()) + (signal.SIGTERM, signal.SIGKILL):
        if signal_number is not None and _alive(pid):
            os.kill(pid, signal_number)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not _alive(pid):
            return


def _alive(pid: int) -> bool:
    """Running, and not a zombie: daemons are children of PID 1, which in a container may never reap them."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


def wait_for_jobs(environ: dict[str, str], folder: Path, timeout: float) -> None:
    """Wait until the queue is empty: every job of the test has ended, whatever its exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue = subprocess.run(["squeue", "-h", "-o", "%i %T"], env=environ, capture_output=True, text=True)
        if queue.returncode == 0 and not queue.stdout.strip():
            return
        time.sleep(1)
    raise TimeoutError(f"Slurm jobs still queued after {timeout:.0f} s: {queue.stdout}\n{logs(folder)}")
