"""The composition root: from the configuration to the one `Runtime` every entry point uses.

`hocba serve` (the bot, its jobs and the web server) and the other `hocba` commands start the
same way: set the school's zone on the clock, open the database, find the served school, and
build the runtime (file store, signing settings, quiet hours, worker pool). Handlers get it as
`context.runtime`, jobs as an argument; nothing else reads the configuration.

A staging configuration (`[staging] now`) fixes the clock first, so a school rehearses its
calendar (reminder rounds, digests, automatic locks) with the bot and `hocba` alike.

What bot.config cannot see from the values alone is tried here, at first use, before anything
is written: the file store must take a file, the database must answer. Either failing stops
the start with one line (ConfigError), not a traceback, and nothing created.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.config import Config, ConfigError
from bot.persistence import PersistentApplication
from core import clock, formatting
from core.db import DatabaseUnavailable, close_database, open_database
from core.errors import NotFound
from core.i18n import _
from core.leader import Leadership
from core.runtime import Role, Runtime
from core.services.backups.destinations import S3Settings
from core.services.backups.making import BackupPlan
from core.services.backups.retention import Keep
from core.services.issuance import BatchRunner
from core.services.lookup_codes import Portal
from core.services.outbox import Doorbell
from core.services.reminders import QuietHours
from core.services.schools import find_school
from core.signing.backends import KEY_FOLDER_CA, SigningSettings
from core.storage import FileStore
from core.workers import WorkerPool

log = logging.getLogger("hocba")


class BotApplication(PersistentApplication):
    """The PTB application of this bot: persistent, and carrying the runtime for
    `handlers.context.BotContext.runtime`."""

    __slots__ = ("runtime",)

    runtime: Runtime


def signing_settings(config: Config) -> SigningSettings:
    section = config.signing
    return SigningSettings(
        backend=section.backend,
        pkcs12_dir=section.pkcs12_dir,
        pkcs12_password=section.pkcs12_password,
        pkcs11_module=section.pkcs11_module,
        pkcs11_token_label=section.pkcs11_token_label,
        pkcs11_pin=section.pkcs11_pin,
        csc_url=section.csc_url,
        csc_client_id=section.csc_client_id,
        csc_client_secret=section.csc_client_secret,
        people=dict(section.people),
        seal=section.seal,
        demo=config.demo.enabled,
    )


def trust_roots(config: Config) -> tuple[Path, ...]:
    """The configured trust roots; without any, in demo mode only, the CA kept in the PKCS#12
    key folder (the demo's test PKI keeps it there), so a record signed with those keys can be
    checked. A real deployment trusts only what it names."""
    kept = config.signing.pkcs12_dir / KEY_FOLDER_CA
    if config.trust.roots or not config.demo.enabled:
        return config.trust.roots
    return (kept,) if kept.is_file() else ()


async def served_school(config: Config) -> int | None:
    """The configured school, or the only one in the database; None serves every school."""
    try:
        return (await find_school(config.school.code or None)).id
    except NotFound:
        if config.school.code:
            raise
        return None


async def build_runtime(
    config: Config, workers: WorkerPool | None = None, role: Role = Role.ALL
) -> Runtime:
    """The runtime of a process in `role`, once the database is open; `workers`: a pool to
    share (tests), else the configured one."""
    signing = signing_settings(config)
    workers = workers or WorkerPool(config.workers.processes)
    doorbell = Doorbell(config.database.url)
    return Runtime(
        school_id=await served_school(config),
        files=FileStore(config.storage.dir),
        signing=signing,
        trust_roots=trust_roots(config),
        trust_crls=config.trust.crls,
        quiet=QuietHours(config.reminders.quiet_start, config.reminders.quiet_end),
        zone=clock.zone(),
        workers=workers,
        batches=BatchRunner(signing, workers, doorbell=doorbell, hands_off=role is Role.BOT),
        portal=Portal(config.web.portal_url),
        backup=backup_plan(config),
        leader=Leadership(config.database.url),
        doorbell=doorbell,
        role=role,
    )


def backup_plan(config: Config) -> BackupPlan:
    """What `hocba backup` and the backup job write, where, and what they keep ([backup])."""
    section = config.backup
    return BackupPlan(
        database_url=config.database.url,
        files=config.storage.dir,
        destinations=section.destinations,
        s3=S3Settings(
            section.s3_endpoint, section.s3_access_key, section.s3_secret_key, section.s3_region
        ),
        keep=Keep(section.keep_daily, section.keep_weekly),
        overdue=dt.timedelta(hours=section.overdue_hours),
        at=section.at,
    )


def set_clock(config: Config) -> None:
    """The school's zone, and the staging clock when one is configured (said on the log, so
    a rehearsal is never mistaken for the real thing: it warns on a console too)."""
    clock.set_zone(config.school.timezone)
    moment = config.staging.now
    if moment is None:
        return
    if moment.tzinfo is None:
        moment = clock.at_school(moment.date(), moment.time())
    clock.set_time(moment.astimezone(dt.UTC))
    log.warning(
        _("Đồng hồ thử nghiệm ([staging] now): mọi việc chạy như lúc {when}; giờ đứng yên.").format(
            when=formatting.date_time(moment)
        )
    )


def check_storage(folder: Path) -> None:
    """The file store can take a file (a folder read-only for this account, on a read-only
    disk, or made immutable, cannot): ConfigError in one line otherwise. A folder not made yet
    is tried in the folder it will be made in; the try leaves nothing behind."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise ConfigError(
            [
                _(
                    "Không ghi được vào thư mục lưu tệp {folder} ([storage] dir): {reason}. Chọn "
                    "một thư mục mà tài khoản chạy trợ lý ghi được, hoặc cấp quyền ghi."
                ).format(folder=folder, reason=exc.strerror or exc)
            ]
        ) from None


