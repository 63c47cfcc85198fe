"""The messages the correction flow decides on, written to the outbox in the caller's
transaction (so nothing decided is lost and nothing is sent twice: each has a dedupe key), each
rendered in its reader's language, with buttons built from core.buttons.

Each message names its request as its topic ("correction:12"), and each kind says here when it
still applies (`outbox.describe`): a message that waited for someone to sign in is sent when
they do only if it still asks something of them (a card to decide a request still waiting, an
invitation to witness a session that still waits for them); otherwise it is only counted in
the one line they read on arrival.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable

from core import buttons
from core.i18n import _
from core.models import CorrectionRequest, Notification, RequestState, Role, Staff, Witness
from core.services import outbox
from core.services.access import staff_with
from core.services.corrections.routing import deciders
from core.services.corrections.views import RequestView, decision_choices
from core.services.outbox import Attachment, Button, notify_staff
from core.services.outbox.lapse import Applies

WITNESS = "correction.witness"  # the invitation to witness an opening


def topic_of(request_id: int) -> str:
    """What a request's messages are about, as the audit log names the request."""
    return f"correction:{request_id}"


def _request_id(notification: Notification) -> int | None:
    prefix, _sep, number = (notification.topic or "").partition(":")
    return int(number) if prefix == "correction" and number.isdigit() else None


def button(text: str, data: str) -> Button:
    return {"text": text, "callback_data": data}


def evidence_button(view: RequestView) -> Button:
    return button(
        _("🖼 Xem minh chứng ({n})").format(n=len(view.evidence)),
        buttons.REQUEST_VIEW.data(view.id),
    )


def decision_buttons(view: RequestView) -> list[list[Button]]:
    rows = decision_choices(view)
    return [[evidence_button(view)], *[[button(c.label, c.data) for c in row] for row in rows]]


async def tell(
    staff: Iterable[Staff],
    kind: str,
    key: str,
    text: Callable[[], str],
    now: dt.datetime,
    keyboard: Callable[[], list[list[Button]]] | None = None,
    attachment: Attachment | None = None,
    *,
    topic: str | None = None,
    expires_at: dt.datetime | None = None,
) -> None:
    """One message to each person (once each, however often they are named), about `topic`
    (a request: `topic_of`), not worth sending after `expires_at`."""
    sent: set[int] = set()
    for person in staff:
        if person.id in sent:
            continue
        sent.add(person.id)
        await notify_staff(
            person,
            kind,
            text,
            dedupe_key=f"{key}:{person.id}",
            buttons=keyboard,
            attachment=attachment,
            topic=topic,
            expires_at=expires_at,
            now=now,
        )


async def send_to_deciders(view: RequestView, now: dt.datetime) -> None:
    """The card with its decision buttons, to every decider (again after each answer)."""
    await tell(
        await deciders(view.request.school_id),
        "correction.decide",
        f"corr:{view.id}:decide:{view.request.rounds}",
        view.card,
        now,
        keyboard=lambda: decision_buttons(view),
        topic=topic_of(view.id),
    )


async def send_to_admins(view: RequestView, now: dt.datetime) -> None:
    """A new request, to the admin board, which forwards it."""
    await tell(
        await staff_with(view.request.school_id, Role.ADMIN),
        "correction.forward",
        f"corr:{view.id}:admins",
        lambda: _("📥 Phiếu mới gửi Ban quản trị.") + "\n" + view.card(),
        now,
        keyboard=lambda: [
            [button(_("➡️ Chuyển Hiệu trưởng"), buttons.REQUEST_FORWARD.data(view.id))],
            [evidence_button(view)],
        ],
        topic=topic_of(view.id),
    )


