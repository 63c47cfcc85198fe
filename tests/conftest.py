"""Shared fixtures and the rule for system tools.

A real database per test: every test that takes `db` runs once on a SQLite file and once on
PostgreSQL, the server CI provides on 127.0.0.1:5432 (trust auth, database `test`).

Tests that need something outside Python carry one marker per tool (postgres, xmlsec1, poppler,
softhsm2, chromium; registered in pyproject.toml). Where the tool is missing such a test is
skipped with the package to install, so a developer's machine without it still runs everything
else. With CI=true any skip, whatever raised it, is turned into a failure: CI installs every
tool, and a green run must mean that every test ran.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import cache

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from core import clock
from core.db import close_database, open_database
from core.models import School, SchoolYear
from core.rules.catalog import SchoolLevel
from core.services.access import Actor
from core.services.schools import create_school, ensure_year
from core.workers import WorkerPool
from tests.signing import softhsm

POSTGRES_URL = os.environ.get("HOCBA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
# One schema per test process, so parallel runs on one server never see each other's tables.
POSTGRES_SCHEMA = f"hocba_test_{os.getpid()}"
CI = os.environ.get("CI", "").lower() == "true"


async def _postgres(statement: str) -> None:
    """Run one statement on the test server."""
    import asyncpg

    url = POSTGRES_URL.replace("postgres://", "postgresql://")
    conn = await asyncio.wait_for(asyncpg.connect(url), 3)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _postgres_missing() -> str | None:
    """Why the test server cannot be used, or None.

    Asked from a hook, outside any test's event loop: asyncio.run in a thread of its own, so
    no event loop of the main thread is replaced or closed.
    """
    import asyncpg

    try:
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, _postgres("SELECT 1")).result()
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return (
            f"PostgreSQL does not answer at {POSTGRES_URL}: {exc!r} (start it, or point "
            "HOCBA_TEST_POSTGRES_URL at a server with trust auth and a database `test`)"
        )
    return None


def _commands(package: str, *names: str) -> Callable[[], str | None]:
    """A check that each command `names` is on PATH, naming the package that provides it."""

    def missing() -> str | None:
        for name in names:
            if shutil.which(name) is None:
                return f"{name} is not installed (apt-get install {package})"
        return None

    return missing


# marker -> why its tool is unusable here, or None.
TOOLS: dict[str, Callable[[], str | None]] = {
    "postgres": _postgres_missing,
    "xmlsec1": _commands("xmlsec1", "xmlsec1"),
    "poppler": _commands("poppler-utils", "pdfsig", "pdftotext", "pdftoppm"),
    "pgtools": _commands("postgresql-client", "pg_dump", "pg_restore", "psql"),
    "softhsm2": softhsm.missing,
    "chromium": _commands("chromium chromium-driver", "chromium", "chromedriver"),
    "nginx": _commands("nginx", "nginx"),
}
# Fixtures that need a tool: a test using one gets the tool's marker at collection.
FIXTURE_MARKERS = {"softhsm_token": "softhsm2"}


@cache
def _missing(marker: str) -> str | None:
    return TOOLS[marker]()


@pytest.hookimpl(tryfirst=True)  # before -m selects on the markers added here
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each test the markers of the tool fixtures it uses, then skip, with the reason,
    each test whose tool is missing (each tool is looked for at most once a run)."""
    for item in items:
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in item.fixturenames:
                item.add_marker(marker)
        for marker in TOOLS:
            if item.get_closest_marker(marker) and (reason := _missing(marker)):
                item.add_marker(pytest.mark.skip(reason=reason))
                break


def _fail_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Under CI=true a skip is a failure that says what was skipped and why."""
    if not CI or not report.skipped or hasattr(report, "wasxfail"):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = f"CI=true: every test must run, but this one was skipped: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    _fail_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    _fail_skip(report)
    return report


@asynccontextmanager
async def _database(url: str) -> AsyncIterator[str]:
    await open_database(url, from_models=True)
    try:
        yield url
    finally:
        await close_database()
        # Tortoise caches INSERT statements per connection name, not per engine: clear it so the
        # next test may open the other backend under the same name.
        EXECUTOR_CACHE.clear()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """An empty record database with the full schema, on each backend; yields its URL."""
    if request.param == "sqlite":
        async with _database(f"sqlite://{tmp_path / 'hocba.sqlite3'}") as url:
            yield url
        return
    await _postgres(
        f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE; CREATE SCHEMA {POSTGRES_SCHEMA};"
    )
    try:
        async with _database(f"{POSTGRES_URL}?schema={POSTGRES_SCHEMA}") as url:
            yield url
    finally:
        await _postgres(f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE")


@pytest.fixture
async def sqlite_db(tmp_path) -> AsyncIterator[str]:
    """An empty record database on SQLite only, for the few slow tests that run once (the full
    signing chain): the services they drive are dialect-neutral and covered on both backends
    by the tests that take `db`."""
    async with _database(f"sqlite://{tmp_path / 'hocba.sqlite3'}") as url:
        yield url


# A moment of the 2025-2026 year while its gradebook is open (term I, before any lock of the
# year). Every write is checked against the calendar's locks at the clock's time, and by the
# wall clock that year may be over: the fixtures of that year put the clock here.
DURING_2025_2026 = dt.datetime(2025, 12, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


@pytest.fixture
async def secondary(db: str) -> tuple[School, SchoolYear]:
    """A lower-secondary school with the 2025-2026 year and its two terms; the clock at
    `DURING_2025_2026`."""
    clock.set_time(DURING_2025_2026)
    school = await create_school("THCS-DA", "Trường THCS Đại An", SchoolLevel.LOWER_SECONDARY)
    return school, await ensure_year(school, "2025-2026")


@pytest.fixture
async def primary(db: str) -> tuple[School, SchoolYear]:
    """A primary school with the 2025-2026 year and its two terms; the clock at
    `DURING_2025_2026`."""
    clock.set_time(DURING_2025_2026)
    school = await create_school("TH-AH", "Trường Tiểu học An Hồng", SchoolLevel.PRIMARY)
    return school, await ensure_year(school, "2025-2026")


@pytest.fixture
def admin_of():
    """The command line's admin actor for a school."""
    return lambda school: Actor.command_line(school.id)


@pytest.fixture(scope="session")
def workers() -> Iterator[WorkerPool]:
    """The worker pool that core services hand CPU-heavy work to (one process for the tests)."""
    pool = WorkerPool(1)
    yield pool
    pool.shutdown()


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    """Every test ends on the real clock and the default zone: a test (or a `hocba` command it
    runs in-process, which applies a staging clock) that moves them must not move the next."""
    yield
    clock.set_time(None)
    clock.set_zone(clock.DEFAULT_ZONE)
