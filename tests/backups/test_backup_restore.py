"""A school's backup and its restore (issue 16, part 1; 001 Điều 20.4): the demo school after
6A's records were issued and one replaced, backed up to two places, checked, and restored by
`hocba restore` in its own process into an empty database and file store, where every record,
mark, file and audit event is found and the audit chain and the records check pass. Each bad
archive is refused before anything is touched."""

from __future__ import annotations

import dataclasses
import io
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from lxml import etree
from tortoise.backends.base.executor import EXECUTOR_CACHE

from bot.bootstrap import backup_plan, signing_settings
from bot.cli_signing import issue_class
from bot.config import load_config
from core import audit, clock
from core.db import close_database, open_database
from core.errors import InvalidValue
from core.models import (
    AuditEvent,
    BackupRun,
    IssuedRecord,
    Mark,
    Notification,
    Role,
    School,
    SigningCertificate,
    Staff,
    Student,
)
from core.services import issuance
from core.services.access import Actor
from core.services.backups import archive
from core.services.backups.destinations import S3Settings, destination
from core.services.backups.making import back_up, check_overdue
from core.services.backups.restoring import Expected, restore_archive, verify
from core.signing.backends import open_signer
from core.signing.sealed import seal
from core.signing.trust import Trust
from core.storage import FileStore
from demo.school import SECONDARY, create_demo
from demo.signing import demo_signing
from tests.conftest import POSTGRES_SCHEMA, POSTGRES_URL, _postgres
from tests.signing import conftest as signing

demo, runtime, demo_keys = signing.demo, signing.runtime, signing.demo_keys
MODELS = (IssuedRecord, Mark, AuditEvent, Student, Staff, SigningCertificate, School)
TABLES = ("issued_record", "mark", "audit_event", "student", "staff", "signing_certificate")


def _counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture
async def backed_up(
    demo, runtime, workers, sqlite_db: str, tmp_path: Path, s3_server: S3Settings, s3_bucket: str
):
    """6A issued, one record replaced, two evidence files stored; one backup to three places:
    two folders and an S3 bucket (off-site)."""
    config, school, school_class = demo
    assert await issue_class(runtime, school, school_class) == 40
    first = await IssuedRecord.filter(school_class=school_class).order_by("id").first()
    reason = "Sửa điểm Toán theo biên bản số 3"
    await issuance.revise(
        Actor.command_line(school.id), first, reason, runtime.workers, runtime.portal
    )
    assert await issue_class(runtime, school, school_class) == 40
    store = FileStore(tmp_path / "files")
    digests = [store.put(b"\xff\xd8 minh chung %d" % n) for n in range(2)]
    plan = dataclasses.replace(
        backup_plan(config),
        database_url=sqlite_db,
        files=tmp_path / "files",
        destinations=(str(tmp_path / "backups"), str(tmp_path / "offsite"), f"s3://{s3_bucket}/th"),
        s3=s3_server,
    )
    run = await back_up(plan, runtime.signing, workers, school)
    assert run.ok, run.error
    cloud = destination(f"s3://{s3_bucket}/th", s3_server)
    assert cloud.names() == [run.archive]
    cloud.fetch(run.archive, tmp_path / "from-s3.tar.gz")
    assert (tmp_path / "from-s3.tar.gz").read_bytes() == (
        tmp_path / "backups" / run.archive
    ).read_bytes()
    return config, school, run, Path(sqlite_db.removeprefix("sqlite://")), digests, store


