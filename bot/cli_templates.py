"""`hocba template marks CLASS SUBJECT TERM` and `hocba template homeroom CLASS TERM`: the sheets
the bot hands teachers, written to a file from the server's console.

The console acts as the school's administrator, who may fill any sheet for a teacher (Quy chế:
BQT nhập hộ) and send it back with `hocba import marks FILE` or `hocba import homeroom FILE`.
The files are the same as the bot's: pre-filled with what is stored, with the guide sheet.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import Config
from core.i18n import _
from core.importing.context import ImportContext
from core.models import SchoolClass
from core.runtime import Runtime
from core.services.access import Actor
from core.services.homeroom_sheet import homeroom_template
from core.services.templates import Template, grade_sheet_template


async def _where(
    args: argparse.Namespace, config: Config
) -> tuple[Actor, SchoolClass, ImportContext]:
    """The admin at the console, and the class's year with its subjects and terms (read as an
    import reads them: "Ngữ văn", "NV", "van"; "1", "I", "HK2")."""
    from bot.cli import _find_class  # the command line's own class lookup

    school, school_class = await _find_class(args, config)
    actor = Actor.command_line(school.id)
    return actor, school_class, await ImportContext.open(actor, await school_class.year)


def _write(template: Template, output: str | None) -> None:
    path = Path(output or template.filename)
    path.write_bytes(template.data)
    print(_("Đã ghi {file}.").format(file=path))


async def cmd_template_marks(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    actor, school_class, context = await _where(args, config)
    template = await grade_sheet_template(
        actor,
        school_class,
        context.subject(args.subject),
        context.term(args.term),
        workers=runtime.workers,
    )
    _write(template, args.output)
    print(_("Điền rồi nhập lại bằng: hocba import marks TỆP."))
    return 0


async def cmd_template_homeroom(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    actor, school_class, context = await _where(args, config)
    template = await homeroom_template(
        actor, school_class, context.term(args.term), workers=runtime.workers
    )
    _write(template, args.output)
    print(
        _(
            "Điền rồi nhập lại bằng: hocba import homeroom TỆP (cả tệp), hoặc chỉ một loại: "
            "hocba import conduct|absences|qualities|comments TỆP."
        )
    )
    return 0


def add_template_commands(commands: argparse._SubParsersAction) -> None:
    """Register `hocba template` on the sub-command parser."""
    group = commands.add_parser(
        "template", help=_("tạo bảng điểm hoặc bảng chủ nhiệm .xlsx để điền rồi nhập lại")
    )
    sub = group.add_subparsers(dest="template_command", required=True, metavar="LOẠI")
    output = _("tệp ghi ra (mặc định: tên tệp như Trợ lý gửi, trong thư mục hiện tại)")

    marks = sub.add_parser("marks", help=_("bảng điểm của một lớp, một môn, một học kỳ"))
    marks.add_argument("klass", metavar="LỚP")
    marks.add_argument("subject", metavar="MÔN", help=_("tên hoặc mã môn, ví dụ «Ngữ văn»"))
    marks.add_argument("term", metavar="HỌC_KỲ", help=_("1 hoặc 2 (cũng nhận I, II, HK1)"))
    marks.add_argument("-o", "--output", metavar="TỆP", help=output)
    marks.set_defaults(run=cmd_template_marks)

    homeroom = sub.add_parser(
        "homeroom",
        help=_(
            "bảng chủ nhiệm của một lớp, một học kỳ: rèn luyện (tiểu học: phẩm chất, năng lực), "
            "số ngày nghỉ, nhận xét"
        ),
    )
    homeroom.add_argument("klass", metavar="LỚP")
    homeroom.add_argument("term", metavar="HỌC_KỲ", help=_("1 hoặc 2 (cũng nhận I, II, HK1)"))
    homeroom.add_argument("-o", "--output", metavar="TỆP", help=output)
    homeroom.set_defaults(run=cmd_template_homeroom)
