"""A batch of every class where a signer's step waits: one approval for all (001 Điều 24.5a: a
subject teacher signs all their classes' parts at once). The demo's primary school, with 4A
closed beside 5A, signed with the demo's key files; the remote (one CSC approval) path from the
phone is tests/e2e/test_signing_across_classes.py."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from core.models import (
    AuditEvent,
    BatchState,
    Notification,
    Role,
    School,
    SignatureRole,
    SigningBatch,
    Staff,
    SubjectSheetDoc,
    TeachingAssignment,
)
from core.services import issuance
from core.services.access import Actor
from core.services.schools import find_class, latest_year
from demo.school import PRIMARY
from tests.portal import PORTAL


async def test_a_teacher_signs_all_their_classes_in_one_batch(demo, runtime):
    school = await School.get(code=PRIMARY.code)
    year = await latest_year(school)
    classes = [await find_class(year, name) for name in ("4A", "5A")]
    admin = Actor.command_line(school.id)
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    await issuance.close_year(admin, classes[0].id, decided_by=principal)
    for school_class in classes:
        await issuance.prepare_class(admin, school_class, runtime.workers, PORTAL)
    taught = [
        set(await TeachingAssignment.filter(school_class=c).values_list("staff_id", flat=True))
        for c in classes
    ]
    teacher = await Staff.filter(id__in=taught[0] & taught[1]).order_by("code").first()
    actor = await Actor.of_staff(teacher)
    mine = SubjectSheetDoc.filter(
        teacher_id=teacher.id, school_class_id__in=[c.id for c in classes]
    )
    sheets = await mine.count()

    started = await issuance.begin(actor, None, SignatureRole.SUBJECT_TEACHER, runtime.signing)
    assert (started.class_name, started.total) == ("4A, 5A", sheets)
    again = await issuance.begin(actor, None, SignatureRole.SUBJECT_TEACHER, runtime.signing)
    assert again.id == started.id  # a double press finds the open batch
    event = await AuditEvent.get(action="batch.start", target=f"batch:{started.id}")
    assert event.after["classes"] == [c.id for c in classes]

    batch = await runtime.batches.run(started.id)
    assert batch is not None and batch.state is BatchState.DONE and batch.done == sheets
    assert not await mine.filter(signed_at__isnull=True).exists()
    result = await Notification.get(kind="signing.result", staff_id=teacher.id)
    assert result.text.startswith(f"✅ Lớp 4A, 5A: đã ký {sheets} tài liệu")

    # nothing more waits for them in that role, and nothing waits for them as principal
    for role in (SignatureRole.SUBJECT_TEACHER, SignatureRole.PRINCIPAL):
        with pytest.raises(NotFound, match="Không có tài liệu nào chờ thầy/cô ký"):
            await issuance.begin(actor, None, role, runtime.signing)
    assert await SigningBatch.filter(signer_id=teacher.id).count() == 1
