"""The `hocba` command line: set-up, imports, the demo school, results, audit, and serving.

Every command runs against the configured database through the same core services as the bot;
the console user acts as the school's administrator (logged as "cli" in the audit trail).
Expected failures print one clear message and exit with status 1 (2 for configuration).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot.bootstrap import running
from bot.cli_backup import add_backup_commands
from bot.cli_certs import add_certs_commands
from bot.cli_database import add_database_commands, migrate, print_applied
from bot.cli_deadlines import add_deadline_commands
from bot.cli_families import add_family_commands
from bot.cli_own_token import add_sign_command
from bot.cli_photos import add_photo_commands
from bot.cli_records import add_records_commands
from bot.cli_reminders import add_reminder_commands
from bot.cli_rules import add_rules_commands
from bot.cli_signing import cmd_close, cmd_export, cmd_issue, cmd_prepare, cmd_verify
from bot.cli_templates import add_template_commands
from bot.config import Config, ConfigError, load_config
from bot.results_table import render_results
from core import audit, formatting
from core.errors import HocbaError, NotFound
from core.i18n import _, use_language
from core.importing import import_file, read_import_file
from core.models import School, SchoolClass, SchoolYear
from core.rules.catalog import SchoolLevel
from core.runtime import Role, Runtime
from core.services.access import Actor
from core.services.corrections import set_routing
from core.services.results import class_results
from core.services.schools import (
    create_school,
    ensure_year,
    find_class,
    find_school,
    find_year,
    parse_class_name,
)
from core.services.signin import create_invite, find_staff
from handlers.invite import deep_link

Command = Callable[[argparse.Namespace, Config, Runtime], Awaitable[int]]


async def _school(args: argparse.Namespace, config: Config) -> School:
    return await find_school(args.school or config.school.code or None)


async def _year(args: argparse.Namespace, school: School) -> SchoolYear:
    """The year of --year, or the latest: looked up, never created (only `hocba init` creates
    a year, so a mistyped --year cannot become everyone's latest year)."""
    return await find_year(school, args.year)


async def cmd_init(args: argparse.Namespace, config: Config) -> int:
    """Create or upgrade the database (`hocba migrate`), then add the school if asked, or
    with --year alone the school's new year (the one command that creates a year)."""
    if args.code and not (args.name and args.level):
        raise HocbaError(_("Tạo trường mới cần cả --code, --name và --level."))
    print_applied(await migrate(config))
    if args.code:
        async with running(config):
            school = await create_school(args.code, args.name, SchoolLevel(args.level))
            year = await ensure_year(school, args.year)
        print(
            _("Đã tạo trường {name} ({code}), năm học {year}.").format(
                name=school.name, code=school.code, year=year.name
            )
        )
    elif args.year:
        async with running(config):
            school = await _school(args, config)
            year = await ensure_year(school, args.year)
        print(_("{school} có năm học {year}.").format(school=school.name, year=year.name))
    print(_("Cơ sở dữ liệu sẵn sàng: {url}").format(url=config.redacted()["database"]["url"]))
    return 0


async def cmd_import(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school = await _school(args, config)
    year = await _year(args, school)
    path = Path(args.file)
    if not path.is_file():
        raise HocbaError(_("Không thấy tệp {path}.").format(path=path))
    report = await import_file(
        Actor.command_line(school.id),
        year,
        args.kind,
        read_import_file(path),
        path.name,
        workers=runtime.workers,
        decided_by=await find_staff(school.id, args.decided_by) if args.decided_by else None,
    )
    print(report.summary())
    return 0


async def cmd_demo(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    """The one door from the product to the demo code, opened only when asked for."""
    from demo.cli import run

    return await run(args, runtime)


async def _find_class(args: argparse.Namespace, config: Config) -> tuple[School, SchoolClass]:
    """The class named on the command line; without --school, the one school that has it."""
    if args.school or config.school.code:
        school = await _school(args, config)
        return school, await find_class(await _year(args, school), args.klass)
    matches = []
    for school in await School.all():
        try:
            name, _grade = parse_class_name(school, args.klass)
        except HocbaError:
            continue
        year = await _year(args, school)
        found = await SchoolClass.get_or_none(year=year, name=name)
        if found:
            matches.append((school, found))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(_("Không có lớp {klass} ở trường nào.").format(klass=args.klass))
    raise NotFound(
        _("Nhiều trường có lớp {klass}: chọn một bằng --school ({codes}).").format(
            klass=args.klass, codes=", ".join(s.code for s, _c in matches)
        )
    )


async def cmd_results(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school, school_class = await _find_class(args, config)
    results = await class_results(Actor.command_line(school.id), school_class)
    print(render_results(school, await school_class.year, results, term=args.term))
    return 0


async def cmd_audit_verify(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    result = await audit.verify()
    for problem in result.problems:
        print(problem)
    print(
        _("Đã kiểm tra {n} sự kiện. Sự kiện cuối: số {seq}, mã băm {hash}.").format(
            n=result.checked, seq=result.head_seq, hash=result.head_hash
        )
    )
    if args.expect_head and args.expect_head != result.head_hash:
        print(_("Mã băm cuối khác mã đã ghi lại: nhật ký đã bị cắt bớt hoặc thay đổi."))
        return 1
    if result.ok:
        print(_("Nhật ký kiểm toán nguyên vẹn."))
    return 0 if result.ok else 1


async def cmd_staff_invite(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school = await _school(args, config)
    decided_by = await find_staff(school.id, args.decided_by) if args.decided_by else None
    invite = await create_invite(Actor.command_line(school.id), args.who, decided_by=decided_by)
    print(
        _("Mã mời cho {name} ({code}), dùng một lần, hết hạn {expires}:").format(
            name=invite.staff.full_name,
            code=invite.staff.code,
            expires=formatting.date_time(invite.expires_at),
        )
    )
    username = await _bot_username(config)
    print(deep_link(username, invite.code) if username else f"/start {invite.code}")
    return 0


async def _bot_username(config: Config) -> str | None:
    """The bot's @username for the deep link, asked from Telegram when a token is set."""
    if not config.telegram.token:
        return None
    from telegram import Bot  # only this command talks to Telegram
    from telegram.error import TelegramError

    bot = Bot(config.telegram.token, base_url=config.telegram.base_url or None)
    try:
        async with bot:
            return bot.username
    except TelegramError:
        return None


async def cmd_corrections_routing(
    args: argparse.Namespace, config: Config, runtime: Runtime
) -> int:
    school = await _school(args, config)
    found = await set_routing(
        Actor.command_line(school.id), direct=args.route == "direct", open_minutes=args.minutes
    )
    route = _("thẳng tới Hiệu trưởng") if found.direct_to_principal else _("qua ban quản trị")
    print(
        _("Phiếu đề nghị sửa điểm được chuyển {route}; ô điểm được duyệt mở {n} phút.").format(
            route=route, n=found.open_minutes
        )
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hocba", description=_("Trợ lý Học bạ số."))
    parser.add_argument("--config", help=_("tệp cấu hình (mặc định: config.toml nếu có)"))
    parser.add_argument("--school", help=_("mã trường, khi cơ sở dữ liệu có nhiều trường"))
    parser.add_argument("--year", help=_("năm học, ví dụ 2025-2026 (mặc định: năm mới nhất)"))
    commands = parser.add_subparsers(dest="command", required=True, metavar="LỆNH")

    init = commands.add_parser("init", help=_("tạo cơ sở dữ liệu (và một trường, nếu có --code)"))
    init.add_argument("--code", help=_("mã trường"))
    init.add_argument("--name", help=_("tên trường"))
    init.add_argument("--level", choices=[level.value for level in SchoolLevel])
    init.set_defaults(standalone=cmd_init)

    load = commands.add_parser("import", help=_("nhập tệp .xlsx hoặc .csv"))
    load.add_argument(
        "kind",
        metavar="LOẠI",
        help=_(
            "students | staff | assignments | marks | homeroom (bảng chủ nhiệm: cả tệp) | "
            "conduct | absences | qualities | comments (chỉ một loại của bảng chủ nhiệm)"
        ),
    )
    load.add_argument("file", metavar="TỆP")
    load.add_argument(
        "--decided-by",
        help=_(
            "mã cán bộ của Hiệu trưởng đã quyết định (cần khi tệp giao hoặc bỏ vai trò Hiệu "
            "trưởng, Phó hiệu trưởng, Văn thư)"
        ),
    )
    load.set_defaults(run=cmd_import)

    demo = commands.add_parser("demo", help=_("tạo trường mẫu để dùng thử"))
    demo.set_defaults(run=cmd_demo)

    results = commands.add_parser("results", help=_("bảng kết quả của một lớp"))
    results.add_argument("klass", metavar="LỚP")
    results.add_argument("--term", type=int, choices=[1, 2], help=_("học kỳ (mặc định: cả năm)"))
    results.set_defaults(run=cmd_results)

    audit_cmd = commands.add_parser("audit", help=_("nhật ký kiểm toán"))
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", required=True, metavar="LỆNH")
    verify = audit_sub.add_parser("verify", help=_("kiểm tra chuỗi băm của nhật ký"))
    verify.add_argument("--expect-head", help=_("mã băm cuối đã ghi lại lần trước"))
    verify.set_defaults(run=cmd_audit_verify)

    staff = commands.add_parser("staff", help=_("cán bộ, giáo viên"))
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, metavar="LỆNH")
    invite = staff_sub.add_parser("invite", help=_("tạo mã mời đăng nhập Telegram"))
    invite.add_argument("who", metavar="MÃ-HOẶC-TÊN", help=_("mã cán bộ hoặc một phần họ tên"))
    invite.add_argument(
        "--decided-by",
        metavar="MÃ_CÁN_BỘ",
        help=_("Hiệu trưởng quyết định (cần khi mời Hiệu trưởng, phó hiệu trưởng, văn thư)"),
    )
    invite.set_defaults(run=cmd_staff_invite)

    close = commands.add_parser(
        "close",
        help=_(
            "danh sách cuối năm của một lớp; với --decided-by: chốt năm học theo quyết định đó, "
            "lập học bạ và báo người ký"
        ),
    )
    close.add_argument("klass", metavar="LỚP")
    close.add_argument(
        "--decided-by",
        metavar="MÃ_CÁN_BỘ",
        help=_("Hiệu trưởng, hoặc Phó hiệu trưởng được ủy quyền, đã quyết định chốt"),
    )
    close.set_defaults(run=cmd_close)

    prepare = commands.add_parser(
        "prepare", help=_("lập học bạ của một lớp đã chốt năm học và báo người ký (không ký)")
    )
    prepare.add_argument("klass", metavar="LỚP")
    prepare.set_defaults(run=cmd_prepare)

    issue = commands.add_parser(
        "issue", help=_("đóng dấu và phát hành học bạ mọi người đã ký của một lớp")
    )
    issue.add_argument("klass", metavar="LỚP")
    issue.add_argument(
        "--by", metavar="MÃ_CÁN_BỘ", help=_("người đóng dấu: văn thư giữ con dấu số của trường")
    )
    issue.set_defaults(run=cmd_issue)
    add_sign_command(commands)

    export = commands.add_parser("export", help=_("ghi học bạ đã phát hành (XML, PDF) ra thư mục"))
    export.add_argument("klass", metavar="LỚP")
    export.add_argument("dir", metavar="THƯ_MỤC")
    export.set_defaults(run=cmd_export)

    check = commands.add_parser("verify", help=_("kiểm tra chữ ký số của một tệp học bạ"))
    check.add_argument("file", metavar="TỆP")
    check.set_defaults(run=cmd_verify)

    add_template_commands(commands)
    add_family_commands(commands)
    add_photo_commands(commands)
    add_deadline_commands(commands)
    add_reminder_commands(commands)
    add_database_commands(commands)
    add_certs_commands(commands)
    add_rules_commands(commands)
    add_records_commands(commands)
    add_backup_commands(commands)

    fixes = commands.add_parser("corrections", help=_("phiếu đề nghị sửa điểm"))
    fixes_sub = fixes.add_subparsers(dest="corrections_command", required=True, metavar="LỆNH")
    routing = fixes_sub.add_parser("routing", help=_("cách chuyển phiếu tới Hiệu trưởng"))
    routing.add_argument(
        "route",
        choices=["board", "direct"],
        help=_("board: qua ban quản trị (mặc định); direct: thẳng tới Hiệu trưởng"),
    )
    routing.add_argument("--minutes", type=int, help=_("số phút mở ô điểm sau khi duyệt (5–240)"))
    routing.set_defaults(run=cmd_corrections_routing)

    serve = commands.add_parser("serve", help=_("chạy bot Telegram (kèm cổng web)"))
    serve.add_argument(
        "--role",
        choices=[role.value for role in Role],
        default=Role.ALL.value,
        help=_(
            "việc của tiến trình này (mặc định all: mọi việc). Với PostgreSQL có thể chia: một "
            "tiến trình bot (nhận tin Telegram), một hay nhiều worker (gửi tin, ký, việc định "
            "kỳ), một hay nhiều web (cổng tra cứu)"
        ),
    )
    serve.set_defaults(run=None)
    portal = commands.add_parser(
        "web", help=_("chỉ chạy cổng web (xác thực học bạ), không cần bot Telegram")
    )
    portal.set_defaults(run=None)
    return parser


async def _run(command: Command, args: argparse.Namespace, config: Config) -> int:
    async with running(config) as runtime:
        return await command(args, config, runtime)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
        with use_language(config.school.language):
            if args.command == "serve":
                from bot.app import run  # the bot stack is loaded only to serve

                role = Role(args.role)
                if role is not Role.WEB:
                    config.require_token()
                run(config, role)
                return 0
            if args.command == "web":
                from bot.web import serve_web, until_signal

                until_signal(functools.partial(serve_web, config), config)
                return 0
            if standalone := getattr(args, "standalone", None):  # opens the database itself
                return asyncio.run(standalone(args, config))
            return asyncio.run(_run(args.run, args, config))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except HocbaError as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
