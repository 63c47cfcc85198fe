"""The homeroom teacher's cells through the correction flow, in the core: conduct and days absent
(secondary), qualities and competencies (primary) become correctable cells like marks.

The small school of tests/corrections: GV03 is 6A's homeroom teacher and teaches nothing; Bình's
term I conduct is Tốt, her days absent 1 with permission and 0 without. GV02 teaches Ngữ văn in
6A and is not its homeroom teacher.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core import buttons, clock
from core.errors import InvalidValue, PermissionDenied
from core.models import (
    Absence,
    CellKind,
    Conduct,
    CorrectionItem,
    CorrectionRequest,
    LateAllowance,
    MarkKind,
    Opening,
    QualityAssessment,
    RequestState,
    Role,
    SchoolClass,
    Staff,
    Student,
    Term,
)
from core.rules.catalog import SchoolLevel
from core.rules.primary import QualityLevel, TestPoint
from core.rules.secondary import Level
from core.services import corrections, gradebook, locks, roster
from core.services.access import Actor
from core.services.corrections import form
from core.services.corrections.minutes import minutes_facts
from core.services.schools import create_school, ensure_year
from core.storage import FileStore
from core.validation import Gender
from tests.corrections.conftest import PNG, School
from tests.corrections.drafts import evidence_added, persisted
from tests.corrections.test_flow import pdf_text
from tests.deadlines.conftest import future_year

BINH = "Trần Thị Bình"
BINH_ID = "001314000002"
HOMEROOM_CHOICE = "📋 Rèn luyện, ngày nghỉ (chủ nhiệm)"


async def homeroom_teacher(school: School) -> Actor:
    return await school.actor("GV03")


def homeroom_draft(school: School, *changes: tuple[CellKind, int, str], **kw) -> corrections.Draft:
    """GV03's request about Bình's term I homeroom data (no subject)."""
    return school.draft(*changes, subject_id=None, reason="Ghi nhầm theo sổ đầu bài", **kw)


async def lock_6a_term1(school: School) -> None:
    """The principal locks class 6A's term I: the homeroom data are in that scope."""
    scope = await locks.parse_scope(school.year, ["6A", "HK1"])
    await locks.lock(await school.actor("HT01"), scope, now=clock.now())


async def opened(school: School, draft: corrections.Draft) -> CorrectionRequest:
    """Filed by GV03, forwarded, approved and witnessed: its cells are open."""
    request = await corrections.submit(await homeroom_teacher(school), draft, school.store)
    await corrections.forward(await school.actor("QT01"), [request.id])
    request = await corrections.approve(await school.actor("HT01"), request.id)
    witnesses = await request.witnesses.all().prefetch_related("staff")
    assert {w.staff.code for w in witnesses} == {"HT01", "QT01", "TT01", "GV03"}
    for code in ("HT01", "QT01", "TT01", "GV03"):
        request = await corrections.confirm_witness(await school.actor(code), request.id)
    assert request.state == RequestState.OPEN
    return request


