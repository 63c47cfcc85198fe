"""The witnessed opening: witnesses named and confirming, only the request's cells opened for
the teacher alone, the approved value applied, each cell relocked at once, the request closed
and its minutes sent; an opening that runs out locks again by itself (`expire_sessions`).

Closing happens in two steps, so the minutes' PDF is never rendered while a database
transaction is held (on SQLite a transaction holds the one connection, and every other user
of the bot would wait for the rendering): first the cells are relocked and the request moves
to APPLIED or EXPIRED; then `conclude` draws up the minutes in the worker pool and, in one
transaction, records the close (`closed_at`, the minutes' hash), its audit event and the
messages. A close left half-way (a crash, a rendering that failed) is concluded by the next
run of the job; `closed_at` being set is what makes it happen once. A request that changed a
class closed for issuance leaves, with its close, the intent to issue the student's record
anew (core.services.issuance.reissue).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from pathlib import Path

from tortoise.transactions import in_transaction

from core import audit, buttons, clock, formatting
from core.errors import InvalidValue, PermissionDenied
from core.i18n import _
from core.models import (
    CorrectionItem,
    CorrectionRequest,
    RecordRevision,
    RequestState,
    Role,
    Staff,
    Witness,
    WitnessRole,
)
from core.services import locks
from core.services.access import LEADERSHIP, Actor, staff_with
from core.services.corrections.cells import Cell, shown
from core.services.corrections.minutes import draw_up, tell_unsealed
from core.services.corrections.notices import button, tell, topic_of
from core.services.corrections.routing import (
    deciders,
    principal_behind,
    settings_of,
    system,
)
from core.services.corrections.states import Move, record, transition
from core.services.corrections.views import ItemView, RequestView, gone, load_view
from core.services.frozen import RecordsFrozen, class_closed
from core.services.outbox import Attachment
from core.signing.backends import SigningSettings
from core.storage import FileStore
from core.workers import WorkerPool

log = logging.getLogger("hocba.corrections")
CLOSED = (RequestState.APPLIED, RequestState.EXPIRED)


def opening_id(request_id: int, item_id: int) -> str:
    """The lock core's request id of one cell's opening."""
    return f"SĐ-{request_id}/{item_id}"


def _cells(view: RequestView) -> list[tuple[ItemView, Cell]]:
    return [
        (
            item,
            Cell(view.school_class, view.student, view.subject, view.term, item.kind, item.index),
        )
        for item in view.items
    ]


async def _is_locked(school_id: int, cell: Cell, now: dt.datetime) -> bool:
    """Whether a write by nobody in particular would be refused: a lock covers the cell and
    no scope-wide opening lets writes through (a correction opening is per teacher), or the
    class's year is closed for issuance (core.services.frozen)."""
    try:
        await locks.ensure_writable(system(school_id), [cell.touch()], now)
    except (locks.ScopeLocked, RecordsFrozen):
        return True
    return False


# ---------------------------------------------------------------------------------------------
# Witnesses


# Who may stand for each body that witnesses (000 Điều 8); the teacher is the requester, the
# homeroom teacher the class's own (001 Điều 17.3): those two places are nobody else's.
WITNESS_ROLES: dict[WitnessRole, frozenset[Role]] = {
    WitnessRole.LEADERSHIP: LEADERSHIP,
    WitnessRole.ADMIN: frozenset({Role.ADMIN}),
    WitnessRole.INSPECTOR: frozenset({Role.INSPECTOR}),
}


def ensure_replaceable(role: WitnessRole) -> None:
    """The teacher's and the homeroom teacher's places are never given to anyone else."""
    if role is WitnessRole.TEACHER:
        raise InvalidValue(_("Người chứng kiến là giáo viên đề nghị sửa: không đổi được."))
    if role is WitnessRole.HOMEROOM:
        raise InvalidValue(_("Người chứng kiến là giáo viên chủ nhiệm của lớp: không đổi được."))


async def ensure_can_witness(school_id: int, role: WitnessRole, person: Staff) -> None:
    """`person` may stand as the witness for `role`: a member of the school in that body."""
    ensure_replaceable(role)
    person_roles = {Role(r) for r in await person.roles.all().values_list("role", flat=True)}
    if person.school_id != school_id or not person.active or not person_roles & WITNESS_ROLES[role]:
        raise InvalidValue(
            _("{name} không thuộc {role} của trường.").format(
                name=person.full_name, role=role.label
            )
        )


