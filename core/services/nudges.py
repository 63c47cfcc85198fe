"""One-tap reminders from the school's progress view: «Nhắc {name}» and «📣 Nhắc tất cả người
trễ».

Leadership or an admin presses; each teacher with gaps gets one reminder of the gaps of now,
through the outbox. The press is answered at once (`Nudge.status`) and the outcome is reported
when delivery has settled (`report_when_done`), with true counts: who received it, who has not
signed in (it waits for them), who blocked the bot, who had nothing missing any more. The old
answer counted every enqueued row as sent: "Đã gửi nhắc nhở cho 24 giáo viên" when 23 of them
had never signed in.

Pressing again the same school day, with the same gaps, sends nothing twice: the outbox key is
the teacher, the day and a digest of the gaps themselves. A teacher who has entered some marks
since, and still misses others, gets the new, shorter list.

Everything is read before the one short transaction that enqueues. On SQLite a transaction
holds the only connection, and the old version computed each teacher's progress inside it:
two presses took 5.8 s, and every other user's database work waited behind them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import clock, formatting
from core.errors import NotFound, PermissionDenied
from core.i18n import _
from core.models import Notification, Role, Staff
from core.services import outbox
from core.services.access import LEADERSHIP, Actor
from core.services.outbox import Reach
from core.services.progress import Group, school_progress, teacher_progress
from core.services.reminders import (
    REMINDER,
    TOPIC,
    QuietHours,
    gaps_key,
    gaps_text,
    notify_teacher,
)
from core.services.schools import current_year

REPORT = "reminder.report"
MAX_NAMES = 10  # names listed per line of a report; the count says how many more
POLL_SECONDS = 0.5
PATIENCE_SECONDS = 120.0  # a report waits at most this long for deliveries to settle

outbox.describe(REPORT, lambda: _("kết quả nhắc nhở"))


@dataclass(frozen=True)
class Nudge:
    """What a press enqueued: the reminded teachers (by staff id), how many of them had
    already been reminded of these very gaps today (nothing sent again), the names of those
    asked for who miss nothing, and when the reminders go out (later at night)."""

    teachers: tuple[int, ...]
    repeated: int
    complete: tuple[str, ...]
    deliver_at: dt.datetime

    def status(self) -> str:
        """The answer at once, in the current language."""
        if not self.teachers and self.complete:
            return _("✅ {names} không còn thiếu điểm: không cần nhắc.").format(
                names=_names(self.complete)
            )
        if not self.teachers:
            return _("✅ Không ai trễ hạn: không cần nhắc.")
        if self.deliver_at > clock.now():
            return _(
                "🌙 Nhắc nhở tới {n} giáo viên sẽ được gửi lúc {when}, sau giờ yên lặng. Trợ lý "
                "báo ngay ai sẽ nhận được."
            ).format(n=len(self.teachers), when=formatting.date_time(self.deliver_at))
        return _(
            "📣 Đang gửi nhắc nhở tới {n} giáo viên. Trợ lý sẽ báo kết quả khi gửi xong."
        ).format(n=len(self.teachers))


def _ensure_may_remind(actor: Actor) -> None:
    if not actor.has(Role.ADMIN, *LEADERSHIP):
        raise PermissionDenied(_("Chỉ Ban giám hiệu và quản trị học bạ số được nhắc giáo viên."))


async def remind(
    actor: Actor, staff_ids: Sequence[int], *, now: dt.datetime, quiet: QuietHours
) -> Nudge:
    """«Nhắc {name}»: a reminder of their gaps to each of these teachers that has any."""
    _ensure_may_remind(actor)
    year = await current_year(actor.school_id)
    chosen = []
    for staff_id in staff_ids:
        staff = await Staff.get_or_none(id=staff_id, school_id=actor.school_id, active=True)
        if staff is None:  # a stale or forged button
            raise NotFound(
                _("Giáo viên này không còn trong danh sách của trường. Hãy mở lại tiến độ.")
            )
        chosen.append((staff, await teacher_progress(actor, year, now=now, staff_id=staff_id)))
    return await _enqueue(chosen, now=now, quiet=quiet)


async def remind_late(actor: Actor, *, now: dt.datetime, quiet: QuietHours) -> Nudge:
    """«Nhắc tất cả người trễ»: a reminder to every teacher with a gap already due, from one
    reading of the school's progress."""
    _ensure_may_remind(actor)
    progress = await school_progress(actor, await current_year(actor.school_id), now=now)
    late = [g for g in progress.by_teacher if g.key is not None and g.late(now)]
    staff = {
        s.id: s
        for s in await Staff.filter(
            id__in=[g.key for g in late], school_id=actor.school_id, active=True
        )
    }
    return await _enqueue([(staff[g.key], g) for g in late if g.key in staff], now=now, quiet=quiet)


