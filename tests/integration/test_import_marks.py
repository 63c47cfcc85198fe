"""Importing marks: the long sheet, the per-class-subject template, primary assessments, rights."""

from __future__ import annotations

import gc
from decimal import Decimal

import pytest

from core.errors import PermissionDenied
from core.importing import import_file
from core.importing.rows import RowView
from core.models import (
    AuditEvent,
    Comment,
    Mark,
    MarkKind,
    PrimaryAssessment,
    Staff,
    Subject,
)
from core.rules.primary import SubjectLevel, TestPoint
from core.rules.secondary import Verdict
from core.services.access import Actor
from tests.integration.fixtures_sheets import (
    AN,
    BINH,
    CHI,
    DUNG,
    counts,
    find,
    national_id,
    rejected,
    seed,
    students_xlsx,
    xlsx,
)
from tests.on_behalf import enable_on_behalf

HEADER = (
    "Lớp",
    "Mã định danh",
    "Họ và tên",
    "Môn",
    "Học kỳ",
    "TX1",
    "TX2",
    "TX3",
    "TX4",
    "GK",
    "CK",
)


@pytest.fixture
async def school(secondary, admin_of, workers):
    school, year = secondary
    admin = admin_of(school)
    await seed(admin, year, workers=workers)
    await enable_on_behalf(school.id)  # the admin imports the teachers' marks (nhập hộ)
    return school, year, admin


async def _marks(national_id: str, subject: str, term: int) -> dict[str, object]:
    marks = await Mark.filter(
        student__national_id=national_id, subject__code=subject, term__number=term
    )
    columns = {MarkKind.REGULAR: "TX", MarkKind.MIDTERM: "GK", MarkKind.FINAL: "CK"}
    return {
        columns[m.kind] + (str(m.index) if m.kind is MarkKind.REGULAR else ""): (
            m.score if m.score is not None else m.verdict
        )
        for m in marks
    }


def _template(rows, *, klass="6A", subject="Toán", term="I") -> bytes:
    """The sheet the bot sends a teacher: titles above a two-row header, "Điểm ĐĐGtx" merged
    over TX1..TX4."""
    sheet = [
        ["TRƯỜNG THCS ĐẠI AN", None, None, None, None, None, None, None, None],
        ["BẢNG ĐIỂM ĐÁNH GIÁ ĐỊNH KỲ VÀ THƯỜNG XUYÊN"],
        [f"Lớp: {klass}", None, f"Môn: {subject}", None, f"Học kỳ: {term}"],
        [],
        ["STT", "Mã định danh", "Họ và tên", "Điểm ĐĐGtx", None, None, None, "ĐĐGgk", "ĐĐGck"],
        [None, None, None, "TX1", "TX2", "TX3", "TX4", None, None],
        *rows,
    ]
    merged = ["A1:I1", "A2:I2", "D5:G5", "A5:A6", "B5:B6", "C5:C6", "H5:H6", "I5:I6"]
    return xlsx(
        {"Bảng điểm": sheet, "Hướng dẫn": [["Điền điểm vào các ô trống."]]}, {"Bảng điểm": merged}
    )


async def test_long_sheet_of_scored_and_comment_subjects(school, workers) -> None:
    _school, year, admin = school
    rows = [
        HEADER,
        ("6A", AN, "Nguyễn Văn An", "Toán", "I", 8, 7.5, "6,5", None, 7, 8.5),
        ("6a", BINH, "trần thị bình", "toan", "HK1", 10, 9, None, None, None, None),
        ("6A", AN, None, "Ngữ văn", "Học kỳ II", 6, None, None, None, None, 7),
        ("7A", CHI, "Phạm Thị Chi", "GDTC", 1, "Đ", "đạt", None, None, "Đ", "CĐ"),
    ]
    report = await import_file(
        admin, year, "điểm", xlsx({"Điểm": rows}), "diem.xlsx", workers=workers
    )

    assert report.parts["marks"].created == 13
    assert await _marks(AN, "TOAN", 1) == {
        "TX1": Decimal(8),
        "TX2": Decimal("7.5"),
        "TX3": Decimal("6.5"),
        "GK": Decimal(7),
        "CK": Decimal("8.5"),
    }
    assert await _marks(BINH, "TOAN", 1) == {"TX1": Decimal(10), "TX2": Decimal(9)}
    assert await _marks(AN, "NV", 2) == {"TX1": Decimal(6), "CK": Decimal(7)}
    assert await _marks(CHI, "GDTC", 1) == {
        "TX1": Verdict.PASS,
        "TX2": Verdict.PASS,
        "GK": Verdict.PASS,
        "CK": Verdict.FAIL,
    }
    audit = await AuditEvent.all().count()
    again = await import_file(
        admin, year, "marks", xlsx({"Điểm": rows}), "diem.xlsx", workers=workers
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 13)
    assert await AuditEvent.all().count() == audit


