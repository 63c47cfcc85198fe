"""Filing a request: the teacher's draft checked once more, then stored and sent on at once.

The draft came from a chat, so nothing in it is taken on trust: every cell is loaded and
checked again (rights, class list, columns, values), the cut-off is checked again, and the
evidence must still be in the file store. `token` makes the submission once-only: a repeated
or edited submission of the same draft is refused, and a request is never edited afterwards.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import InvalidValue, NotFound
from core.i18n import _
from core.models import (
    CellKind,
    CorrectionItem,
    CorrectionRequest,
    Evidence,
    LateAllowance,
    RequestState,
)
from core.services.access import Actor
from core.services.corrections.cells import load_sheet
from core.services.corrections.cutoff import ensure_before_cutoff
from core.services.corrections.notices import send_to_admins, send_to_deciders
from core.services.corrections.routing import settings_of
from core.services.corrections.views import load_view
from core.services.evidence import MAX_FILES, EvidenceFile
from core.storage import FileStore

MAX_REASON = 1000


@dataclass(frozen=True)
class Change:
    """One cell of a draft: the column and the value asked for (canonical text)."""

    kind: CellKind
    index: int
    new_value: str


@dataclass(frozen=True)
class Draft:
    """What the teacher filled in, as submitted (`subject_id` None: the homeroom teacher's
    data of the term)."""

    token: str
    class_id: int
    student_id: int
    subject_id: int | None
    term_id: int
    changes: tuple[Change, ...]
    reason: str
    evidence: tuple[EvidenceFile, ...]


def new_token() -> str:
    return secrets.token_hex(8)


def check_evidence(store: FileStore, files: Sequence[EvidenceFile], already: int = 0) -> None:
    if already + len(files) > MAX_FILES:
        raise InvalidValue(_("Mỗi phiếu có tối đa {n} minh chứng.").format(n=MAX_FILES))
    for file in files:
        if not store.exists(file.sha256):
            raise NotFound(
                _("Minh chứng {name} không còn trong kho; hãy gửi lại.").format(
                    name=file.name or file.sha256[:12]
                )
            )


def check_reason(reason: str) -> str:
    """A reason, a question or an answer: said, and short enough to read on a phone."""
    reason = reason.strip()
    if not reason:
        raise InvalidValue(_("Hãy ghi lý do sửa điểm."))
    if len(reason) > MAX_REASON:
        raise InvalidValue(_("Lý do dài quá {n} ký tự; hãy viết gọn lại.").format(n=MAX_REASON))
    return reason


async def submit(
    actor: Actor, draft: Draft, store: FileStore, now: dt.datetime | None = None
) -> CorrectionRequest:
    """File the request: everything is checked again, then the request, its cells and
    evidence are stored and sent on, in one transaction."""
    now = now or clock.now()
    if await CorrectionRequest.exists(draft_token=draft.token):
        raise InvalidValue(
            _("Phiếu này đã được gửi; sau khi gửi không sửa được nữa. Nếu cần, hãy lập phiếu mới.")
        )
    if not draft.changes:
        raise InvalidValue(_("Phiếu chưa có ô điểm nào cần sửa."))
    if not draft.evidence:
        raise InvalidValue(_("Phiếu cần ít nhất một minh chứng (ảnh hoặc tệp)."))
    reason = check_reason(draft.reason)
    check_evidence(store, draft.evidence)
    sheet = await load_sheet(
        actor, draft.class_id, draft.student_id, draft.subject_id, draft.term_id
    )
    current = await sheet.values()
    cells = []
    for change in draft.changes:
        cell = sheet.cell(change.kind, change.index)
        if any(c.column == cell.column for c, _change in cells):
            raise InvalidValue(_("Cột {column} có hai lần trong phiếu.").format(column=cell.column))
        if cell.check(change.new_value, current) != change.new_value:
            raise InvalidValue(
                _("Giá trị mới của cột {column} không hợp lệ.").format(column=cell.column)
            )
        cells.append((cell, change))
    allowance = await ensure_before_cutoff(actor, cells[0][0], now)
    direct = (await settings_of(actor.school_id)).direct_to_principal
    async with in_transaction():
        request = await CorrectionRequest.create(
            school_id=actor.school_id,
            teacher_id=actor.staff_id,
            student_id=draft.student_id,
            school_class_id=draft.class_id,
            subject_id=draft.subject_id,
            term_id=draft.term_id,
            reason=reason,
            state=RequestState.AT_PRINCIPAL if direct else RequestState.AT_ADMINS,
            created_at=now,
            draft_token=draft.token,
            late_allowance_id=allowance.id if allowance else None,
            forwarded_at=now if direct else None,
        )
        if allowance is not None:
            used = await LateAllowance.filter(
                id=allowance.id, used_by_request_id__isnull=True
            ).update(used_by_request_id=request.id)
            if not used:
                raise InvalidValue(_("Giấy phép nộp muộn này đã được dùng."))
        await CorrectionItem.bulk_create(
            [
                CorrectionItem(
                    request=request,
                    kind=cell.kind,
                    index=cell.index,
                    quality=cell.quality,
                    old_value=current[(cell.kind, cell.index)],
                    new_value=change.new_value,
                )
                for cell, change in cells
            ]
        )
        await add_evidence(request, draft.evidence, 0, now)
        view = await load_view(request.id)
        await audit.record(
            audit.Event(
                actor.label, "correction.submit", f"correction:{request.id}", after=view.facts()
            )
        )
        if direct:
            await send_to_deciders(view, now)
        else:
            await send_to_admins(view, now)
    return request


async def add_evidence(
    request: CorrectionRequest, files: Iterable[EvidenceFile], round_: int, now: dt.datetime
) -> None:
    await Evidence.bulk_create(
        [
            Evidence(
                request=request,
                sha256=f.sha256,
                media=f.media,
                mime=f.mime,
                name=f.name,
                size=f.size,
                added_at=now,
                round=round_,
            )
            for f in files
        ]
    )