async def _homeroom_teacher(request: CorrectionRequest) -> Staff | None:
    """The homeroom teacher of the request's class, who supervises every correction of its
    results with the admins (001 Điều 17.3); None when the class has none on record."""
    school_class = await request.school_class
    if school_class.homeroom_id is None:
        return None
    return await Staff.get_or_none(id=school_class.homeroom_id, active=True)


async def name_witnesses(
    actor: Actor, request: CorrectionRequest, chosen: dict[WitnessRole, Staff]
) -> dict[WitnessRole, Staff]:
    """The witnesses of 000 Điều 8, each a member of the school in that role (by default: the
    approver for the leadership, the admin who forwarded or the first admin, the first
    inspection board member, the teacher), and the homeroom teacher of the class (001 Điều
    17.3). The inspection board is left out only where the school has none on record; the
    homeroom teacher where the class has none, or when they are already a witness (they filed
    the request, or approve it)."""
    school_id = actor.school_id
    admins = await staff_with(school_id, Role.ADMIN)
    inspectors = await staff_with(school_id, Role.INSPECTOR)
    forwarder = next((a for a in admins if a.id == request.forwarded_by_id), None)
    named: dict[WitnessRole, Staff | None] = {
        WitnessRole.LEADERSHIP: await Staff.get(id=actor.staff_id),
        WitnessRole.ADMIN: forwarder or (admins[0] if admins else None),
        WitnessRole.INSPECTOR: inspectors[0] if inspectors else None,
        WitnessRole.TEACHER: await Staff.get(id=request.teacher_id),
    }
    for role, person in chosen.items():
        await ensure_can_witness(school_id, role, person)
        named[role] = person
    if named[WitnessRole.ADMIN] is None:
        raise InvalidValue(_("Trường chưa có Ban quản trị học bạ số để chứng kiến việc sửa."))
    homeroom = await _homeroom_teacher(request)
    if homeroom is not None and homeroom.id not in {p.id for p in named.values() if p}:
        named[WitnessRole.HOMEROOM] = homeroom
    return {role: person for role, person in named.items() if person is not None}


async def confirm_witness(
    actor: Actor, request_id: int, now: dt.datetime | None = None
) -> CorrectionRequest:
    """A witness confirms; when the last one has, the cells open for the teacher alone."""
    now = now or clock.now()
    request = await CorrectionRequest.get_or_none(id=request_id, school_id=actor.school_id)
    if request is None:
        raise gone()
    mine = Witness.filter(request_id=request_id, staff_id=actor.staff_id)
    if not await mine.exists():
        raise PermissionDenied(_("Thầy cô không có tên trong danh sách chứng kiến phiếu này."))
    if RequestState(request.state) is not RequestState.APPROVED:
        raise InvalidValue(
            _("Phiếu {number} {state}: không cần xác nhận nữa.").format(
                number=request.number, state=RequestState(request.state).label
            )
        )
    async with in_transaction():
        confirmed = await mine.filter(confirmed_at__isnull=True).update(confirmed_at=now)
        if not confirmed:
            raise InvalidValue(_("Thầy cô đã xác nhận chứng kiến phiếu này rồi."))
        await record(actor, "correction.witness", request)
        if await Witness.exists(request_id=request_id, confirmed_at__isnull=True):
            return request
        return await _open(request, now)


