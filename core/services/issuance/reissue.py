"""A completed correction of a closed class gets its student's record issued anew.

Regulation 001 Điều 25.3: while the data is not final, a record found wrong is replaced; the
new version is signed through the same chain (Điều 24.5) and issuing it revokes the old one
(core.services.issuance.apply), so both stay verifiable and the old one says what replaced it.

The correction's close (core.services.corrections.session.conclude) writes a RecordRevision
row in its own transaction: the intent cannot be lost. This job (run with the correction
job, jobs/corrections.py) takes each row not done and, on the authority of the principal who
approved the correction (or on whose delegation it was approved):
- the student has no record yet (the documents are made later, from the corrected data), or
  their issued record already says what the gradebook says: done, nothing to start;
- the latest version is still being signed (its chain started before the correction): the
  row waits until that version is issued, then compares and replaces it;
- the issued record differs: `revise` starts the next version, whose reason names the
  correction request, and the homeroom teacher is told it waits for them.
Marking the row done is a second step; a crash between the two finds, next time, the version
being signed with this correction's reason, and only marks the row. So however often it runs,
and wherever it stops, one correction gives at most one new version.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, clock
from core.i18n import _
from core.models import (
    CorrectionRequest,
    IssuedRecord,
    RecordRevision,
    RecordState,
    SchoolClass,
    SignatureRole,
    Staff,
)
from core.services.access import Actor
from core.services.corrections.routing import principal_behind
from core.services.issuance.announce import announce_next
from core.services.issuance.build import build_class
from core.services.issuance.drift import compare, issued_data
from core.services.issuance.revise import revise
from core.services.lookup_codes import Portal
from core.workers import WorkerPool

log = logging.getLogger("hocba.issuance.reissue")


@dataclass(frozen=True)
class Reissued:
    """What the job did for one correction: the version it started (or found started), or
    None when no new version was needed; `waiting` when an earlier version is still signed."""

    request_id: int
    record_id: int | None
    waiting: bool = False


def reason_of(request: CorrectionRequest) -> str:
    """The new version's reason, which the old one's revocation repeats."""
    return _("Sửa dữ liệu theo phiếu đề nghị sửa điểm {number} đã được Hiệu trưởng duyệt").format(
        number=request.number
    )


async def _authority(request: CorrectionRequest) -> Actor:
    """The principal who approved the correction, or on whose delegation it was approved."""
    decider = await Staff.get(id=request.decided_by_id)  # type: ignore[attr-defined]
    return await Actor.of_staff(await principal_behind(await Actor.of_staff(decider)))


async def _finish(
    row: RecordRevision, record: IssuedRecord | None, school_class: SchoolClass, now: dt.datetime
) -> None:
    """Mark the row done once, with its audit event and, for a new version, the homeroom
    teacher told that it waits for them."""
    async with in_transaction():
        done = await RecordRevision.filter(id=row.id, done_at__isnull=True).update(
            done_at=now, record_id=record.id if record else None
        )
        if not done:
            return
        await audit.record(
            audit.Event(
                "system:reissue",
                "record.reissue",
                f"correction:{row.request_id}",  # type: ignore[attr-defined]
                after={"record": record.id if record else None},
            )
        )
        if record is not None and record.state is RecordState.SIGNING:
            await announce_next(
                school_class,
                SignatureRole.SUBJECT_TEACHER,
                f"reissue:{row.request_id}",  # type: ignore[attr-defined]
            )


async def _one(
    row: RecordRevision, workers: WorkerPool, portal: Portal, now: dt.datetime
) -> Reissued:
    request = await CorrectionRequest.get(id=row.request_id)  # type: ignore[attr-defined]
    school_class = await SchoolClass.get(id=request.school_class_id)  # type: ignore[attr-defined]
    student_id = request.student_id  # type: ignore[attr-defined]
    latest = (
        await IssuedRecord.filter(student_id=student_id, year_id=school_class.year_id)
        .exclude(state=RecordState.REVOKED)
        .order_by("-version")
        .first()
    )
    if latest is None:  # no document yet: it will be built from the corrected gradebook
        await _finish(row, None, school_class, now)
        return Reissued(request.id, None)
    reason = reason_of(request)
    if latest.state is RecordState.SIGNING:
        if latest.correction_reason == reason:  # started by an earlier run that stopped
            await _finish(row, latest, school_class, now)
            return Reissued(request.id, latest.id)
        return Reissued(request.id, None, waiting=True)  # issued first, then replaced
    actor = await _authority(request)
    built = await build_class(actor, school_class, only_student=student_id, data_only=True)
    if not compare(issued_data(latest), built.records[student_id]):
        await _finish(row, None, school_class, now)  # the record already says it
        return Reissued(request.id, None)
    new = await revise(actor, latest, reason, workers, portal)
    await _finish(row, new, school_class, now)
    return Reissued(request.id, new.id)


async def reissue_corrected(
    workers: WorkerPool, portal: Portal, now: dt.datetime | None = None
) -> list[Reissued]:
    """The job: every correction of a closed class not yet carried into its record. A row
    that fails stays for the next run, with the reason kept."""
    now = now or clock.now()
    done = []
    for row in await RecordRevision.filter(done_at__isnull=True).order_by("id"):
        try:
            done.append(await _one(row, workers, portal, now))
        except Exception as error:  # one row's failure must not hold back the others
            log.exception("correction %s: record not re-issued yet", row.request_id)  # type: ignore[attr-defined]
            await RecordRevision.filter(id=row.id).update(
                attempts=row.attempts + 1, last_error=str(error)[:2000]
            )
    return done
