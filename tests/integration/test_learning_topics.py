"""The upper-secondary learning-topic result (cụm chuyên đề học tập): its own column, CĐHT,
counted as one more regular assessment of its subject (Thông tư 22/2021, Điều 6 khoản 3 and
Điều 9), only for the subjects with topics (CT GDPT 2018) and only for the students who take
the cluster; never asked for in lower secondary.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core import clock
from core.errors import InvalidValue
from core.importing import import_file
from core.models import Mark, MarkKind, Role, SchoolClass, Staff, Student, Subject, Term
from core.render import xml_record as fmt
from core.render import xml_sheet
from core.rules.catalog import SchoolLevel
from core.rules.secondary import Verdict
from core.services import gradebook, markentry, roster
from core.services.access import Actor
from core.services.corrections.history import history_of
from core.services.progress import class_progress
from core.services.results import class_results
from core.services.schools import create_school, ensure_year
from core.services.templates import grade_sheet_template
from core.validation import Gender
from tests.conftest import DURING_2025_2026
from tests.integration.fixtures_sheets import find, national_id, rejected, xlsx
from tests.on_behalf import enable_on_behalf

D = Decimal
TX, CDHT, GK, CK = MarkKind.REGULAR, MarkKind.TOPIC, MarkKind.MIDTERM, MarkKind.FINAL
AN = national_id(1, 2010)  # takes the maths and music topic clusters
BINH = national_id(2, 2010, female=True)  # takes neither


@pytest.fixture
async def upper(db, admin_of):
    """An upper-secondary school: 10A with An and Bình; GV01 teaches Toán, Âm nhạc and
    Ngoại ngữ 1 there. The clock inside the year, while its gradebook is open."""
    clock.set_time(DURING_2025_2026)
    school = await create_school("THPT-QT", "Trường THPT Quang Trung", SchoolLevel.UPPER_SECONDARY)
    year = await ensure_year(school, "2025-2026")
    admin = admin_of(school)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(
                AN, "Nguyễn Văn An", dt.date(2010, 3, 2), Gender.MALE, "10A", 10, 1
            ),
            roster.StudentEntry(
                BINH, "Trần Thị Bình", dt.date(2010, 5, 6), Gender.FEMALE, "10A", 10, 2
            ),
        ],
    )
    await roster.write_staff(
        admin, year, [roster.StaffEntry("GV01", "Lê Thị Hoa", frozenset({Role.SUBJECT_TEACHER}))]
    )
    subjects = {s.code: s for s in await Subject.filter(school=school)}
    await roster.write_assignments(
        admin,
        year,
        [roster.AssignmentEntry("GV01", "10A", subjects[c].id) for c in ("TOAN", "AN", "NN1")],
    )
    await enable_on_behalf(school.id)  # the admin enters marks for the teacher (nhập hộ)
    return {
        "school": school,
        "year": year,
        "admin": admin,
        "teacher": await Actor.of_staff(await Staff.get(code="GV01")),
        "klass": await SchoolClass.get(year=year, name="10A"),
        "terms": {t.number: t for t in await Term.filter(year=year)},
        "subjects": subjects,
        "an": await Student.get(national_id=AN),
        "binh": await Student.get(national_id=BINH),
    }


def _names(columns: list[tuple[MarkKind, int]]) -> list[str]:
    return [gradebook.mark_column(k, i) for k, i in columns]


@pytest.mark.parametrize(
    ("code", "required", "entry"),
    [
        # Toán, 105 periods: 4 TX (Điều 6 khoản 2 điểm b) and the topic column (khoản 3)
        ("TOAN", "TX1 TX2 TX3 TX4 GK CK", "TX1 TX2 TX3 TX4 CĐHT GK CK"),
        # Lịch sử, 52 periods: 3 TX, with topics
        ("LS", "TX1 TX2 TX3 GK CK", "TX1 TX2 TX3 CĐHT GK CK"),
        # Âm nhạc, comment-only with topics: 2 TX (điểm a) and the topic verdict
        ("AN", "TX1 TX2 GK CK", "TX1 TX2 CĐHT GK CK"),
        # Ngoại ngữ 1 and GDTC have no learning topics
        ("NN1", "TX1 TX2 TX3 TX4 GK CK", "TX1 TX2 TX3 TX4 GK CK"),
        ("GDTC", "TX1 TX2 GK CK", "TX1 TX2 GK CK"),
    ],
)
async def test_columns_of_upper_secondary_subjects(upper, code, required, entry) -> None:
    subject = upper["subjects"][code]
    assert _names(gradebook.mark_columns(subject, 10)) == required.split()
    assert _names(gradebook.entry_columns(subject, 10)) == entry.split()


async def test_lower_secondary_has_no_topic_column(secondary) -> None:
    school, _year = secondary
    maths = await Subject.get(school=school, code="TOAN")
    assert "CĐHT" not in _names(gradebook.entry_columns(maths, 6))
    with pytest.raises(InvalidValue, match="chỉ có ở trung học phổ thông"):
        gradebook.validate_mark(maths, 6, CDHT, 1, "9")


async def test_topic_mark_validation(upper) -> None:
    s = upper["subjects"]
    assert gradebook.validate_mark(s["TOAN"], 10, CDHT, 1, "9,5") == D("9.5")
    assert gradebook.validate_mark(s["AN"], 10, CDHT, 1, "Đạt") is Verdict.PASS
    with pytest.raises(InvalidValue, match="Ngoại ngữ 1 không có cụm chuyên đề học tập"):
        gradebook.validate_mark(s["NN1"], 10, CDHT, 1, "9")
    with pytest.raises(InvalidValue, match="một cột"):
        gradebook.validate_mark(s["TOAN"], 10, CDHT, 2, "9")
    with pytest.raises(InvalidValue, match="điểm từ 0 đến 10"):
        gradebook.validate_mark(s["TOAN"], 10, CDHT, 1, "Đ")
    with pytest.raises(InvalidValue, match="không có cột TX3"):
        gradebook.validate_mark(s["AN"], 10, TX, 3, "Đ")


async def _write(upper, student, code, term, cells) -> None:
    subject = upper["subjects"][code]
    entries = [
        gradebook.MarkEntry(
            student.id,
            upper["klass"],
            subject,
            upper["terms"][term],
            kind,
            index,
            gradebook.validate_mark(subject, 10, kind, index, value),
        )
        for (kind, index), value in cells.items()
    ]
    await gradebook.write_marks(upper["admin"], entries)


def _result(row, code):
    return next(r for r in row.subjects if r.subject.code == code)


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        # no topic: (6 + 7 + 8 + 9 + 2*7 + 3*7) / (4 + 5) = 65 / 9 = 7.22 -> 7.2
        (None, "7.2"),
        # topic 10, one more regular mark: (30 + 10 + 14 + 21) / (4 + 1 + 5) = 75 / 10 = 7.5
        ("10", "7.5"),
        # topic 0: (30 + 0 + 35) / 10 = 6.5
        ("0", "6.5"),
    ],
)
async def test_a_topic_result_is_one_more_regular_mark_of_the_term(upper, topic, expected) -> None:
    """TT22 Điều 6 khoản 3 (the topic result is one regular assessment) and Điều 9 (ĐTBmhk =
    (sum of regular + 2 GK + 3 CK) / (number of regular + 5))."""
    cells = {(TX, 1): "6", (TX, 2): "7", (TX, 3): "8", (TX, 4): "9", (GK, 1): "7", (CK, 1): "7"}
    if topic is not None:
        cells[CDHT, 1] = topic
    await _write(upper, upper["an"], "TOAN", 1, cells)
    results = await class_results(upper["admin"], upper["klass"])
    an = results.rows[0]
    assert _result(an, "TOAN").term1 == D(expected)
    assert not any(gap.startswith("Toán HKI:") for gap in an.missing)


async def test_the_topic_column_is_never_missing(upper) -> None:
    """Only the students of the cluster have it: Bình without it has a complete term, and
    progress (what reminders are built from) never asks for CĐHT."""
    full = {(TX, 1): "8", (TX, 2): "8", (TX, 3): "8", (TX, 4): "8", (GK, 1): "8", (CK, 1): "8"}
    await _write(upper, upper["an"], "TOAN", 1, {**full, (CDHT, 1): "9"})
    await _write(upper, upper["binh"], "TOAN", 1, {(TX, 1): "8"})
    results = await class_results(upper["admin"], upper["klass"])
    an, binh = results.rows
    assert _result(an, "TOAN").term1 == D("8.1")  # (32 + 9 + 16 + 24) / 10
    assert _result(binh, "TOAN").term1 is None
    assert "Toán HKI: TX2, TX3, TX4, GK, CK" in binh.missing
    progress = await class_progress(
        upper["admin"], upper["klass"], now=dt.datetime(2025, 12, 1, tzinfo=dt.UTC), terms=[1]
    )
    maths = next(s for s in progress.sheets if s.subject_name == "Toán")
    assert [g.column for g in maths.gaps] == ["TX2", "TX3", "TX4", "GK", "CK"]
    assert all(g.students == (g.students[0],) for g in maths.gaps)  # Bình only


@pytest.mark.parametrize(
    ("topic", "expected"),
    [(None, Verdict.PASS), ("Đ", Verdict.PASS), ("CĐ", Verdict.FAIL)],
)
async def test_a_comment_subject_topic_verdict_is_one_more_regular_verdict(
    upper, topic, expected
) -> None:
    """Âm nhạc: 2 regular verdicts (Điều 6 khoản 2 điểm a), the topic verdict when the student
    has one (khoản 3), GK and CK; Đạt needs every one Đạt (Điều 9 khoản 1)."""
    cells = {(TX, 1): "Đ", (TX, 2): "Đ", (GK, 1): "Đ", (CK, 1): "Đ"}
    if topic is not None:
        cells[CDHT, 1] = topic
    await _write(upper, upper["an"], "AN", 2, cells)
    results = await class_results(upper["admin"], upper["klass"])
    assert _result(results.rows[0], "AN").term2 is expected


async def test_import_of_a_sheet_with_the_topic_column(upper, workers) -> None:
    header = (
        "Lớp",
        "Mã định danh",
        "Môn",
        "Học kỳ",
        "TX1",
        "TX2",
        "TX3",
        "TX4",
        "CĐHT",
        "GK",
        "CK",
    )
    rows = [
        header,
        ("10A", AN, "Toán", "I", 6, 7, 8, 9, 10, 7, 7),
        ("10A", BINH, "Toán", "I", 6, 7, 8, 9, None, 7, 7),
        ("10A", AN, "Âm nhạc", "II", "Đ", "Đ", None, None, "CĐ", "Đ", "Đ"),
    ]
    report = await import_file(
        upper["admin"], upper["year"], "marks", xlsx({"Điểm": rows}), "d.xlsx", workers=workers
    )
    assert report.parts["marks"].created == 7 + 6 + 5
    topic = await Mark.get(student=upper["an"], subject=upper["subjects"]["TOAN"], kind=CDHT)
    assert (topic.index, topic.score) == (1, D(10))
    assert not await Mark.exists(student=upper["binh"], kind=CDHT)
    music = await Mark.get(student=upper["an"], subject=upper["subjects"]["AN"], kind=CDHT)
    assert music.verdict is Verdict.FAIL
    results = await class_results(upper["admin"], upper["klass"])
    an, binh = results.rows
    assert (_result(an, "TOAN").term1, _result(binh, "TOAN").term1) == (D("7.5"), D("7.2"))
    assert _result(an, "AN").term2 is Verdict.FAIL


async def test_import_refuses_the_topic_column_of_a_subject_without_topics(upper, workers) -> None:
    rows = [
        ("Lớp", "Mã định danh", "Môn", "Học kỳ", "TX1", "Chuyên đề học tập"),
        ("10A", AN, "Toán", "I", 8, 9),
        ("10A", AN, "Ngoại ngữ 1", "I", 8, 9),
    ]
    problems = await rejected(
        upper["admin"], upper["year"], "marks", xlsx({"Điểm": rows}), "d.xlsx", workers
    )
    problem = find(problems, row=3, phrase="không có cụm chuyên đề học tập")
    assert problem.column == "Chuyên đề học tập"
    assert "TX1, TX2, TX3, TX4, GK, CK" in problem.expected  # the columns Ngoại ngữ 1 has
    assert len(problems) == 1


async def test_import_refuses_the_topic_column_in_lower_secondary(secondary, admin_of, workers):
    school, year = secondary
    admin = admin_of(school)
    await roster.write_students(
        admin,
        year,
        [roster.StudentEntry(AN, "Nguyễn Văn An", dt.date(2014, 3, 2), Gender.MALE, "6A", 6, 1)],
    )
    rows = [("Lớp", "Mã định danh", "Môn", "Học kỳ", "TX1", "CĐHT"), ("6A", AN, "Toán", "I", 8, 9)]
    problems = await rejected(admin, year, "marks", xlsx({"Điểm": rows}), "d.xlsx", workers)
    problem = find(problems, row=2, phrase="chỉ có ở trung học phổ thông")
    assert problem.column == "CĐHT" and len(problems) == 1


def _sheet_rows(data: bytes, sheet: str) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


async def test_grade_sheet_offers_the_topic_column_and_reads_it_back(upper, workers) -> None:
    teacher, klass, term = upper["teacher"], upper["klass"], upper["terms"][1]
    template = await grade_sheet_template(
        teacher, klass, upper["subjects"]["TOAN"], term, workers=workers
    )
    lines = _sheet_rows(template.data, "Bảng điểm")
    assert lines[4][3:] == ("TX1", "TX2", "TX3", "TX4", "CĐHT", "GK", "CK", "Nhận xét")
    guide = [line[0] for line in _sheet_rows(template.data, "Hướng dẫn")]
    assert any("CĐHT" in line and "cụm chuyên đề" in line for line in guide)
    book = load_workbook(io.BytesIO(template.data))
    book["Bảng điểm"]["H6"] = 9  # An's CĐHT
    out = io.BytesIO()
    book.save(out)
    report = await import_file(
        teacher, upper["year"], "marks", out.getvalue(), template.filename, workers=workers
    )
    assert report.parts["marks"].created == 1
    assert (await Mark.get(student=upper["an"], kind=CDHT)).score == D(9)

    english = await grade_sheet_template(
        teacher, klass, upper["subjects"]["NN1"], term, workers=workers
    )
    assert "CĐHT" not in _sheet_rows(english.data, "Bảng điểm")[4]


async def test_single_mark_entry_offers_and_writes_the_topic_column(upper) -> None:
    teacher, klass = upper["teacher"], upper["klass"]
    maths, english = upper["subjects"]["TOAN"], upper["subjects"]["NN1"]
    await markentry.choose_sheet(teacher, klass.id, maths.id)
    columns = await markentry.choose_term(
        teacher, {"class_id": klass.id, "subject_id": maths.id}, 1
    )
    assert [c.label for c in columns.choices] == ["TX1", "TX2", "TX3", "TX4", "CĐHT", "GK", "CK"]
    students = await markentry.choose_column(teacher, columns.draft, "t", 1)
    asked = await markentry.choose_student(teacher, students.draft, upper["an"].id)
    confirm = await markentry.type_value(teacher, asked.draft, "8,5")
    saved = await markentry.save(teacher, confirm.draft)
    assert saved.what == "CĐHT" and saved.changed
    assert (await Mark.get(student=upper["an"], kind=CDHT)).score == D("8.5")

    draft = {"class_id": klass.id, "subject_id": english.id, "term": 1}
    with pytest.raises(InvalidValue, match="không có cột CĐHT"):
        await markentry.choose_column(teacher, draft, "t", 1)


async def test_a_topic_mark_has_a_history(upper) -> None:
    """/lichsu reads the column back from the audit log: CĐHT names the topic column."""
    await _write(upper, upper["an"], "TOAN", 1, {(CDHT, 1): "9"})
    found = await history_of(upper["admin"], AN, ["Toán", "cđht"])
    assert [(line.kind, line.index, line.after) for line in found.lines] == [(CDHT, 1, "9")]
    assert "CĐHT" in found.text()


def test_the_record_format_carries_the_topic_column() -> None:
    """The term sheet's marks keep their column (hocba.xsd, CotDiem): CĐHT is one of them."""
    school = fmt.SchoolInfo("THPT-QT", "Trường THPT Quang Trung", "THPT", "Ninh Bình", "")
    row = xml_sheet.SheetRow(1, AN, "Nguyễn Văn An", (("TX1", "6.0"), ("CĐHT", "10.0")), "7.5")
    teacher = fmt.ListedSigner("gvbm", "Lê Thị Hoa", "ab" * 32)  # who signs it (Điều 24.5a)
    sheet = xml_sheet.SubjectSheet(
        school, "2025-2026", "10A", "TOAN", "Toán", "1", "Lê Thị Hoa", (row,), (teacher,)
    )
    root = fmt.parse_own(xml_sheet.build_sheet(sheet))
    assert [e.get("cot") for e in root.iter(f"{{{fmt.NS}}}diem")] == ["TX1", "CĐHT"]
    bad = xml_sheet.SheetRow(1, AN, "Nguyễn Văn An", (("CĐ", "10.0"),), "7.5")
    with pytest.raises(InvalidValue, match="định dạng"):
        xml_sheet.build_sheet(replace(sheet, rows=(bad,)))
