"""Signing batches: one signer, one step, every waiting document of a class (or of every
class where that step waits for them), one approval.

A batch moves PREPARED → (remote: AWAITING) → DONE, or ends REFUSED / FAILED with a reason.
Signing happens chunk by chunk in the worker pool, and each chunk is put onto its documents as
soon as it is signed (core.services.issuance.apply), so a batch interrupted anywhere (a restart,
a crash, a lost network) carries on from the last chunk stored, and one that fails half-way
keeps what it signed (the rest still waits, and is signed by the next batch). While a batch is
open its documents are nobody else's: no other batch takes them, and the next signer sees them
only once the batch is done. Whoever runs a batch holds its lease (`lease_token`,
`lease_until`), renewed as chunks are stored: two runners, in one process or several, never
sign the same batch, and a runner that died leaves a lease that expires.

The end of a batch and the signer's notification of it are committed together (the outbox), and
the notification's key names the batch and its final state, so the signer is told once.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import (
    BatchItem,
    BatchState,
    Role,
    SchoolClass,
    SignatureRole,
    SigningBatch,
    Staff,
)
from core.models.records import BATCH_OPEN
from core.services.access import Actor
from core.services.issuance.announce import announce_next
from core.services.issuance.prepare import (
    ensure_closed,
    may_sign,
    waiting_documents,
    waiting_for,
)
from core.services.locks import ensure_before_final
from core.services.outbox import notify_staff
from core.signing.backends import SigningSettings, backend_of, signer_code, unusable
from core.signing.keys import SignerUnavailable

OPEN = BATCH_OPEN
LEASE = dt.timedelta(minutes=2)  # longer than any chunk; renewed after each


async def start_batch(
    actor: Actor,
    school_class: SchoolClass | None,
    role: SignatureRole,
    backend: str,
    refusal: str | None = None,
) -> SigningBatch:
    """One batch of everything waiting for this signer in the class, or (`school_class`
    None) in every class where their step waits: one approval for all of them (001 Điều
    24.5a: a subject teacher signs all their classes' parts at once). Asking again while the
    signer's batch of that step is still open returns that batch, so a double press or a
    re-run of the command never signs twice. `refusal`: why the signer's key cannot sign
    from here (core.signing.backends.unusable), said once the signer is known to be the
    right one, before any batch is made."""
    open_batch = await SigningBatch.filter(
        Q(school_class=school_class) if school_class else Q(school_class_id__isnull=True),
        signer_id=actor.staff_id,
        role=role,
        state__in=OPEN,
    ).first()
    if school_class is None and open_batch is not None:
        return open_batch  # its documents wait for nobody else: the classes would be none
    classes = [school_class] if school_class is not None else await _waiting_classes(actor, role)
    nothing = NotFound(_("Không có tài liệu nào chờ thầy/cô ký ({role}).").format(role=role.label))
    if not classes:
        raise nothing
    for each in classes:
        await _ensure_may_sign(actor, each, role)
    if refusal:
        raise SignerUnavailable(refusal)
    if open_batch is not None:
        return open_batch
    documents = [d for each in classes for d in await waiting_documents(actor, each, role)]
    if not documents and school_class is not None:
        raise NotFound(
            _("Lớp {klass} không có tài liệu nào chờ {role} ký.").format(
                klass=school_class.name, role=role.label
            )
        )
    if not documents:
        raise nothing
    async with in_transaction():
        batch = await SigningBatch.create(
            school_class=school_class,
            signer_id=actor.staff_id,
            role=role,
            backend=backend,
            total=len(documents),
            created_at=clock.now(),  # `abandoned` compares it with the clock (staging too)
        )
        key = "sheet" if role is SignatureRole.SUBJECT_TEACHER else "record"
        await BatchItem.bulk_create([BatchItem(batch=batch, **{key: d}) for d in documents])
        await audit.record(
            audit.Event(
                actor.label,
                "batch.start",
                f"batch:{batch.id}",
                after={
                    "classes": [each.id for each in classes],
                    "role": role.value,
                    "documents": len(documents),
                },
            )
        )
    return batch


async def _ensure_may_sign(actor: Actor, school_class: SchoolClass, role: SignatureRole) -> None:
    await ensure_closed(school_class)
    await ensure_before_final(school_class.year_id)  # 001 Điều 25.4: frozen after 15/8
    if (await school_class.year).school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với lớp này."))
    if not await may_sign(actor, school_class, role):
        if role is SignatureRole.SEAL:  # 001 Điều 11.2; 004 Điều 9.4: the school assigns it
            raise PermissionDenied(
                _(
                    "Chỉ văn thư giữ con dấu số của trường mới đóng dấu được. Trường giao việc "
                    "này cho quản trị thì Hiệu trưởng quyết định: hocba rules set "
                    "seal_operator admin --decided-by MÃ_HIỆU_TRƯỞNG."
                )
            )
        raise PermissionDenied(
            _("Bạn không phải {role} của lớp {klass}, nên không ký được.").format(
                role=role.label, klass=school_class.name
            )
        )


async def _waiting_classes(actor: Actor, role: SignatureRole) -> list[SchoolClass]:
    """The classes where something waits for this signer's step, by name."""
    ids = [w.class_id for w in await waiting_for(actor) if w.role is role]
    return await SchoolClass.filter(id__in=ids).order_by("name")


async def batch_classes(batch: SigningBatch) -> list[SchoolClass]:
    """The classes whose documents the batch signs, by name."""
    if batch.school_class_id is not None:  # type: ignore[attr-defined]
        return [await SchoolClass.get(id=batch.school_class_id)]  # type: ignore[attr-defined]
    items = BatchItem.filter(batch_id=batch.id)
    ids = {
        *await items.filter(sheet_id__isnull=False).values_list(
            "sheet__school_class_id", flat=True
        ),
        *await items.filter(record_id__isnull=False).values_list(
            "record__school_class_id", flat=True
        ),
    }
    return await SchoolClass.filter(id__in=ids).order_by("name")


def class_names(classes: list[SchoolClass]) -> str:
    """ "6A", or "6A, 6B" for a batch of several classes."""
    return ", ".join(each.name for each in classes)


@dataclass(frozen=True)
class Started:
    """A batch as its signer's front end shows it."""

    id: int
    class_name: str  # "6A", or "6A, 6B" for several classes
    role: SignatureRole
    backend: str
    total: int
    done: int


async def begin(
    actor: Actor, class_id: int | None, role: SignatureRole, settings: SigningSettings
) -> Started:
    """The signer's press of «Ký lớp …» (`class_id`) or «Ký tất cả» (None: every class where
    their step waits): the class checked (it exists, at the actor's school), the signer's
    backend chosen, the batch started (or the open one found)."""
    school_class = None
    if class_id is not None:
        school_class = await SchoolClass.get_or_none(id=class_id, year__school_id=actor.school_id)
    if (class_id is not None and school_class is None) or actor.staff_id is None:
        raise NotFound(_("Lớp này không còn trong năm học: hãy mở lại «Ký học bạ»."))
    staff = await Staff.get(id=actor.staff_id)
    code = signer_code(staff.code, role)
    batch = await start_batch(
        actor, school_class, role, backend_of(settings, code), unusable(settings, code)
    )
    names = class_names(await batch_classes(batch))
    return Started(batch.id, names, role, batch.backend, batch.total, batch.done)


async def batch_progress(actor: Actor, batch_id: int) -> SigningBatch:
    batch = await SigningBatch.get_or_none(id=batch_id)
    if batch is None or (batch.signer_id != actor.staff_id and not actor.has(Role.ADMIN)):
        raise NotFound(_("Không có phiên ký này."))
    return batch


# --------------------------------------------------------------------------------- the lease


async def claim(batch_id: int, now: dt.datetime | None = None) -> SigningBatch | None:
    """Take the batch to run it: only an open batch whose lease is free or expired; counts
    the attempt. None when it has ended or someone else is running it. The lease's token
    starts with the runner's process id: who runs a batch is seen in the database."""
    now = now or clock.now()
    token = f"{os.getpid()}-{secrets.token_hex(10)}"
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    taken = await SigningBatch.filter(free, id=batch_id, state__in=OPEN).update(
        lease_token=token, lease_until=now + LEASE, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return await SigningBatch.get(id=batch_id).prefetch_related("school_class", "signer")


class LeaseLost(Exception):
    """Another runner took the batch over (this one stalled past its lease): stop quietly."""


async def renew(batch: SigningBatch, *, done: int | None = None, longer: float = 0) -> None:
    """Keep the lease (and record progress) while running; LeaseLost if it was taken over."""
    changes: dict[str, object] = {"lease_until": clock.now() + LEASE + dt.timedelta(seconds=longer)}
    if done is not None:
        changes["done"] = done
        batch.done = done
    if not await SigningBatch.filter(id=batch.id, lease_token=batch.lease_token).update(**changes):
        raise LeaseLost(batch.id)


async def release(batch: SigningBatch) -> None:
    """Give the lease back (the batch stays open): the next runner may take it at once."""
    await SigningBatch.filter(id=batch.id, lease_token=batch.lease_token).update(
        lease_token=None, lease_until=None
    )


async def abandoned(now: dt.datetime, older_than: dt.timedelta) -> list[int]:
    """Open batches nobody runs: lease free or expired, created `older_than` ago or earlier
    (a batch just started from the bot is about to be run by its own task)."""
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return await SigningBatch.filter(
        free, state__in=OPEN, created_at__lte=now - older_than
    ).values_list("id", flat=True)


# --------------------------------------------------------------------------- ending a batch


def _result_text(batch: SigningBatch, klass: str, state: BatchState, reason: str) -> str:
    if state is BatchState.DONE:
        text = _("✅ Lớp {klass}: đã ký {n} tài liệu ({role}).").format(
            klass=klass, n=batch.total, role=SignatureRole(batch.role).label
        )
        if batch.role == SignatureRole.SEAL:
            text += "\n" + _("Học bạ đã đủ chữ ký và được phát hành.")
        return text
    text = _("❌ Lớp {klass}: {reason}").format(klass=klass, reason=reason)
    if batch.done:
        text += "\n" + _(
            "Đã ký {done}/{total} tài liệu trước khi dừng; phần còn lại vẫn chờ: sửa lỗi rồi "
            "mở «Ký học bạ» để ký tiếp."
        ).format(done=batch.done, total=batch.total)
    return text


async def _tell_signer(batch: SigningBatch, state: BatchState, reason: str = "") -> None:
    """The signer's notification of the batch's end (inside the ending transaction)."""
    signer = await Staff.get(id=batch.signer_id)
    klass = class_names(await batch_classes(batch))
    await notify_staff(
        signer,
        "signing.result",
        lambda: _result_text(batch, klass, state, reason),
        dedupe_key=f"batch:{batch.id}:{state.value}",
    )


async def stop(batch: SigningBatch, state: BatchState, message: str) -> bool:
    """End a batch without signing anything, saying why, with the signer's notification;
    False when it had ended already."""
    now = clock.now()
    remote = {k: v for k, v in batch.remote.items() if k != "sad"}
    async with in_transaction():
        if not await SigningBatch.filter(id=batch.id, state__in=OPEN).update(
            state=state,
            message=message,
            finished_at=now,
            remote=remote,
            lease_token=None,
            lease_until=None,
        ):
            return False
        await BatchItem.filter(batch=batch).update(prepared={})
        await audit.record(
            audit.Event(
                f"staff:{batch.signer_id}",
                f"batch.{state.value}",
                f"batch:{batch.id}",
                after={"reason": message},
            )
        )
        await _tell_signer(batch, state, message)
    batch.state, batch.message, batch.finished_at, batch.remote = state, message, now, remote
    return True


async def finish(batch: SigningBatch) -> SigningBatch:
    """End a batch whose every document carries its step: DONE, audited and the signer told,
    in one transaction (by the runner holding the lease, once)."""
    now = clock.now()
    actor = f"staff:{batch.signer_id}"
    async with in_transaction():
        if await BatchItem.filter(batch=batch, done=False).exists():
            raise InvalidValue(_("Phiên ký chưa ký xong mọi tài liệu."))
        remote = {k: v for k, v in batch.remote.items() if k not in ("sad", "values")}
        if not await SigningBatch.filter(
            id=batch.id, state__in=OPEN, lease_token=batch.lease_token
        ).update(
            state=BatchState.DONE,
            finished_at=now,
            done=batch.total,
            remote=remote,
            lease_token=None,
            lease_until=None,
        ):
            raise InvalidValue(_("Phiên ký này đã kết thúc; không lưu gì thêm."))
        await BatchItem.filter(batch=batch).update(prepared={})
        batch.state, batch.done, batch.finished_at, batch.remote = (
            BatchState.DONE,
            batch.total,
            now,
            remote,
        )
        await audit.record(
            audit.Event(actor, "batch.done", f"batch:{batch.id}", after={"documents": batch.total})
        )
        await _tell_signer(batch, BatchState.DONE)
        for school_class in await batch_classes(batch):
            await announce_next(school_class, SignatureRole(batch.role), f"batch{batch.id}")
    return batch
