"""A primary subject's levels and periodic scores through the correction flow, in the core
(TT27 Điều 7, khoản 1): the subject teacher asks, the principal approves, the witnesses
confirm, the value is applied under the opening, the minutes and /lichsu name the cell.

Tiểu học Phú Cường, class 4A (grade 4: Toán has a periodic test at every point, Ngoại ngữ 1
at the end of each term only). GV20 is 4A's homeroom teacher and teaches Toán and Tiếng Việt;
GV21 teaches Ngoại ngữ 1 there and nothing else. Hà's term I: Toán Mức GHK1 H, Điểm GHK1 7,
Mức CHK1 H, Điểm CHK1 8; Ngoại ngữ 1 Mức GHK1 H, Mức CHK1 H, Điểm CHK1 6.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core import buttons, clock
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import (
    AuditEvent,
    CellKind,
    ClassClosure,
    CorrectionItem,
    CorrectionRequest,
    Opening,
    PrimaryAssessment,
    RecordRevision,
    RequestState,
    Role,
    SchoolClass,
    Staff,
    Student,
    Subject,
    Term,
)
from core.rules.catalog import SchoolLevel
from core.rules.primary import SubjectLevel, TestPoint
from core.services import corrections, gradebook, locks, roster
from core.services.access import Actor
from core.services.corrections import form
from core.services.corrections.draft import KIND_CODES
from core.services.corrections.minutes import minutes_facts
from core.services.frozen import RecordsFrozen
from core.services.issuance.reissue import reissue_corrected
from core.services.schools import create_school, ensure_year
from core.storage import FileStore
from core.validation import Gender
from tests.corrections.conftest import JPEG, PNG, School
from tests.corrections.drafts import evidence_added, persisted
from tests.corrections.test_flow import pdf_text
from tests.deadlines.conftest import future_year
from tests.portal import PORTAL

HA, HA_ID = "Lê Thu Hà", "001318000020"
MINH = "Đỗ Văn Minh"
END_1 = 2  # Cuối học kì I: the cell index of TestPoint.END_1
MID_1 = 1


@pytest.fixture
async def school(db: str, tmp_path, workers) -> School:
    """Tiểu học Phú Cường (see the module's docstring)."""
    school = await create_school("TH-PC", "Trường Tiểu học Phú Cường", SchoolLevel.PRIMARY)
    year = await ensure_year(school, future_year())
    admin = Actor.command_line(school.id)
    first = int(year.name[:4])
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(HA_ID, HA, dt.date(first - 9, 5, 2), Gender.FEMALE, "4A", 4, 1),
            roster.StudentEntry(
                "001218000021", MINH, dt.date(first - 9, 1, 9), Gender.MALE, "4A", 4, 2
            ),
        ],
    )
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry("HT20", "Phan Hiệu Trưởng", frozenset({Role.PRINCIPAL})),
            roster.StaffEntry("QT20", "Đinh Quản Trị", frozenset({Role.ADMIN})),
            roster.StaffEntry("TT20", "Tạ Thanh Tra", frozenset({Role.INSPECTOR})),
            roster.StaffEntry(
                "GV20",
                "Vương Chủ Nhiệm",
                frozenset({Role.HOMEROOM, Role.SUBJECT_TEACHER}),
                homeroom_class="4A",
            ),
            roster.StaffEntry("GV21", "Hồ Ngoại Ngữ", frozenset({Role.SUBJECT_TEACHER})),
        ],
    )
    subjects = {s.code: s for s in await Subject.filter(school=school)}
    await roster.write_assignments(
        admin,
        year,
        [
            roster.AssignmentEntry("GV20", "4A", subjects["TOAN"].id),
            roster.AssignmentEntry("GV20", "4A", subjects["TV"].id),
            roster.AssignmentEntry("GV21", "4A", subjects["NN1"].id),
        ],
    )
    klass = await SchoolClass.get(year=year, name="4A")
    terms = {t.number: t for t in await Term.filter(year=year)}
    staff = {s.code: s for s in await Staff.filter(school=school)}
    ha = (await Student.get(school=school, full_name=HA)).id

    def entry(code: str, point: TestPoint, score: int | None) -> gradebook.PrimaryEntry:
        subject = subjects[code]
        return gradebook.PrimaryEntry(ha, klass, subject, terms[1], point, SubjectLevel.DONE, score)

    # each teacher enters their own subject (001 Điều 17.2)
    toan = [entry("TOAN", TestPoint.MID_1, 7), entry("TOAN", TestPoint.END_1, 8)]
    await gradebook.write_primary(await Actor.of_staff(staff["GV20"]), toan)
    nn1 = [entry("NN1", TestPoint.MID_1, None), entry("NN1", TestPoint.END_1, 6)]
    await gradebook.write_primary(await Actor.of_staff(staff["GV21"]), nn1)
    return School(
        school,
        year,
        terms,
        {"4A": klass},
        subjects,
        staff,
        {s.full_name: s.id for s in await Student.filter(school=school)},
        admin,
        store=FileStore(tmp_path / "files"),
        workers=workers,
    )


