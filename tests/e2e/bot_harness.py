"""Running the real bot (`bot.app.serve`) against the fake Telegram server inside a test."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import MappingProxyType

from bot.app import serve
from bot.bootstrap import signing_settings
from bot.config import Config, load_config
from core.db import database
from core.models import School, Staff
from core.services import certificates
from core.services.access import Actor
from core.workers import WorkerPool
from tests.signing.csc_server import CscServer, start_csc
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.fixtures import free_port
from tests.telegram_fake.user import BotMessage, FakeUser


def bot_config(server: FakeTelegramServer, tmp_path: Path, **env: str) -> Config:
    """The bot's configuration for a test, in demo mode (its tests sign with the demo's key
    files); HOCBA_DEMO_ENABLED="false" among `env` runs it as a school would."""
    environ = {
        "HOCBA_DEMO_ENABLED": "true",
        "HOCBA_TELEGRAM_TOKEN": server.token,
        "HOCBA_TELEGRAM_BASE_URL": server.base_url,
        "HOCBA_TELEGRAM_BASE_FILE_URL": server.base_file_url,
        "HOCBA_DATABASE_URL": f"sqlite://{tmp_path / 'bot.sqlite3'}",
        "HOCBA_STORAGE_DIR": str(tmp_path / "files"),
        "HOCBA_WEB_PORT": str(free_port()),
        **env,
    }
    return load_config(None, environ=environ)


@contextlib.asynccontextmanager
async def running_bot(
    config: Config,
    seed: Callable[[], Awaitable[object]] | None = None,
    *,
    schedule_jobs: bool = True,
) -> AsyncIterator[Config]:
    """Seed the database, then serve until the block ends; a crash of the bot fails the test."""
    if seed is not None:  # tables straight from the models (fast); migrating is test_serve's
        async with database(config.database.url, from_models=True):
            await seed()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(config, stop, schedule_jobs=schedule_jobs))
    try:
        yield config
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def signed_in(
    server: FakeTelegramServer, staff: Staff, user_id: int, timeout: float = 5.0
) -> FakeUser:
    """A staff member's Telegram user, signed in by sharing their phone's contact."""
    user = server.user(user_id, staff.full_name, phone=staff.phone)
    await user.share_contact()
    await user.wait_for_message(timeout=timeout)
    return user


def is_listing(message: BotMessage) -> bool:
    """The answer to «✍️ Ký học bạ» (not a notice that documents wait, which may arrive at
    the same time: notices waiting for someone are delivered when they sign in)."""
    return message.text.startswith("Chờ thầy/cô ký")


async def remote_person(
    config: Config, staff: Staff, school: School, directory: Path, workers: WorkerPool
) -> tuple[CscServer, Config]:
    """`staff` signs through a CSC server started here (certomancer-csc-dummy), everyone else
    as `config` says; their remote certificate is registered first, so that the documents
    built from now on name it. Returns the server (stop it) and the configuration to run."""
    csc = await start_csc(directory, {staff.code: staff.full_name}, school.name, school.code)
    signing = dataclasses.replace(
        config.signing, csc_url=csc.url, people=MappingProxyType({staff.code: "csc"})
    )
    remote = dataclasses.replace(config, signing=signing)
    admin = Actor.command_line(school.id)
    await certificates.register_from_key(
        admin, staff.code, signing_settings(remote), workers, [csc.root]
    )
    return csc, remote
