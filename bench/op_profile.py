"""Where a loop's time goes: torch.profiler's operators beside the wall clock.

The ratios in ``bench.speed`` say how much faster the kit's loops are; this says why they are not faster still.
A loop whose time is mostly convolutions and matrix products is near its floor (the arithmetic both loops do);
a loop whose time is mostly outside torch's operators (Python, the data loader) still has overhead to cut.
The profiler adds a few microseconds to every operator, so read the shares, not the seconds.
"""

import time
from collections.abc import Callable

from torch.profiler import ProfilerActivity, profile


def top_operators(run: Callable[[], object], count: int = 6) -> dict:
    """Run once under the profiler: the wall seconds, the share spent inside torch's operators, and the
    ``count`` operators with the most time of their own (share of the wall clock, calls)."""
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        start = time.perf_counter()
        run()
        wall = time.perf_counter() - start
    events = [event for event in profiler.key_averages() if not event.key.startswith("enumerate(DataLoader)")]
    inside = sum(event.self_cpu_time_total for event in events) / 1e6
    top = sorted(events, key=lambda event: event.self_cpu_time_total, reverse=True)[:count]
    return {"wall_s": round(wall, 3), "inside_operators_share": round(min(inside / wall, 1.0), 3),
            "top": [{"operator": event.key, "share": round(event.self_cpu_time_total / 1e6 / wall, 3),
                     "calls": event.count} for event in top]}


def markdown(name: str, found: dict) -> str:
    """One line: the share inside torch's operators and the heaviest of them."""
    heaviest = ", ".join(f"{row['operator']} {row['share']:.0%} ({row['calls']} calls)" for row in found["top"])
    return (f"- {name}: {found['wall_s']} s under the profiler, {found['inside_operators_share']:.0%} inside torch's "
            f"operators; heaviest: {heaviest}")