async def test_the_checked_rows_die_with_the_import(school, workers) -> None:
    """Imports pause Python's cyclic collector, so what an import made must be freed by
    reference counting alone: no row of the file outlives it in a reference cycle."""
    _school, year, admin = school
    rows = [HEADER, ("6A", AN, "Nguyễn Văn An", "Toán", "I", 8, 7.5, None, None, 7, 8.5)]
    gc.collect()
    gc.disable()
    try:
        await import_file(admin, year, "marks", xlsx({"Điểm": rows}), "diem.xlsx", workers=workers)
        assert not [o for o in gc.get_objects() if type(o) is RowView]
    finally:
        gc.enable()


async def test_teacher_template_with_titles_and_merged_header(school, workers) -> None:
    _school, year, _admin = school
    teacher = await Actor.of_staff(await Staff.get(code="GV01"))
    rows = [
        [1, AN, "Nguyễn Văn An", 9, 8, None, None, 7, 8],
        [2, BINH, "Trần Thị Bình", 5, None, 6.5, None, None, None],
        [3, None, None, None, None, None, None, None, None],
    ]
    report = await import_file(
        teacher, year, "marks", _template(rows), "6a-toan.xlsx", workers=workers
    )

    assert report.parts["marks"].created == 6
    assert report.ignored_sheets == ["Hướng dẫn"]
    assert "Bỏ qua trang «Hướng dẫn»" in report.summary()
    assert await _marks(AN, "TOAN", 1) == {
        "TX1": Decimal(9),
        "TX2": Decimal(8),
        "GK": Decimal(7),
        "CK": Decimal(8),
    }
    mark = await Mark.get(student__national_id=BINH, kind=MarkKind.REGULAR, index=3)
    assert (mark.score, mark.updated_by_id) == (Decimal("6.5"), teacher.staff_id)


async def test_template_with_label_cells_and_numbered_sub_columns(school, workers) -> None:
    _school, year, admin = school
    sheet = [
        ["Lớp", "6B", None, "Môn học:", "Toán"],
        ["Học kì", "2"],
        ["STT", "Mã ĐDCN", "Họ tên", "ĐĐGtx", None, None, None, "Giữa kì", "Cuối kì"],
        [None, None, None, 1, 2, 3, 4, None, None],
        [1, DUNG, "Đỗ Minh Dũng", 7, 8, 9, 10, 6, 5],
    ]
    await import_file(admin, year, "marks", xlsx({"6B": sheet}), "6b.xlsx", workers=workers)
    assert await _marks(DUNG, "TOAN", 2) == {
        "TX1": Decimal(7),
        "TX2": Decimal(8),
        "TX3": Decimal(9),
        "TX4": Decimal(10),
        "GK": Decimal(6),
        "CK": Decimal(5),
    }


async def test_a_blank_cell_never_erases_a_stored_mark(school, workers) -> None:
    _school, year, admin = school
    await import_file(
        admin, year, "marks", _template([[1, AN, None, 9]]), "a.xlsx", workers=workers
    )
    await import_file(
        admin, year, "marks", _template([[1, AN, None, None, 8]]), "b.xlsx", workers=workers
    )
    assert await _marks(AN, "TOAN", 1) == {"TX1": Decimal(9), "TX2": Decimal(8)}


async def test_teacher_may_not_import_another_class(school, workers) -> None:
    _school, year, _admin = school
    teacher = await Actor.of_staff(await Staff.get(code="GV01"))
    rows = [
        HEADER,
        ("6A", AN, None, "Toán", "I", 8, None, None, None, None, None),
        ("7A", CHI, None, "Toán", "I", 9, None, None, None, None, None),
    ]
    before = await counts()
    with pytest.raises(PermissionDenied, match="lớp 7A"):
        await import_file(
            teacher, year, "marks", xlsx({"Điểm": rows}), "diem.xlsx", workers=workers
        )
    assert await counts() == before