async def open_configured_database(config: Config, *, create: bool = True) -> None:
    """The configured database open (and migrated, unless `create` is False); a database that
    cannot be reached or opened is a ConfigError in one line."""
    try:
        await open_database(config.database.url, create=create)
    except DatabaseUnavailable as exc:
        raise ConfigError([str(exc)]) from None


def say_demo(config: Config) -> None:
    """Demo mode is said on the log at every start, like the staging clock: keys on the server
    are never to be mistaken for a school's real signing."""
    if config.demo.enabled:
        log.warning(
            _(
                "Chế độ trình diễn ([demo] enabled): khóa ký thử nghiệm nằm trên máy chủ; không "
                "dùng cho dữ liệu thật của trường."
            )
        )


def check_role(config: Config, role: Role) -> None:
    """A bot or worker process of a split deployment needs PostgreSQL: SQLite serves one
    process doing everything (ALL), beside which a portal alone (WEB, `hocba web`) may run."""
    if role in (Role.BOT, Role.WORKER) and config.database.url.startswith("sqlite"):
        raise ConfigError(
            [
                _(
                    "«--role {role}» chia việc cho nhiều tiến trình, cần cơ sở dữ liệu PostgreSQL "
                    "([database] url). Với SQLite, chạy «hocba serve» không kèm --role: một "
                    "tiến trình làm mọi việc."
                ).format(role=role.value)
            ]
        )


@asynccontextmanager
async def running(config: Config, role: Role = Role.ALL) -> AsyncIterator[Runtime]:
    """Clock set, file store and database checked and open, the runtime of a process in `role`
    built for the block; everything closed after (the scheduler's lead given up, the worker
    pool stopped, then the database)."""
    check_role(config, role)
    set_clock(config)
    check_storage(config.storage.dir)
    await open_configured_database(config)
    say_demo(config)
    runtime: Runtime | None = None
    try:
        runtime = await build_runtime(config, role=role)
        yield runtime
    finally:
        if runtime is not None:
            await runtime.doorbell.close()
            await runtime.leader.close()
            runtime.workers.shutdown()
        await close_database()


def attach(application: Application[Any, Any, Any, Any, Any, Any], runtime: Runtime) -> None:
    """Give the application its runtime (before it handles anything)."""
    assert isinstance(application, BotApplication)
    application.runtime = runtime
