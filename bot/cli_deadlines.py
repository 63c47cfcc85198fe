"""`hocba calendar`, `hocba lock`, `hocba unlock`, `hocba progress`: deadlines and locks from
the server's console.

The console acts as the school's administrator: it executes locks and openings that the
principal decided, so those commands name the principal (`--decided-by`), as the audit trail
and the teachers' notifications will.
"""

from __future__ import annotations

import argparse
import datetime as dt

from bot.config import Config
from core import clock, formatting
from core.errors import HocbaError, InvalidValue, NotFound
from core.i18n import _
from core.models import School, SchoolYear, Staff
from core.runtime import Runtime
from core.services import calendar, locks, progress
from core.services.access import Actor
from core.services.calendar import changes
from core.services.schools import find_class, find_school, find_year, year_name_for

MAX_NAMES = 10


async def _school_year(args: argparse.Namespace, config: Config) -> tuple[School, SchoolYear]:
    school = await find_school(args.school or config.school.code or None)
    year = await find_year(school, args.year)  # looked up, never created (hocba init does)
    return school, year


def _now() -> dt.datetime:
    return clock.now()


async def cmd_calendar_show(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school, year = await _school_year(args, config)
    print(_("Lịch hạn của {school}, năm học {year}:").format(school=school.name, year=year.name))
    for entry in await calendar.show_calendar(Actor.command_line(school.id), year):
        changed = _(" (trường đã đổi)") if entry.changed else ""
        cite = f" [{entry.citation}]" if entry.citation else ""
        print(f"  {entry.key:<18} {entry.label}: {entry.value}{changed}{cite}")
    return 0


async def cmd_calendar_set(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    """Change one value; a change that would lock something within the hour is refused, after
    saying what would lock and whom it touches, unless --yes (then confirmed at once)."""
    school, year = await _school_year(args, config)
    actor = Actor.command_line(school.id)
    text = " ".join(args.value)
    # a lock date moves only on the principal's decision, which the console names
    decided_by = await _principal(school, args.decided_by) if args.decided_by else None
    result = await changes.set_deadline(actor, year, args.key, text, decided_by=decided_by)
    if isinstance(result, changes.Held):
        if not args.yes:
            raise HocbaError(
                result.summary()
                + "\n"
                + _("Lịch chưa thay đổi. Chạy lại lệnh với --yes để áp dụng.")
            )
        print(result.summary())
        result = await changes.set_deadline(
            actor, year, args.key, text, confirm=result.stamp, decided_by=decided_by
        )
        if isinstance(result, changes.Held):  # something changed between the two calls
            raise HocbaError(result.summary() + "\n" + _("Lịch chưa thay đổi: hãy chạy lại lệnh."))
    entry = result.entry
    print(_("Đã đặt «{label}»: {value}.").format(label=entry.label, value=entry.value))
    for lock in result.locked:
        print(_("🔒 {lock}.").format(lock=lock))
    return 0


async def _principal(school: School, code: str | None) -> Staff:
    if not code:
        raise InvalidValue(
            _("Khóa, mở sổ theo quyết định của Hiệu trưởng: thêm --decided-by MÃ_CÁN_BỘ.")
        )
    staff = await Staff.get_or_none(school=school, code=code)
    if staff is None:
        raise NotFound(_("Không có cán bộ mã «{code}».").format(code=code))
    return staff


async def cmd_lock(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school, year = await _school_year(args, config)
    actor = Actor.command_line(school.id)
    now = _now()
    if not args.scope:
        states = await locks.lock_states(actor, year, now)
        for state in states:
            print(f"  🔒 {state.description}")
            for opening in state.openings:
                print(
                    _("     mở đến {until}: {reason}").format(
                        until=formatting.date_time(opening.until), reason=opening.reason
                    )
                )
        if not states:
            print(_("Năm học {year} chưa có khóa nào.").format(year=year.name))
        return 0
    scope = await locks.parse_scope(year, args.scope)
    await locks.lock(
        actor,
        scope,
        now=now,
        decided_by=await _principal(school, args.decided_by),
        reason=args.reason or "",
    )
    print(_("Đã khóa {scope}.").format(scope=scope.label))
    return 0


async def cmd_unlock(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school, year = await _school_year(args, config)
    scope = await locks.parse_scope(year, args.scope)
    cal = await calendar.load_calendar(year)
    until = calendar.parse_moment(args.until, cal.deadline_time)
    opening = await locks.unlock(
        Actor.command_line(school.id),
        scope,
        reason=args.reason,
        until=until,
        now=_now(),
        decided_by=await _principal(school, args.decided_by),
    )
    print(
        _("Đã mở {scope} đến {until}; sau đó sổ tự khóa lại.").format(
            scope=scope.label, until=formatting.date_time(opening.until)
        )
    )
    return 0


def _gap_line(gap: progress.ColumnGap, now: dt.datetime, names: bool) -> str:
    late = _(" — TRỄ HẠN") if gap.due <= now else ""
    line = _("{column}: thiếu {n} học sinh, hạn {due}{late}").format(
        column=gap.label, n=gap.count, due=formatting.date_time(gap.due), late=late
    )
    if names:
        shown = ", ".join(s.name for s in gap.students[:MAX_NAMES])
        more = "…" if gap.count > MAX_NAMES else ""
        line += f" ({shown}{more})"
    return line


def _print_group(group: progress.Group, now: dt.datetime, *, by_teacher: bool, names: bool) -> None:
    if group.complete:
        print(_("  ✓ {name}: đủ").format(name=group.name))
        return
    mark = "⚠" if group.late(now) else "•"
    print(
        _("  {mark} {name}: {sheets} bảng còn thiếu, {cells} ô").format(
            mark=mark, name=group.name, sheets=len(group.incomplete()), cells=group.missing
        )
    )
    for sheet in group.incomplete():
        where = sheet.class_name if by_teacher else sheet.teacher_name or _("(chưa phân công)")
        print(f"      {where} — {sheet.subject_name}:")
        for gap in sheet.gaps:
            print(f"        {_gap_line(gap, now, names)}")


async def cmd_progress(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school, year = await _school_year(args, config)
    actor = Actor.command_line(school.id)
    now = _now()
    terms = [args.term] if args.term else None
    if args.klass:
        school_class = await find_class(year, args.klass)
        group = await progress.class_progress(actor, school_class, now=now, terms=terms)
        print(_("Tiến độ nhập điểm lớp {name}:").format(name=school_class.name))
        _print_group(group, now, by_teacher=False, names=True)
        return 0
    found = await progress.school_progress(actor, year, now=now, terms=terms)
    print(_("Tiến độ nhập điểm theo giáo viên (trễ hạn trước):"))
    for group in found.by_teacher:
        _print_group(group, now, by_teacher=True, names=False)
    print(_("Theo lớp:"))
    for group in found.by_class:
        state = _("đủ") if group.complete else _("thiếu {n} ô").format(n=group.missing)
        print(f"  {group.name}: {state}")
    _print_homerooms(found, now)
    return 0


def _print_homerooms(found: progress.SchoolProgress, now: dt.datetime) -> None:
    """The homeroom teachers' part of each class (conduct or qualities, days absent, comments),
    with its own deadline."""
    print(_("Phần chủ nhiệm theo lớp:"))
    for group in found.by_class:
        for sheet in (s for s in group.sheets if s.homeroom):
            who = sheet.teacher_name or _("chưa có GVCN")
            if sheet.complete:
                print(_("  ✓ {klass} ({who}): đủ").format(klass=sheet.class_name, who=who))
                continue
            mark = "⚠" if sheet.late(now) else "•"
            print(f"  {mark} {sheet.class_name} ({who}):")
            for gap in sheet.gaps:
                print(f"      {_gap_line(gap, now, names=False)}")


def add_deadline_commands(commands: argparse._SubParsersAction) -> None:
    """Register the commands on `hocba`'s sub-command parser."""
    cal = commands.add_parser("calendar", help=_("lịch hạn nhập điểm, khóa sổ"))
    cal_sub = cal.add_subparsers(dest="calendar_command", required=True, metavar="LỆNH")
    show = cal_sub.add_parser("show", help=_("xem lịch hạn của năm học"))
    show.set_defaults(run=cmd_calendar_show)
    # Examples in this year's dates, computed: a help that showed a year gone by once made an
    # admin lock a whole year.
    today = clock.today()
    year_end = dt.date(int(year_name_for(today)[5:]), 6, 30)
    tomorrow = calendar.typed(clock.at_school(today + dt.timedelta(days=1), dt.time(17, 0)))
    put = cal_sub.add_parser(
        "set",
        help=_("đổi một mục của lịch, ví dụ: lock.year {day} 17:00").format(
            day=formatting.numeric_date(year_end)
        ),
        description=_(
            "Ngày phải nằm trong năm học và đúng thứ tự với các mốc liên quan. Thay đổi làm "
            "khóa sổ ngay hoặc trong vòng một giờ tới chỉ được áp dụng với --yes, sau khi in "
            "ra những gì sẽ khóa."
        ),
    )
    put.add_argument("key", metavar="MỤC")
    put.add_argument("value", metavar="GIÁ_TRỊ", nargs="+")
    put.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help=_("áp dụng cả khi thay đổi làm khóa sổ ngay hoặc trong vòng một giờ tới"),
    )
    decided = {"help": _("mã cán bộ của Hiệu trưởng đã quyết định")}
    put.add_argument("--decided-by", **decided)  # needed when the change moves a lock date
    put.set_defaults(run=cmd_calendar_set)

    lock = commands.add_parser("lock", help=_("khóa sổ (không nêu phạm vi: xem các khóa)"))
    lock.add_argument("scope", metavar="PHẠM_VI", nargs="*", help=_("năm | HK1 | 6A | 6A Toán HK1"))
    lock.add_argument("--decided-by", **decided)
    lock.add_argument("--reason", help=_("lý do (không bắt buộc)"))
    lock.set_defaults(run=cmd_lock)

    unlock = commands.add_parser("unlock", help=_("mở sổ có thời hạn, theo quyết định"))
    unlock.add_argument("scope", metavar="PHẠM_VI", nargs="+")
    unlock.add_argument("--decided-by", **decided)
    unlock.add_argument("--reason", required=True, help=_("lý do mở"))
    unlock.add_argument(
        "--until", required=True, help=_("mở đến, ví dụ {moment}").format(moment=tomorrow)
    )
    unlock.set_defaults(run=cmd_unlock)

    prog = commands.add_parser("progress", help=_("tiến độ nhập điểm của trường hoặc một lớp"))
    prog.add_argument("klass", metavar="LỚP", nargs="?")
    prog.add_argument(
        "--term", type=int, choices=[1, 2], help=_("học kỳ (mặc định: học kỳ đang nhập)")
    )
    prog.set_defaults(run=cmd_progress)
