"""`hocba reminders run [--dry-run]`: the reminder round that is due, run now from the console,
or only shown.

It is the round the bot's reminder job runs (core.services.rounds): the span since the last
round, kept in the database, so the job never runs it again and nothing is sent twice; the
messages go into the outbox, and the running bot (`hocba serve`) delivers them. `--dry-run`
prints every message the round would send, to whom and whether they can receive it now, and
enqueues nothing: the span stays for the next real round. With a staging clock
(`[staging] now` in config.toml) a school rehearses its calendar this way, moment by moment.
"""

from __future__ import annotations

import argparse
import html
import re

from bot.config import Config
from core import clock, formatting
from core.i18n import _
from core.runtime import Runtime
from core.services import milestones, rounds
from core.services.schools import find_school

_TAG = re.compile(r"<[^>]+>")


def _plain(text: str) -> str:
    """A message's HTML as console text."""
    return html.unescape(_TAG.sub("", text))


def _kind(message: rounds.Planned) -> str:
    return {
        rounds.ESCALATION: _("báo cáo quá hạn"),
        milestones.MILESTONE: _("nhắc tiến độ học bạ số"),
        milestones.MILESTONE_LATE: _("báo cáo tiến độ học bạ số quá hạn"),
    }.get(message.kind, _("nhắc hạn nhập điểm"))


def _print_plan(plan: rounds.RoundPlan, there: set[str]) -> None:
    if not plan.messages:
        print(_("Không có tin nhắn nào đến hạn trong khoảng này."))
        if plan.upcoming is not None:
            print(
                _("Lần nhắc tới: {when} ({label}).").format(
                    when=formatting.date_time(plan.upcoming.at), label=plan.upcoming.deadline.label
                )
            )
        return
    held = plan.deliver_at > plan.now
    print(
        _("{n} tin nhắn:").format(n=len(plan.messages))
        if not held
        else _("{n} tin nhắn, gửi lúc {when} (sau giờ yên lặng):").format(
            n=len(plan.messages), when=formatting.date_time(plan.deliver_at)
        )
    )
    for message in plan.messages:
        staff = message.staff
        notes = []
        if staff.telegram_user_id is None:
            notes.append(_("chưa đăng nhập Trợ lý: tin chờ đến khi đăng nhập"))
        if message.key in there:
            notes.append(_("đã có từ lần chạy trước: không gửi lại"))
        extra = f" [{'; '.join(notes)}]" if notes else ""
        print()
        print(
            _("→ {name} ({code}), {kind}{extra}:").format(
                name=staff.full_name, code=staff.code, kind=_kind(message), extra=extra
            )
        )
        for line in _plain(message.text()).splitlines():
            print(f"    {line}")


async def cmd_reminders_run(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school = await find_school(args.school or config.school.code or None)
    now = clock.now()
    plan = await rounds.plan_due(school, now=now, quiet=runtime.quiet)
    if plan is None:
        last = await rounds.last_round(school)
        print(
            _(
                "Vòng nhắc gần nhất đã chạy tới {last}, không trước giờ hiện tại {now}: "
                "không có gì để chạy."
            ).format(last=formatting.date_time(last), now=formatting.date_time(now))
        )
        return 0
    print(
        _("Vòng nhắc của {school}, từ {since} đến {now}.").format(
            school=school.name,
            since=formatting.date_time(plan.since),
            now=formatting.date_time(plan.now),
        )
    )
    if args.dry_run:
        _print_plan(plan, await rounds.already_enqueued(plan))
        print()
        print(_("Chạy thử: chưa gửi gì. Gửi thật: hocba reminders run"))
        return 0
    result = await rounds.complete(school, plan)
    print(
        _(
            "Đã xếp {added} tin nhắn mới vào hàng gửi: {reminded} giáo viên được nhắc, "
            "{escalated} hạn đã qua được báo cho Ban giám hiệu và quản trị. "
            "Bot (hocba serve) gửi chúng đi."
        ).format(added=result.added, reminded=len(result.reminded), escalated=len(result.escalated))
    )
    repeated = len(plan.messages) - result.added
    if repeated:
        print(_("{n} tin đã có từ trước: không gửi lại.").format(n=repeated))
    return 0


def add_reminder_commands(commands: argparse._SubParsersAction) -> None:
    """Register the commands on `hocba`'s sub-command parser."""
    group = commands.add_parser("reminders", help=_("nhắc hạn nhập điểm"))
    sub = group.add_subparsers(dest="reminders_command", required=True, metavar="LỆNH")
    run = sub.add_parser("run", help=_("chạy ngay vòng nhắc đến hạn (hoặc chỉ xem: --dry-run)"))
    run.add_argument(
        "--dry-run",
        action="store_true",
        help=_("chỉ in ra sẽ gửi gì cho ai, không gửi"),
    )
    run.set_defaults(run=cmd_reminders_run)