def nn1_draft(school: School, *changes: tuple[CellKind, int, str], **kw) -> corrections.Draft:
    """GV21's request about Hà's Ngoại ngữ 1 of term I."""
    values = {
        "token": corrections.new_token(),
        "class_id": school.classes["4A"].id,
        "student_id": school.students[HA],
        "subject_id": school.subjects["NN1"].id,
        "term_id": school.terms[1].id,
        "changes": tuple(corrections.Change(k, i, v) for k, i, v in changes),
        "reason": "Ghi nhầm kết quả bài kiểm tra cuối học kì I",
        "evidence": school.evidence(PNG, JPEG),
    }
    return corrections.Draft(**(values | kw))


async def nn1_row(school: School, point: TestPoint = TestPoint.END_1) -> PrimaryAssessment:
    return await PrimaryAssessment.get(
        student_id=school.students[HA], subject=school.subjects["NN1"], point=point
    )


async def lock_4a_term1(school: School) -> None:
    scope = await locks.parse_scope(school.year, ["4A", "HK1"])
    await locks.lock(await school.actor("HT20"), scope, now=clock.now())


async def opened(school: School, draft: corrections.Draft) -> CorrectionRequest:
    """Filed by GV21, forwarded, approved and witnessed (4A's homeroom teacher among the
    witnesses, 001 Điều 17.3): its cells are open for GV21."""
    request = await corrections.submit(await school.actor("GV21"), draft, school.store)
    await corrections.forward(await school.actor("QT20"), [request.id])
    request = await corrections.approve(await school.actor("HT20"), request.id)
    witnesses = await request.witnesses.all().prefetch_related("staff")
    assert {w.staff.code for w in witnesses} == {"HT20", "QT20", "TT20", "GV21", "GV20"}
    for code in ("HT20", "QT20", "TT20", "GV21", "GV20"):
        request = await corrections.confirm_witness(await school.actor(code), request.id)
    assert request.state == RequestState.OPEN
    return request


async def applied(school: School) -> CorrectionRequest:
    """Hà's Ngoại ngữ 1 at the end of term I: Mức H → T and Điểm 6 → 9, the whole flow under
    a lock of 4A's term I."""
    await lock_4a_term1(school)
    draft = nn1_draft(school, (CellKind.LEVEL, END_1, "T"), (CellKind.SCORE, END_1, "9"))
    request = await opened(school, draft)
    teacher = await school.actor("GV21")
    for item in (await corrections.load_view(request.id)).items:
        typed = {"T": "Hoàn thành tốt"}.get(item.new, item.new)  # the words are accepted too
        request = await corrections.apply_value(
            teacher, request.id, item.id, typed, school.store, school.workers
        )
    assert request.state == RequestState.APPLIED and request.minutes_sha256
    return request


# ---------------------------------------------------------------------------------------------
# The form


async def columns_of(school: School, teacher: Actor, subject: str, term: int) -> form.Step:
    step = await form.choose_class(
        teacher, (await form.start(teacher)).draft, school.classes["4A"].id
    )
    found = await form.search_student(teacher, persisted(step.draft), "ha")
    student = buttons.FORM_STUDENT.id(found.choices[0].data)
    subjects = await form.choose_student(teacher, persisted(found.draft), student)
    chosen = next(c for c in subjects.choices if c.label == subject)
    subject_id = buttons.FORM_SUBJECT.id(chosen.data)
    terms = await form.choose_subject(teacher, persisted(subjects.draft), subject_id)
    return await form.choose_term(teacher, persisted(terms.draft), school.terms[term].id)


