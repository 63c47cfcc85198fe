"""The state table, stale or forged ids, ticks that do not pile up, and a close left half-way."""

from __future__ import annotations

import pytest

from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import (
    CorrectionRequest,
    Notification,
    RequestState,
    Role,
    SchoolClass,
    Staff,
    Subject,
)
from core.rules.catalog import SchoolLevel
from core.services import corrections, roster
from core.services.access import Actor
from core.services.corrections import board, form, prompts
from core.services.corrections.routing import system
from core.services.corrections.states import TRANSITIONS, Move, Who, possible, who_may
from core.services.corrections.views import evidence_album
from core.services.schools import create_school, ensure_year
from core.storage import FileStore
from tests.corrections.conftest import School, now
from tests.corrections.test_flow import opened
from tests.corrections.test_rules import at_principal, submitted

GONE = "không còn tồn tại"


async def test_every_move_the_table_does_not_list_is_refused(school: School) -> None:
    request = await submitted(school)
    people = {
        Who.ADMIN: await school.actor("QT01"),
        Who.DECIDER: await school.actor("HT01"),
        Who.TEACHER: await school.teacher(),
        Who.FLOW: system(school.school.id),
    }
    outsider = await school.actor("GV01")  # teaches in the school, did not file this request
    for state in RequestState:
        await CorrectionRequest.filter(id=request.id).update(state=state)
        for move in Move:
            actor = people[who_may(move)]
            if (state, move) in TRANSITIONS:
                assert (await possible(actor, request.id, move)).state == state
            else:
                with pytest.raises(InvalidValue, match="không còn áp dụng"):
                    await possible(actor, request.id, move)
            with pytest.raises(PermissionDenied):
                await possible(outsider, request.id, move)
    assert (await CorrectionRequest.get(id=request.id)).state == RequestState.WITHDRAWN


async def _elsewhere(school: School) -> tuple[Actor, SchoolClass]:
    """Another school's principal (also admin and teacher) and one of its classes."""
    other = await create_school("THCS-KHAC", "Trường Khác", SchoolLevel.LOWER_SECONDARY)
    year = await ensure_year(other, school.year.name)
    await roster.write_staff(
        Actor.command_line(other.id),
        year,
        [roster.StaffEntry("HTX", "Hiệu Trưởng Khác", frozenset({Role.PRINCIPAL, Role.ADMIN}))],
    )
    stranger = await Actor.of_staff(await Staff.get(code="HTX"))
    return stranger, await SchoolClass.create(year=year, name="6A", grade=6)


async def test_stale_or_forged_ids_are_a_clear_not_found(school: School) -> None:
    principal, admin, teacher = (
        await school.actor("HT01"),
        await school.actor("QT01"),
        await school.teacher(),
    )
    missing = 999_999
    for attempt in (
        corrections.approve(principal, missing),
        corrections.view_for(principal, missing),
        corrections.confirm_witness(principal, missing),
        corrections.reject(principal, missing, "không"),
        prompts.begin_decision(principal, missing, "ask"),
        prompts.begin_supplement(teacher, missing),
        prompts.begin_apply(teacher, missing, 1),
        evidence_album(principal, missing, school.store),
        corrections.grant_late(principal, missing),
    ):
        with pytest.raises(NotFound, match=GONE):
            await attempt
    with pytest.raises(InvalidValue, match=GONE):  # a bundle says which did not move
        await corrections.forward(admin, [missing])

    # another school's request, class, allowance: not found, and nothing about them said
    stranger, their_class = await _elsewhere(school)
    request = await at_principal(school)
    for attempt in (
        corrections.approve(stranger, request.id),
        evidence_album(stranger, request.id, school.store),
        prompts.begin_decision(stranger, request.id, "reject"),
    ):
        with pytest.raises(NotFound, match=GONE):
            await attempt
    draft = (await form.start(teacher)).draft
    for class_id in (their_class.id, missing):
        with pytest.raises(NotFound, match="không còn"):
            await form.choose_class(teacher, draft, class_id)
    cell = await school.binh_nv_cell(teacher)
    asked = await corrections.ask_late(teacher, cell, now())
    with pytest.raises(NotFound, match=GONE):
        await corrections.grant_late(stranger, asked.id, now())

    # a student of another class, a subject of another school, a missing term
    step = await form.choose_class(teacher, draft, school.classes["6A"].id)
    for student_id in (school.students["Lê Văn Dũng"], missing):
        with pytest.raises(NotFound, match="không thuộc lớp"):
            await form.choose_student(teacher, step.draft, student_id)
    step = await form.choose_student(teacher, step.draft, school.students["Trần Thị Bình"])
    their_subject = await Subject.filter(school_id=stranger.school_id).first()
    with pytest.raises(NotFound, match="không còn"):
        await form.choose_subject(teacher, step.draft, their_subject.id)
    step = await form.choose_subject(teacher, step.draft, school.subjects["NV"].id)
    with pytest.raises(NotFound, match="học kỳ"):
        await form.choose_term(teacher, step.draft, missing)


