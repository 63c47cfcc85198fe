"""Checking a backup archive, and restoring one into an empty database and file store.

Nothing is touched before everything is checked: the manifest's seal must chain to the trust
roots and be this school's own seal (the one this deployment seals with: same certificate
subject, so a renewed seal still opens older archives, another school's never does), the
archive must be of the school this deployment serves, and every member must match its line.
Only then is the database (which must be empty: a restore never merges) and the file store
(which must be empty too) filled. The caller then opens the database, which applies the
migrations newer than the archive, and runs the audit chain's and the records' checks.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidValue
from core.i18n import _, use_language
from core.services.backups import archive
from core.services.backups.snapshot import ensure_empty, restore
from core.signing.backends import SigningSettings
from core.signing.keys import SignerUnavailable, subject_name
from core.signing.trust import Trust
from core.signing.worker import school_seal


@dataclass(frozen=True)
class Expected:
    """What an archive is held to: the trust roots, this deployment's seal (its signing
    settings), the school it serves (None: any, held to its seal), the time to check at, and
    the language of the messages."""

    trust: Trust
    signing: SigningSettings
    school_code: str | None
    now: dt.datetime
    language: str


@dataclass(frozen=True)
class Checked:
    """A checked archive: its manifest, and whose seal closed it."""

    manifest: archive.Manifest
    sealed_by: str


def _own_seal(signing: SigningSettings, school_code: str) -> str:
    try:
        return subject_name(school_seal(signing, school_code).certificate)
    except SignerUnavailable as missing:
        raise InvalidValue(
            _(
                "Không mở được con dấu của trường {school} trên máy này ({why}): không kiểm tra "
                "được bản sao lưu là của trường. Cấu hình con dấu ([signing] seal) trước khi "
                "khôi phục."
            ).format(school=school_code, why=missing)
        ) from None


def check(path: Path, folder: Path, expected: Expected) -> Checked:
    """Check the archive at `path`, unpacking it into `folder`; InvalidValue says what is
    wrong."""
    with use_language(expected.language):
        unpacked = archive.unpack(path, folder, expected.trust, expected.now)
        manifest = unpacked.manifest
        school_code = expected.school_code
        if school_code and manifest.school_code != school_code:
            raise InvalidValue(
                _(
                    "Bản sao lưu này là của trường {theirs}, không phải của trường {ours}: "
                    "không khôi phục."
                ).format(theirs=manifest.school_code, ours=school_code)
            )
        own = _own_seal(expected.signing, manifest.school_code)
        if unpacked.seal_subject != own:
            raise InvalidValue(
                _(
                    "Bản sao lưu được niêm phong bằng «{theirs}», không phải con dấu của trường "
                    "(«{ours}»): không dùng bản này."
                ).format(theirs=unpacked.seal_subject, ours=own)
            )
        return Checked(manifest, unpacked.seal_subject)


def verify(path: Path, expected: Expected) -> Checked:
    """`hocba backup verify`: check without restoring (the unpacked copy is removed)."""
    with tempfile.TemporaryDirectory(prefix=".backup-check-") as folder:
        return check(path, Path(folder), expected)


def _ensure_no_files(store: Path) -> None:
    if store.exists() and any(store.iterdir()):
        raise InvalidValue(
            _(
                "Kho tệp {path} không trống: chỉ khôi phục vào kho tệp trống. Hãy chỉ [storage] "
                "dir tới một thư mục mới."
            ).format(path=store)
        )


def restore_archive(path: Path, database_url: str, store: Path, expected: Expected) -> Checked:
    """`hocba restore`: check everything, then fill the empty database and file store."""
    with use_language(expected.language):
        ensure_empty(database_url)
        _ensure_no_files(store)
        store.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=".restore-", dir=store.parent))
        try:
            checked = check(path, folder, expected)
            restore(database_url, folder / archive.DATABASE[checked.manifest.database])
            files = folder / archive.FILES
            if files.is_dir():
                if store.exists():
                    store.rmdir()  # empty, checked above
                os.replace(files, store)
            else:
                store.mkdir(parents=True, exist_ok=True)
            return checked
        finally:
            shutil.rmtree(folder, ignore_errors=True)
