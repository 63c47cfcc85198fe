"""`make bench-portal`: how many record files the verification portal checks per second.

The demo school's class 6A is issued with the demo's keys, then `hocba web` serves the portal
from that database (its worker pool sized as in production) while this driver plays 50
clients on loopback, each posting one issued record's XML, then its PDF, to
`POST /api/v1/xac-thuc` again and again for DURATION seconds per kind. Printed: verifications
per second and p50 / p95 / p99 latency for each kind, and beside them, in the same run, the
bare verifier call (core.signing.document_check.check_document, what every front end runs)
on the same file in this process, one after the other: its rate on one core and that rate
times the cores, the ceiling of any server on this machine.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bot.bootstrap import build_runtime
from bot.cli_signing import issue_class
from bot.config import load_config
from core import clock
from core.db import database
from core.models import IssuedRecord, RecordState, School
from core.services.certificates import registry
from core.services.schools import find_class, latest_year
from core.signing.document_check import check_document
from core.signing.trust import Trust
from core.workers import WorkerPool
from demo.pki import CA_FILE
from demo.school import COMPLETE_CLASS, SECONDARY, create_demo
from demo.signing import demo_signing
from tests.web.serving import hocba_web

CLIENTS = 50
DURATION = 15.0
BARE_RUNS = 30


async def _issue(url: str, keys: Path, files: Path) -> tuple[bytes, bytes, Path, str]:
    """The demo's 6A issued; one record's XML and PDF, the CA file, the issuing moment."""
    config = load_config(
        environ={
            "HOCBA_SIGNING_PKCS12_DIR": str(keys),
            "HOCBA_DEMO_ENABLED": "true",
            "HOCBA_STORAGE_DIR": str(files),
        }
    )
    async with database(url):
        await create_demo("2025-2026")
        moments = await demo_signing(config.signing.pkcs12_dir, config.signing.pkcs12_password)
        moment = moments[SECONDARY.code]
        ca_file = config.signing.pkcs12_dir / CA_FILE
        school = await School.get(code=SECONDARY.code)
        year = await latest_year(school)
        clock.set_time(moment)
        workers = WorkerPool(os.cpu_count() or 1)
        runtime = await build_runtime(config, workers)
        await issue_class(runtime, school, await find_class(year, COMPLETE_CLASS))
        await runtime.batches.wait()
        workers.shutdown()
        record = await IssuedRecord.filter(state=RecordState.ISSUED).order_by("id").first()
        clock.set_time(None)
        return bytes(record.xml), bytes(record.pdf), ca_file, moment.strftime("%Y-%m-%d %H:%M")


async def _bare(data: bytes, ca_file: Path, url: str) -> float:
    """Checks per second of the bare verifier on one core, on `data`."""
    async with database(url):
        known = await registry()
    trust = Trust.load([ca_file])
    check_document(data, trust, known, clock.now(), "vi")  # warm: imports, caches
    start = time.perf_counter()
    for _ in range(BARE_RUNS):
        report = check_document(data, trust, known, clock.now(), "vi")
    assert report.valid, report.lines()
    return BARE_RUNS / (time.perf_counter() - start)


async def _load(base: str, data: bytes, name: str) -> tuple[int, list[float], int]:
    """CLIENTS clients posting `data` for DURATION seconds: answers, latencies, failures."""
    latencies: list[float] = []
    failures = 0
    stop = time.perf_counter() + DURATION
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            nonlocal failures
            while time.perf_counter() < stop:
                form = aiohttp.FormData()
                form.add_field("file", data, filename=name)
                started = time.perf_counter()
                async with session.post(f"{base}/api/v1/xac-thuc", data=form) as answer:
                    body = await answer.json()
                latencies.append(time.perf_counter() - started)
                if not (answer.status == 200 and body["valid"] and body["status"] == "current"):
                    failures += 1

        await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return len(latencies), latencies, failures


def _figures(latencies: list[float]) -> str:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return f"p50 {pct(0.5):.0f} ms, p95 {pct(0.95):.0f} ms, p99 {pct(0.99):.0f} ms"


async def _serve_and_load(url: str, ca_file: Path, files: Path, now: str, samples) -> list[str]:
    env = {
        "HOCBA_DATABASE_URL": url,
        "HOCBA_TRUST_ROOTS": str(ca_file),
        "HOCBA_STORAGE_DIR": str(files),
        "HOCBA_STAGING_NOW": now,
    }
    lines = []
    async with hocba_web(env) as base:
        for kind, data, name, bare in samples:
            count, latencies, failures = await _load(base, data, name)
            cores = os.cpu_count() or 1
            lines.append(
                f"{kind}: {count / DURATION:6.1f} verifications/s with {CLIENTS} clients, "
                f"{_figures(latencies)}, mean {statistics.mean(latencies) * 1000:.0f} ms, "
                f"{failures} wrong answers; bare verifier {bare:.1f}/s on one core, "
                f"{bare * cores:.1f}/s on {cores} (the ceiling)"
            )
    return lines


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hocba-portal-") as tmp:
        directory = Path(tmp)
        url = f"sqlite://{directory / 'portal.sqlite3'}"
        files = directory / "files"
        xml, pdf, ca_file, now = asyncio.run(_issue(url, directory / "keys", files))
        print(f"record: XML {len(xml) / 1024:.0f} KB, PDF {len(pdf) / 1024:.0f} KB (demo 6A)")
        samples = [
            ("XML", xml, "hocba.xml", asyncio.run(_bare(xml, ca_file, url))),
            ("PDF", pdf, "hocba.pdf", asyncio.run(_bare(pdf, ca_file, url))),
        ]
        for line in asyncio.run(_serve_and_load(url, ca_file, files, now, samples)):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
