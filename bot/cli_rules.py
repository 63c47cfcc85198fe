"""`hocba rules` and `hocba rules set KEY VALUE --decided-by CODE`: the school's own rules.

Where the regulations differ, the school chooses (core.services.school_rules): the listing shows
each rule's value, its default and the article it follows. The console acts as the school's
admin, so a change names the principal who decided it (`--decided-by`), as `hocba lock` and
`hocba close` do; the audit log keeps the decision and the executor.
"""

from __future__ import annotations

import argparse

from bot.config import Config
from core.i18n import _
from core.runtime import Runtime
from core.services import school_rules
from core.services.access import Actor
from core.services.schools import find_school


async def cmd_rules(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    """The rules and their values, each with its default and article."""
    school = await find_school(args.school or config.school.code or None)
    print(_("Quy định riêng của {school}:").format(school=school.name))
    for state in await school_rules.rule_states(school.id):
        print("  " + state.line())
    print(
        _(
            "Đổi theo quyết định của Hiệu trưởng: "
            "hocba rules set QUY_ĐỊNH GIÁ_TRỊ --decided-by MÃ_CÁN_BỘ."
        )
    )
    return 0


async def cmd_rules_set(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    """One rule changed on the principal's decision, executed by the console's admin."""
    school = await find_school(args.school or config.school.code or None)
    state = await school_rules.set_rule(
        Actor.command_line(school.id), args.key, args.value, decided_by=args.decided_by
    )
    if state.changed:
        print(_("Đã đặt: {line}").format(line=state.line()))
    else:
        print(_("Không có gì thay đổi: {line}").format(line=state.line()))
    return 0


def add_rules_commands(commands: argparse._SubParsersAction) -> None:
    """Register `rules` on `hocba`'s sub-command parser."""
    rules = commands.add_parser(
        "rules", help=_("quy định riêng của trường (nhập hộ, hạn sửa điểm, hạn bổ sung, con dấu)")
    )
    rules.set_defaults(run=cmd_rules)
    sub = rules.add_subparsers(dest="rules_command", metavar="LỆNH")
    put = sub.add_parser("set", help=_("đổi một quy định theo quyết định của Hiệu trưởng"))
    put.add_argument("key", metavar="QUY_ĐỊNH", help=", ".join(school_rules.RULES))
    put.add_argument("value", metavar="GIÁ_TRỊ")
    put.add_argument("--decided-by", help=_("mã cán bộ của Hiệu trưởng đã quyết định"))
    put.set_defaults(run=cmd_rules_set)