def _hocba_restore(archive_file: Path, env: dict[str, str], cwd: Path):
    """`hocba restore` in its own process, as an admin runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "restore", str(archive_file)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _expected(config, school_code: str | None, now) -> Expected:
    return Expected(
        Trust.load([config.signing.pkcs12_dir / "ca.pem"]),
        signing_settings(config),
        school_code,
        now,
        "vi",
    )


async def test_a_backup_restores_into_an_empty_database_and_store(backed_up, tmp_path: Path):
    config, school, run, database, digests, store = backed_up
    copies = [tmp_path / place / run.archive for place in ("backups", "offsite")]
    assert copies[0].read_bytes() == copies[1].read_bytes()  # the same archive in both places
    restored = tmp_path / "restored"
    env = {
        **os.environ,
        "HOCBA_DATABASE_URL": f"sqlite://{restored / 'hocba.sqlite3'}",
        "HOCBA_STORAGE_DIR": str(restored / "files"),
        "HOCBA_SIGNING_PKCS12_DIR": str(config.signing.pkcs12_dir),
        "HOCBA_DEMO_ENABLED": "true",
        "HOCBA_SCHOOL_CODE": school.code,
    }
    done = _hocba_restore(copies[1], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "chuỗi băm nguyên vẹn" in done.stdout
    assert "40 học bạ đang có hiệu lực, 0 chỗ khác sổ điểm" in done.stdout
    after, before = _counts(restored / "hocba.sqlite3"), _counts(database)
    assert after == before and after["issued_record"] == 41  # 40, and one replaced
    for digest in digests:
        assert FileStore(restored / "files").get(digest) == store.get(digest)

    again = _hocba_restore(copies[0], env, tmp_path)  # into a database no longer empty
    assert again.returncode == 1 and "không trống" in again.stderr
    assert _counts(restored / "hocba.sqlite3") == after


def _rewrite(source: Path, target: Path, change) -> Path:
    """A copy of the archive with `change(name, data)` applied to each member (None drops it)."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for info in old.getmembers():
            reader = old.extractfile(info)
            changed = change(info.name, reader.read() if reader else b"")
            if changed is not None:
                info.size = len(changed)
                new.addfile(info, io.BytesIO(changed))
    return target


async def test_bad_archives_are_refused_before_anything_is_touched(
    backed_up, tmp_path: Path
) -> None:
    config, school, run, database, _digests, _store = backed_up
    good = tmp_path / "backups" / run.archive
    settings = signing_settings(config)
    check = lambda path, code=school.code: verify(  # noqa: E731
        path, _expected(config, code, run.started_at)
    )
    assert check(good).manifest.school_code == school.code

    def flip(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("database") else data

    bad = {
        "một byte bị đổi": _rewrite(good, tmp_path / "flip.tar.gz", flip),
        "thiếu tệp": _rewrite(
            good,
            tmp_path / "missing.tar.gz",
            lambda name, data: None if name.startswith("database") else data,
        ),
        "bản kê bị sửa": _rewrite(
            good,
            tmp_path / "manifest.tar.gz",
            lambda name, data: data.replace(b"THCS", b"THCX") if name == "manifest.xml" else data,
        ),
        "không phải tar": tmp_path / "junk.tar.gz",
    }
    bad["không phải tar"].write_bytes(b"PK\x03\x04 not a backup")
    for path in bad.values():  # each refused, naming what is wrong
        with pytest.raises(InvalidValue, match=r"hỏng|không khớp|thiếu|Niêm phong"):
            check(path)
    with pytest.raises(InvalidValue, match="Không có tệp sao lưu"):
        check(tmp_path / "typo.tar.gz")
    with pytest.raises(InvalidValue, match="không phải của trường OTHER"):
        check(good, "OTHER")

    # sealed again by a valid certificate of the same CA that is not the seal: the principal's
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)

    def reseal(name: str, data: bytes) -> bytes:
        if name != archive.MANIFEST:
            return data
        root = etree.fromstring(data)
        root.remove(root[1])  # the seal's signature container
        with open_signer(settings, school.code, principal.code) as signer:
            return seal(root, signer, run.started_at)

    with pytest.raises(InvalidValue, match="không phải con dấu của trường"):
        check(_rewrite(good, tmp_path / "resealed.tar.gz", reseal))
    with pytest.raises(InvalidValue, match="Niêm phong không hợp lệ"):  # a CA not trusted here
        verify(good, Expected(Trust(()), settings, school.code, run.started_at, "vi"))

    store = tmp_path / "other-files"
    with pytest.raises(InvalidValue, match="không trống"):  # the live database is not empty
        restore_archive(
            good, f"sqlite://{database}", store, _expected(config, school.code, run.started_at)
        )
    assert not store.exists()


