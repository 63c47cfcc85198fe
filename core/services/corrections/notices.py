"""The messages the correction flow decides on, written to the outbox in the caller's
transaction (so nothing decided is lost and nothing is sent twice: each has a dedupe key), each
rendered in its reader's language, with buttons built from core.buttons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from core import buttons
from core.i18n import _
from core.models import Role, Staff
from core.services.corrections.routing import deciders, staff_with
from core.services.corrections.views import RequestView, decision_choices
from core.services.outbox import Attachment, Button, notify_staff


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
) -> None:
    """One message to each person (once each, however often they are named)."""
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
    )
