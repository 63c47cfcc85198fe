"""What the school sees of families' requests (issue 14): every try at the family door, who
made it, about which student, what was given and through which channel, newest first.

The audit log is the record (core.services.families writes a `family.*` event for every
request, refusal and file given out): this reads it, so nothing is kept twice and nothing can
be listed that was not audited. Refusals before a phone matched name no student: that is the
point of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core import formatting
from core.i18n import _
from core.models import AuditEvent, Student
from core.services.access import Actor, ensure_admin

_SCAN = 2000  # the newest family events looked at: a school's few weeks, whatever the limit


@dataclass(frozen=True)
class RequestLine:
    at: dt.datetime
    who: str  # the account or client that asked: "telegram:9501", "web:…"
    student: str | None  # None before a phone matched
    outcome: str
    channel: str

    def line(self) -> str:
        student = self.student or _("(chưa xác định học sinh)")
        return _("{at} — {who} — {student} — {outcome} ({channel})").format(
            at=formatting.date_time(self.at),
            who=self.who,
            student=student,
            outcome=self.outcome,
            channel=self.channel,
        )


def _outcome(event: AuditEvent) -> str:
    after = event.after or {}
    if event.action == "family.records_given":
        return _("đã nhận {records}").format(records=", ".join(after.get("records", [])))
    if event.action == "family.none_issued":
        return _("đã xác nhận phụ huynh; chưa có học bạ phát hành")
    if event.action == "family.code_sent":
        return _("đã gửi mã một lần ({how})").format(how=after.get("code_channel", ""))
    if event.action == "family.code_redeemed":
        return _("đã nhập đúng mã; mở đường dẫn tải")
    return {
        "mismatch": _("từ chối: thông tin không khớp"),
        "someone_elses_contact": _("từ chối: số điện thoại không phải của người gửi"),
        "waiting": _("từ chối: đang phải chờ sau nhiều lần thử sai"),
        "not_linked": _("từ chối: tài khoản không được nhận học bạ này"),
        "wrong_code": _("từ chối: mã một lần không đúng, đã dùng hoặc hết hạn"),
    }.get(after.get("reason", ""), _("từ chối"))


async def recent_requests(actor: Actor, limit: int = 30) -> list[RequestLine]:
    """The newest `limit` requests of families to the actor's school (admins only)."""
    ensure_admin(actor)
    events = await AuditEvent.filter(action__startswith="family.").order_by("-seq").limit(_SCAN)
    ids = {int(e.target.split(":")[1]) for e in events if e.target.startswith("student:")}
    names = dict(
        await Student.filter(id__in=ids, school_id=actor.school_id).values_list("id", "full_name")
    )
    lines = []
    for event in events:
        after = event.after or {}
        if event.target.startswith("student:"):
            student = names.get(int(event.target.split(":")[1]))
            if student is None:  # another school's student
                continue
        elif after.get("school") not in (None, actor.school_id):
            continue
        else:
            student = None
        channel = after.get("channel", event.actor.split(":")[0])
        lines.append(RequestLine(event.at, event.actor, student, _outcome(event), channel))
        if len(lines) == limit:
            break
    return lines
