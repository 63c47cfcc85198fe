"""`hocba backup [--to NƠI_LƯU]`, `hocba backup verify ARCHIVE` and `hocba restore ARCHIVE`.

A backup is made as the daily job makes it (core.services.backups.making). `verify` checks an
archive (seal, school, every file's hash) without touching anything. `restore` checks the same,
then fills an empty database and file store, opens the database (which applies the migrations
newer than the archive) and runs the audit chain's and the records' checks: a restore is
trusted only when both pass. `verify` and `restore` work without the database open, since the
database to restore into is empty.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.bootstrap import open_configured_database, set_clock, signing_settings, trust_roots
from bot.config import Config
from core import audit, clock
from core.db import close_database
from core.formatting import date_time
from core.i18n import _, current_language
from core.models import SchoolYear
from core.runtime import Runtime
from core.services.access import Actor
from core.services.backups.making import back_up
from core.services.backups.restoring import Checked, Expected, restore_archive, verify
from core.services.issuance.drift import check_records
from core.services.schools import find_school
from core.signing.trust import Trust


async def cmd_backup(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school = await find_school(args.school or config.school.code or None)
    run = await back_up(
        runtime.backup, runtime.signing, runtime.workers, school, tuple(args.to or ())
    )
    if not run.ok:
        print(_("Sao lưu KHÔNG thành công:\n{error}").format(error=run.error))
        return 1
    print(
        _("Đã sao lưu trường {school}: {archive} ({size} MB), ghi vào {places}.").format(
            school=school.code,
            archive=run.archive,
            size=f"{run.size / 1e6:.1f}",
            places=", ".join(run.destinations),
        )
    )
    return 0


def _expected(args: argparse.Namespace, config: Config) -> Expected:
    """What an archive is held to here: this deployment's trust roots, seal and school."""
    set_clock(config)
    return Expected(
        Trust.load(trust_roots(config), config.trust.crls),
        signing_settings(config),
        args.school or config.school.code or None,
        clock.now(),
        current_language(),
    )


def _print_checked(checked: Checked) -> None:
    manifest = checked.manifest
    print(
        _(
            "Bản sao lưu hợp lệ: trường {school}, lúc {when}, {n} tệp ({size} MB), niêm phong "
            "bởi {seal}."
        ).format(
            school=manifest.school_code,
            when=date_time(manifest.made_at),
            n=len(manifest.members),
            size=f"{manifest.total_size / 1e6:.1f}",
            seal=checked.sealed_by,
        )
    )


async def cmd_backup_verify(args: argparse.Namespace, config: Config) -> int:
    _print_checked(verify(Path(args.archive), _expected(args, config)))
    return 0


async def _checks_after_restore(school_code: str) -> bool:
    """`hocba audit verify` and `hocba records check` on what was restored."""
    chain = await audit.verify()
    print(
        _("Nhật ký kiểm toán: {n} sự kiện, {result}.").format(
            n=chain.checked, result=_("chuỗi băm nguyên vẹn") if chain.ok else _("CÓ LỖI")
        )
    )
    for problem in chain.problems:
        print(f"  ✗ {problem}")
    school = await find_school(school_code)
    good = chain.ok
    for year in await SchoolYear.filter(school=school).order_by("name"):
        compared, differences = await check_records(Actor.command_line(school.id), year)
        print(
            _("Năm học {year}: {n} học bạ đang có hiệu lực, {d} chỗ khác sổ điểm.").format(
                year=year.name, n=compared, d=len(differences)
            )
        )
        for difference in differences:
            print(f"  ✗ {difference.line()}")
        good = good and not differences
    return good


async def cmd_restore(args: argparse.Namespace, config: Config) -> int:
    checked = restore_archive(
        Path(args.archive), config.database.url, config.storage.dir, _expected(args, config)
    )
    _print_checked(checked)
    await open_configured_database(config)  # applies the migrations newer than the archive
    try:
        good = await _checks_after_restore(checked.manifest.school_code)
    finally:
        await close_database()
    print(
        _("Đã khôi phục; các bước kiểm tra đều đạt.")
        if good
        else _("Đã khôi phục, nhưng có bước kiểm tra KHÔNG đạt (xem trên): báo Hiệu trưởng.")
    )
    return 0 if good else 1


def add_backup_commands(commands: argparse._SubParsersAction) -> None:
    """Register `backup` and `restore` on `hocba`'s sub-command parser."""
    backup = commands.add_parser("backup", help=_("sao lưu cơ sở dữ liệu và kho tệp"))
    backup.add_argument(
        "--to",
        action="append",
        metavar="NƠI_LƯU",
        help=_("thư mục hoặc s3://bucket/prefix (mặc định: các nơi trong [backup] destinations)"),
    )
    backup.set_defaults(run=cmd_backup)
    sub = backup.add_subparsers(dest="backup_command", required=False, metavar="LỆNH")
    check = sub.add_parser("verify", help=_("kiểm tra một bản sao lưu, không khôi phục"))
    check.add_argument("archive", metavar="TỆP")
    check.set_defaults(standalone=cmd_backup_verify)
    restore = commands.add_parser(
        "restore", help=_("khôi phục bản sao lưu vào cơ sở dữ liệu và kho tệp trống")
    )
    restore.add_argument("archive", metavar="TỆP")
    restore.set_defaults(standalone=cmd_restore)
