"""Making a school's backup (001 Điều 20.4: periodic, in several places, off-site and cloud
included): a consistent snapshot of the database and the whole file store, in one archive
whose manifest the school's seal covers (core.services.backups.archive), written to every
configured destination, then each destination pruned to the retention policy.

The archive is built in a worker process (a snapshot, hashing and gzip are seconds of CPU for a
large school), in a staging folder beside the file store, and copied to each destination from
there; a destination that fails does not stop the others, but the run is good only when every
destination has the archive. Each run is stored (BackupRun) with what it made; the admins are
told, in the transaction that stores a failed run, and again when no run has succeeded for
`overdue` (the daily check), so a backup that silently stopped is noticed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tortoise.transactions import in_transaction

import core.migrations
from core import audit, clock
from core.errors import HocbaError
from core.formatting import date_time
from core.i18n import _, current_language, use_language
from core.models import BackupRun, Role, School
from core.services.access import staff_with
from core.services.backups import archive
from core.services.backups.destinations import S3Settings, destination
from core.services.backups.retention import Keep, archive_name, to_delete
from core.services.backups.snapshot import kind_of, snapshot
from core.services.outbox import notify_each
from core.signing.backends import SigningSettings
from core.signing.worker import school_seal
from core.workers import WorkerPool

ACTOR = "system:backup"


@dataclass(frozen=True)
class BackupPlan:
    """What a backup needs from the deployment ([database], [storage], [backup])."""

    database_url: str
    files: Path
    destinations: tuple[str, ...]
    s3: S3Settings
    keep: Keep
    overdue: dt.timedelta
    at: dt.time = dt.time(2, 30)  # the daily job's time, on the school's clock


@dataclass(frozen=True)
class Made:
    path: Path
    size: int
    sha256: str
    members: int


def schema_head() -> str:
    """The last migration of this code: every start applies them all, so the database's."""
    folder = Path(core.migrations.__file__).parent
    return max(path.stem for path in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))


def build_archive(
    signing: SigningSettings,
    school_code: str,
    database_url: str,
    files_root: Path,
    folder: Path,
    name: str,
    moment: dt.datetime,
    language: str,
) -> Made:
    """The whole archive in `folder` (a worker-pool task): snapshot, hashes, sealed manifest."""
    with use_language(language):
        kind = kind_of(database_url)
        database = folder / archive.DATABASE[kind]
        snapshot(database_url, database)
        members = [(archive.DATABASE[kind], database), *archive.store_files(files_root)]
        listed = tuple(archive.Member(n, *archive.hashed(p)) for n, p in members)
        manifest = archive.Manifest(school_code, moment, kind, schema_head(), listed)
        sealed = archive.sealed_manifest(manifest, school_seal(signing, school_code))
        target = folder / name
        archive.write_archive(target, sealed, members)
        return Made(target, *archive.hashed(target), len(listed))


async def _write(plan: BackupPlan, places: tuple[str, ...], made: Made, school: School):
    """Copy the archive to each place and prune it there; the places written, and per place
    what went wrong."""
    written, failed = [], []
    for place in places:
        try:
            target = destination(place, plan.s3)
            await asyncio.to_thread(target.put, made.path, made.path.name)
            names = await asyncio.to_thread(target.names)
            for old in to_delete(names, plan.keep, school.code):
                await asyncio.to_thread(target.delete, old)
            written.append(target.label)
        except HocbaError as problem:
            failed.append(str(problem))
    return written, failed


async def back_up(
    plan: BackupPlan,
    signing: SigningSettings,
    workers: WorkerPool,
    school: School,
    to: tuple[str, ...] = (),
    now: dt.datetime | None = None,
) -> BackupRun:
    """One backup of `school` to `to` (default: every configured destination); the stored run.
    A failure is stored and told to the admins, not raised: the caller reads `run.ok`."""
    now = now or clock.now()
    places = to or plan.destinations
    run = await BackupRun.create(school=school, started_at=now)
    plan.files.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".backup-", dir=plan.files.parent))
    written, failed = [], []
    try:
        made = await workers.run_batch(  # bulk work: never ahead of what a person waits for
            build_archive,
            signing,
            school.code,
            plan.database_url,
            plan.files,
            folder,
            archive_name(school.code, now),
            now,
            current_language(),
        )
        run.archive, run.size, run.sha256 = made.path.name, made.size, made.sha256
        written, failed = await _write(plan, places, made, school)
    except HocbaError as problem:
        failed.append(str(problem))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    run.finished_at, run.ok, run.destinations = clock.now(), not failed, written
    run.error = "\n".join(failed)
    async with in_transaction():
        await run.save()
        action = "backup.made" if run.ok else "backup.failed"
        after = {"archive": run.archive, "size": run.size, "destinations": written}
        await audit.record(audit.Event(ACTOR, action, f"school:{school.id}", after=after))
        if not run.ok:
            await _tell_admins(
                school, "backup.failed", _failed(run), f"backup.failed:{run.id}", now
            )
    return run


def _failed(run: BackupRun):
    return lambda: _(
        "Sao lưu dữ liệu lúc {when} KHÔNG thành công: {error}. Hãy kiểm tra nơi lưu trong mục "
        "[backup] của cấu hình rồi chạy lại: hocba backup."
    ).format(when=date_time(run.started_at), error=run.error)


async def _tell_admins(school: School, kind: str, text, key: str, now: dt.datetime) -> None:
    await notify_each(await staff_with(school.id, Role.ADMIN), kind, text, dedupe_key=key, now=now)


async def check_overdue(plan: BackupPlan, school: School, now: dt.datetime | None = None) -> bool:
    """Tell the admins (once a day) when no backup of `school` succeeded within `overdue`;
    whether it is overdue."""
    now = now or clock.now()
    last = await BackupRun.filter(school=school, ok=True).order_by("-finished_at").first()
    if last is not None and last.finished_at and now - last.finished_at <= plan.overdue:
        return False

    def text() -> str:
        since = (
            _("lần thành công gần nhất lúc {when}").format(when=date_time(last.finished_at))
            if last is not None and last.finished_at
            else _("chưa có lần nào thành công")
        )
        return _(
            "Đã quá {hours} giờ chưa sao lưu được dữ liệu ({since}). Quy chế yêu cầu sao lưu "
            "định kỳ (Điều 20.4): hãy chạy hocba backup và xem thông báo lỗi."
        ).format(hours=int(plan.overdue.total_seconds() // 3600), since=since)

    async with in_transaction():
        await _tell_admins(
            school, "backup.overdue", text, f"backup.overdue:{school.id}:{now:%Y%m%d}", now
        )
    return True