async def test_an_item_of_another_request_is_not_found(school: School) -> None:
    await school.lock_nv()
    first = await opened(school)
    second = await opened(school, school.draft(name="Phạm Thị Chi"))
    theirs = (await corrections.load_view(second.id)).items[0]
    teacher = await school.teacher()
    with pytest.raises(NotFound, match="không thuộc phiếu"):
        await prompts.begin_apply(teacher, first.id, theirs.id)
    with pytest.raises(NotFound, match="không thuộc phiếu"):
        await corrections.apply_value(
            teacher, first.id, theirs.id, "7.5", school.store, school.workers
        )


async def test_board_ticks_keep_only_what_still_waits(school: School) -> None:
    admin = await school.actor("QT01")
    first, second = await submitted(school), await submitted(school, name="Phạm Thị Chi")
    shown = await board.toggle(admin, [], first.id)
    shown = await board.toggle(admin, shown.picked, second.id)
    assert shown.picked == [first.id, second.id]
    assert [line.tick.label for line in shown.lines] == [
        f"☑️ {first.number}",
        f"☑️ {second.number}",
    ]
    await corrections.forward(admin, [first.id])  # moved on: from another chat, say
    shown = await board.board(admin, [*shown.picked, "x", True, 123_456])
    assert shown.picked == [second.id]
    with pytest.raises(NotFound, match="không còn chờ"):
        await board.toggle(admin, shown.picked, first.id)
    with pytest.raises(InvalidValue, match="Chưa chọn"):
        await board.approve_picked(await school.actor("HT01"), [])
    outcomes = await board.approve_picked(await school.actor("HT01"), [first.id, second.id])
    assert [o.refusal == "" for o in outcomes] == [True, False]
    assert "chờ Ban quản trị" in outcomes[1].refusal


async def test_a_close_left_half_way_is_concluded_by_the_job_once(school: School, tmp_path) -> None:
    """The value is written and relocked even when the minutes cannot be stored; the job then
    draws them up and sends them, once."""
    await school.lock_nv()
    request = await opened(school)
    item = (await corrections.load_view(request.id)).items[0]
    (tmp_path / "not-a-directory").write_text("")
    broken = FileStore(tmp_path / "not-a-directory")
    done = await corrections.apply_value(
        await school.teacher(), request.id, item.id, "7.5", broken, school.workers
    )
    assert done.state == RequestState.APPLIED and done.closed_at is None
    assert not await Notification.exists(kind="correction.minutes")
    for _run in range(2):
        assert await corrections.expire_sessions(now(), school.store, school.workers) == []
    concluded = await CorrectionRequest.get(id=request.id)
    applied = (await corrections.load_view(request.id)).items[0].applied_at
    assert concluded.minutes_sha256 and concluded.closed_at == applied
    assert school.store.get(concluded.minutes_sha256).startswith(b"%PDF")
    assert await Notification.filter(kind="correction.minutes").count() == 3
    again = await corrections.regenerate_minutes(
        await school.actor("HT01"), request.id, school.workers
    )
    assert again == school.store.get(concluded.minutes_sha256)
