"""How busy other processes kept the machine while a benchmark measured: the context a shared machine's figures need.

Over a span, the machine's busy CPU seconds (``/proc/stat``: everything but idle and I/O wait, the hypervisor's
stolen time included) less the CPU seconds of this process and its descendants. The rest, divided by the span's
wall seconds, is how many cores others kept busy on average: about 0 on a quiet machine, 1 where another job
used a whole core.

The descendants' CPU time is sampled from ``/proc`` (every ``SAMPLE_SECONDS``), not read from
``getrusage(RUSAGE_CHILDREN)``: a process in its own PID namespace (the grader's bubblewrap sandbox, where each
submission runs) is never accounted to its parent's children, so rusage would count a sandboxed worker's CPU
time as another user's. Sampling misses each process's last moments (up to one interval of CPU), which
overstates others by a few hundredths of a core. Linux only; elsewhere nothing is measured (None).
"""

import os
import threading
import time
from pathlib import Path

PROC = Path("/proc")
BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # of /proc/stat's "cpu" line: user, nice, system, irq, softirq, steal (guest: in user)
SAMPLE_SECONDS = 0.25


def machine_busy_seconds() -> float | None:
    """CPU seconds every core has spent busy since boot, or None where there is no /proc/stat."""
    try:
        first_line = (PROC / "stat").read_text().split("\n", 1)[0]
    except OSError:
        return None
    ticks = [int(value) for value in first_line.split()[1:]]
    return sum(ticks[index] for index in BUSY_FIELDS if index < len(ticks)) / os.sysconf("SC_CLK_TCK")


def _processes() -> dict[tuple[int, int], tuple[int, float]]:
    """Every process now: (pid, start time in ticks) -> (parent pid, its own CPU seconds, children not included).
    The start time tells a process from a later one that reuses its pid."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # it ended while the folder was read
            continue
        fields = text[text.rindex(")") + 2:].split()  # after "pid (name) ": the name may hold spaces and ")"
        # fields from the state (stat's 3rd): ppid is the 4th, utime and stime the 14th and 15th, starttime 22nd
        found[(int(entry.name), int(fields[19]))] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return found


def _descendants(processes: dict[tuple[int, int], tuple[int, float]], root: int) -> dict[tuple[int, int], float]:
    children: dict[int, list[tuple[int, int]]] = {}
    for key, (parent, _) in processes.items():
        children.setdefault(parent, []).append(key)
    found, waiting = {}, [root]
    while waiting:
        for key in children.get(waiting.pop(), []):
            found[key] = processes[key][1]
            waiting.append(key[0])
    return found


class Watch:
    """``with Watch() as watch:`` around running processes; after it, ``watch.others_busy_cores``."""

    def __init__(self) -> None:
        self.others_busy_cores: float | None = None
        self._own: dict[tuple[int, int], float] = {}  # each descendant's CPU seconds when last seen
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def __enter__(self) -> "Watch":
        self._start = (time.perf_counter(), machine_busy_seconds(), time.process_time())
        self._before = _descendants(_processes(), os.getpid()) if self._start[1] is not None else {}
        if self._start[1] is not None:
            self._sampler.start()
        return self

    def _sample(self) -> None:
        self._own.update(_descendants(_processes(), os.getpid()))

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample()

    def __exit__(self, *exc_info) -> None:
        wall, busy, own_process = self._start
        if busy is None:
            return
        self._stop.set()
        self._sampler.join()
        self._sample()
        now_busy = machine_busy_seconds()
        descendants = sum(seconds - self._before.get(key, 0.0) for key, seconds in self._own.items())
        own = descendants + time.process_time() - own_process
        elapsed = time.perf_counter() - wall
        if now_busy is not None and elapsed > 0:
            self.others_busy_cores = max(now_busy - busy - own, 0.0) / elapsed