async def test_the_form_from_class_to_submission_for_a_conduct_cell(school: School) -> None:
    teacher = await homeroom_teacher(school)
    step = await form.start(teacher)
    assert [c.label for c in step.choices] == ["6A"]  # the class they lead, though they teach none
    step = await form.choose_class(teacher, persisted(step.draft), school.classes["6A"].id)
    found = await form.search_student(teacher, persisted(step.draft), "binh")
    student = buttons.FORM_STUDENT.id(found.choices[0].data)
    subjects = await form.choose_student(teacher, persisted(found.draft), student)
    assert [c.label for c in subjects.choices] == [HOMEROOM_CHOICE]
    buttons.FORM_HOMEROOM.parse(subjects.choices[0].data)
    terms = await form.choose_homeroom(teacher, persisted(subjects.draft))
    columns = await form.choose_term(teacher, persisted(terms.draft), school.terms[1].id)
    assert isinstance(columns, form.ColumnChoices)
    assert [c.label for c in columns.choices] == [
        "Rèn luyện (Tốt)",
        "Nghỉ có phép (1)",
        "Nghỉ không phép (0)",
    ]

    kind, index = buttons.FORM_COLUMN.parse(columns.choices[0].data)
    asked = await form.choose_column(teacher, persisted(columns.draft), kind, index)
    assert (asked.column, asked.current) == ("Rèn luyện", "Tốt")
    assert "Chưa đạt" in asked.hint
    with pytest.raises(InvalidValue, match="trùng giá trị hiện tại"):
        await form.enter_value(teacher, persisted(asked.draft), "tot")
    taken = await form.enter_value(teacher, persisted(asked.draft), "kha")
    assert (taken.column, taken.value) == ("Rèn luyện", "Khá")

    more = await form.add_cell(teacher, persisted(taken.draft))
    assert [c.label for c in more.choices] == ["Nghỉ có phép (1)", "Nghỉ không phép (0)"]
    reason = await form.to_reason(teacher, persisted(taken.draft))
    files = await form.enter_reason(teacher, persisted(reason.draft), "Ghi nhầm mức rèn luyện")
    draft = await evidence_added(teacher, school, files.draft)
    summary = await form.files_done(teacher, persisted(draft))
    assert summary.subject is None
    assert [(c.column, c.old, c.new) for c in summary.changes] == [("Rèn luyện", "Tốt", "Khá")]
    sent = await form.send(teacher, persisted(summary.draft), school.store)

    request = await CorrectionRequest.get(id=int(sent.number.removeprefix("SĐ-")))
    assert request.subject_id is None and request.teacher_id == school.staff["GV03"].id
    items = await CorrectionItem.filter(request=request).values_list(
        "kind", "old_value", "new_value"
    )
    assert items == [(CellKind.CONDUCT, "T", "K")]
    view = await corrections.load_view(request.id)
    assert "dữ liệu chủ nhiệm" in view.title()
    assert "Dữ liệu của giáo viên chủ nhiệm, học kỳ I" in view.card()
    assert "• Rèn luyện: Tốt → <b>Khá</b>" in view.card()


async def test_a_subject_teacher_who_is_not_the_homeroom_teacher_is_refused(
    school: School,
) -> None:
    teacher = await school.teacher()  # GV02: Ngữ văn in 6A, not its homeroom teacher
    step = await form.choose_class(
        teacher, (await form.start(teacher)).draft, school.classes["6A"].id
    )
    subjects = await form.choose_student(teacher, step.draft, school.students[BINH])
    assert [c.label for c in subjects.choices] == ["Ngữ văn"]
    with pytest.raises(PermissionDenied, match="Chỉ giáo viên chủ nhiệm lớp 6A"):
        await form.choose_homeroom(teacher, subjects.draft)
    forged = {**subjects.draft, "homeroom": True, "term_id": school.terms[1].id}
    with pytest.raises(PermissionDenied, match="Chỉ giáo viên chủ nhiệm lớp 6A"):
        await form.choose_term(teacher, forged, school.terms[1].id)
    with pytest.raises(PermissionDenied, match="Chỉ giáo viên chủ nhiệm lớp 6A"):
        await corrections.submit(
            teacher, homeroom_draft(school, (CellKind.CONDUCT, 1, "K")), school.store
        )
    assert not await CorrectionRequest.exists()
    # and the homeroom teacher is refused a subject they do not teach
    with pytest.raises(PermissionDenied, match="không được phân công dạy môn Ngữ văn"):
        await form.choose_subject(
            await homeroom_teacher(school), subjects.draft, school.subjects["NV"].id
        )


