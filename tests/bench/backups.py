"""`make bench-backup`: back up and restore a 1,500-student school (issue 16), with the bare
library calls on the same data in the same run.

The school is the one `make bench` imports (1,512 students, a year of marks, every mark's audit
event), plus one issued record per student as the signing chain stores it (the record's XML as
built, and a PDF-sized incompressible blob standing for the signed PDF) and 400 evidence photos
of 300 KB in the file store.

- ours: `back_up` (the database snapshot, every member hashed, the manifest sealed with the
  school's seal, a gzip'd tar written to a folder) and `restore_archive` (the seal and every
  hash checked while streaming, then the database and the file store filled);
- bare: sqlite3's backup API and tarfile writing the same files (no hashes, no seal), and
  tarfile extracting them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import multiprocessing
import os
import resource
import sqlite3
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from core import clock
from core.db import database
from core.models import Enrollment, IssuedRecord, RecordState, School
from core.render import xml_record as fmt
from core.services.backups.destinations import S3Settings
from core.services.backups.making import BackupPlan, back_up
from core.services.backups.restoring import Expected, restore_archive
from core.services.backups.retention import Keep
from core.signing.trust import Trust
from core.storage import FileStore
from core.workers import WorkerPool
from demo.pki import Person, write_school_pki
from tests.bench import __main__ as school_bench
from tests.bench.signing import PASSWORD, sample_record, settings_for

PHOTOS, PHOTO_BYTES, PDF_BYTES = 400, 300_000, 70_000
SIGNERS = tuple(
    fmt.ListedSigner(role, name, "0" * 64)
    for role, name in (
        ("gvcn", "Nguyễn Thị Ánh Tuyết"),
        ("ht", "Trần Đức Thắng"),
        ("dv", "Trường THCS Bench"),
    )
)


async def _records(url: str) -> tuple[int, School]:
    """One issued record per enrolled student, stored as the chain stores them."""
    async with database(url):
        school = await School.get(code="THCS-BENCH")
        rows = []
        for n, enrolled in enumerate(await Enrollment.all().prefetch_related("student")):
            data = dataclasses.replace(
                sample_record(n, SIGNERS), national_id=enrolled.student.national_id
            )
            rows.append(
                IssuedRecord(
                    student_id=enrolled.student_id,
                    year_id=enrolled.year_id,
                    school_class_id=enrolled.school_class_id,
                    code=f"{school.code}.{n}",
                    state=RecordState.ISSUED,
                    data_hash="0" * 64,
                    xml=fmt.build_record(data),
                    pdf=os.urandom(PDF_BYTES),
                )
            )
        await IssuedRecord.bulk_create(rows, batch_size=200)
        return len(rows), school


def _bare(database_file: Path, files: Path, folder: Path) -> tuple[float, float, int]:
    """sqlite3's backup and tarfile, the same members: seconds to write, to extract; bytes."""
    start = time.perf_counter()
    copy = folder / "bare.sqlite3"
    source, target = sqlite3.connect(database_file), sqlite3.connect(copy)
    with target:
        source.backup(target)
    source.close()
    target.close()
    archive = folder / "bare.tar.gz"
    with tarfile.open(archive, "w:gz") as out:
        out.add(copy, arcname="database.sqlite3")
        for path in sorted(files.glob("??/*")):
            out.add(path, arcname=f"files/{path.parent.name}/{path.name}")
    written = time.perf_counter() - start
    start = time.perf_counter()
    with tarfile.open(archive, "r:gz") as source_archive:
        source_archive.extractall(folder / "bare-restored", filter="data")
    return written, time.perf_counter() - start, archive.stat().st_size


def main() -> int:
    clock.set_time(school_bench.DURING_TERM.replace(tzinfo=clock.zone()))
    with tempfile.TemporaryDirectory(prefix="hocba-bench-backup-") as tmp:
        folder = Path(tmp)
        child = multiprocessing.Process(target=school_bench.write_school, args=(folder,))
        child.start()
        child.join()
        url = f"sqlite://{folder / 'school.sqlite3'}"
        asyncio.run(school_bench._run(folder, url))
        count, school = asyncio.run(_records(url))
        store = FileStore(folder / "files")
        for _ in range(PHOTOS):
            store.put(os.urandom(PHOTO_BYTES))
        keys = folder / "keys"
        ca_file = write_school_pki(
            keys, school.code, school.name, [Person("HT", "HT", "")], PASSWORD
        )
        signing = settings_for("pkcs12", keys)
        plan = BackupPlan(
            url,
            store.root,
            (str(folder / "backups"),),
            S3Settings(),
            Keep(),
            dt.timedelta(hours=36),
        )
        workers = WorkerPool(1)

        async def ours() -> tuple[float, str]:
            async with database(url):
                start = time.perf_counter()
                run = await back_up(plan, signing, workers, await School.get(code=school.code))
                assert run.ok, run.error
                return time.perf_counter() - start, run.archive

        made, name = asyncio.run(ours())
        workers.shutdown()
        archive = folder / "backups" / name
        start = time.perf_counter()
        restore_archive(
            archive,
            f"sqlite://{folder / 'restored.sqlite3'}",
            folder / "restored-files",
            Expected(Trust.load([ca_file]), signing, school.code, clock.now(), "vi"),
        )
        restored = time.perf_counter() - start
        database_file = Path(url.removeprefix("sqlite://"))
        bare_write, bare_restore, bare_size = _bare(database_file, store.root, folder)
        size, archive_size = database_file.stat().st_size, archive.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"school: {count} issued records, database {size / 1e6:.0f} MB, {PHOTOS} photos")
    print(f"backup  (ours)  {made:6.2f} s   archive {archive_size / 1e6:.0f} MB")
    print(
        f"backup  (bare)  {bare_write:6.2f} s   archive {bare_size / 1e6:.0f} MB: sqlite3 backup "
        "+ tarfile gz, no hash or seal"
    )
    print(f"restore (ours)  {restored:6.2f} s   seal and every hash checked, then filled")
    print(f"restore (bare)  {bare_restore:6.2f} s   tarfile extract")
    print(f"ours / bare: backup {made / bare_write:.2f}, restore {restored / bare_restore:.2f}")
    print(f"peak resident memory {peak:.0f} MiB (main process)")
    clock.set_time(None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