async def test_the_form_offers_the_points_of_the_term_as_the_sheet_heads_them(
    school: School,
) -> None:
    homeroom = await school.actor("GV20")
    step = await form.choose_class(
        homeroom, (await form.start(homeroom)).draft, school.classes["4A"].id
    )
    subjects = await form.choose_student(homeroom, step.draft, school.students[HA])
    assert [c.label for c in subjects.choices] == [
        "Tiếng Việt",
        "Toán",
        "📋 Phẩm chất, năng lực, ngày nghỉ (chủ nhiệm)",
    ]
    toan = await columns_of(school, homeroom, "Toán", 1)
    assert isinstance(toan, form.ColumnChoices)
    assert [c.label for c in toan.choices] == [
        "Mức GHK1 (Hoàn thành)",
        "Điểm GHK1 (7)",
        "Mức CHK1 (Hoàn thành)",
        "Điểm CHK1 (8)",
    ]
    toan_2 = await columns_of(school, homeroom, "Toán", 2)
    assert [c.label for c in toan_2.choices] == [
        "Mức GHK2 ((trống))",
        "Điểm GHK2 ((trống))",
        "Mức CN ((trống))",
        "Điểm CN ((trống))",
    ]
    # Ngoại ngữ 1 has no mid-term test (TT27 Điều 7): no «Điểm GHK1»
    nn1 = await columns_of(school, await school.actor("GV21"), "Ngoại ngữ 1", 1)
    assert [c.label for c in nn1.choices] == [
        "Mức GHK1 (Hoàn thành)",
        "Mức CHK1 (Hoàn thành)",
        "Điểm CHK1 (6)",
    ]
    assert [buttons.FORM_COLUMN.parse(c.data) for c in nn1.choices] == [
        ("l", MID_1),
        ("l", END_1),
        ("s", END_1),
    ]


async def test_a_subject_teacher_files_a_level_and_a_score(school: School) -> None:
    teacher = await school.actor("GV21")
    columns = await columns_of(school, teacher, "Ngoại ngữ 1", 1)
    assert isinstance(columns, form.ColumnChoices)
    by_label = {c.label: c for c in columns.choices}

    score = await form.choose_column(
        teacher,
        persisted(columns.draft),
        *buttons.FORM_COLUMN.parse(by_label["Điểm CHK1 (6)"].data),
    )
    assert (score.column, score.current, score.hint) == ("Điểm CHK1", "6", "số nguyên từ 1 đến 10")
    for typed in ("0", "11", "10.5", "9,5", "chín"):
        with pytest.raises(InvalidValue) as refused:
            await form.enter_value(teacher, persisted(score.draft), typed)
        said = str(refused.value)
        assert f"Điểm kiểm tra định kì «{typed}» không hợp lệ" in said, said
        assert "số nguyên từ 1 đến 10" in said and "Gõ lại" in said, said
    with pytest.raises(InvalidValue, match="trùng giá trị hiện tại"):
        await form.enter_value(teacher, persisted(score.draft), "6")
    taken = await form.enter_value(teacher, persisted(score.draft), " 9 ")
    assert (taken.column, taken.value) == ("Điểm CHK1", "9")

    more = await form.add_cell(teacher, persisted(taken.draft))
    assert [c.label for c in more.choices] == ["Mức GHK1 (Hoàn thành)", "Mức CHK1 (Hoàn thành)"]
    level = await form.choose_column(
        teacher, persisted(more.draft), *buttons.FORM_COLUMN.parse(more.choices[1].data)
    )
    assert (level.column, level.current) == ("Mức CHK1", "Hoàn thành")
    assert "Chưa hoàn thành" in level.hint
    for typed in ("Giỏi", "Tốt", "Đạt", "A", "9"):
        with pytest.raises(InvalidValue) as refused:
            await form.enter_value(teacher, persisted(level.draft), typed)
        said = str(refused.value)
        assert f"Mức đạt được «{typed}» không hợp lệ" in said, said
        assert "Gõ T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành)" in said, said
    for typed in ("T", "t", "HTT", "hoan thanh tot"):
        taken = await form.enter_value(teacher, persisted(level.draft), typed)
        assert taken.value == "Hoàn thành tốt"
    taken = await form.enter_value(teacher, persisted(level.draft), "Hoàn thành tốt")

    reason = await form.to_reason(teacher, persisted(taken.draft))
    files = await form.enter_reason(teacher, persisted(reason.draft), "Chấm nhầm bài kiểm tra")
    draft = await evidence_added(teacher, school, files.draft)
    summary = await form.files_done(teacher, persisted(draft))
    assert summary.subject == "Ngoại ngữ 1" and summary.term == "I"
    assert [(c.column, c.old, c.new) for c in summary.changes] == [
        ("Điểm CHK1", "6", "9"),
        ("Mức CHK1", "Hoàn thành", "Hoàn thành tốt"),
    ]
    sent = await form.send(teacher, persisted(summary.draft), school.store)

    request = await CorrectionRequest.get(id=int(sent.number.removeprefix("SĐ-")))
    assert request.subject_id == school.subjects["NN1"].id
    items = await CorrectionItem.filter(request=request).order_by("id")
    assert [(i.kind, i.index, i.old_value, i.new_value) for i in items] == [
        (CellKind.SCORE, END_1, "6", "9"),
        (CellKind.LEVEL, END_1, "H", "T"),
    ]
    view = await corrections.load_view(request.id)
    assert "môn Ngoại ngữ 1" in view.title()
    card = view.card()
    assert "Môn: Ngoại ngữ 1, học kỳ I" in card
    # the card lists them as the sheet does: the point's level, then its score
    assert card.index("• Cột Mức CHK1: Hoàn thành → <b>Hoàn thành tốt</b>") < card.index(
        "• Cột Điểm CHK1: 6 → <b>9</b>"
    )


