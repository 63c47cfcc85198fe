"""The one table of a request's life: (state, move) → new state, and who may make the move.

Every change of a request's state goes through `transition`, which finds the request in the
actor's school, checks the actor is who the table says, finds the move in the table for the
state the request is in, and makes it with a conditional update (the state it read must still
be the state in the database). So a second press, a stale button, a race between two people or
a decision on a request that has moved on changes nothing and is told why.

    AT_ADMINS    --forward-->    AT_PRINCIPAL   (admin board)
    AT_PRINCIPAL --approve-->    APPROVED       (principal, or delegated vice principal)
    AT_PRINCIPAL --reject-->     REJECTED       (principal, or delegate)
    NEEDS_INFO   --reject-->     REJECTED       (principal, or delegate)
    AT_PRINCIPAL --ask-->        NEEDS_INFO     (principal, or delegate)
    NEEDS_INFO   --supplement--> AT_PRINCIPAL   (the request's teacher)
    AT_ADMINS, AT_PRINCIPAL, NEEDS_INFO --withdraw--> WITHDRAWN (the request's teacher)
    APPROVED     --open-->       OPEN           (the flow: every witness confirmed)
    OPEN         --finish-->     APPLIED        (the flow: the last value applied)
    OPEN         --expire-->     EXPIRED        (the flow: the opening ran out)

A request is created in AT_ADMINS, or AT_PRINCIPAL where the school routes directly; APPLIED,
EXPIRED, REJECTED and WITHDRAWN never move.
"""

from __future__ import annotations

from enum import StrEnum

from core import audit
from core.errors import InvalidValue, PermissionDenied
from core.i18n import _
from core.models import CorrectionRequest, RequestState, Role
from core.services.access import Actor
from core.services.corrections.routing import ACTOR, principal_behind
from core.services.corrections.views import gone


class Move(StrEnum):
    FORWARD = "forward"
    APPROVE = "approve"
    REJECT = "reject"
    ASK = "ask"
    SUPPLEMENT = "supplement"
    WITHDRAW = "withdraw"
    OPEN = "open"
    FINISH = "finish"
    EXPIRE = "expire"


class Who(StrEnum):
    ADMIN = "admin"  # the admin board
    DECIDER = "decider"  # the principal, or a vice principal the principal delegated
    TEACHER = "teacher"  # the teacher who filed the request
    FLOW = "flow"  # the correction flow itself (routing.system)


S = RequestState
TRANSITIONS: dict[tuple[RequestState, Move], tuple[RequestState, Who]] = {
    (S.AT_ADMINS, Move.FORWARD): (S.AT_PRINCIPAL, Who.ADMIN),
    (S.AT_PRINCIPAL, Move.APPROVE): (S.APPROVED, Who.DECIDER),
    (S.AT_PRINCIPAL, Move.REJECT): (S.REJECTED, Who.DECIDER),
    (S.NEEDS_INFO, Move.REJECT): (S.REJECTED, Who.DECIDER),
    (S.AT_PRINCIPAL, Move.ASK): (S.NEEDS_INFO, Who.DECIDER),
    (S.NEEDS_INFO, Move.SUPPLEMENT): (S.AT_PRINCIPAL, Who.TEACHER),
    (S.AT_ADMINS, Move.WITHDRAW): (S.WITHDRAWN, Who.TEACHER),
    (S.AT_PRINCIPAL, Move.WITHDRAW): (S.WITHDRAWN, Who.TEACHER),
    (S.NEEDS_INFO, Move.WITHDRAW): (S.WITHDRAWN, Who.TEACHER),
    (S.APPROVED, Move.OPEN): (S.OPEN, Who.FLOW),
    (S.OPEN, Move.FINISH): (S.APPLIED, Who.FLOW),
    (S.OPEN, Move.EXPIRE): (S.EXPIRED, Who.FLOW),
}


def who_may(move: Move) -> Who:
    """Who makes `move`: the same, whatever the state it is made from (checked below)."""
    (who,) = {w for (_s, m), (_t, w) in TRANSITIONS.items() if m is move}
    return who


def _refusal(move: Move) -> str:
    return {
        Move.FORWARD: _("Chỉ Ban quản trị chuyển phiếu sửa điểm lên Hiệu trưởng."),
        Move.SUPPLEMENT: _("Chỉ giáo viên lập phiếu mới bổ sung được."),
        Move.WITHDRAW: _("Chỉ giáo viên lập phiếu mới rút được phiếu."),
    }.get(move, _("Việc này do Trợ lý tự làm theo quyết định đã có."))


async def ensure_may(actor: Actor, request: CorrectionRequest, move: Move) -> None:
    """Refuse an actor the table does not name for `move`."""
    who = who_may(move)
    if who is Who.DECIDER:
        await principal_behind(actor)
        return
    allowed = {
        Who.ADMIN: actor.has(Role.ADMIN),
        Who.TEACHER: actor.staff_id is not None and actor.staff_id == request.teacher_id,
        Who.FLOW: actor.label == ACTOR,
    }[who]
    if not allowed:
        raise PermissionDenied(_refusal(move))


def _no_longer(request: CorrectionRequest) -> InvalidValue:
    return InvalidValue(
        _("Phiếu {number} {state}: thao tác này không còn áp dụng, không có gì thay đổi.").format(
            number=request.number, state=RequestState(request.state).label
        )
    )


async def possible(actor: Actor, request_id: int, move: Move) -> CorrectionRequest:
    """The request, if `actor` may make `move` on it now (nothing is changed): a front end
    asks before it asks the person to type a reason or an answer."""
    request = await CorrectionRequest.get_or_none(id=request_id, school_id=actor.school_id)
    if request is None:
        raise gone()
    await ensure_may(actor, request, move)
    if (RequestState(request.state), move) not in TRANSITIONS:
        raise _no_longer(request)
    return request


async def transition(
    actor: Actor, request_id: int, move: Move, **changes: object
) -> CorrectionRequest:
    """Make `move` on the request, exactly once, with `changes` to its other fields."""
    request = await possible(actor, request_id, move)
    state = RequestState(request.state)
    target, _who = TRANSITIONS[(state, move)]
    moved = await CorrectionRequest.filter(id=request.id, state=state).update(
        state=target, **changes
    )
    if not moved:  # someone else moved it since it was read
        raise _no_longer(await CorrectionRequest.get(id=request.id))
    return await CorrectionRequest.get(id=request.id)


async def record(actor: Actor, action: str, request: CorrectionRequest, **after: object) -> None:
    """The audit event of a step: the request's state after it, and what the step added."""
    await audit.record(
        audit.Event(
            actor.label,
            action,
            f"correction:{request.id}",
            after={"state": request.state, **after},
        )
    )


def _check_table() -> None:
    """One kind of person per move, and nothing leaves a final state."""
    for move in Move:
        who_may(move)
    final = {S.APPLIED, S.EXPIRED, S.REJECTED, S.WITHDRAWN}
    assert not [key for key in TRANSITIONS if key[0] in final], "a final state moves"


_check_table()