async def _open(request: CorrectionRequest, now: dt.datetime) -> CorrectionRequest:
    """Every witness confirmed: open each locked cell for the teacher until the time is up."""
    until = now + dt.timedelta(minutes=(await settings_of(request.school_id)).open_minutes)
    flow = system(request.school_id)
    request = await transition(flow, request.id, Move.OPEN, opened_at=now, open_until=until)
    view = await load_view(request.id)
    decider = await Staff.get(id=request.decided_by_id)
    principal = await principal_behind(await Actor.of_staff(decider))
    for item, cell in _cells(view):
        if await _is_locked(request.school_id, cell, now):
            await locks.open_cell(
                flow,
                cell.touch(),
                staff=view.teacher,
                request_id=opening_id(request.id, item.id),
                until=until,
                reason=_("Sửa điểm theo phiếu {number} đã được duyệt").format(
                    number=request.number
                ),
                now=now,
                decided_by=principal,
            )
    await record(flow, "correction.open", request, until=until)
    await tell(
        [view.teacher],
        "correction.open",
        f"corr:{request.id}:open",
        lambda: _(
            "🔓 Đã đủ người chứng kiến. Ô điểm của phiếu {number} mở cho thầy cô đến {until}. "
            "Bấm từng ô và nhập đúng giá trị đã duyệt."
        ).format(number=request.number, until=formatting.time(until)),
        now,
        keyboard=lambda: [
            [
                button(
                    _("✏️ Nhập {column} = {new}").format(column=i.column, new=shown(i.new, i.kind)),
                    buttons.REQUEST_APPLY.data(request.id, i.id),
                )
            ]
            for i in view.items
        ],
        topic=topic_of(request.id),
        expires_at=until,
    )
    return request


# ---------------------------------------------------------------------------------------------
# Applying the approved value


async def open_item(
    actor: Actor, request_id: int, item_id: int, now: dt.datetime | None = None
) -> tuple[RequestView, ItemView, Cell]:
    """The request's cell the teacher may write now: their request, open, in time, not yet
    applied; anything else is refused with the reason."""
    now = now or clock.now()
    view = await load_view(request_id, actor.school_id)
    request = view.request
    if actor.staff_id != view.teacher.id:
        raise PermissionDenied(_("Chỉ giáo viên lập phiếu mới sửa được ô điểm này."))
    if view.state is not RequestState.OPEN:
        raise InvalidValue(
            _("Phiếu {number} {state}: ô điểm không mở để sửa.").format(
                number=request.number, state=view.state.label
            )
        )
    if request.open_until is None or now >= request.open_until:
        raise InvalidValue(
            _("Đã hết thời gian mở ô điểm của phiếu {number}.").format(number=request.number)
        )
    item = view.item(item_id)
    if item.applied is not None:
        raise InvalidValue(_("Ô {column} đã được sửa rồi.").format(column=item.column))
    cell = next(c for i, c in _cells(view) if i.id == item.id)
    return view, item, cell


async def apply_value(
    actor: Actor,
    request_id: int,
    item_id: int,
    raw: str,
    store: FileStore,
    workers: WorkerPool,
    now: dt.datetime | None = None,
    signing: SigningSettings | None = None,
) -> CorrectionRequest:
    """The teacher writes the approved value into the open cell; any other value is refused.
    The cell locks again at once; after the last one the request closes and its minutes are
    drawn up, sealed with the school's seal (`signing`: see corrections.minutes) and sent."""
    now = now or clock.now()
    view, item, cell = await open_item(actor, request_id, item_id, now)
    values = await cell.read()
    if cell.parse(raw, values) != item.new:
        raise InvalidValue(
            _("Giá trị được duyệt cho ô {column} là {new}; không ghi giá trị khác.").format(
                column=item.column, new=shown(item.new, item.kind)
            )
        )
    async with in_transaction():
        applied = await CorrectionItem.filter(id=item.id, applied_at__isnull=True).update(
            applied_value=item.new, applied_at=now
        )
        if not applied:
            raise InvalidValue(_("Ô {column} đã được sửa rồi.").format(column=item.column))
        await cell.write(actor, item.new, values)
        await audit.record(
            audit.Event(
                actor.label,
                "correction.apply",
                cell.target,
                {"value": item.old},
                # the cell's kind tells the two counts of days absent (one target) apart
                {"value": item.new, "request": request_id, "kind": item.kind.value},
            )
        )
        await locks.close_cell(actor, opening_id(request_id, item.id), now=now)
        last = not await CorrectionItem.exists(request_id=request_id, applied_at__isnull=True)
        if last:
            await _close(view.request, Move.FINISH, now)
    if last:
        try:
            return await conclude(request_id, store, workers, now, signing)
        except Exception:  # the value is written and relocked; the job concludes it later
            log.exception("request %s: minutes not drawn up yet, the job will retry", request_id)
    return await CorrectionRequest.get(id=request_id)


# ---------------------------------------------------------------------------------------------
# Closing