async def test_a_value_out_of_the_scale_is_refused_at_its_step(school: School) -> None:
    teacher = await homeroom_teacher(school)
    sheet = await corrections.load_sheet(
        teacher, school.classes["6A"].id, school.students[BINH], None, school.terms[1].id
    )
    values = await sheet.values()
    conduct = sheet.cell(CellKind.CONDUCT, 1)
    with pytest.raises(InvalidValue, match="Kết quả rèn luyện «Giỏi» không hợp lệ"):
        conduct.check("Giỏi", values)
    excused = sheet.cell(CellKind.EXCUSED, 1)
    for typed, why in (
        ("-2", "không thể âm"),
        ("2,5", "số nguyên"),
        ("500", "nhiều hơn số ngày học"),
        ("ba", "không phải một số"),
    ):
        with pytest.raises(InvalidValue, match=why):
            excused.check(typed, values)
    assert excused.check("3", values) == "3"
    with pytest.raises(InvalidValue, match="không có cột"):  # no qualities in secondary school
        sheet.cell(CellKind.QUALITY, 1)
    # the form refuses it at the value step, and the step stays
    draft = {
        "token": corrections.new_token(),
        "class_id": school.classes["6A"].id,
        "student_id": school.students[BINH],
        "homeroom": True,
        "term_id": school.terms[1].id,
        "pending": [CellKind.CONDUCT.value, 1],
    }
    with pytest.raises(InvalidValue, match="không hợp lệ"):
        await form.enter_value(teacher, draft, "Xuất sắc")
    # and submit checks it again
    with pytest.raises(InvalidValue, match="không hợp lệ"):
        await corrections.submit(
            teacher, homeroom_draft(school, (CellKind.UNEXCUSED, 1, "-1")), school.store
        )
    assert not await CorrectionRequest.exists()


async def test_applying_an_approved_absence_change(school: School) -> None:
    await lock_6a_term1(school)
    teacher = await homeroom_teacher(school)
    binh, term = school.students[BINH], school.terms[1]
    entry = gradebook.AbsenceEntry(binh, school.classes["6A"], term, 3, 0)
    with pytest.raises(locks.ScopeLocked):  # locked: only a correction opens it
        await gradebook.write_absences(teacher, [entry])

    request = await opened(school, homeroom_draft(school, (CellKind.EXCUSED, 1, "3")))
    assert await Opening.filter(
        staff_id=school.staff["GV03"].id, cell=f"absence:{binh}:{term.id}", closed_at=None
    ).exists()
    view = await corrections.load_view(request.id)
    (item,) = view.items
    assert (item.column, item.old, item.new) == ("Nghỉ có phép", "1", "3")
    with pytest.raises(InvalidValue, match="là 3"):
        await corrections.apply_value(
            teacher, request.id, item.id, "4", school.store, school.workers
        )
    with pytest.raises(PermissionDenied):
        await corrections.apply_value(
            await school.teacher(), request.id, item.id, "3", school.store, school.workers
        )
    request = await corrections.apply_value(
        teacher, request.id, item.id, " 3 ", school.store, school.workers
    )
    assert request.state == RequestState.APPLIED and request.minutes_sha256
    absence = await Absence.get(student_id=binh, term=term)
    assert (absence.excused, absence.unexcused) == (3, 0)  # the other count kept
    with pytest.raises(locks.ScopeLocked):  # relocked at once
        await gradebook.write_absences(teacher, [entry])

    history = await corrections.history_of(await school.actor("QT01"), BINH_ID, ["chủ", "nhiệm"])
    text = history.text()
    assert "dữ liệu chủ nhiệm" in text.split("\n")[0]
    assert "absence:" not in text and "Ngữ văn" not in text
    assert "Số ngày nghỉ có phép học kỳ I: 1 → <b>3</b> (Ngô Chủ Nhiệm, theo phiếu" in text
    assert "Rèn luyện học kỳ I: (trống) → <b>Tốt</b>" in text
    everything = (await corrections.history_of(await school.actor("QT01"), BINH_ID, [])).text()
    assert "Ngữ văn, học kỳ I, ĐĐGtx 1" in everything and "Rèn luyện học kỳ I" in everything


async def applied_conduct_and_absence(school: School) -> CorrectionRequest:
    """GV03's request on Bình's conduct (Tốt → Khá) and days absent without permission (0 →
    2), through the whole flow."""
    await lock_6a_term1(school)
    teacher = await homeroom_teacher(school)
    draft = homeroom_draft(school, (CellKind.CONDUCT, 1, "K"), (CellKind.UNEXCUSED, 1, "2"))
    request = await opened(school, draft)
    for item in (await corrections.load_view(request.id)).items:
        request = await corrections.apply_value(
            teacher, request.id, item.id, item.new, school.store, school.workers
        )
    assert request.state == RequestState.APPLIED
    return request


