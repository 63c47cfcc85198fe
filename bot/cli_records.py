"""`hocba records check [--year NĂM_HỌC]`: do the issued records still say what the gradebook says?

Every current record of the year is compared with what the gradebook would build now
(core.services.issuance.drift); each difference is printed (class, student, record, field, the
record's value and the gradebook's), and the exit code is 1 when there is any, so a nightly
cron can alert the admin. It only reads: nothing in the gradebook or the records changes.
"""

from __future__ import annotations

import argparse

from bot.config import Config
from core.i18n import _, ngettext
from core.runtime import Runtime
from core.services.access import Actor
from core.services.issuance.drift import check_records
from core.services.schools import find_school, find_year


async def cmd_records_check(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school = await find_school(args.school or config.school.code or None)
    year = await find_year(school, args.records_year or args.year)
    compared, differences = await check_records(Actor.command_line(school.id), year)
    for difference in differences:
        print(difference.line())
    if differences:
        print(
            ngettext(
                "Năm học {year}: {n} chỗ học bạ khác sổ điểm, trên {records} học bạ đang có "
                "hiệu lực. Sổ điểm của lớp đã chốt chỉ được sửa qua phiếu sửa điểm (/suadiem), "
                "sau đó học bạ được phát hành lại; một chỗ khác mà không có phiếu nào là dữ liệu "
                "đã bị sửa ngoài hệ thống: báo Hiệu trưởng và kiểm tra nhật ký (hocba audit "
                "verify).",
                "Năm học {year}: {n} chỗ học bạ khác sổ điểm, trên {records} học bạ đang có "
                "hiệu lực. Sổ điểm của lớp đã chốt chỉ được sửa qua phiếu sửa điểm (/suadiem), "
                "sau đó học bạ được phát hành lại; một chỗ khác mà không có phiếu nào là dữ liệu "
                "đã bị sửa ngoài hệ thống: báo Hiệu trưởng và kiểm tra nhật ký (hocba audit "
                "verify).",
                len(differences),
            ).format(year=year.name, n=len(differences), records=compared)
        )
        return 1
    print(
        _("Năm học {year}: {records} học bạ đang có hiệu lực khớp với sổ điểm.").format(
            year=year.name, records=compared
        )
    )
    return 0


def add_records_commands(commands: argparse._SubParsersAction) -> None:
    """Register `records` on `hocba`'s sub-command parser."""
    records = commands.add_parser("records", help=_("học bạ đã phát hành"))
    sub = records.add_subparsers(dest="records_command", required=True, metavar="LỆNH")
    check = sub.add_parser("check", help=_("so học bạ đang có hiệu lực với sổ điểm (chỉ đọc)"))
    check.add_argument(
        "--year",
        dest="records_year",
        metavar="NĂM_HỌC",
        help=_("năm học, ví dụ 2025-2026 (mặc định: năm mới nhất)"),
    )
    check.set_defaults(run=cmd_records_check)
