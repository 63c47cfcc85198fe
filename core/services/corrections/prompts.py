"""The short conversations a notification's button starts: the decider types a reason or a
question, the teacher answers an ask-for-more (with evidence if any), the teacher types the
approved value into the opened cell.

As in the request form, each step is one call: the first checks, before anything is typed,
that the step can still be taken (the state table says whether the move is possible now), and
returns the prompt with a small JSON draft for the front end to keep; the later ones read the
draft again (never trusting it) and make the move, which checks everything once more.

A prompt can go stale while the person is away: another decider approved the request, the
teacher withdrew it, the cell's opening ran out. Each later step therefore asks first whether
its move is still possible and, if not, raises `PromptEnded`: the front end ends the prompt and
says why, so the person's next message is never taken for a step that no longer exists. A
text that breaks a rule (a reason too long, a value other than the approved one) is an
ordinary refusal: the step stays, to type again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core import buttons
from core.buttons import Choice
from core.errors import HocbaError
from core.i18n import _
from core.models import CorrectionRequest, RequestState
from core.services.access import Actor
from core.services.corrections.decide import ask_more, reject, supplement
from core.services.corrections.files import album_json, read_album, read_files, receive
from core.services.corrections.session import apply_value, open_item
from core.services.corrections.states import Move, possible
from core.services.corrections.steps import FileTaken
from core.services.corrections.submit import check_reason
from core.services.evidence import MAX_FILES
from core.signing.backends import SigningSettings
from core.storage import FileStore
from core.typed import mark
from core.workers import WorkerPool

_TEXT_MOVES = {"reject": Move.REJECT, "ask": Move.ASK}


class PromptEnded(HocbaError):
    """The step a prompt was opened for can no longer be taken (the request moved on, the cell
    closed, the kept draft is gone): the front end ends the prompt instead of asking again."""


def _ended() -> PromptEnded:
    return PromptEnded(_("Việc đang làm đã kết thúc; hãy bấm lại nút trong tin nhắn của phiếu."))


def _kept(raw: object, *keys: str) -> dict[str, Any]:
    """The kept draft with its request id (and `keys`); a missing one says the step ended."""
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("request"), int)
        or any(key not in raw for key in keys)
    ):
        raise _ended()
    return raw


async def _still(actor: Actor, request_id: int, move: Move) -> CorrectionRequest:
    """The request, if `move` can still be made on it; otherwise the prompt has ended."""
    try:
        return await possible(actor, request_id, move)
    except HocbaError as refused:
        raise PromptEnded(str(refused)) from refused


@dataclass(frozen=True)
class Prompt:
    """What to ask for, about which request, and the draft to keep meanwhile."""

    number: str
    draft: dict[str, Any]


# ---------------------------------------------------------------------------------------------
# The decider's reason (reject) or question (ask for more)


async def begin_decision(actor: Actor, request_id: int, move: str) -> Prompt:
    """`move` is "reject" or "ask": the decider may make it on the request now."""
    request = await possible(actor, request_id, _TEXT_MOVES[move])
    return Prompt(request.number, {"request": request.id, "move": move})


async def decide_with_text(
    actor: Actor, raw: object, text: str, now: dt.datetime | None = None
) -> tuple[str, CorrectionRequest]:
    """The typed reason or question: the move is made; returns which move and the request."""
    draft = _kept(raw, "move")
    if draft["move"] not in _TEXT_MOVES:
        raise _ended()
    await _still(actor, draft["request"], _TEXT_MOVES[draft["move"]])
    if draft["move"] == "reject":
        return "reject", await reject(actor, draft["request"], text, now)
    return "ask", await ask_more(actor, draft["request"], text, now)


# ---------------------------------------------------------------------------------------------
# The teacher's answer to ask-for-more


async def begin_supplement(actor: Actor, request_id: int) -> Prompt:
    request = await possible(actor, request_id, Move.SUPPLEMENT)
    return Prompt(request.number, {"request": request.id, "evidence": []})


@dataclass(frozen=True)
class AnswerTaken:
    draft: dict[str, Any]
    choices: tuple[Choice, ...]


def _files_done() -> tuple[Choice, ...]:
    return (Choice(_("✔️ Xong"), buttons.FORM_FILES_DONE.data()),)


async def take_answer(actor: Actor, raw: object, text: str) -> AnswerTaken:
    draft = _kept(raw)
    await _still(actor, draft["request"], Move.SUPPLEMENT)
    return AnswerTaken({**draft, "answer": check_reason(text)}, _files_done())


async def answer_file(
    actor: Actor,
    raw: object,
    store: FileStore,
    *,
    size: int | None,
    name: str | None,
    album_id: str | None,
    fetch: Callable[[], Awaitable[bytes]],
) -> FileTaken:
    """One more evidence file with the answer (checked as the form checks its files)."""
    draft = _kept(raw, "answer")
    files = read_files(draft.get("evidence", []))
    if files is None:
        raise _ended()
    await _still(actor, draft["request"], Move.SUPPLEMENT)
    got = await receive(
        files,
        read_album(draft.get("album")),
        store,
        size=size,
        name=name,
        album_id=album_id,
        fetch=fetch,
    )
    kept = {
        "request": draft["request"],
        "answer": draft["answer"],
        "evidence": [f.as_dict() for f in got.files],
    }
    if got.album:
        kept["album"] = album_json(got.album)
    return FileTaken(
        draft=kept,
        accepted=got.accepted,
        refusal=got.refusal,
        count=len(got.files),
        max_files=MAX_FILES,
        choices=_files_done(),
    )


async def send_answer(
    actor: Actor, raw: object, store: FileStore, now: dt.datetime | None = None
) -> CorrectionRequest:
    """The answer and its files go to the principal (decide.supplement checks them)."""
    draft = _kept(raw, "answer")
    files = read_files(draft.get("evidence", []))
    await _still(actor, draft["request"], Move.SUPPLEMENT)
    return await supplement(actor, draft["request"], str(draft["answer"]), files or (), store, now)


# ---------------------------------------------------------------------------------------------
# The approved value, typed into the open cell


@dataclass(frozen=True)
class ApplyAsked:
    column: str
    student: str
    draft: dict[str, Any]


async def begin_apply(
    actor: Actor, request_id: int, item_id: int, now: dt.datetime | None = None
) -> ApplyAsked:
    view, item, _cell = await open_item(actor, request_id, item_id, now)
    return ApplyAsked(item.column, view.student.full_name, {"request": view.id, "item": item.id})


@dataclass(frozen=True)
class Applied:
    number: str
    finished: bool  # every cell of the request is done


async def apply(
    actor: Actor,
    raw: object,
    typed: str,
    store: FileStore,
    workers: WorkerPool,
    now: dt.datetime | None = None,
    signing: SigningSettings | None = None,
) -> Applied:
    draft = _kept(raw, "item")
    if not isinstance(draft["item"], int):
        raise _ended()
    try:
        await open_item(actor, draft["request"], draft["item"], now)
    except HocbaError as refused:
        raise PromptEnded(str(refused)) from refused
    request = await apply_value(
        actor, draft["request"], draft["item"], mark(typed), store, workers, now, signing
    )
    return Applied(request.number, RequestState(request.state) is RequestState.APPLIED)
