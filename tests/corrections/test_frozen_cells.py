"""A class closed for issuance takes only the correction flow's writes (core.services.frozen),
on both database backends: the teacher, the admin and the homeroom teacher are refused with
the message naming the class and /suadiem; the correction's one cell, opened for its teacher
alone, is written; the cell next to it is not; and the close leaves, in its transaction, the
intent to re-issue the student's record, which the job marks done when there is no record yet.

The small school of tests/corrections (a year still to come: no calendar lock has fallen, so
what refuses here is the close alone, and the correction's cell is opened without a lock).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.models import ClassClosure, MarkKind, RecordRevision, RequestState
from core.rules.secondary import Level
from core.services import corrections, gradebook, school_rules
from core.services.frozen import RecordsFrozen
from core.services.issuance.reissue import reissue_corrected
from tests.corrections.conftest import School
from tests.corrections.test_flow import mark_of, opened
from tests.portal import PORTAL

BINH = "Trần Thị Bình"


async def test_only_the_correction_cell_of_a_closed_class_is_written(school: School) -> None:
    await ClassClosure.create(school_class=school.classes["6A"], closed_by="test")
    # the admin may enter marks for teachers here (001 Điều 17.2): the close still refuses them
    await school_rules.set_rule(school.admin, "admin_enters_marks", "yes", decided_by="HT01")
    teacher = await school.teacher()
    entry = school.mark(BINH, "6A", "NV", MarkKind.REGULAR, 1, "9")
    for who in (teacher, school.admin):
        with pytest.raises(RecordsFrozen) as refused:
            await gradebook.write_marks(who, [entry])
        said = str(refused.value)
        assert "lớp 6A đã chốt năm học" in said and "/suadiem" in said, said
        assert "đang được ký" in said and "Điều 25" in said  # nothing issued yet
    homeroom = await school.actor("GV03")
    with pytest.raises(RecordsFrozen):
        await gradebook.write_conducts(
            homeroom,
            [
                gradebook.ConductEntry(
                    school.students[BINH],
                    school.classes["6A"],
                    school.terms[1],
                    Level.FAIL,
                )
            ],
        )
    # 6B is not closed: its gradebook is written as before
    other = school.mark("Lê Văn Dũng", "6B", "NV", MarkKind.REGULAR, 1, "8")
    assert (await gradebook.write_marks(school.admin, [other])).changed
    assert await mark_of(school) == Decimal("6")

    request = await opened(school)
    assert RequestState(request.state) is RequestState.OPEN
    beside = school.mark(BINH, "6A", "NV", MarkKind.REGULAR, 2, "9")
    with pytest.raises(RecordsFrozen):  # the open cell is one cell, not the sheet
        await gradebook.write_marks(teacher, [beside])
    [item] = (await corrections.load_view(request.id)).items
    done = await corrections.apply_value(
        teacher, request.id, item.id, "7,5", school.store, school.workers
    )
    assert RequestState(done.state) is RequestState.APPLIED
    assert await mark_of(school) == Decimal("7.5")
    with pytest.raises(RecordsFrozen):  # closed again at once
        await gradebook.write_marks(teacher, [entry])

    intent = await RecordRevision.get(request_id=request.id)
    assert intent.done_at is None
    [reissued] = await reissue_corrected(
        school.workers, PORTAL
    )  # no record yet: nothing to replace
    assert reissued.record_id is None
    assert (await RecordRevision.get(id=intent.id)).done_at is not None
    assert await reissue_corrected(school.workers, PORTAL) == []


async def test_a_correction_of_an_open_class_leaves_no_revision(school: School) -> None:
    request = await opened(school)
    [item] = (await corrections.load_view(request.id)).items
    teacher = await school.teacher()
    await corrections.apply_value(teacher, request.id, item.id, "7,5", school.store, school.workers)
    assert not await RecordRevision.exists()