async def test_bad_values_are_refused_by_the_core_and_nothing_is_written(
    school: School,
) -> None:
    teacher = await school.actor("GV21")
    sheet = await corrections.load_sheet(
        teacher,
        school.classes["4A"].id,
        school.students[HA],
        school.subjects["NN1"].id,
        school.terms[1].id,
    )
    values = await sheet.values()
    assert values == {
        (CellKind.LEVEL, MID_1): "H",
        (CellKind.LEVEL, END_1): "H",
        (CellKind.SCORE, END_1): "6",
    }
    score = sheet.cell(CellKind.SCORE, END_1)
    for typed in ("0", "11", "10.5", "9,5", "-3", ""):
        with pytest.raises(InvalidValue, match="số nguyên từ 1 đến 10"):
            score.check(typed, values)
    assert score.check("10", values) == "10" and score.check("1", values) == "1"
    with pytest.raises(InvalidValue, match="Mức đạt được «Khá» không hợp lệ"):
        sheet.cell(CellKind.LEVEL, END_1).check("Khá", values)
    assert sheet.cell(CellKind.LEVEL, MID_1).check("Chưa hoàn thành", values) == "C"
    # no mid-term test in Ngoại ngữ 1 (TT27 Điều 7, khoản 1), no term II column in term I
    with pytest.raises(InvalidValue, match="không có bài kiểm tra định kì giữa học kì I"):
        sheet.cell(CellKind.SCORE, MID_1)
    with pytest.raises(InvalidValue, match=r"không có cột này.*Mức GHK1, Mức CHK1, Điểm CHK1"):
        sheet.cell(CellKind.LEVEL, 4)
    with pytest.raises(InvalidValue):
        sheet.cell(CellKind.LEVEL, 9)  # a forged index
    with pytest.raises(InvalidValue, match="không có cột"):
        sheet.cell(CellKind.REGULAR, 1)  # a secondary mark column

    for change in (
        (CellKind.SCORE, END_1, "0"),
        (CellKind.SCORE, END_1, "11"),
        (CellKind.SCORE, END_1, "10.5"),
        (CellKind.SCORE, END_1, "9,5"),
        (CellKind.LEVEL, END_1, "X"),
        (CellKind.LEVEL, END_1, "Hoàn thành tốt"),  # a draft holds the code, never the words
        (CellKind.SCORE, MID_1, "8"),
    ):
        with pytest.raises(InvalidValue):
            await corrections.submit(teacher, nn1_draft(school, change), school.store)
    assert not await CorrectionRequest.exists()
    assert (await nn1_row(school)).score == 6  # nothing written