async def test_the_minutes_name_the_cell_in_words(school: School) -> None:
    request = await applied_conduct_and_absence(school)
    conduct = await Conduct.get(student_id=school.students[BINH], term=school.terms[1])
    assert conduct.level == Level.FAIR
    absence = await Absence.get(student_id=school.students[BINH], term=school.terms[1])
    assert (absence.excused, absence.unexcused) == (1, 2)  # the count with permission kept
    facts = await minutes_facts(await corrections.load_view(request.id))
    assert facts.subject == ""
    assert [(i.column, i.old, i.new) for i in facts.items] == [
        ("Rèn luyện học kỳ I", "Tốt", "Khá"),
        ("Số ngày nghỉ không phép học kỳ I", "0", "2"),
    ]
    assert [w.name for w in facts.witnesses][-1] == "Ngô Chủ Nhiệm"  # the homeroom teacher


@pytest.mark.poppler
async def test_the_minutes_pdf_names_the_cell_in_words(school: School, tmp_path) -> None:
    request = await applied_conduct_and_absence(school)
    minutes = await corrections.regenerate_minutes(
        await school.actor("HT01"), request.id, school.workers
    )
    text = " ".join(pdf_text(minutes, tmp_path).split())
    for words in (
        "Dữ liệu của giáo viên chủ nhiệm, học kỳ I",
        "Rèn luyện học kỳ I",
        "Số ngày nghỉ không phép học kỳ I",
        "Ngô Chủ Nhiệm",
        "Khá",
    ):
        assert words in text, words


async def test_after_the_cut_off_the_principal_lets_one_homeroom_request_through(
    school: School, clock_at
) -> None:
    clock_at(f"26/01/{school.year.name[5:]}")  # term I locks in 3 days: the cut-off has passed
    teacher = await homeroom_teacher(school)
    draft = homeroom_draft(school, (CellKind.CONDUCT, 1, "K"))
    with pytest.raises(corrections.PastCutoff, match="quá hạn"):
        await corrections.submit(teacher, draft, school.store)
    cell = await corrections.load_cell(
        teacher,
        school.classes["6A"].id,
        school.students[BINH],
        None,
        school.terms[1].id,
        CellKind.CONDUCT,
    )
    asked = await corrections.ask_late(teacher, cell, clock.now())
    assert asked.subject_id is None
    await corrections.grant_late(await school.actor("HT01"), asked.id, clock.now())
    request = await corrections.submit(teacher, draft, school.store)
    assert (await LateAllowance.get(id=asked.id)).used_by_request_id == request.id


def test_every_mark_column_is_a_cell_kind() -> None:
    """A request's item names a mark column by its MarkKind value (and the rows stored before
    homeroom cells existed keep reading)."""
    for kind in MarkKind:
        assert CellKind(kind.value).mark_kind is kind
    assert all(len(kind.value) <= 8 for kind in CellKind)  # the column's varchar(8)
    assert CellKind.CONDUCT.mark_kind is None


# ---------------------------------------------------------------------------------------------
# A primary school: qualities and competencies instead of conduct


@pytest.fixture
async def primary_class(db: str, tmp_path, workers) -> School:
    """Tiểu học An Hồng, class 3A: GV10 its homeroom teacher, Hà's term I «Chăm chỉ» Đạt."""
    school = await create_school("TH-AH", "Trường Tiểu học An Hồng", SchoolLevel.PRIMARY)
    year = await ensure_year(school, future_year())
    admin = Actor.command_line(school.id)
    first = int(year.name[:4])
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(
                "001318000010", "Lê Thu Hà", dt.date(first - 8, 5, 2), Gender.FEMALE, "3A", 3, 1
            )
        ],
    )
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry("HT10", "Phan Hiệu Trưởng", frozenset({Role.PRINCIPAL})),
            roster.StaffEntry("QT10", "Đinh Quản Trị", frozenset({Role.ADMIN})),
            roster.StaffEntry("TT10", "Tạ Thanh Tra", frozenset({Role.INSPECTOR})),
            roster.StaffEntry(
                "GV10", "Vương Chủ Nhiệm", frozenset({Role.HOMEROOM}), homeroom_class="3A"
            ),
        ],
    )
    klass = await SchoolClass.get(year=year, name="3A")
    term = await Term.get(year=year, number=1)
    ha = await Student.get(school=school, full_name="Lê Thu Hà")
    homeroom = await Actor.of_staff(await Staff.get(code="GV10"))  # 001 Điều 17.2: their own
    await gradebook.write_qualities(
        homeroom,
        [
            gradebook.QualityEntry(
                ha.id, klass, term, TestPoint.END_1, "CHAM_CHI", QualityLevel.PASS
            ),
            gradebook.QualityEntry(
                ha.id, klass, term, TestPoint.END_1, "YEU_NUOC", QualityLevel.GOOD
            ),
        ],
    )
    built = School(
        school,
        year,
        {t.number: t for t in await Term.filter(year=year)},
        {"3A": klass},
        {},
        {s.code: s for s in await Staff.filter(school=school)},
        {"Lê Thu Hà": ha.id},
        admin,
        store=FileStore(tmp_path / "files"),
        workers=workers,
    )
    return built