async def test_every_bad_mark_is_reported_and_nothing_is_written(school, workers) -> None:
    school, year, admin = school
    await Subject.filter(school=school, code="TH").update(periods_by_grade={"8": 35, "9": 35})
    rows = [
        HEADER,
        ("6A", AN, None, "Toán", "I", 11, None, None, None, None, None),
        ("6A", AN, None, "Ngữ văn", "I", "7.25", None, None, None, None, None),
        ("7A", CHI, None, "GDTC", "I", "X", None, None, None, None, None),
        ("6A", AN, None, "GDCD", "I", 7, 8, 9, None, None, None),
        ("6A", DUNG, None, "Toán", "I", 7, None, None, None, None, None),
        ("6A", national_id(99), None, "Toán", "I", 7, None, None, None, None, None),
        ("6A", BINH, "Nguyễn Văn An", "Toán", "I", 7, None, None, None, None, None),
        ("6A", BINH, None, "Thiên văn", "I", 7, None, None, None, None, None),
        ("6C", BINH, None, "Toán", "I", 7, None, None, None, None, None),
        ("6A", BINH, None, "Toán", "III", 7, None, None, None, None, None),
        ("6A", BINH, None, "Tin học", "I", 7, None, None, None, None, None),
        ("6A", BINH, None, "Ngữ văn", "I", None, None, None, None, 7, None),
        ("6A", BINH, None, "Ngữ văn", "1", None, None, None, None, None, 8),
        # a comment-only subject has 2 regular assessments (TT22 Điều 6 khoản 2 điểm a)
        ("7A", CHI, None, "GDTC", "II", "Đ", "Đ", "Đ", None, None, None),
    ]
    problems = await rejected(
        admin, year, "marks", xlsx({"Điểm": rows}), "diem.xlsx", workers=workers
    )

    assert find(problems, row=2, phrase="«11»").column == "TX1"
    assert find(problems, row=3, phrase="«7.25»").column == "TX1"
    assert "Đ (Đạt) hoặc CĐ" in find(problems, row=4, phrase="«X»").expected
    assert find(problems, row=5, phrase="không có cột TX3").column == "TX3"
    assert find(problems, row=6, phrase="học lớp 6B, không phải lớp 6A").column == "Mã định danh"
    find(problems, row=7, phrase="Không có học sinh mã định danh")
    assert find(problems, row=8, phrase="«Nguyễn Văn An»").column == "Họ và tên"
    assert find(problems, row=9, phrase="Thiên văn").column == "Môn"
    assert find(problems, row=10, phrase="Chưa có lớp 6C").column == "Lớp"
    assert find(problems, row=11, phrase="«III»").column == "Học kỳ"
    assert find(problems, row=12, phrase="không dạy ở khối 6").column == "Môn"
    assert find(problems, row=14, phrase="dòng 13").column == "Mã định danh"
    gdtc = find(problems, row=15, phrase="đánh giá bằng nhận xét")
    assert gdtc.column == "TX3" and "cột TX1, TX2, GK, CK" in gdtc.expected
    assert len(problems) == 13


async def test_a_title_value_is_reported_once(school, workers) -> None:
    _school, year, admin = school
    rows = [[1, AN, None, 9], [2, BINH, None, 8]]
    problems = await rejected(
        admin, year, "marks", _template(rows, subject="Thiên văn"), "t.xlsx", workers=workers
    )
    assert len(problems) == 1
    assert (problems[0].row, problems[0].column) == (3, "Môn")
    assert "Thiên văn" in problems[0].problem


# --- primary school -----------------------------------------------------------------------

P4 = national_id(41, 2016)
P3 = national_id(31, 2017, female=True)
PRIMARY_HEADER = (
    "Lớp",
    "Mã định danh",
    "Môn",
    "Mức GHK1",
    "Điểm GHK1",
    "Mức CHK1",
    "Điểm CHK1",
    "Mức CN",
    "Điểm CN",
)


@pytest.fixture
async def primary_school(primary, admin_of, workers):
    school, year = primary
    admin = admin_of(school)
    students = [
        [1, P4, "Hà Minh Khôi", "10/10/2016", "Nam", "4A"],
        [2, P3, "Lò Thị Hoa", "03/04/2017", "Nữ", "3A"],
    ]
    await import_file(admin, year, "students", students_xlsx(students), "ds.xlsx", workers=workers)
    await enable_on_behalf(school.id)  # the admin imports the teachers' marks (nhập hộ)
    return school, year, admin


