"""`hocba migrate`: bring the database's schema up to this version of hocba, or show the plan.

Every other command, and the bot, open the database through `bot.bootstrap.running`, which
applies pending migrations first, so they always meet the schema their models expect. This
command (and `hocba init`, which runs it) opens the database itself instead: it must see the
schema before anything is applied, to list what will be, and it must work on a database that
is behind, where building the runtime would already read tables of the old shape.
"""

from __future__ import annotations

import argparse

from bot.bootstrap import open_configured_database
from bot.config import Config
from core.db import apply_migrations, close_database, pending_migrations
from core.i18n import _


async def migrate(config: Config, *, plan_only: bool = False) -> list[str]:
    """Apply the pending migrations (or, with plan_only, only list them); their names."""
    await open_configured_database(config, create=False)
    try:
        return await (pending_migrations() if plan_only else apply_migrations())
    finally:
        await close_database()


def print_applied(applied: list[str]) -> None:
    if not applied:
        print(_("Cơ sở dữ liệu đã ở phiên bản mới nhất; không có bước nâng cấp nào cần áp dụng."))
        return
    print(_("Đã nâng cấp cơ sở dữ liệu, {n} bước:").format(n=len(applied)))
    for name in applied:
        print(f"  ✓ {name}")


async def cmd_migrate(args: argparse.Namespace, config: Config) -> int:
    if not args.plan:
        print_applied(await migrate(config))
        return 0
    pending = await migrate(config, plan_only=True)
    if not pending:
        print_applied([])  # nothing to apply: said the same way
        return 0
    print(_("Sẽ áp dụng {n} bước nâng cấp (chưa thay đổi gì):").format(n=len(pending)))
    for name in pending:
        print(f"  • {name}")
    print(_("Sao lưu cơ sở dữ liệu, rồi chạy: hocba migrate"))
    return 0


def add_database_commands(commands: argparse._SubParsersAction) -> None:
    migrate_cmd = commands.add_parser(
        "migrate", help=_("nâng cấp cơ sở dữ liệu lên phiên bản của chương trình")
    )
    migrate_cmd.add_argument(
        "--plan",
        action="store_true",
        help=_("chỉ liệt kê các bước nâng cấp sẽ áp dụng, không thay đổi gì"),
    )
    migrate_cmd.set_defaults(standalone=cmd_migrate)  # main() runs it outside `running`
