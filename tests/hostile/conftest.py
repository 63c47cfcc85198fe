"""The time and memory bound every hostile-input case is held to.

`bounded` times a block and traces what Python allocates in it (tracemalloc), and watches this
process's peak resident memory, which also counts what C and Rust libraries (libxml2, zlib,
calamine) allocate unseen by tracemalloc. A parser that reads a zip bomb, lays out a
million-row sheet or loads a multi-gigabyte file breaks one of the three bounds; a refusal
from sizes and counts breaks none. `worker_bounded` holds the worker process, where files are
parsed and built, to a bound of its own.
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.workers import WorkerPool

RSS_GROWTH_MIB = 200.0  # what native code could add, unseen by tracemalloc


@dataclass
class Measured:
    """What the block took: filled in when it ends."""

    seconds: float = 0.0
    traced_mib: float = 0.0
    rss_growth_mib: float = 0.0


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def bounded(
    seconds: float, traced_mib: float, rss_growth_mib: float = RSS_GROWTH_MIB
) -> Iterator[Measured]:
    """Assert that the block ends within `seconds`, allocating at most `traced_mib` MiB at
    its peak in Python and growing this process's peak resident memory by at most
    `rss_growth_mib` MiB (an exception from the block is raised as is, unmeasured)."""
    measured = Measured()
    rss = _max_rss_mib()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield measured
    finally:
        measured.seconds = time.perf_counter() - started
        measured.traced_mib = tracemalloc.get_traced_memory()[1] / (1 << 20)
        tracemalloc.stop()
        measured.rss_growth_mib = _max_rss_mib() - rss
    assert measured.seconds < seconds, f"{measured.seconds:.1f} s"
    assert measured.traced_mib < traced_mib, f"{measured.traced_mib:.0f} MiB traced"
    assert measured.rss_growth_mib < rss_growth_mib, f"RSS grew {measured.rss_growth_mib:.0f} MiB"


def _peak_of(pid: int) -> float:
    """A process's peak resident memory (VmHWM) in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


@asynccontextmanager
async def worker_bounded(workers: WorkerPool, peak_mib: float) -> AsyncIterator[None]:
    """Assert that the pool's interactive worker (where files are parsed and built) peaks
    below `peak_mib` MiB of resident memory during the block: its peak is reset first
    (Linux: /proc/PID/clear_refs), so an earlier test's work does not count."""
    pid = await workers.run(os.getpid)
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    yield
    assert await workers.run(os.getpid) == pid, "the worker died"
    assert _peak_of(pid) < peak_mib, f"worker peaked at {_peak_of(pid):.0f} MiB"