async def _assessments(national_id: str, subject: str) -> dict[str, tuple]:
    rows = await PrimaryAssessment.filter(
        student__national_id=national_id, subject__code=subject
    ).prefetch_related("term")
    return {str(r.point): (r.level, r.score, r.term.number) for r in rows}


async def test_primary_levels_and_periodic_scores(primary_school, workers) -> None:
    _school, year, admin = primary_school
    rows = [
        PRIMARY_HEADER,
        ("4A", P4, "Toán", "T", 9, "Hoàn thành tốt", 10, "H", None),
        ("4A", P4, "Đạo đức", "HT", None, "T", None, None, None),
    ]
    report = await import_file(admin, year, "marks", xlsx({"TH": rows}), "th.xlsx", workers=workers)

    assert report.parts["primary"].created == 5
    assert await _assessments(P4, "TOAN") == {
        TestPoint.MID_1: (SubjectLevel.GOOD, 9, 1),
        TestPoint.END_1: (SubjectLevel.GOOD, 10, 1),
        TestPoint.END_YEAR: (SubjectLevel.DONE, None, 2),
    }
    assert await _assessments(P4, "DD") == {
        TestPoint.MID_1: (SubjectLevel.DONE, None, 1),
        TestPoint.END_1: (SubjectLevel.GOOD, None, 1),
    }
    audit = await AuditEvent.all().count()
    again = await import_file(admin, year, "marks", xlsx({"TH": rows}), "th.xlsx", workers=workers)
    assert (again.created, again.updated) == (0, 0)
    assert await AuditEvent.all().count() == audit


async def test_primary_two_row_header_and_halves_kept(primary_school, workers) -> None:
    _school, year, admin = primary_school
    levels = [("Lớp: 4A",), ("Môn: Tiếng Việt",), ("Mã định danh", "Cuối học kỳ I")]
    levels += [(None, "Mức"), (P4, "H")]
    await import_file(
        admin, year, "marks", xlsx({"TV": levels}, {"TV": ["A3:A4"]}), "a.xlsx", workers=workers
    )
    scores = [
        ("Lớp: 4A",),
        ("Môn: Tiếng Việt",),
        ("Mã định danh", "Cuối học kỳ I", None),
        (None, "Mức", "Điểm"),
        (P4, None, 6),
    ]
    merged = {"TV": ["A3:A4", "B3:C3"]}
    await import_file(admin, year, "marks", xlsx({"TV": scores}, merged), "b.xlsx", workers=workers)
    assert await _assessments(P4, "TV") == {TestPoint.END_1: (SubjectLevel.DONE, 6, 1)}


async def test_bad_primary_values(primary_school, workers) -> None:
    _school, year, admin = primary_school
    rows = [
        PRIMARY_HEADER,
        ("4A", P4, "Toán", None, 0, None, None, None, None),
        ("4A", P4, "Tiếng Việt", None, "7,5", None, None, None, None),
        ("4A", P4, "Đạo đức", None, None, None, 8, None, None),
        ("3A", P3, "Toán", None, 7, None, None, None, None),
        ("3A", P3, "Tiếng Việt", "X", None, None, None, None, None),
    ]
    problems = await rejected(admin, year, "marks", xlsx({"TH": rows}), "th.xlsx", workers=workers)
    assert find(problems, row=2, phrase="không có điểm 0").column == "Điểm GHK1"
    find(problems, row=3, phrase="«7,5»")
    assert find(problems, row=4, phrase="không có bài kiểm tra định kì").column == "Điểm CHK1"
    assert "khối 3" in find(problems, row=5, phrase="không có bài kiểm tra").problem
    assert "Hoàn thành tốt" in find(problems, row=6, phrase="«X»").expected
    assert len(problems) == 5


# --- the subject teacher's comment (Thông tư 22 Điều 4, Thông tư 27 Điều 6) -----------------


async def _comments(subject: str) -> dict[tuple[str, int], str]:
    found = await Comment.filter(subject__code=subject).prefetch_related("student", "term")
    return {(c.student.national_id, c.term.number): c.text for c in found}