async def test_a_destination_that_refuses_writes_fails_the_run_and_tells_the_admins(
    demo, runtime, workers, sqlite_db: str, tmp_path: Path
) -> None:
    config, school, _class = demo
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    plan = dataclasses.replace(
        backup_plan(config),
        database_url=sqlite_db,
        files=tmp_path / "files",
        destinations=(str(tmp_path / "backups"), str(blocked)),
    )
    run = await back_up(plan, runtime.signing, workers, school)
    assert not run.ok and str(blocked) in run.error
    assert run.destinations == [str(tmp_path / "backups")]  # the other place still has it
    admins = await Staff.filter(school=school, roles__role=Role.ADMIN, active=True).distinct()
    told = await Notification.filter(kind="backup.failed")
    assert admins and {n.staff_id for n in told} == {a.id for a in admins}
    assert await check_overdue(plan, school)  # no good backup yet: overdue, told once a day
    assert await Notification.filter(kind="backup.overdue").count() == len(admins)
    await check_overdue(plan, school)
    assert await Notification.filter(kind="backup.overdue").count() == len(admins)
    assert await BackupRun.filter(ok=False).count() == 1


async def _empty_schema() -> None:
    await _postgres(
        f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE; CREATE SCHEMA {POSTGRES_SCHEMA};"
    )


@pytest.mark.postgres
@pytest.mark.pgtools
async def test_the_same_on_postgresql(demo_keys: Path, workers, tmp_path: Path) -> None:
    """The demo school on PostgreSQL (schema built by the migrations, as a deployment's is):
    backed up with pg_dump, restored with pg_restore into the emptied schema, every row back."""
    url = f"{POSTGRES_URL}?schema={POSTGRES_SCHEMA}"
    await _postgres(
        f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE; CREATE SCHEMA {POSTGRES_SCHEMA};"
    )
    config = load_config(
        environ={
            "HOCBA_SIGNING_PKCS12_DIR": str(demo_keys),
            "HOCBA_DEMO_ENABLED": "true",
            "HOCBA_DATABASE_URL": url,
            "HOCBA_STORAGE_DIR": str(tmp_path / "files"),
            "HOCBA_BACKUP_DESTINATIONS": str(tmp_path / "backups"),
        }
    )
    try:
        await open_database(url)
        clock.set_time(signing.ISSUING_2025_2026)
        await create_demo("2025-2026")
        await demo_signing(config.signing.pkcs12_dir, config.signing.pkcs12_password)
        school = await School.get(code=SECONDARY.code)
        digest = FileStore(config.storage.dir).put(b"\xff\xd8 minh chung")
        before = {model.__name__: await model.all().count() for model in MODELS}
        run = await back_up(backup_plan(config), signing_settings(config), workers, school)
        assert run.ok, run.error
        await close_database()
        await _empty_schema()
        store = tmp_path / "restored-files"
        backup = tmp_path / "backups" / run.archive
        restore_archive(backup, url, store, _expected(config, school.code, clock.now()))
        await open_database(url)
        assert {model.__name__: await model.all().count() for model in MODELS} == before
        assert (await audit.verify()).ok
        assert FileStore(store).get(digest) == b"\xff\xd8 minh chung"
        with pytest.raises(InvalidValue, match="không trống"):  # now it holds the school
            restore_archive(
                backup, url, tmp_path / "third", _expected(config, school.code, clock.now())
            )
    finally:
        await close_database()
        EXECUTOR_CACHE.clear()
        await _postgres(f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE")
