"""Families get their records back (001 Điều 31.2) and receive them as they are issued (Điều
30): a guardian gives the student's personal ID and date of birth, then proves a phone the
school registered for that student (Telegram's contact button: the contact must be their own).

Nothing is said about the student until the phone matched: a wrong ID, a wrong date of birth
and a phone that is not a guardian's get the same sentence, after the same queries. Every try
passes the doors (core.services.doors): per account, per personal ID and per phone, with
growing waits; the school's admins are told when a personal ID is being guessed. Every
request, refusal and file given out is an audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, buttons, clock
from core.errors import HocbaError, InvalidValue
from core.i18n import _
from core.models import (
    Guardian,
    GuardianLink,
    IssuedRecord,
    RecordState,
    Role,
    SchoolYear,
    Student,
)
from core.services import doors
from core.services.access import staff_with
from core.services.outbox import describe, enqueue, notify_each
from core.validation import normalise_phone, parse_date, parse_national_id

describe("family.guessing", lambda: _("cảnh báo có người dò mã định danh học sinh"))
describe("family.record_issued", lambda: _("thông báo học bạ mới phát hành cho phụ huynh"))


class FamilyRefused(HocbaError):
    """The try got nothing; the message says what to do, and nothing about the student."""


@dataclass(frozen=True)
class RecordFile:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Given:
    """What a guardian receives: the student's name and their current records' files."""

    student: str
    files: tuple[RecordFile, ...]


def read_national_id(text: str) -> str:
    """The student's 12-digit personal ID as the guardian typed it (what is wrong with its
    form is said at once: that reveals nothing about anyone)."""
    return parse_national_id(text)


def read_born(text: str) -> dt.date:
    """A student's date of birth as typed (05/09/2013), refused when it cannot be one."""
    born = parse_date(text)
    if not dt.date(1990, 1, 1) <= born <= clock.today():
        raise InvalidValue(_("Ngày sinh {date} không hợp lệ.").format(date=text.strip()))
    return born


def _mismatch() -> str:
    return _(
        "Thông tin chưa khớp với hồ sơ nhà trường đang giữ. Hãy kiểm tra mã định danh và ngày "
        "sinh của học sinh, và chia sẻ đúng số điện thoại phụ huynh đã đăng ký với nhà trường. "
        "Nếu số điện thoại đã đổi, hãy liên hệ văn phòng nhà trường."
    )


async def refuse(
    label: str, reason: str, keys: list[str], now: dt.datetime, school_id: int | None
) -> FamilyRefused:
    """Count the failure against `keys`, audit it (committed: the try fails), tell the admins
    when a personal ID just started to wait, and return the refusal."""
    async with in_transaction():
        waiting = await doors.failed(keys, now)
        after = {"reason": reason, "school": school_id}
        await audit.record(audit.Event(label, "family.refused", "family", after=after))
        guessed = [key for key in waiting if key.startswith("nid:")]
        if guessed and school_id is not None:
            await _alert_admins(school_id, guessed[0], now)
    return FamilyRefused(_mismatch() if reason != "someone_elses_contact" else _contact_not_own())


def _contact_not_own() -> str:
    return _(
        "Đây không phải số điện thoại của chính bạn. Hãy bấm nút «Chia sẻ số điện thoại của tôi» "
        "để gửi số của bạn; số ấy phải là số phụ huynh đã đăng ký với nhà trường."
    )


async def match(
    national_id: str, born: dt.date, phone: str, school_id: int | None
) -> tuple[Student | None, Guardian | None]:
    """The student these details are, and their guardian with this (normalised) phone: the
    same two queries whether or not anything matches, so the answer's time tells nothing."""
    students = Student.filter(national_id=national_id, born=born)
    if school_id is not None:
        students = students.filter(school_id=school_id)
    student = await students.first()
    guardian = await Guardian.filter(student_id=student.id if student else 0, phone=phone).first()
    return student, guardian


async def _alert_admins(school_id: int, key: str, now: dt.datetime) -> None:
    await notify_each(
        await staff_with(school_id, Role.ADMIN),
        "family.guessing",
        lambda: _(
            "Cảnh báo: có người thử sai {n} lần liên tiếp để lấy học bạ theo cùng một mã "
            "định danh học sinh (mã không ghi ở đây). Trợ lý đã bắt chờ trước lần thử tiếp "
            "theo. Nếu phụ huynh nhờ trường giúp, hãy kiểm tra số điện thoại đã đăng ký."
        ).format(n=doors.FREE),
        dedupe_key=f"family.guessing:{key}:{now:%Y%m%d%H}",
        now=now,
    )


async def ensure_open(label: str, keys: list[str], now: dt.datetime, school_id: int | None) -> None:
    """The doors' check, its refusal audited (a try while waiting is not counted again)."""
    try:
        await doors.ensure_open(keys, now)
    except doors.DoorClosed:
        after = {"reason": "waiting", "school": school_id}
        await audit.record(audit.Event(label, "family.refused", "family", after=after))
        raise


