"""`make bench`: import a 1,500-student school from .xlsx and compute every result.

Prints seconds per phase and peak resident memory. The spreadsheets are written by a child
process first, so the peak is the import's and the results', not the generator's.

Beside the full year's marks import it prints its two floors, measured in the same run:

- the bare parse: python-calamine reading the marks file into rows, nothing else;
- the bare database writes: the same marks, each with its audit event and the audit log's hash
  chain computed as core.audit does, inserted with plain `executemany` in one transaction
  into a second database holding the same school (no validation, no ORM objects).

The goal (issue 12) is an import that costs at most twice the parse plus the writes, under
250 MiB (the peak measured right after the import: the results of every class, computed
after it, are not the import's): the last lines say whether it holds. Wall-clock times on a
shared machine vary; the floors are measured in the same run so the comparison holds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

from python_calamine import CalamineWorkbook
from tortoise.transactions import in_transaction

from core import audit, clock
from core.db import connection, database
from core.importing import import_file
from core.models import AuditEvent, Mark, SchoolClass, SchoolYear
from core.rules.catalog import SchoolLevel
from core.services import on_behalf, school_rules
from core.services.access import Actor
from core.services.gradebook import mark_column
from core.services.results import class_results
from core.services.schools import create_school, ensure_year
from core.workers import WorkerPool
from tests.bench.school_files import write_school

YEAR = "2025-2026"
# Inside the year's term I, before any calendar lock (the locks bind by the clock).
DURING_TERM = dt.datetime(2025, 11, 3, 9, 0)
BUDGET_MIB = 250
ROSTER = ("students", "staff", "assignments")
PRINCIPAL = "GV001"  # tests.bench.school_files: the staff file's principal


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _workers_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _generate(directory: Path, queue: multiprocessing.Queue) -> None:
    queue.put(write_school(directory))


def bare_parse(data: bytes) -> tuple[float, int]:
    """The floor of reading: calamine's rows of the marks file, and nothing else."""
    start = time.perf_counter()
    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
        rows = list(book.get_sheet_by_index(0).iter_rows())
    return time.perf_counter() - start, len(rows)


async def _school() -> tuple[Actor, SchoolYear]:
    school = await create_school("THCS-BENCH", "Trường THCS Bench", SchoolLevel.LOWER_SECONDARY)
    year = await ensure_year(school, YEAR)
    return Actor.command_line(school.id), year


async def _run(directory: Path, url: str) -> tuple[list[tuple[str, float, str]], list[tuple]]:
    figures = []
    workers = WorkerPool(1)  # the spreadsheets are parsed there, as in the bot
    async with database(url):
        actor, year = await _school()
        for kind in (*ROSTER, "marks"):
            if kind == "marks":  # the admin imports every teacher's marks: the school decides
                await school_rules.set_rule(actor, on_behalf.RULE, "yes", decided_by=PRINCIPAL)
            data = (directory / f"{kind}.xlsx").read_bytes()
            start = time.perf_counter()
            report = await import_file(actor, year, kind, data, f"{kind}.xlsx", workers=workers)
            figures.append((f"import {kind}", time.perf_counter() - start, report.summary()))
            if kind == "marks":
                figures.append(("  peak memory so far", _peak_mib(), "MiB (main process)"))
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
        marks = (
            await Mark.all()
            .order_by("id")
            .values_list("student_id", "subject_id", "term_id", "kind", "index", "score", "verdict")
        )
    workers.shutdown()
    return figures, marks


async def bare_writes(directory: Path, url: str, marks: list[tuple]) -> tuple[float, float]:
    """The floor of writing: the marks and one audit event each, hash chain included, by
    `executemany` into a fresh database with the same school. Returns (inserts, chain)."""
    workers = WorkerPool(1)
    async with database(url):
        actor, year = await _school()
        for kind in ROSTER:
            data = (directory / f"{kind}.xlsx").read_bytes()
            await import_file(actor, year, kind, data, f"{kind}.xlsx", workers=workers)
        workers.shutdown()
        last = await AuditEvent.all().order_by("-seq").first()
        seq, prev = (last.seq, last.hash) if last else (0, audit.GENESIS)
        now = clock.now()
        start = time.perf_counter()
        rows, events = [], []
        for student, subject, term, kind, index, score, verdict in marks:
            score = None if score is None else str(score)  # a 0 is a score, not a blank
            verdict = None if verdict is None else str(verdict)
            rows.append((student, subject, term, str(kind), index, score, verdict,
                         now.isoformat(), None))  # fmt: skip
            after = {"score": score, "verdict": verdict}
            event = audit.Event(
                actor.label,
                "mark.create",
                f"mark:{student}:{subject}:{term}:{mark_column(kind, index)}",
                None,
                after,
            )
            seq += 1
            digest = audit._digest(seq, now, event, prev)
            events.append((seq, now.isoformat(), event.actor, event.action, event.target, None,
                           json.dumps(after), prev, digest))  # fmt: skip
            prev = digest
        chain = time.perf_counter() - start
        start = time.perf_counter()
        async with in_transaction():
            db = connection()
            await db.execute_many(
                'INSERT INTO mark (student_id, subject_id, term_id, kind, "index", score, '
                "verdict, updated_at, updated_by_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            await db.execute_many(
                "INSERT INTO audit_event (seq, at, actor, action, target, before, after, "
                "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                events,
            )
        return time.perf_counter() - start, chain


def main() -> int:
    clock.set_time(DURING_TERM.replace(tzinfo=clock.zone()))
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        queue: multiprocessing.Queue = multiprocessing.Queue()
        start = time.perf_counter()
        child = multiprocessing.Process(target=_generate, args=(directory, queue))
        child.start()
        sizes = queue.get()
        child.join()
        print(f"generated in {time.perf_counter() - start:.1f} s (child process): {sizes}")
        parse, rows = bare_parse((directory / "marks.xlsx").read_bytes())
        start = time.perf_counter()
        figures, marks = asyncio.run(_run(directory, f"sqlite://{directory / 'bench.sqlite3'}"))
        total = time.perf_counter() - start
        peak = _peak_mib()
        inserts, chain = asyncio.run(
            bare_writes(directory, f"sqlite://{directory / 'floor.sqlite3'}", marks)
        )
    for name, value, detail in figures:
        unit = "MiB" if "memory" in name else "s"
        print(f"{name:<24} {value:7.2f} {unit:<3}  {detail.splitlines()[0] if detail else ''}")
    print(f"{'total':<24} {total:7.2f} s")
    print(f"peak resident memory     {peak:7.0f} MiB (workers: {_workers_peak_mib():.0f} MiB)")
    imported = next(seconds for name, seconds, _d in figures if name == "import marks")
    writes = inserts + chain
    print()
    print(f"floor: bare parse        {parse:7.2f} s   calamine, {rows} rows of marks.xlsx")
    print(
        f"floor: bare writes       {writes:7.2f} s   {len(marks)} marks + audit events: "
        f"executemany {inserts:.2f} s, hash chain {chain:.2f} s"
    )
    goal = 2 * parse + writes
    verdict = "met" if imported <= goal else "NOT met"
    print(
        f"import marks {imported:.2f} s vs 2 x parse + writes = {goal:.2f} s: {verdict} "
        f"({imported / goal:.2f} of the goal)"
    )
    importing = next(value for name, value, _d in figures if name == "  peak memory so far")
    memory = "met" if importing <= BUDGET_MIB else "NOT met"
    print(f"import's peak {importing:.0f} MiB vs {BUDGET_MIB} MiB: {memory}")
    clock.set_time(None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