async def test_only_the_subjects_teacher_may_ask(school: School) -> None:
    nn1_teacher, homeroom = await school.actor("GV21"), await school.actor("GV20")
    step = await form.choose_class(
        nn1_teacher, (await form.start(nn1_teacher)).draft, school.classes["4A"].id
    )
    subjects = await form.choose_student(nn1_teacher, step.draft, school.students[HA])
    assert [c.label for c in subjects.choices] == ["Ngoại ngữ 1"]
    toan = school.subjects["TOAN"].id
    with pytest.raises(PermissionDenied, match="không được phân công dạy môn Toán lớp 4A"):
        await form.choose_subject(nn1_teacher, subjects.draft, toan)
    forged = {**subjects.draft, "subject_id": toan, "term_id": school.terms[1].id}
    with pytest.raises(PermissionDenied, match="không được phân công dạy môn Toán"):
        await form.choose_term(nn1_teacher, forged, school.terms[1].id)
    with pytest.raises(PermissionDenied, match="không được phân công dạy môn Toán"):
        await form.choose_column(nn1_teacher, forged, "s", END_1)
    toan_draft = nn1_draft(school, (CellKind.SCORE, END_1, "9"), subject_id=toan)
    with pytest.raises(PermissionDenied, match="không được phân công dạy môn Toán"):
        await corrections.submit(nn1_teacher, toan_draft, school.store)
    # the homeroom teacher teaches Toán and Tiếng Việt, not Ngoại ngữ 1
    with pytest.raises(PermissionDenied, match="không được phân công dạy môn Ngoại ngữ 1"):
        await corrections.submit(
            homeroom, nn1_draft(school, (CellKind.SCORE, END_1, "9")), school.store
        )
    # forged ids: the existing refusals
    with pytest.raises(NotFound, match="Lớp này không còn"):
        await corrections.submit(
            nn1_teacher,
            nn1_draft(school, (CellKind.SCORE, END_1, "9"), class_id=999_999),
            school.store,
        )
    with pytest.raises(NotFound, match="Môn này không còn"):
        await corrections.submit(
            nn1_teacher,
            nn1_draft(school, (CellKind.SCORE, END_1, "9"), subject_id=999_999),
            school.store,
        )
    with pytest.raises(NotFound, match="không thuộc lớp 4A"):
        await corrections.submit(
            nn1_teacher,
            nn1_draft(school, (CellKind.SCORE, END_1, "9"), student_id=999_999),
            school.store,
        )
    assert not await CorrectionRequest.exists()


# ---------------------------------------------------------------------------------------------
# Approved, witnessed, applied


