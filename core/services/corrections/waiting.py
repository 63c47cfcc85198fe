"""Requests that wait on a person, as the admin board and the leadership see them, and what
they can do about it from the phone.

A request stands still because of one person: a witness who has not confirmed (not signed in,
blocking the bot, or simply not answering), a teacher who has not answered the principal's
question or typed the approved value, a principal not signed in to decide. The board lists
each such request with everyone it waits on and where their message stands
(core.services.outbox.reach), and offers:

- «Gửi lại»: the invitation (or the question) once more, to those it reached, or failed to
  reach for a reason other than their absence. Someone not signed in, or blocking the bot,
  gets the waiting one when they come back (core.services.outbox.lapse), so nothing is added
  for them and the answer says so: call them, or name someone else.
- «Thay»: another member of the same body as witness (003 Điều 8.2: the admin board invites
  the witnesses on the principal's approval; 000 Điều 8: leadership, admin board, people's
  inspection board, the teacher), invited at once. The replaced person's invitation no longer
  applies: still waiting, it lapses when they arrive; received, they are told.

Both are for the admin board and the deciders (checked here), audited, and their messages are
written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, buttons, clock, formatting
from core.buttons import Choice
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import CorrectionRequest, RequestState, Role, Staff, Witness, WitnessRole
from core.services import outbox
from core.services.access import Actor, staff_with
from core.services.corrections.notices import (
    WITNESS,
    ask_teacher,
    invite_witnesses,
    tell,
    topic_of,
)
from core.services.corrections.routing import deciders, principal_behind
from core.services.corrections.session import (
    WITNESS_ROLES,
    ensure_can_witness,
    ensure_replaceable,
)
from core.services.corrections.views import RequestView, load_view, load_views
from core.services.outbox import Delivery, Reach

SHOWN = 10  # requests detailed (the text is paged; 4 buttons at most each); the rest counted
CANDIDATES = 30  # people offered to replace a witness (a body of the school is small)
RESENDABLE = {Reach.RECEIVED, Reach.FAILED, Reach.NOT_SENT}
RELEASED = "correction.witness_off"  # a replaced witness who had the invitation is told

# What each state waits for, and the message that asked for it.
ASKED_BY = {
    RequestState.AT_ADMINS: "correction.forward",
    RequestState.AT_PRINCIPAL: "correction.decide",
    RequestState.NEEDS_INFO: "correction.ask",
    RequestState.APPROVED: WITNESS,
    RequestState.OPEN: "correction.open",
}


async def _is_decider(actor: Actor) -> bool:
    try:
        await principal_behind(actor)
    except PermissionDenied:
        return False
    return True


async def _ensure_overseer(actor: Actor) -> bool:
    """The admin board or a decider; returns whether the actor decides."""
    decides = await _is_decider(actor)
    if not (decides or actor.has(Role.ADMIN)):
        raise PermissionDenied(
            _("Chỉ Ban quản trị và Hiệu trưởng (hoặc người được ủy quyền) làm được việc này.")
        )
    return decides


@dataclass(frozen=True)
class Awaited:
    """One person a request waits on (or waited on: a witness who confirmed)."""

    name: str
    role: str
    status: str
    done: bool = False

    def line(self) -> str:
        return ("✅ " if self.done else "⏳ ") + _("{name} ({role}): {status}").format(
            name=self.name, role=self.role, status=self.status
        )


@dataclass(frozen=True)
class Waiting:
    """A request and everyone it waits on, with what can be done from the board."""

    view: RequestView
    people: list[Awaited]
    actions: list[Choice]

    def lines(self) -> list[str]:
        """Plain text (the front end escapes it): the request, its state, one line a person."""
        head = _("{title} — {state}").format(title=self.view.title(), state=self.view.state.label)
        return [head, *(f"   {p.line()}" for p in self.people)]


@dataclass(frozen=True)
class WaitingBoard:
    requests: list[Waiting]
    more: int  # waiting requests not shown


def _role_label(state: RequestState) -> str:
    return {
        RequestState.AT_ADMINS: _("Ban quản trị"),
        RequestState.AT_PRINCIPAL: _("người duyệt"),
    }.get(state, _("giáo viên lập phiếu"))


async def _people(view: RequestView, school_id: int) -> list[tuple[Staff, str, Witness | None]]:
    """Who the request waits on now: (person, what they are to it, their witness row)."""
    state = view.state
    if state is RequestState.APPROVED:
        rows = await Witness.filter(request_id=view.id).prefetch_related("staff").order_by("id")
        return [(w.staff, WitnessRole(w.role).label, w) for w in rows]
    if state is RequestState.AT_ADMINS:
        people = await staff_with(school_id, Role.ADMIN)
    elif state is RequestState.AT_PRINCIPAL:
        people = await deciders(school_id)
    else:
        people = [view.teacher]
    return [(p, _role_label(state), None) for p in people]


def _actions(view: RequestView, people: list[tuple[Staff, str, Witness | None]]) -> list[Choice]:
    number = view.number
    if view.state is RequestState.NEEDS_INFO:
        return [Choice(_("🔁 Gửi lại câu hỏi ({number})").format(number=number), _resend(view))]
    if view.state is not RequestState.APPROVED:
        return []
    open_rows = [w for _p, _r, w in people if w is not None and w.confirmed_at is None]
    if not open_rows:
        return []
    actions = [Choice(_("🔁 Gửi lại lời mời ({number})").format(number=number), _resend(view))]
    for row in open_rows:
        if WitnessRole(row.role) in WITNESS_ROLES:  # not the teacher's, nor the homeroom's
            actions.append(
                Choice(
                    _("🔄 Thay {name} ({number})").format(name=row.staff.full_name, number=number),
                    buttons.BOARD_REPLACE.data(view.id, row.role),
                )
            )
    return actions


def _resend(view: RequestView) -> str:
    return buttons.BOARD_RESEND.data(view.id)


async def _waiting(view: RequestView, school_id: int) -> Waiting:
    people = await _people(view, school_id)
    reached = await outbox.deliveries(
        ASKED_BY[view.state], topic_of(view.id), [p for p, _r, _w in people]
    )
    awaited = []
    for person, role, witness in people:
        if witness is not None and witness.confirmed_at is not None:
            status = _("đã xác nhận lúc {when}").format(
                when=formatting.date_time(witness.confirmed_at)
            )
            awaited.append(Awaited(person.full_name, role, status, done=True))
        else:
            awaited.append(Awaited(person.full_name, role, reached[person.id].label()))
    return Waiting(view, awaited, _actions(view, people))


async def waiting_on_people(actor: Actor) -> WaitingBoard:
    """The school's requests that wait on someone other than the reader's own board: witnesses
    to confirm, a teacher to answer or apply, and, for a reader who does not take that step
    themselves, the admin board to forward or the principal to decide. Oldest first."""
    decides = await _ensure_overseer(actor)
    states = [RequestState.APPROVED, RequestState.NEEDS_INFO, RequestState.OPEN]
    if not actor.has(Role.ADMIN):
        states.append(RequestState.AT_ADMINS)
    if not decides:
        states.append(RequestState.AT_PRINCIPAL)
    query = CorrectionRequest.filter(school_id=actor.school_id, state__in=states)
    total = await query.count()
    views = await load_views(await query.order_by("id").limit(SHOWN))
    return WaitingBoard([await _waiting(v, actor.school_id) for v in views], total - len(views))


# ---------------------------------------------------------------------------------------------
# Sending again


@dataclass(frozen=True)
class Resent:
    """What «Gửi lại» did for each person the request waits on."""

    number: str
    lines: list[str]

    def text(self) -> str:
        return "\n".join([_("🔁 Phiếu {number}:").format(number=self.number), *self.lines])


def _stamp(now: dt.datetime) -> str:
    return f":{now.strftime('%Y%m%dT%H%M%S%f')}"


async def resend(actor: Actor, request_id: int, now: dt.datetime | None = None) -> Resent:
    """Send again what the request waits for: the invitation to every witness who has not
    confirmed, or the principal's question to the teacher. Only to those it would help (see
    the module's docstring); each person's line says what happened."""
    now = now or clock.now()
    await _ensure_overseer(actor)
    view = await load_view(request_id, actor.school_id)
    if view.state is RequestState.APPROVED:
        people = [
            w.staff
            for w in await Witness.filter(request_id=view.id, confirmed_at__isnull=True)
            .prefetch_related("staff")
            .order_by("id")
        ]
    elif view.state is RequestState.NEEDS_INFO:
        people = [view.teacher]
    else:
        raise InvalidValue(
            _(
                "Phiếu {number} {state}: không chờ ai xác nhận hay trả lời, nên không có gì để "
                "gửi lại."
            ).format(number=view.number, state=view.state.label)
        )
    reached = await outbox.deliveries(ASKED_BY[view.state], topic_of(view.id), people)
    chosen = [p for p in people if reached[p.id].reach in RESENDABLE]
    if chosen:
        async with in_transaction():
            if view.state is RequestState.APPROVED:
                await invite_witnesses(view, chosen, now, again=_stamp(now), repeated=True)
            else:
                await ask_teacher(view, now, again=_stamp(now))
            await audit.record(
                audit.Event(
                    actor.label,
                    "correction.resend",
                    topic_of(view.id),
                    after={"kind": ASKED_BY[view.state], "to": [p.id for p in chosen]},
                )
            )
    lines = [
        _("• {name}: {what}").format(
            name=p.full_name,
            what=_("đã gửi lại") if p in chosen else _said(reached[p.id]),
        )
        for p in people
    ]
    return Resent(view.number, lines)


def _said(delivery: Delivery) -> str:
    """Why nothing was sent again to this person."""
    if delivery.reach is Reach.ON_ITS_WAY:
        return _("tin trước vẫn đang được gửi, không gửi thêm")
    return _("không gửi thêm, {status}; có thể gọi điện nhắc hoặc thay người").format(
        status=delivery.label()
    )


# ---------------------------------------------------------------------------------------------
# Naming another witness


async def _open_witness(
    actor: Actor, request_id: int, role: str
) -> tuple[RequestView, Witness, WitnessRole]:
    """The request (waiting for its witnesses) and its not yet confirmed witness for `role`."""
    await _ensure_overseer(actor)
    view = await load_view(request_id, actor.school_id)
    try:
        witness_role = WitnessRole(role)
    except ValueError:
        raise InvalidValue(
            _("Không có vai trò chứng kiến «{role}». Gõ /phieusua để chọn lại.").format(role=role)
        ) from None
    if view.state is not RequestState.APPROVED:
        raise InvalidValue(
            _(
                "Phiếu {number} {state}: không còn chờ người chứng kiến. Gõ /phieusua để xem lại."
            ).format(number=view.number, state=view.state.label)
        )
    ensure_replaceable(witness_role)
    witness = await Witness.get_or_none(request_id=view.id, role=witness_role).prefetch_related(
        "staff"
    )
    if witness is None:
        raise NotFound(
            _("Phiếu {number} không có người chứng kiến là {role}.").format(
                number=view.number, role=witness_role.label
            )
        )
    if witness.confirmed_at is not None:
        raise InvalidValue(
            _("{name} đã xác nhận chứng kiến phiếu {number}: không cần thay.").format(
                name=witness.staff.full_name, number=view.number
            )
        )
    return view, witness, witness_role


@dataclass(frozen=True)
class Candidates:
    """Whom the reader may name in place of a witness: `choices` are buttons."""

    number: str
    role: str
    current: str
    choices: list[Choice]

    def text(self) -> str:
        return _("Chọn người thay {current} ({role}) chứng kiến phiếu {number}:").format(
            current=self.current, role=self.role, number=self.number
        )


async def replacement_choices(actor: Actor, request_id: int, role: str) -> Candidates:
    """The members of the witness's body who are not witnesses of the request yet, those
    signed in to the assistant first (they can confirm at once)."""
    view, witness, witness_role = await _open_witness(actor, request_id, role)
    named = await Witness.filter(request_id=view.id).values_list("staff_id", flat=True)
    people = [
        p
        for p in await staff_with(actor.school_id, *WITNESS_ROLES[witness_role])
        if p.id not in named
    ]
    people.sort(key=lambda p: p.telegram_user_id is None)
    if not people:
        raise InvalidValue(
            _(
                "Trường không còn ai khác thuộc {role} để thay {name}. Hãy gọi điện nhờ {name} "
                "đăng nhập Trợ lý, hoặc bổ sung cán bộ vào danh sách của trường."
            ).format(role=witness_role.label, name=witness.staff.full_name)
        )
    choices = [
        Choice(
            (_("👤 {name}") if p.telegram_user_id else _("👤 {name} (chưa đăng nhập)")).format(
                name=p.full_name
            ),
            buttons.BOARD_REPLACE_WITH.data(view.id, witness_role.value, p.id),
        )
        for p in people[:CANDIDATES]
    ]
    return Candidates(view.number, witness_role.label, witness.staff.full_name, choices)


@dataclass(frozen=True)
class Replaced:
    number: str
    role: str
    before: str
    after: str
    status: str  # where the new witness's invitation stands

    def text(self) -> str:
        return _(
            "🔄 Phiếu {number}: {after} thay {before} chứng kiến ({role}). Lời mời: {status}."
        ).format(
            number=self.number,
            after=self.after,
            before=self.before,
            role=self.role,
            status=self.status,
        )


async def replace_witness(
    actor: Actor, request_id: int, role: str, staff_id: int, now: dt.datetime | None = None
) -> Replaced:
    """Name `staff_id` as the witness for `role` in place of the one who has not confirmed;
    the new witness is invited and the old one, if the invitation reached them, told."""
    now = now or clock.now()
    view, witness, witness_role = await _open_witness(actor, request_id, role)
    person = await Staff.get_or_none(id=staff_id, school_id=actor.school_id)
    if person is None:
        raise NotFound(_("Không tìm thấy cán bộ này trong trường. Gõ /phieusua để chọn lại."))
    if await Witness.exists(request_id=view.id, staff_id=person.id):
        raise InvalidValue(
            _("{name} đã là người chứng kiến của phiếu {number}: hãy chọn người khác.").format(
                name=person.full_name, number=view.number
            )
        )
    await ensure_can_witness(actor.school_id, witness_role, person)
    old = witness.staff
    topic = topic_of(view.id)
    old_reach = (await outbox.deliveries(WITNESS, topic, [old]))[old.id]
    async with in_transaction():
        moved = await Witness.filter(
            id=witness.id, staff_id=old.id, confirmed_at__isnull=True
        ).update(staff_id=person.id)
        if not moved:
            raise InvalidValue(
                _("Người chứng kiến này vừa được thay hoặc đã xác nhận. Gõ /phieusua để xem lại.")
            )
        await audit.record(
            audit.Event(
                actor.label,
                "correction.witness_replace",
                topic,
                before={"role": witness_role.value, "staff": old.id},
                after={"role": witness_role.value, "staff": person.id},
            )
        )
        await invite_witnesses(view, [person], now, again=_stamp(now))
        if old_reach.reach is Reach.RECEIVED:
            await tell(
                [old],
                RELEASED,
                f"corr:{view.id}:witness-off{_stamp(now)}",
                lambda: _(
                    "Phiếu {number}: {name} chứng kiến thay thầy cô ({role}); thầy cô không "
                    "cần xác nhận nữa."
                ).format(number=view.number, name=person.full_name, role=witness_role.label),
                now,
                topic=topic,
            )
    status = (await outbox.deliveries(WITNESS, topic, [person]))[person.id]
    return Replaced(
        view.number, witness_role.label, old.full_name, person.full_name, status.label()
    )


outbox.describe(RELEASED, lambda: _("thông báo thôi chứng kiến"))
