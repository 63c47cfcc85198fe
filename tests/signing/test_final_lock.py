"""The final lock freezes the year's records as well as its gradebook (001 Điều 25.3–4): from
the supplementary-results deadline on (15/8 by default), the lock job never run, no class's
records are prepared, no signing batch starts or goes on, no record is replaced, each refusal
saying why and what is left to do; and a year is not closed before its last term ends."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cli_signing import issue_class
from core import clock
from core.errors import InvalidValue
from core.models import (
    AuditEvent,
    BatchState,
    ClassClosure,
    IssuedRecord,
    Lock,
    RecordState,
    Role,
    SignatureRole,
    Staff,
)
from core.services import issuance
from core.services.access import Actor
from core.services.calendar import load_calendar
from core.services.issuance import BatchRunner
from core.services.locks import ScopeLocked
from core.services.schools import find_class
from demo.signing import issuing_moment
from tests.signing.conftest import ISSUING_2025_2026

SECOND = dt.timedelta(seconds=1)
FROZEN = "Năm học 2025-2026 đã chốt dữ liệu từ 17:00, Thứ Bảy, 15/08/2026 (hạn kết quả bổ sung)"


def frozen(refused: pytest.ExceptionInfo[ScopeLocked]) -> None:
    """The final lock's refusal: the year, the moment, what it forbids and what is left."""
    message = str(refused.value)
    assert message.startswith(FROZEN), message
    assert "không được lập, ký hay thay thế" in message and "thu hồi" in message


async def test_the_final_lock_refuses_preparing_signing_and_revising(demo, runtime) -> None:
    _config, school, school_class = demo
    year = await school_class.year
    final = (await load_calendar(year)).moment("supplementary.end")
    admin = Actor.command_line(school.id)

    clock.set_time(final + SECOND)  # prepared too late: nothing is made
    with pytest.raises(ScopeLocked) as refused:
        await issuance.prepare_class(admin, school_class, runtime.workers, runtime.portal)
    frozen(refused)
    assert not await IssuedRecord.exists(school_class=school_class)

    clock.set_time(ISSUING_2025_2026)  # issued in time
    assert await issue_class(runtime, school, school_class) == 40
    first, second = await IssuedRecord.filter(school_class=school_class).order_by("id").limit(2)

    # a record replaced one minute before the lock; its homeroom teacher's batch started in time
    clock.set_time(final - dt.timedelta(minutes=1))
    new = await issuance.revise(
        admin, first, "Sửa điểm Toán theo biên bản số 3", runtime.workers, runtime.portal
    )
    homeroom = await Actor.of_staff(await Staff.get(id=school_class.homeroom_id))
    started = await issuance.begin(
        homeroom, school_class.id, SignatureRole.HOMEROOM, runtime.signing
    )

    clock.set_time(final + SECOND)  # the lock job never ran
    events = await AuditEvent.filter(action="record.sign").count()
    batch = await BatchRunner(runtime.signing, runtime.workers).run(started.id)
    assert batch is not None and batch.state is BatchState.FAILED
    assert batch.message.startswith(FROZEN), batch.message
    new = await IssuedRecord.get(id=new.id)
    assert (new.state, new.next_role) == (RecordState.SIGNING, SignatureRole.HOMEROOM)
    assert await AuditEvent.filter(action="record.sign").count() == events
    with pytest.raises(ScopeLocked) as refused:  # signing anew
        await issuance.start_batch(homeroom, school_class, SignatureRole.HOMEROOM, "pkcs12")
    frozen(refused)
    with pytest.raises(ScopeLocked) as refused:  # replacing another record
        await issuance.revise(admin, second, "Sửa điểm Văn", runtime.workers, runtime.portal)
    frozen(refused)
    with pytest.raises(ScopeLocked) as refused:  # `hocba issue` in demo mode
        await issue_class(runtime, school, school_class)
    frozen(refused)
    assert await IssuedRecord.filter(school_class=school_class).count() == 41
    assert (await IssuedRecord.get(id=first.id)).state is RecordState.ISSUED  # not revoked
    assert await IssuedRecord.filter(state=RecordState.ISSUED).count() == 40
    assert not await Lock.exists()


async def test_a_year_is_not_closed_one_second_before_its_last_term_ends(demo) -> None:
    """The demo closed 6A at its issuing moment, after term II; 6B, one second before term II's
    entry ends, is refused for that reason before anything else, by console and by phone."""
    _config, school, six_a = demo
    year = await six_a.year
    ends = (await load_calendar(year)).entry_deadline(2)
    assert await issuing_moment(year) == ISSUING_2025_2026 > ends
    six_b = await find_class(year, "6B")
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)

    clock.set_time(ends - SECOND)
    with pytest.raises(InvalidValue, match="chưa hết học kỳ II") as refused:
        await issuance.close_year(Actor.command_line(school.id), six_b.id, decided_by=principal)
    assert "chưa chốt năm học được trước thời điểm đó" in str(refused.value)
    review = await issuance.review(await Actor.of_staff(principal), six_b.id)
    assert review.stamp is None and "chưa hết học kỳ II" in (review.blocked or "")
    assert not await ClassClosure.exists(school_class=six_b)

    clock.set_time(ends)  # from then on, what blocks 6B is its missing data
    review = await issuance.review(await Actor.of_staff(principal), six_b.id)
    assert "chưa hết học kỳ II" not in (review.blocked or "") and "còn thiếu" in review.blocked
