"""The decisions on a request: the admin board forwards, the principal (or a delegate)
approves, rejects with a reason or asks for more, the teacher answers or withdraws.

Every one of them is a move of the state table (core.services.corrections.states), made with
its audit event and its messages in one transaction.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from tortoise.transactions import in_transaction

from core import clock
from core.errors import HocbaError, InvalidValue, PermissionDenied
from core.i18n import _
from core.models import CorrectionRequest, Evidence, Role, Staff, Witness, WitnessRole
from core.services.access import Actor, staff_with
from core.services.corrections.notices import (
    ask_teacher,
    invite_witnesses,
    send_to_deciders,
    tell,
    topic_of,
)
from core.services.corrections.routing import deciders, principal_behind
from core.services.corrections.session import name_witnesses
from core.services.corrections.states import Move, possible, record, transition
from core.services.corrections.submit import add_evidence, check_evidence, check_reason
from core.services.corrections.views import load_view, load_views
from core.services.evidence import EvidenceFile
from core.storage import FileStore


async def forward(
    actor: Actor, request_ids: Sequence[int], now: dt.datetime | None = None
) -> list[CorrectionRequest]:
    """The admin board reports requests to the principal, one or a bundle; requests already
    forwarded or decided are left as they are and named in the error if none moved."""
    now = now or clock.now()
    if not actor.has(Role.ADMIN):
        raise PermissionDenied(_("Chỉ Ban quản trị chuyển phiếu sửa điểm lên Hiệu trưởng."))
    moved: list[CorrectionRequest] = []
    refusals: list[str] = []
    async with in_transaction():
        for request_id in dict.fromkeys(request_ids):
            try:
                request = await transition(
                    actor,
                    request_id,
                    Move.FORWARD,
                    forwarded_by_id=actor.staff_id,
                    forwarded_at=now,
                )
            except HocbaError as refused:
                refusals.append(str(refused))
                continue
            await record(actor, "correction.forward", request)
            moved.append(request)
        if not moved:
            raise InvalidValue("\n".join(refusals) or _("Chưa chọn phiếu nào."))
        views = await load_views(moved)
        if len(views) > 1:
            await tell(
                await deciders(actor.school_id),
                "correction.bundle",
                f"corr:bundle:{views[0].id}:{len(views)}:{int(now.timestamp())}",
                lambda: (
                    _("📦 Ban quản trị tổng hợp {n} phiếu đề nghị sửa điểm:").format(n=len(views))
                    + "\n"
                    + "\n".join(f"• {html.escape(v.title())}" for v in views)
                ),
                now,
            )
        for view in views:
            await send_to_deciders(view, now)
    return moved


async def approve(
    actor: Actor,
    request_id: int,
    now: dt.datetime | None = None,
    witnesses: dict[WitnessRole, Staff] | None = None,
) -> CorrectionRequest:
    """Approve; the witnesses are named (see `name_witnesses`) and asked to confirm."""
    now = now or clock.now()
    request = await possible(actor, request_id, Move.APPROVE)
    principal = await principal_behind(actor)
    named = await name_witnesses(actor, request, witnesses or {})
    async with in_transaction():
        request = await transition(
            actor, request_id, Move.APPROVE, decided_by_id=actor.staff_id, decided_at=now
        )
        await Witness.bulk_create(
            [Witness(request=request, role=role, staff=person) for role, person in named.items()]
        )
        await record(
            actor,
            "correction.approve",
            request,
            principal=principal.id,
            witnesses={role.value: person.id for role, person in named.items()},
        )
        await invite_witnesses(await load_view(request.id), named.values(), now)
    return request


async def reject(
    actor: Actor, request_id: int, reason: str, now: dt.datetime | None = None
) -> CorrectionRequest:
    """Reject with a reason, told to the teacher and the admin board."""
    now = now or clock.now()
    await principal_behind(actor)
    reason = check_reason(reason)
    async with in_transaction():
        request = await transition(
            actor,
            request_id,
            Move.REJECT,
            decided_by_id=actor.staff_id,
            decided_at=now,
            rejection=reason,
        )
        await record(actor, "correction.reject", request, reason=reason)
        view = await load_view(request.id)
        await tell(
            [view.teacher, *await staff_with(actor.school_id, Role.ADMIN)],
            "correction.rejected",
            f"corr:{request.id}:rejected",
            lambda: _("❌ {title} không được duyệt.\nLý do: {reason}").format(
                title=html.escape(view.title()), reason=html.escape(reason)
            ),
            now,
            topic=topic_of(request.id),
        )
    return request


async def ask_more(
    actor: Actor, request_id: int, question: str, now: dt.datetime | None = None
) -> CorrectionRequest:
    """The principal asks the teacher for more; the request comes back with the answer."""
    now = now or clock.now()
    await principal_behind(actor)
    question = check_reason(question)
    async with in_transaction():
        current = await possible(actor, request_id, Move.ASK)
        rounds = current.rounds + 1
        request = await transition(actor, request_id, Move.ASK, question=question, rounds=rounds)
        await record(actor, "correction.ask", request, question=question)
        await ask_teacher(await load_view(request.id), now)
    return request


async def supplement(
    actor: Actor,
    request_id: int,
    answer: str,
    files: Sequence[EvidenceFile],
    store: FileStore,
    now: dt.datetime | None = None,
) -> CorrectionRequest:
    """The teacher answers (and may add evidence); the request goes back to the principal.
    The cells and values stay as submitted: a request is never edited after submission."""
    now = now or clock.now()
    await possible(actor, request_id, Move.SUPPLEMENT)
    answer = check_reason(answer)
    check_evidence(store, files, await Evidence.filter(request_id=request_id).count())
    async with in_transaction():
        request = await transition(actor, request_id, Move.SUPPLEMENT, answer=answer)
        await add_evidence(request, files, request.rounds, now)
        await record(
            actor,
            "correction.supplement",
            request,
            answer=answer,
            evidence=[f.sha256 for f in files],
        )
        await send_to_deciders(await load_view(request.id), now)
    return request


async def withdraw(actor: Actor, request_id: int) -> CorrectionRequest:
    """The teacher takes back a request not yet decided."""
    async with in_transaction():
        request = await transition(actor, request_id, Move.WITHDRAW)
        await record(actor, "correction.withdraw", request)
    return request