async def test_applying_an_approved_level_and_score(school: School) -> None:
    await lock_4a_term1(school)
    teacher, ha = await school.actor("GV21"), school.students[HA]
    nn1, term = school.subjects["NN1"], school.terms[1]
    entry = gradebook.PrimaryEntry(
        ha, school.classes["4A"], nn1, term, TestPoint.END_1, SubjectLevel.GOOD, 9
    )
    with pytest.raises(locks.ScopeLocked):  # locked: only a correction opens it
        await gradebook.write_primary(teacher, [entry])

    draft = nn1_draft(school, (CellKind.SCORE, END_1, "9"), (CellKind.LEVEL, END_1, "T"))
    request = await opened(school, draft)
    target = f"primary:{ha}:{nn1.id}:end_1"
    assert (
        await Opening.filter(staff_id=school.staff["GV21"].id, cell=target, closed_at=None).count()
        == 2
    )  # one opening per cell; both cells are the point's row
    view = await corrections.load_view(request.id)
    level, score = view.items
    assert (level.column, level.old, level.new) == ("Mức CHK1", "H", "T")
    assert (score.column, score.old, score.new) == ("Điểm CHK1", "6", "9")

    with pytest.raises(InvalidValue, match="là 9"):
        await corrections.apply_value(
            teacher, request.id, score.id, "8", school.store, school.workers
        )
    with pytest.raises(InvalidValue, match="Điểm kiểm tra định kì «9,5» không hợp lệ"):
        await corrections.apply_value(
            teacher, request.id, score.id, "9,5", school.store, school.workers
        )
    with pytest.raises(PermissionDenied):  # the homeroom teacher witnessed, did not ask
        await corrections.apply_value(
            await school.actor("GV20"), request.id, score.id, "9", school.store, school.workers
        )
    request = await corrections.apply_value(
        teacher, request.id, score.id, "9", school.store, school.workers
    )
    assert request.state == RequestState.OPEN
    row = await nn1_row(school)
    assert (row.level, row.score) == (SubjectLevel.DONE, 9)  # the level kept
    request = await corrections.apply_value(
        teacher, request.id, level.id, "hoàn thành tốt", school.store, school.workers
    )
    assert request.state == RequestState.APPLIED and request.minutes_sha256
    row = await nn1_row(school)
    assert (row.level, row.score, row.term_id) == (SubjectLevel.GOOD, 9, term.id)
    mid = await nn1_row(school, TestPoint.MID_1)
    assert (mid.level, mid.score) == (SubjectLevel.DONE, None)  # the other point untouched
    events = await AuditEvent.filter(action="correction.apply", target=target).order_by("seq")
    assert [(e.before, e.after["value"], e.after["kind"]) for e in events] == [
        ({"value": "6"}, "9", "score"),
        ({"value": "H"}, "T", "level"),
    ]
    with pytest.raises(locks.ScopeLocked):  # relocked at once
        await gradebook.write_primary(teacher, [entry])
    assert not await Opening.filter(cell=target, closed_at=None).exists()


async def test_the_minutes_and_the_history_name_the_cells(school: School) -> None:
    request = await applied(school)
    facts = await minutes_facts(await corrections.load_view(request.id))
    assert (facts.subject, facts.term) == ("Ngoại ngữ 1", "I")
    assert [(i.column, i.old, i.new) for i in facts.items] == [
        ("Mức đạt được cuối học kì I", "Hoàn thành", "Hoàn thành tốt"),
        ("Điểm kiểm tra định kì cuối học kì I", "6", "9"),
    ]
    assert all(i.applied_at is not None for i in facts.items)
    assert [w.name for w in facts.witnesses][-1] == "Vương Chủ Nhiệm"  # the homeroom teacher

    overseer = await school.actor("QT20")
    history = await corrections.history_of(overseer, HA_ID, ["Ngoại", "ngữ", "1"])
    text = history.text()
    assert "primary:" not in text and "end_1" not in text
    by = f"(Hồ Ngoại Ngữ, theo phiếu {request.number})"
    assert (
        f"Ngoại ngữ 1, Mức đạt được cuối học kì I: Hoàn thành → <b>Hoàn thành tốt</b> {by}" in text
    )
    assert f"Ngoại ngữ 1, Điểm kiểm tra định kì cuối học kì I: 6 → <b>9</b> {by}" in text
    # the entry before it, with no request, and the other point
    assert "Ngoại ngữ 1, Điểm kiểm tra định kì cuối học kì I: (trống) → <b>6</b> (Hồ" in text
    assert "Ngoại ngữ 1, Mức đạt được giữa học kì I: (trống) → <b>Hoàn thành</b>" in text
    assert "Toán" not in text
    everything = (await corrections.history_of(overseer, HA_ID, [])).text()
    assert "Toán, Điểm kiểm tra định kì giữa học kì I: (trống) → <b>7</b>" in everything
    assert "Ngoại ngữ 1, Mức đạt được cuối học kì I" in everything
    homeroom_only = (await corrections.history_of(overseer, HA_ID, ["chủ", "nhiệm"])).text()
    assert "Ngoại ngữ 1" not in homeroom_only

    # one column of the sheet: a point's level and score, or either alone
    point = await corrections.history_of(overseer, HA_ID, ["Ngoại", "ngữ", "1", "chk1"])
    assert {(line.kind.value, line.after) for line in point.lines} == {
        ("level", "H"),
        ("level", "T"),
        ("score", "6"),
        ("score", "9"),
    }
    assert "Mức đạt được cuối học kì I và Điểm kiểm tra định kì cuối học kì I" in point.text()
    score = await corrections.history_of(overseer, HA_ID, ["Ngoại", "ngữ", "1", "Điểm", "CHK1"])
    assert [(line.before, line.after) for line in score.lines] == [(None, "6"), ("6", "9")]
    assert (
        "(mã định danh 001318000020): Ngoại ngữ 1, Điểm kiểm tra định kì cuối học kì I"
        in score.text()
    )
    level = await corrections.history_of(overseer, HA_ID, ["Toán", "mức", "GHK1"])
    assert [(line.subject, line.after) for line in level.lines] == [("Toán", "H")]


