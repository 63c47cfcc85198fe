"""The board of requests (/phieusua): what waits for this person, with ticks to act on several
at once, and the school's requests by state. What waits on other people (witnesses, a teacher,
a principal not signed in) is the board's second part, in `waiting`.

The ticks are kept by the front end between presses; they are never trusted: every board
keeps only the ticked requests that still wait for this person, so the list is bounded by what
is pending and a tick on a request that has moved on disappears by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tortoise.functions import Count
from tortoise.queryset import QuerySet

from core import buttons
from core.buttons import Choice
from core.errors import HocbaError, InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import CorrectionRequest, RequestState, Role
from core.services.access import LEADERSHIP, Actor
from core.services.corrections.decide import approve
from core.services.corrections.routing import principal_behind
from core.services.corrections.views import OVERSEERS, RequestView, load_views

# Requests listed with their ticks: two buttons each, well within Telegram's 100 buttons and a
# text of one page; the oldest first, so the rest come into view as these are handled.
SHOWN = 20


def _requests(actor: Actor) -> QuerySet[CorrectionRequest]:
    """The requests this person may list: the school's for overseers, a teacher's own."""
    query = CorrectionRequest.filter(school_id=actor.school_id)
    if not actor.has(*OVERSEERS):
        query = query.filter(teacher_id=actor.staff_id)
    return query


async def requests_by_state(
    actor: Actor, states: Sequence[RequestState] | None = None
) -> dict[RequestState, list[RequestView]]:
    """The school's requests grouped by state, for the admins and the leadership; a teacher
    sees their own."""
    query = _requests(actor)
    if states:
        query = query.filter(state__in=list(states))
    grouped: dict[RequestState, list[RequestView]] = {}
    for view in await load_views(await query.order_by("id")):
        grouped.setdefault(view.state, []).append(view)
    return grouped


async def _waiting_states(actor: Actor) -> list[RequestState]:
    states: list[RequestState] = []
    if actor.has(Role.ADMIN):
        states.append(RequestState.AT_ADMINS)
    if actor.has(*LEADERSHIP):
        try:
            await principal_behind(actor)
            states.append(RequestState.AT_PRINCIPAL)
        except PermissionDenied:
            pass
    if not states:
        raise PermissionDenied(_("Danh sách phiếu chờ dành cho Ban quản trị và Hiệu trưởng."))
    return states


async def pending_for(actor: Actor) -> list[RequestView]:
    """What waits for this person: admins, the requests to forward; deciders, to decide."""
    states = await _waiting_states(actor)
    grouped = await requests_by_state(actor, states)
    return [v for state in states for v in grouped.get(state, [])]


@dataclass(frozen=True)
class BoardLine:
    """One waiting request: its title and changes, its tick and its «view» button."""

    title: str
    changes: str
    tick: Choice
    view: Choice


@dataclass(frozen=True)
class Board:
    """What the board shows; `picked` is the ticks to keep for the next press; `more` the
    waiting requests beyond the first SHOWN (handled first come, they appear as others go)."""

    counts: list[tuple[str, int]]  # state label, how many requests
    lines: list[BoardLine]
    actions: list[Choice]
    picked: list[int]
    more: int = 0


def _ids(picked: Iterable[object]) -> set[int]:
    return {p for p in picked if isinstance(p, int) and not isinstance(p, bool)}


async def _counts(actor: Actor) -> list[tuple[str, int]]:
    rows = await _requests(actor).annotate(n=Count("id")).group_by("state").values("state", "n")
    found = {RequestState(r["state"]): r["n"] for r in rows}
    return [(state.label, found[state]) for state in RequestState if state in found]


def _board(views: list[RequestView], ticked: set[int], counts: list[tuple[str, int]]) -> Board:
    views, more = views[:SHOWN], max(0, len(views) - SHOWN)
    ticked &= {v.id for v in views}
    lines = [
        BoardLine(
            view.title(),
            view.changes_line(),
            Choice(
                f"{'☑️' if view.id in ticked else '⬜'} {view.number}",
                buttons.BOARD_TOGGLE.data(view.id),
            ),
            Choice(_("🔍 Xem"), buttons.REQUEST_VIEW.data(view.id)),
        )
        for view in views
    ]
    actions = []
    if any(v.state is RequestState.AT_ADMINS for v in views):
        actions.append(Choice(_("➡️ Chuyển các phiếu đã chọn"), buttons.BOARD_FORWARD_PICKED.data()))
    if any(v.state is RequestState.AT_PRINCIPAL for v in views):
        actions.append(Choice(_("✅ Duyệt các phiếu đã chọn"), buttons.BOARD_APPROVE_PICKED.data()))
    return Board(counts, lines, actions, sorted(ticked), more)


async def board(actor: Actor, picked: Iterable[object] = ()) -> Board:
    """The waiting requests with their ticks (only those still waiting stay ticked)."""
    views = await pending_for(actor)
    return _board(views, _ids(picked), await _counts(actor))


async def toggle(actor: Actor, picked: Iterable[object], request_id: int) -> Board:
    """Tick or untick a waiting request; one that no longer waits for this person is refused."""
    views = (await pending_for(actor))[:SHOWN]
    if request_id not in {v.id for v in views}:
        raise NotFound(_("Phiếu này không còn chờ thầy cô xử lý. Gõ /phieusua để xem lại."))
    return _board(views, _ids(picked) ^ {request_id}, await _counts(actor))


def picked_ids(picked: Iterable[object]) -> list[int]:
    """The ticks to act on; none is a refusal."""
    ids = sorted(_ids(picked))
    if not ids:
        raise InvalidValue(_("Chưa chọn phiếu nào: bấm vào ô ⬜ trước tên phiếu để chọn."))
    return ids


@dataclass(frozen=True)
class Outcome:
    """What became of one ticked request: approved (`number`), or why not."""

    number: str
    refusal: str = ""


async def approve_picked(actor: Actor, picked: Iterable[object]) -> list[Outcome]:
    """Approve every ticked request that can be; each refusal is said, none stops the rest."""
    outcomes = []
    for request_id in picked_ids(picked):
        try:
            outcomes.append(Outcome((await approve(actor, request_id)).number))
        except HocbaError as refused:
            outcomes.append(Outcome(f"SĐ-{request_id}", str(refused)))
    return outcomes
