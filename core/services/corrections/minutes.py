"""The minutes of a correction (Biên bản sửa chữa dữ liệu): their facts, read from the data,
and the PDF sealed by the school, drawn up and sealed in the worker pool (core.render.minutes
draws, core.signing.worker.seal_minutes seals), never on the event loop.

The facts are read again every time, so the minutes can be drawn up again at any moment and say
the same thing (`regenerate_minutes`); `closed_at` may be given, for the minutes drawn up just
before the request's close is recorded (core.services.corrections.session).

The seal is the school's, as configured for issuing records ([signing], key «SEAL»: a PKCS#12
file or a PKCS#11 token). A school whose seal is not configured, or cannot be used at that
moment, still gets its minutes: everyone involved needs them to know the change is done, so
they go out without the seal, saying so on the first page, and the admins and the clerk (who
keeps the seal) are told why (`tell_unsealed`, in the transaction that records the close).
"""

from __future__ import annotations

import datetime as dt
import html

from core import clock
from core.errors import InvalidValue
from core.formatting import roman
from core.i18n import _, current_language
from core.models import RequestState, Role, Staff, Witness, WitnessRole
from core.render.minutes import ChangeLine, MinutesFacts, WitnessLine, render_minutes
from core.services.access import Actor, staff_with
from core.services.corrections.cells import cell_words, shown
from core.services.corrections.notices import tell, topic_of
from core.services.corrections.views import RequestView, view_for
from core.signing.backends import SigningSettings
from core.signing.worker import Sealed, seal_minutes
from core.workers import WorkerPool


async def minutes_facts(view: RequestView, closed_at: dt.datetime | None = None) -> MinutesFacts:
    """What the minutes of `view` say, in the current language and the school's zone."""
    request = view.request
    school = await request.school
    year = await view.school_class.year
    approver = await Staff.get_or_none(id=request.decided_by_id) if request.decided_by_id else None
    witnesses = await Witness.filter(request_id=request.id).prefetch_related("staff").order_by("id")
    return MinutesFacts(
        language=current_language(),
        zone=clock.zone(),
        school_name=school.name,
        province=school.province,
        number=request.number,
        created_at=request.created_at,
        teacher=view.teacher.full_name,
        student=view.student.full_name,
        school_class=view.school_class.name,
        subject=view.subject.name if view.subject else "",
        term=roman(view.term.number),
        year=year.name,
        reason=request.reason,
        items=tuple(
            ChangeLine(
                cell_words(i.kind, i.index, view.term.number),
                shown(i.old, i.kind),
                shown(i.new, i.kind),
                i.applied_at if i.applied else None,
            )
            for i in view.items
        ),
        evidence=tuple((e.name or e.mime, e.sha256, e.size) for e in view.evidence),
        approver=approver.full_name if approver else "",
        approved_at=request.decided_at,
        opened_at=request.opened_at,
        closed_at=closed_at or request.closed_at,
        witnesses=tuple(
            WitnessLine(WitnessRole(w.role).label, w.staff.full_name, w.confirmed_at)
            for w in witnesses
        ),
    )


async def draw_up(
    view: RequestView,
    workers: WorkerPool,
    signing: SigningSettings | None,
    now: dt.datetime,
    closed_at: dt.datetime | None = None,
) -> Sealed:
    """The minutes of `view` sealed by the school at `now`, or without the seal and why;
    rendered and signed in a worker process so the bot keeps answering meanwhile. With no
    signing configuration at all (`signing` None) they are drawn without the seal."""
    facts = await minutes_facts(view, closed_at)
    if signing is None:
        drawn = await workers.run(render_minutes, facts, False)
        return Sealed(drawn.pdf, problem=_("Trợ lý chạy không có cấu hình ký số ([signing])."))
    school = await view.request.school
    return await workers.run(seal_minutes, signing, school.code, facts, now)


async def tell_unsealed(view: RequestView, minutes: Sealed, now: dt.datetime) -> None:
    """Minutes that went out without the school's seal: the admins and the clerks learn why
    and what to do, once per request (inside the caller's transaction)."""
    if not minutes.problem:
        return
    school_id = view.request.school_id
    title = html.escape(view.title())
    problem = html.escape(minutes.problem)

    def text() -> str:
        return _(
            "⚠️ Biên bản sửa chữa dữ liệu của {title} đã gửi đi nhưng chưa có chữ ký số (con "
            "dấu) của nhà trường. Lý do: {problem}\nViệc cần làm: người quản trị máy chủ cấu "
            "hình con dấu số của trường (khóa «SEAL» trên token hoặc HSM, mục [signing] của tệp "
            "cấu hình: seal, pkcs11_module, pkcs11_token_label, pkcs11_pin); các biên bản sau sẽ "
            "được đóng dấu."
        ).format(title=title, problem=problem)

    await tell(
        [*await staff_with(school_id, Role.ADMIN), *await staff_with(school_id, Role.CLERK)],
        "correction.unsealed",
        f"corr:{view.id}:unsealed",
        text,
        now,
        topic=topic_of(view.id),
    )


async def regenerate_minutes(
    actor: Actor,
    request_id: int,
    workers: WorkerPool,
    signing: SigningSettings | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The minutes again, from the data (the same facts give the same text), sealed anew
    when the school's seal can be used."""
    view = await view_for(actor, request_id)
    if view.state not in (RequestState.APPLIED, RequestState.EXPIRED):
        raise InvalidValue(_("Phiếu này chưa có biên bản: việc sửa chưa xong."))
    return (await draw_up(view, workers, signing, now or clock.now())).pdf