async def records_for_guardian(
    *,
    telegram_user_id: int,
    national_id: str,
    born: dt.date,
    phone: str,
    contact_user_id: int | None,
    school_id: int | None,
    now: dt.datetime | None = None,
) -> Given:
    """The student's current records for a guardian who proved a registered phone, who is
    then linked to the student (later records reach them); FamilyRefused otherwise, or
    DoorClosed while a key waits."""
    now = now or clock.now()
    label = f"telegram:{telegram_user_id}"
    keys = [doors.client_key("tg", telegram_user_id), doors.secret_key("nid", national_id)]
    if contact_user_id != telegram_user_id:
        await ensure_open(label, keys, now, school_id)
        raise await refuse(label, "someone_elses_contact", keys[:1], now, school_id)
    try:
        normal = normalise_phone(phone)
    except InvalidValue:
        normal = phone
    keys.append(doors.secret_key("phone", normal))
    await ensure_open(label, keys, now, school_id)
    student, guardian = await match(national_id, born, normal, school_id)
    if student is None or guardian is None:  # the student's school is told of guessing
        raise await refuse(
            label, "mismatch", keys, now, student.school_id if student else school_id
        )
    return await _give(student, guardian, telegram_user_id, label, now)


async def announce_issued(records: Sequence[IssuedRecord], now: dt.datetime) -> None:
    """Tell each guardian linked to these newly issued records' students (001 Điều 30), in the
    issuing transaction; the message's button fetches the files, the link checked again then."""
    if not records:  # most chunks of a batch issue nothing: no query for them
        return
    by_student = {record.student_id: record for record in records}
    links = await GuardianLink.filter(student_id__in=list(by_student)).prefetch_related("student")
    if not links:
        return
    years = {
        year.id: year
        for year in await SchoolYear.filter(id__in={r.year_id for r in by_student.values()})
    }
    for link in links:
        record = by_student[link.student_id]
        year = years[record.year_id]
        await enqueue(
            school_id=year.school_id,
            kind="family.record_issued",
            text=_(
                "Nhà trường đã phát hành học bạ số năm học {year} của học sinh {name}. Bấm nút "
                "dưới đây để nhận tệp XML và PDF."
            ).format(year=year.name, name=link.student.full_name),
            dedupe_key=f"family.issued:{record.id}:{link.telegram_user_id}",
            chat_id=link.telegram_user_id,
            buttons=[
                [
                    {
                        "text": _("📥 Nhận học bạ"),
                        "callback_data": buttons.FAMILY_RECORD.data(record.id),
                    }
                ]
            ],
            topic=f"record:{record.id}",
            now=now,
        )


async def linked_record(telegram_user_id: int, data: str | None) -> Given:
    """The record a guardian's «Nhận học bạ» button names (`data`, forged or not): given only
    to an account linked to its student whose phone the school still has, while it is the
    current version; FamilyRefused otherwise."""
    label = f"telegram:{telegram_user_id}"
    record_id = buttons.FAMILY_RECORD.id(data)
    record = await IssuedRecord.get_or_none(id=record_id, state=RecordState.ISSUED)
    link = record and await GuardianLink.get_or_none(
        telegram_user_id=telegram_user_id, student_id=record.student_id
    )
    guardian = link and await Guardian.get_or_none(student_id=link.student_id, phone=link.phone)
    if record is None or link is None or guardian is None:
        await audit.record(
            audit.Event(label, "family.refused", "family", after={"reason": "not_linked"})
        )
        raise FamilyRefused(
            _(
                "Không gửi được học bạ này: tài khoản chưa liên kết với học sinh, số điện thoại "
                "không còn trong hồ sơ nhà trường, hoặc học bạ đã có bản mới. Hãy gửi /phuhuynh "
                "để nhận bản hiện hành."
            )
        )
    student = await Student.get(id=record.student_id)
    await _audit_given(label, student, guardian, [record], "telegram")
    return Given(student.full_name, _files([record]))


async def _give(
    student: Student, guardian: Guardian, telegram_user_id: int, label: str, now: dt.datetime
) -> Given:
    current = await _current(student.id)
    async with in_transaction():
        await GuardianLink.get_or_create(
            telegram_user_id=telegram_user_id,
            student=student,
            defaults={"phone": guardian.phone, "linked_at": now},
        )
        await _audit_given(label, student, guardian, current, "telegram")
    if not current:
        raise FamilyRefused(
            _(
                "Đã xác nhận bạn là phụ huynh của học sinh {name}. Nhà trường chưa phát hành học "
                "bạ số nào của học sinh; khi học bạ được phát hành, Trợ lý sẽ gửi cho bạn. Nếu "
                "cần gấp, hãy hỏi văn phòng nhà trường."
            ).format(name=student.full_name)
        )
    return Given(student.full_name, _files(current))


async def _current(student_id: int) -> list[IssuedRecord]:
    """The student's current issued record of each year."""
    records = await IssuedRecord.filter(student_id=student_id, state=RecordState.ISSUED).order_by(
        "year_id", "-version"
    )
    return list({record.year_id: record for record in reversed(records)}.values())


async def current_files(student_id: int) -> tuple[RecordFile, ...]:
    """The files of the student's current records (XML, then PDF, of each year)."""
    return _files(await _current(student_id))


async def _audit_given(
    label: str, student: Student, guardian: Guardian, records: list[IssuedRecord], channel: str
) -> None:
    given = [f"{record.code} v{record.version}" for record in records]
    await audit.record(
        audit.Event(
            label,
            "family.records_given" if records else "family.none_issued",
            f"student:{student.id}",
            after={"records": given, "channel": channel, "guardian": guardian.id},
        )
    )


def _files(records: list[IssuedRecord]) -> tuple[RecordFile, ...]:
    files = []
    for record in records:
        stem = f"hocba_{record.code}_v{record.version}"
        files.append(RecordFile(f"{stem}.xml", bytes(record.xml)))
        if record.pdf:
            files.append(RecordFile(f"{stem}.pdf", bytes(record.pdf)))
    return tuple(files)
