"""`make bench`: import a 1,500-student school from .xlsx and compute every result.

Prints seconds per phase and the process's peak resident memory. The spreadsheets are written
by a child process first, so the peak is the import's and the results', not the generator's.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

from core.db import database
from core.importing import import_file
from core.models import Mark, SchoolClass
from core.rules.catalog import SchoolLevel
from core.services.access import Actor
from core.services.results import class_results
from core.services.schools import create_school, ensure_year
from core.workers import WorkerPool
from tests.bench.school_files import write_school


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _generate(directory: Path, queue: multiprocessing.Queue) -> None:
    queue.put(write_school(directory))


async def _run(directory: Path, url: str) -> list[tuple[str, float, str]]:
    figures = []
    workers = WorkerPool(1)  # the spreadsheets are parsed there, as in the bot
    async with database(url):
        school = await create_school("THCS-BENCH", "Trường THCS Bench", SchoolLevel.LOWER_SECONDARY)
        year = await ensure_year(school, "2025-2026")
        actor = Actor.command_line(school.id)
        for kind in ("students", "staff", "assignments", "marks"):
            data = (directory / f"{kind}.xlsx").read_bytes()
            start = time.perf_counter()
            report = await import_file(actor, year, kind, data, f"{kind}.xlsx", workers=workers)
            figures.append((f"import {kind}", time.perf_counter() - start, report.summary()))
        start = time.perf_counter()
        again = await import_file(
            actor,
            year,
            "marks",
            (directory / "marks.xlsx").read_bytes(),
            "marks.xlsx",
            workers=workers,
        )
        figures.append(("re-import marks", time.perf_counter() - start, again.summary()))
        start = time.perf_counter()
        classes = await SchoolClass.filter(year=year)
        computed = 0
        for school_class in classes:
            computed += sum(
                1
                for r in (await class_results(actor, school_class)).rows
                if r.learning["year"] is not None
            )
        figures.append(
            (
                "results, all classes",
                time.perf_counter() - start,
                f"{computed} students with a year result, {await Mark.all().count()} marks",
            )
        )
    workers.shutdown()
    return figures


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        queue: multiprocessing.Queue = multiprocessing.Queue()
        start = time.perf_counter()
        child = multiprocessing.Process(target=_generate, args=(directory, queue))
        child.start()
        sizes = queue.get()
        child.join()
        print(f"generated in {time.perf_counter() - start:.1f} s (child process): {sizes}")
        url = f"sqlite://{directory / 'bench.sqlite3'}"
        start = time.perf_counter()
        figures = asyncio.run(_run(directory, url))
        total = time.perf_counter() - start
    for name, seconds, detail in figures:
        print(f"{name:<22} {seconds:7.2f} s   {detail.splitlines()[0] if detail else ''}")
    print(f"{'total':<22} {total:7.2f} s")
    print(f"peak resident memory   {_peak_mib():7.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
