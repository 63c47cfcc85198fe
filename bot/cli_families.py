"""`hocba requests [--limit N]`: families' recent requests for their child's records, newest
first: who asked, about which student, what was given and through which channel (read from the
audit log, core.services.family_requests; the console acts as the school's admin)."""

from __future__ import annotations

import argparse

from bot.config import Config
from core.i18n import _
from core.runtime import Runtime
from core.services.access import Actor
from core.services.family_requests import recent_requests
from core.services.schools import find_school


async def cmd_requests(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school = await find_school(args.school or config.school.code or None)
    lines = await recent_requests(Actor.command_line(school.id), args.limit)
    print(_("Yêu cầu lấy học bạ của phụ huynh gần đây (mới nhất trước):"))
    for line in lines:
        print("  " + line.line())
    if not lines:
        print("  " + _("Chưa có yêu cầu nào."))
    return 0


def add_family_commands(commands: argparse._SubParsersAction) -> None:
    """Register `requests` on `hocba`'s sub-command parser."""
    requests = commands.add_parser(
        "requests", help=_("các yêu cầu lấy lại học bạ của phụ huynh gần đây")
    )
    requests.add_argument("--limit", type=int, default=30, help=_("số dòng (mặc định 30)"))
    requests.set_defaults(run=cmd_requests)