async def invite_witnesses(
    view: RequestView,
    people: Iterable[Staff],
    now: dt.datetime,
    *,
    again: str = "",
    repeated: bool = False,
) -> None:
    """The invitation to witness the opening, with its button to confirm; `again` (a stamp)
    for an invitation sent later than the approval: once more (`repeated`), or to a witness
    named in place of another."""
    request = view.request

    def text() -> str:
        head = _("🔁 Nhắc lại lời mời chứng kiến.") + "\n" if repeated else ""
        return head + _(
            "👁 Phiếu {number} đã được duyệt. Thầy cô được mời chứng kiến việc mở ô điểm "
            "và sửa:\n{card}"
        ).format(number=request.number, card=view.card())

    await tell(
        people,
        WITNESS,
        f"corr:{request.id}:witness{again}",
        text,
        now,
        keyboard=lambda: [
            [button(_("✅ Xác nhận chứng kiến"), buttons.REQUEST_WITNESS.data(request.id))]
        ],
        topic=topic_of(request.id),
    )


async def ask_teacher(view: RequestView, now: dt.datetime, *, again: str = "") -> None:
    """The principal's question (the request's last one) to the teacher, with the button to
    answer; `again` (a stamp) when it is sent once more."""
    request = view.request

    def text() -> str:
        head = _("🔁 Nhắc lại câu hỏi của Hiệu trưởng.") + "\n" if again else ""
        return head + _(
            "❓ Hiệu trưởng cần thêm thông tin về {title}:\n{question}\n\nBấm «Bổ sung» để "
            "trả lời và gửi thêm minh chứng."
        ).format(title=html.escape(view.title()), question=html.escape(request.question))

    await tell(
        [view.teacher],
        "correction.ask",
        f"corr:{request.id}:ask:{request.rounds}{again}",
        text,
        now,
        keyboard=lambda: [[button(_("📎 Bổ sung"), buttons.REQUEST_SUPPLEMENT.data(request.id))]],
        topic=topic_of(request.id),
    )


# ---------------------------------------------------------------------------------------------
# When a message that waited still applies (core.services.outbox.lapse)


async def _state(notification: Notification) -> RequestState | None:
    request_id = _request_id(notification)
    if request_id is None:
        return None
    found = await CorrectionRequest.get_or_none(id=request_id).only("id", "state")
    return RequestState(found.state) if found else None


def _while(*states: RequestState) -> Applies:
    """The message applies while its request is in one of `states` (a card to forward or to
    decide, a question to answer, an opening to use)."""

    async def applies(notification: Notification, _now: dt.datetime) -> bool:
        return await _state(notification) in states

    return applies


async def _still_witness(notification: Notification, _now: dt.datetime) -> bool:
    """An invitation applies while the request waits for its witnesses and the person is
    still one of them who has not confirmed (not replaced meanwhile)."""
    return await _state(notification) is RequestState.APPROVED and await Witness.exists(
        request_id=_request_id(notification),
        staff_id=notification.staff_id,  # type: ignore[attr-defined]
        confirmed_at__isnull=True,
    )


outbox.describe(
    "correction.forward",
    lambda: _("phiếu sửa điểm chờ chuyển Hiệu trưởng"),
    _while(RequestState.AT_ADMINS),
)
outbox.describe(
    "correction.decide",
    lambda: _("phiếu sửa điểm chờ duyệt"),
    _while(RequestState.AT_PRINCIPAL),
)
outbox.describe("correction.bundle", lambda: _("bản tổng hợp phiếu sửa điểm"))
outbox.describe(WITNESS, lambda: _("lời mời chứng kiến sửa điểm"), _still_witness)
outbox.describe(
    "correction.ask",
    lambda: _("câu hỏi bổ sung phiếu sửa điểm"),
    _while(RequestState.NEEDS_INFO),
)
outbox.describe(
    "correction.open",
    lambda: _("thông báo mở ô điểm để sửa"),
    _while(RequestState.OPEN),
)
outbox.describe("correction.rejected", lambda: _("thông báo phiếu sửa điểm bị từ chối"))
outbox.describe("correction.minutes", lambda: _("biên bản sửa điểm"))