async def test_marks_and_comments_in_one_sheet(school, workers) -> None:
    _school, year, admin = school
    rows = [
        (*HEADER, "Nhận xét"),
        ("6A", AN, None, "Toán", "I", 8, None, None, None, 7, 8, "Tính nhanh, cẩn thận."),
        ("6A", BINH, None, "Toán", "I", None, None, None, None, None, None, "Cần luyện thêm."),
        ("7A", CHI, None, "GDTC", "II", "Đ", None, None, None, None, None, "Tích cực."),
    ]
    report = await import_file(
        admin, year, "marks", xlsx({"Điểm": rows}), "d.xlsx", workers=workers
    )
    assert (report.parts["marks"].created, report.parts["comments"].created) == (4, 3)
    assert await _comments("TOAN") == {
        (AN, 1): "Tính nhanh, cẩn thận.",
        (BINH, 1): "Cần luyện thêm.",
    }
    assert await _comments("GDTC") == {(CHI, 2): "Tích cực."}
    assert await _marks(BINH, "TOAN", 1) == {}  # a row with only a comment writes no mark

    # blank: not entered, never erased; a new text replaces the stored one
    rows[1] = (*rows[1][:-1], None)
    rows[2] = (*rows[2][:-1], "Đã tiến bộ.")
    again = await import_file(admin, year, "marks", xlsx({"Điểm": rows}), "d.xlsx", workers=workers)
    assert (again.parts["comments"].updated, again.parts["comments"].unchanged) == (1, 1)
    assert await _comments("TOAN") == {(AN, 1): "Tính nhanh, cẩn thận.", (BINH, 1): "Đã tiến bộ."}


async def test_a_bad_comment_is_named_and_nothing_is_written(school, workers) -> None:
    _school, year, admin = school
    rows = [
        ("Lớp", "Mã định danh", "Môn", "Học kỳ", "TX1", "Nhan xet"),
        ("6A", AN, "Toán", "I", 8, "Giỏi\u200b"),
        ("6A", BINH, "Toán", "I", 7, "x" * 1001),
        ("6A", DUNG, "Toán", "I", None, "Ngoan."),  # 6B's
    ]
    problems = await rejected(admin, year, "marks", xlsx({"Điểm": rows}), "d.xlsx", workers)
    assert find(problems, row=2, phrase="ký tự ẩn").column == "Nhan xet"
    find(problems, row=3, phrase="quá giới hạn 1000")
    find(problems, row=4, phrase="không phải lớp 6A")
    assert len(problems) == 3 and not await Comment.exists()


async def test_primary_comment_of_the_sheets_term(primary_school, workers) -> None:
    _school, year, admin = primary_school
    template = [
        ("Lớp: 4A", None, "Môn: Toán", None, "Học kỳ: I"),
        (),
        ("STT", "Mã định danh", "Mức CHK1", "Điểm CHK1", "NX"),
        (1, P4, "T", 9, "Tính toán nhanh."),
    ]
    report = await import_file(
        admin, year, "marks", xlsx({"Toán": template}), "t.xlsx", workers=workers
    )
    assert (report.parts["primary"].created, report.parts["comments"].created) == (1, 1)
    assert await _comments("TOAN") == {(P4, 1): "Tính toán nhanh."}

    long = [
        ("Lớp", "Mã định danh", "Môn", "Học kỳ", "Mức CN", "Nhận xét"),
        ("4A", P4, "Toán", "II", None, "Hoàn thành tốt."),
        ("4A", P4, "Tiếng Việt", "2", "H", None),
    ]
    report = await import_file(admin, year, "marks", xlsx({"TH": long}), "l.xlsx", workers=workers)
    assert (report.parts["primary"].created, report.parts["comments"].created) == (1, 1)
    assert await _comments("TOAN") == {(P4, 1): "Tính toán nhanh.", (P4, 2): "Hoàn thành tốt."}


async def test_a_primary_comment_needs_its_term(primary_school, workers) -> None:
    _school, year, admin = primary_school
    rows = [
        (*PRIMARY_HEADER, "Nhận xét"),
        ("4A", P4, "Toán", "T", 9, None, None, None, None, "Tính toán nhanh."),
        ("4A", P4, "Toán", None, None, None, None, None, None, "Bản sao."),
    ]
    problems = await rejected(admin, year, "marks", xlsx({"TH": rows}), "th.xlsx", workers)
    assert find(problems, row=2, phrase="học kỳ nào").column == "Nhận xét"
    assert find(problems, row=3, phrase="dòng 2").column == "Mã định danh"
    assert len(problems) == 3 and not await Comment.exists()