@pytest.mark.poppler
async def test_the_minutes_pdf_shows_old_and_new_with_their_labels(
    school: School, tmp_path
) -> None:
    request = await applied(school)
    minutes = await corrections.regenerate_minutes(
        await school.actor("HT20"), request.id, school.workers
    )
    text = " ".join(pdf_text(minutes, tmp_path).split())
    for words in (
        "Môn Ngoại ngữ 1, học kỳ I",
        "Mức đạt được cuối học kì I",
        "Điểm kiểm tra định kì cuối học kì I",
        "Hoàn thành tốt",
        "Hồ Ngoại Ngữ",
        "Vương Chủ Nhiệm",
    ):
        assert words in text, words


async def test_a_closed_class_takes_the_corrected_cell_and_leaves_a_revision(
    school: School,
) -> None:
    """001 Điều 25.3: after the close only the correction's cell is written, and its close
    leaves the intent to issue the student's record anew, which the job takes (here no record
    was issued yet: nothing to replace; a primary record's new version is issuance's own
    test)."""
    await ClassClosure.create(school_class=school.classes["4A"], closed_by="test")
    teacher, ha = await school.actor("GV21"), school.students[HA]
    nn1, term = school.subjects["NN1"], school.terms[1]
    entry = gradebook.PrimaryEntry(
        ha, school.classes["4A"], nn1, term, TestPoint.END_1, SubjectLevel.DONE, 9
    )
    with pytest.raises(RecordsFrozen, match="/suadiem"):
        await gradebook.write_primary(teacher, [entry])
    request = await opened(school, nn1_draft(school, (CellKind.SCORE, END_1, "9")))
    beside = gradebook.PrimaryEntry(
        ha, school.classes["4A"], nn1, term, TestPoint.MID_1, SubjectLevel.GOOD, None
    )
    with pytest.raises(RecordsFrozen):  # the open cell is the point's row, not the sheet
        await gradebook.write_primary(teacher, [beside])
    [item] = (await corrections.load_view(request.id)).items
    done = await corrections.apply_value(
        teacher, request.id, item.id, "9", school.store, school.workers
    )
    assert RequestState(done.state) is RequestState.APPLIED
    assert (await nn1_row(school)).score == 9
    with pytest.raises(RecordsFrozen):  # closed again at once
        await gradebook.write_primary(teacher, [entry])
    intent = await RecordRevision.get(request_id=request.id)
    assert intent.done_at is None
    [reissued] = await reissue_corrected(school.workers, PORTAL)  # no record yet: none to replace
    assert (reissued.request_id, reissued.record_id) == (request.id, None)
    assert (await RecordRevision.get(id=intent.id)).done_at is not None


def test_every_cell_kind_has_its_button_code() -> None:
    """The column buttons carry one letter per kind (core.buttons.CELL_KIND), the primary
    ones included, and each still fits the item's varchar(8)."""
    assert set(KIND_CODES) == set(CellKind)
    for kind, code in KIND_CODES.items():
        assert buttons.FORM_COLUMN.parse(buttons.FORM_COLUMN.data(code, 4)) == (code, 4)
        assert len(kind.value) <= 8
    assert CellKind.LEVEL.is_primary and CellKind.SCORE.is_primary
    assert not CellKind.LEVEL.is_homeroom and CellKind.QUALITY.is_homeroom
    assert CellKind.LEVEL.mark_kind is None and not CellKind.REGULAR.is_primary