async def _enqueue(
    chosen: Sequence[tuple[Staff, Group]], *, now: dt.datetime, quiet: QuietHours
) -> Nudge:
    day = clock.local(now).date().isoformat()
    wanted: dict[str, tuple[Staff, Group]] = {}
    complete = []
    for staff, group in chosen:
        if any(s.gaps for s in group.sheets):
            wanted[f"manual:{staff.id}:{day}:{gaps_key(group.sheets)}"] = (staff, group)
        else:
            complete.append(staff.full_name)
    repeated = await Notification.filter(dedupe_key__in=list(wanted)).count()
    deliver_at = quiet.defer(now)
    async with in_transaction():
        for key, (staff, group) in wanted.items():
            await notify_teacher(staff, gaps_text(_title, group.sheets), key, deliver_at)
    return Nudge(
        tuple(staff.id for staff, _group in wanted.values()), repeated, tuple(complete), deliver_at
    )


def _title() -> str:
    return _("📣 <b>Ban giám hiệu nhắc nhập điểm</b>")


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(html.escape(n) for n in names[:MAX_NAMES])
    if len(names) > MAX_NAMES:
        shown += _(" và {n} người khác").format(n=len(names) - MAX_NAMES)
    return shown


@dataclass(frozen=True)
class NudgeReport:
    """Where each reminded teacher stands (names by reach) once deliveries have settled."""

    reached: Mapping[Reach, tuple[str, ...]]
    nudge: Nudge

    def text(self) -> str:
        """The report, in the current language: one line per kind of outcome that occurred."""
        nudge = self.nudge
        lines = [_("📣 <b>Kết quả nhắc nhập điểm</b>: {n} giáo viên").format(n=len(nudge.teachers))]
        later = nudge.deliver_at > clock.now()
        kinds: list[tuple[Reach, str]] = [
            (Reach.RECEIVED, _("✅ {n} đã nhận")),
            (
                Reach.ON_ITS_WAY,
                _("🌙 {n} sẽ nhận lúc {when} (sau giờ yên lặng)")
                if later
                else _("⏳ {n} đang được gửi, Trợ lý vẫn tiếp tục gửi"),
            ),
            (
                Reach.NOT_SIGNED_IN,
                _(
                    "🔑 {n} chưa đăng nhập Trợ lý: tin nhắc chờ đến khi họ đăng nhập "
                    "(gửi họ mã mời, /moi): {names}"
                ),
            ),
            (
                Reach.BLOCKED,
                _(
                    "🚫 {n} đã chặn Trợ lý hoặc chưa bấm «Bắt đầu»: hãy báo trực tiếp và nhờ "
                    "họ mở lại Trợ lý: {names}"
                ),
            ),
            (Reach.FAILED, _("⚠️ {n} không gửi được (quản trị đã được báo lý do): {names}")),
            (
                Reach.NOT_SENT,
                _("🗂 {n} không gửi nữa (đã hết hạn hoặc có nhắc nhở mới hơn): {names}"),
            ),
        ]
        for reach, line in kinds:
            names = self.reached.get(reach, ())
            if names:
                lines.append(
                    line.format(
                        n=len(names),
                        names=_names(names),
                        when=formatting.date_time(nudge.deliver_at),
                    )
                )
        if nudge.complete:
            lines.append(
                _("✔️ {n} không còn thiếu điểm, không cần nhắc: {names}").format(
                    n=len(nudge.complete), names=_names(nudge.complete)
                )
            )
        if nudge.repeated:
            lines.append(
                _(
                    "↩️ {n} giáo viên đã được nhắc đúng những điểm còn thiếu này hôm nay: "
                    "không gửi lại lần nữa."
                ).format(n=nudge.repeated)
            )
        return "\n".join(lines)


async def _reached(nudge: Nudge) -> dict[Reach, tuple[str, ...]]:
    staff = await Staff.filter(id__in=list(nudge.teachers)).order_by("full_name")
    found = await outbox.deliveries(REMINDER, TOPIC, staff)
    reached: dict[Reach, list[str]] = {}
    for person in staff:
        reached.setdefault(found[person.id].reach, []).append(person.full_name)
    return {reach: tuple(names) for reach, names in reached.items()}


async def report_when_done(
    actor: Actor,
    nudge: Nudge,
    *,
    keep_waiting: Callable[[], bool] = lambda: True,
    poll: float = POLL_SECONDS,
    patience: float = PATIENCE_SECONDS,
) -> NudgeReport:
    """Wait until every reminder of `nudge` has an outcome (received, waiting for a sign-in,
    blocked, given up) or is held for the quiet hours, then tell `actor` how it went, through
    the outbox. Stops waiting after `patience` seconds, or as soon as `keep_waiting()` is false
    (the bot stopping): the report then counts what is still on its way as such."""
    give_up = time.monotonic() + patience
    while True:
        reached = await _reached(nudge)
        held = nudge.deliver_at > clock.now()
        if (
            held
            or Reach.ON_ITS_WAY not in reached
            or not keep_waiting()
            or time.monotonic() >= give_up
        ):
            break
        await asyncio.sleep(poll)
    report = NudgeReport(reached, nudge)
    if actor.staff_id is not None:
        staff = await Staff.get(id=actor.staff_id)
        await outbox.notify_staff(
            staff, REPORT, report.text, dedupe_key=f"{REPORT}:{uuid.uuid4().hex}", now=clock.now()
        )
    return report