async def test_a_quality_is_corrected_in_a_primary_school(primary_class: School) -> None:
    school = primary_class
    teacher = await school.actor("GV10")
    klass, ha, term = school.classes["3A"], school.students["Lê Thu Hà"], school.terms[1]
    step = await form.choose_class(teacher, (await form.start(teacher)).draft, klass.id)
    subjects = await form.choose_student(teacher, step.draft, ha)
    assert [c.label for c in subjects.choices] == ["📋 Phẩm chất, năng lực, ngày nghỉ (chủ nhiệm)"]
    terms = await form.choose_homeroom(teacher, subjects.draft)
    columns = await form.choose_term(teacher, terms.draft, term.id)
    labels = [c.label for c in columns.choices]
    assert labels[:4] == [
        "Nghỉ có phép ((trống))",
        "Nghỉ không phép ((trống))",
        "Yêu nước (Tốt)",
        "Nhân ái ((trống))",
    ]
    assert "Chăm chỉ (Đạt)" in labels and len(labels) == 2 + 15
    assert not any("Rèn luyện" in label for label in labels)  # TT27: no conduct result
    chosen = next(c for c in columns.choices if c.label == "Chăm chỉ (Đạt)")
    asked = await form.choose_column(
        teacher, columns.draft, *buttons.FORM_COLUMN.parse(chosen.data)
    )
    with pytest.raises(InvalidValue, match="Mức phẩm chất, năng lực «Khá» không hợp lệ"):
        await form.enter_value(teacher, asked.draft, "Khá")
    taken = await form.enter_value(teacher, asked.draft, "tốt")
    assert taken.value == "Tốt"

    scope = await locks.parse_scope(school.year, ["3A", "HK1"])
    await locks.lock(await school.actor("HT10"), scope, now=clock.now())
    draft = corrections.Draft(
        token=corrections.new_token(),
        class_id=klass.id,
        student_id=ha,
        subject_id=None,
        term_id=term.id,
        changes=(corrections.Change(CellKind.QUALITY, 3, "T"),),
        reason="Ghi nhầm mức Chăm chỉ",
        evidence=school.evidence(PNG),
    )
    request = await corrections.submit(teacher, draft, school.store)
    item = await CorrectionItem.get(request=request)
    assert (item.kind, item.quality, item.old_value, item.new_value) == (
        CellKind.QUALITY,
        "CHAM_CHI",
        "Đ",
        "T",
    )
    await corrections.forward(await school.actor("QT10"), [request.id])
    await corrections.approve(await school.actor("HT10"), request.id)
    for code in ("HT10", "QT10", "TT10", "GV10"):
        await corrections.confirm_witness(await school.actor(code), request.id)
    request = await corrections.apply_value(
        teacher, request.id, item.id, "T", school.store, school.workers
    )
    assert request.state == RequestState.APPLIED
    stored = await QualityAssessment.get(student_id=ha, point=TestPoint.END_1, quality="CHAM_CHI")
    assert stored.level == QualityLevel.GOOD
    facts = await minutes_facts(await corrections.load_view(request.id))
    assert [(i.column, i.old, i.new) for i in facts.items] == [
        ("Chăm chỉ (cuối học kì I)", "Đạt", "Tốt")
    ]