async def _close(request: CorrectionRequest, move: Move, now: dt.datetime) -> None:
    """Move an open request to its end (inside the caller's transaction) and relock every
    cell still open for it."""
    flow = system(request.school_id)
    await transition(flow, request.id, move)
    for item in await CorrectionItem.filter(request_id=request.id, applied_at__isnull=True):
        await locks.close_cell(flow, opening_id(request.id, item.id), now=now)


def _stored_path(store: FileStore, digest: str) -> Path:
    """Where the store keeps a file (its layout, root/ab/abcd…): the outbox sends from a path
    and checks the hash before sending."""
    return store.root / digest[:2] / digest


async def conclude(
    request_id: int,
    store: FileStore,
    workers: WorkerPool,
    now: dt.datetime | None = None,
    signing: SigningSettings | None = None,
) -> CorrectionRequest:
    """Record the close of an applied or expired request, once: minutes when something was
    changed (rendered before the transaction), the audit event, and the minutes or the
    relock sent to the principal, the admins and the teacher. A change to a class closed for
    issuance also leaves, in the same transaction, the request to issue its record anew."""
    now = now or clock.now()
    view = await load_view(request_id)
    request = view.request
    if request.closed_at is not None or view.state not in CLOSED:
        return request
    applied = [i.applied_at for i in view.items if i.applied_at is not None]
    # the moment it closed: the last value applied, or the end of the opening
    closed_at = max(applied) if view.state is RequestState.APPLIED else request.open_until
    digest = attachment = minutes = None
    if applied:
        minutes = await draw_up(view, workers, signing, now, closed_at)
        digest = store.put(minutes.pdf)
        attachment = Attachment(
            _stored_path(store, digest), f"bien-ban-{request.number}.pdf", digest
        )
    async with in_transaction():
        done = await CorrectionRequest.filter(id=request.id, closed_at__isnull=True).update(
            closed_at=closed_at, minutes_sha256=digest
        )
        request = await CorrectionRequest.get(id=request.id)
        if not done:  # another run concluded it meanwhile
            return request
        state = RequestState(request.state)
        await record(
            system(request.school_id), f"correction.{state.value}", request, minutes=digest
        )
        if applied and await class_closed(request.school_class_id):  # type: ignore[attr-defined]
            # its record is issued anew (core.services.issuance.reissue): the intent commits
            # with the close, so a crash cannot lose it (001 Điều 25.3)
            await RecordRevision.get_or_create(request_id=request.id, defaults={"created_at": now})
        people = [
            *await deciders(request.school_id),
            *await staff_with(request.school_id, Role.ADMIN),
            view.teacher,
        ]
        title = html.escape(view.title())
        if state is RequestState.APPLIED:

            def text() -> str:
                return _(
                    "🔒 {title}: đã sửa xong, ô điểm đã khóa lại. Biên bản sửa chữa dữ liệu "
                    "đính kèm."
                ).format(title=title)
        else:

            def text() -> str:
                return _(
                    "🔒 {title}: hết thời gian mở, ô điểm đã khóa lại. Đã sửa: {done}/{n} ô."
                ).format(title=title, done=len(applied), n=len(view.items))

        await tell(
            people,
            "correction.minutes",
            f"corr:{request.id}:done",
            text,
            now,
            attachment=attachment,
            topic=topic_of(request.id),
        )
        if minutes is not None:
            await tell_unsealed(view, minutes, now)
    return request


async def expire_sessions(
    now: dt.datetime,
    store: FileStore,
    workers: WorkerPool,
    signing: SigningSettings | None = None,
) -> list[CorrectionRequest]:
    """The job: every opening whose time ran out is locked again and its request closed,
    once (a re-run finds nothing); then every close left half-way is concluded. Returns the
    requests that expired in this run."""
    expired = []
    for request in await CorrectionRequest.filter(
        state=RequestState.OPEN, open_until__lte=now
    ).order_by("id"):
        try:
            async with in_transaction():
                await _close(request, Move.EXPIRE, now)
        except InvalidValue:  # another run closed it meanwhile
            continue
        expired.append(request.id)
    for request_id in (
        await CorrectionRequest.filter(state__in=CLOSED, closed_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    ):
        try:
            await conclude(request_id, store, workers, now, signing)
        except Exception:  # one request's failure must not hold back the others
            log.exception("request %s: not concluded, the next run will retry", request_id)
    return list(await CorrectionRequest.filter(id__in=expired).order_by("id"))
