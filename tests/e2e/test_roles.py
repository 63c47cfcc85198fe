"""A split deployment on PostgreSQL (`hocba serve --role`), each role a process of its own as a
province would run it: one bot taking Telegram's updates, two workers, one portal.

The bot hands the signing batches it starts to the workers; exactly one worker leads (sends
the outbox, runs the scheduled rounds); a worker killed in the middle of a batch leaves it to
the other, which finishes it, and every signer hears of the end once. The portal answers only
on the web process; the others answer health checks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from bot.bootstrap import build_runtime
from bot.cli_signing import issue_class
from bot.config import Config, load_config
from core import clock
from core.db import database
from core.models import (
    BatchState,
    IssuedRecord,
    RecordState,
    Role,
    School,
    SignatureRole,
    SigningBatch,
    Staff,
)
from core.services import issuance
from core.services.access import Actor
from core.services.schools import find_class, latest_year
from core.workers import WorkerPool
from demo.school import COMPLETE_CLASS, SECONDARY, create_demo
from demo.signing import demo_signing
from tests.conftest import POSTGRES_URL, _postgres
from tests.e2e.bot_harness import is_listing
from tests.e2e.processes import HOCBA, Processes
from tests.portal import PORTAL
from tests.signing.conftest import ISSUING_2025_2026
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import FakeUser
from web.portal import PAGE as PORTAL_PAGE

SCHEMA = f"hocba_roles_{os.getpid()}"
URL = f"{POSTGRES_URL}?schema={SCHEMA}"
HOMEROOM_USER, PRINCIPAL_USER, CLERK_USER = 7102, 7103, 7104


def _environ(server: FakeTelegramServer, tmp_path: Path) -> dict[str, str]:
    environ = {
        **os.environ,
        "HOCBA_TELEGRAM_TOKEN": server.token,
        "HOCBA_TELEGRAM_BASE_URL": server.base_url,
        "HOCBA_TELEGRAM_BASE_FILE_URL": server.base_file_url,
        "HOCBA_DATABASE_URL": URL,
        "HOCBA_STORAGE_DIR": str(tmp_path / "files"),  # one file store, shared
        "HOCBA_SIGNING_PKCS12_DIR": str(tmp_path / "keys"),
        "HOCBA_DEMO_ENABLED": "true",
        "HOCBA_WORKERS_PROCESSES": "1",
        "HOCBA_STAGING_NOW": ISSUING_2025_2026.strftime("%Y-%m-%d %H:%M"),
    }
    environ.pop("HOCBA_CONFIG", None)
    return environ


async def _seed(config: Config, workers: WorkerPool) -> None:
    """The demo school with 6A prepared and signed by its subject teachers; the homeroom
    teacher and the principal linked to their Telegram accounts."""
    await create_demo("2025-2026")
    await demo_signing(config.signing.pkcs12_dir, config.signing.pkcs12_password)
    school = await School.get(code=SECONDARY.code)
    school_class = await find_class(await latest_year(school), COMPLETE_CLASS)
    await issuance.prepare_class(Actor.command_line(school.id), school_class, workers, PORTAL)
    console = await build_runtime(config, workers)
    await issue_class(console, school, school_class, stop_before=SignatureRole.HOMEROOM)
    await Staff.filter(id=school_class.homeroom_id).update(telegram_user_id=HOMEROOM_USER)
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    principal.telegram_user_id = PRINCIPAL_USER
    await principal.save(update_fields=["telegram_user_id"])
    clerk = await Staff.get(school=school, roles__role=Role.CLERK)
    clerk.telegram_user_id = CLERK_USER
    await clerk.save(update_fields=["telegram_user_id"])


@pytest.fixture
async def deployment(
    telegram_server: FakeTelegramServer, tmp_path: Path, workers: WorkerPool
) -> AsyncIterator[Processes]:
    await _postgres(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};")
    clock.set_time(ISSUING_2025_2026)
    environ = _environ(telegram_server, tmp_path)
    config = load_config(None, environ=environ)
    processes = Processes(environ, tmp_path)
    # Tortoise caches INSERT statements per connection name, not per engine: an earlier test's
    # SQLite ones would reach PostgreSQL here (tests/conftest.py clears it the same way)
    EXECUTOR_CACHE.clear()
    try:
        async with database(URL, from_models=True):
            await _seed(config, workers)
            yield processes
    finally:
        await processes.stop()
        EXECUTOR_CACHE.clear()
        await _postgres(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


async def _press_sign(user: FakeUser) -> None:
    user.mark_all_read()
    await user.send_text("✍️ Ký học bạ")
    listing = await user.wait_for_message(is_listing, timeout=10)
    await user.press(next(d for d in listing.callback_data if d.startswith("sgn:")))


def _results(user: FakeUser) -> list[str]:
    return [m.text for m in user.messages() if m.text.startswith(("✅", "❌"))]


async def _claimed(role: SignatureRole) -> SigningBatch:
    """The batch of `role` once a worker holds it, still open."""
    for _ in range(1000):
        batch = await SigningBatch.filter(role=role).first()
        if batch is not None and batch.lease_token is not None:
            assert batch.state not in (BatchState.DONE, BatchState.FAILED), "ended too soon"
            return batch
        await asyncio.sleep(0.01)
    raise TimeoutError(f"no worker took the {role} batch")


@pytest.mark.postgres
async def test_a_split_deployment_signs_once_and_survives_a_killed_worker(
    deployment: Processes, telegram_server: FakeTelegramServer
) -> None:
    server = telegram_server
    bot, first, web, second = [
        await deployment.start(["serve", "--role", role])
        for role in ("bot", "worker", "web", "worker")
    ]

    # one leader among the workers; the bot never asks to lead
    assert (await first.readyz())["leader"] is True
    assert (await second.readyz())["leader"] is False
    assert "leader" not in await bot.readyz()
    # the portal on the web process only; every process answers its health check
    assert (await web.get(PORTAL_PAGE))[0] == 200
    for process in (bot, first, second):
        assert (await process.get(PORTAL_PAGE))[0] == 404

    # the homeroom teacher signs 6A from the bot; a worker runs the batch, one result
    homeroom = server.user(HOMEROOM_USER)
    await _press_sign(homeroom)
    await homeroom.wait_for_message(lambda m: m.text.startswith("✅"), timeout=60)

    # the principal's batch: the worker running it is killed in the middle
    principal = server.user(PRINCIPAL_USER)
    await _press_sign(principal)
    batch = await _claimed(SignatureRole.PRINCIPAL)
    runner = next(p for p in (first, second) if batch.lease_token.startswith(f"{p.handle.pid}-"))
    survivor = second if runner is first else first
    runner.handle.kill()
    await runner.handle.wait()
    # its lease would run out in two minutes (the staged clock stands still): let it run out
    await SigningBatch.filter(id=batch.id).update(lease_until=clock.now() - dt.timedelta(seconds=1))
    await principal.wait_for_message(lambda m: m.text.startswith("✅"), timeout=60)
    finished = await SigningBatch.get(id=batch.id)
    assert finished.state is BatchState.DONE and finished.done == finished.total == 40
    assert finished.lease_token is None and finished.attempts == 2
    assert (await survivor.readyz())["leader"] is True  # the lead moved if the leader died

    # the clerk seals: the records are issued by the surviving worker
    clerk = server.user(CLERK_USER)
    await _press_sign(clerk)
    await clerk.wait_for_message(lambda m: m.text.startswith("✅"), timeout=60)
    records = await IssuedRecord.filter(school_class__name=COMPLETE_CLASS)
    assert len(records) == 40
    assert all(r.state is RecordState.ISSUED and r.xml_sha256 and r.pdf for r in records)

    # every signer heard of the end once, whoever sent it
    await asyncio.sleep(3)  # a duplicate, if any, would come within the outbox's idle look
    (told,) = _results(homeroom)
    assert "Lớp 6A: đã ký 40 tài liệu" in told
    (told,) = _results(principal)
    assert "đã ký 40 tài liệu (Hiệu trưởng)" in told
    (told,) = _results(clerk)
    assert "phát hành" in told


async def test_bot_and_worker_roles_need_postgresql(tmp_path: Path) -> None:
    """SQLite serves one process: a split role is refused with what to do instead."""
    environ = {**os.environ, "HOCBA_DATABASE_URL": f"sqlite://{tmp_path / 'one.sqlite3'}"}
    environ["HOCBA_TELEGRAM_TOKEN"] = "123:abc"
    environ.pop("HOCBA_CONFIG", None)
    for role in ("bot", "worker"):
        process = await asyncio.create_subprocess_exec(
            *HOCBA,
            "serve",
            "--role",
            role,
            env=environ,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 2
        assert "cần cơ sở dữ liệu PostgreSQL" in err.decode() and "không kèm --role" in err.decode()
    assert not (tmp_path / "one.sqlite3").exists()
