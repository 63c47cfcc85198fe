"""The homeroom teacher's sheet: built pre-filled for the class's homeroom teacher, sent back and
checked like the grade sheet (all or nothing, every problem with its row and the student's
name), in a secondary school (conduct) and a primary one (qualities and competencies).

The secondary school is the small school of tests/deadlines in 2025-2026: 6A (An, Bình, Chi)
with Ngô Chủ Nhiệm (GV03) as homeroom teacher, who has entered the term I conduct (Tốt) and days
absent (1, 0) of An and Bình, not Chi's; 6B (Dũng). The clock stands in term I, before any lock.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from core import clock
from core.errors import InvalidValue, PermissionDenied
from core.importing import FileRejected, ImportReport, import_file, import_teacher_sheet
from core.models import (
    Absence,
    AuditEvent,
    Comment,
    Conduct,
    Mark,
    QualityAssessment,
    Role,
    SchoolClass,
    Staff,
    Student,
    Term,
)
from core.rules.catalog import SchoolLevel
from core.rules.primary import COMPETENCIES, QUALITIES, TestPoint
from core.services import roster
from core.services.access import Actor
from core.services.homeroom_sheet import homeroom_sheet_choices, homeroom_template
from core.services.schools import create_school, ensure_year
from core.services.templates import grade_sheet_template
from core.validation import Gender
from core.workers import WorkerPool
from tests.deadlines.conftest import Small, build_small
from tests.deadlines.test_templates import filled as filled_grade_sheet
from tests.integration.fixtures_sheets import xlsx
from tests.on_behalf import enable_on_behalf

SHEET = "Chủ nhiệm"
AN, BINH, CHI = "Nguyễn Văn An", "Trần Thị Bình", "Phạm Thị Chi"
# 6A's sheet: D Rèn luyện, E Nghỉ có phép, F Nghỉ không phép, G Nhận xét; rows 6-8 An, Bình, Chi
GOOD = {"D8": "Khá", "E8": 2, "F8": 1}  # Chi's term I, valid: never written beside a bad cell
TERM_I_DAYS = "114 ngày học của học kỳ I (thứ Hai đến thứ Bảy, từ 05/09/2025 đến 15/01/2026)"
BOUND = (
    "Cần: số ngày nghỉ trong học kỳ I, cả có phép và không phép cộng lại không quá 114 ngày học "
    "(thứ Hai đến thứ Bảy, từ 05/09/2025 đến 15/01/2026)."
)


@pytest.fixture(autouse=True)
def term_one() -> Iterator[None]:
    """20/12/2025, 10:00: term I of 2025-2026 has begun, term II not, nothing is locked."""
    clock.set_time(dt.datetime(2025, 12, 20, 3, 0, tzinfo=dt.UTC))
    yield
    clock.set_time(None)


@pytest.fixture
async def small(db: str) -> Small:
    built = await build_small("2025-2026")
    await enable_on_behalf(built.school.id)  # the admin may enter for the homeroom teacher
    return built


def rows(data: bytes, sheet: str = SHEET) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


def filled(data: bytes, cells: dict[str, object]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    for address, value in cells.items():
        book[SHEET][address] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def sheet_of(
    small: Small, workers: WorkerPool, klass: str = "6A", term: int = 1, who: str = "GV03"
) -> bytes:
    actor = small.admin if who == "admin" else await small.actor(who)
    template = await homeroom_template(
        actor, small.classes[klass], small.terms[term], workers=workers
    )
    return template.data


async def stored() -> tuple[int, ...]:
    """Everything the homeroom sheet may write, and the audit trail's length."""
    return (
        await Conduct.all().count(),
        await Absence.all().count(),
        await Comment.all().count(),
        await QualityAssessment.all().count(),
        await AuditEvent.exclude(action="homeroom.read").count(),
    )


async def test_secondary_round_trip(small: Small, workers) -> None:
    teacher = await small.actor("GV03")
    template = await homeroom_template(
        teacher, small.classes["6A"], small.terms[1], workers=workers
    )
    assert template.filename == "bang-chu-nhiem-6a-hk1.xlsx"
    lines = rows(template.data)
    assert lines[2][:7] == (
        "Lớp: 6A",
        None,
        "Học kỳ: I",
        None,
        "Năm học: 2025-2026",
        None,
        "GVCN: Ngô Chủ Nhiệm",
    )
    assert lines[4] == (
        "STT",
        "Mã định danh",
        "Họ và tên",
        "Rèn luyện",
        "Nghỉ có phép",
        "Nghỉ không phép",
        "Nhận xét",
    )
    assert lines[5] == (1, "001214000001", AN, "Tốt", 1, 0, None)
    assert lines[6] == (2, "001314000002", BINH, "Tốt", 1, 0, None)
    assert lines[7] == (3, "001314000003", CHI, None, None, None, None)
    # Excel offers the allowed values; the importer checks them again all the same
    checks = load_workbook(io.BytesIO(template.data))[SHEET].data_validations.dataValidation
    allowed = {str(v.sqref): (v.type, v.formula1, v.formula2) for v in checks}
    assert allowed == {
        "D6:D8": ("list", '"Tốt,Khá,Đạt,Chưa đạt"', None),
        "E6:E8": ("whole", "0", "114"),
        "F6:F8": ("whole", "0", "114"),
        "G6:G8": ("textLength", "1000", None),
    }
    guide = rows(template.data, "Hướng dẫn")
    assert guide[0][0] == "HƯỚNG DẪN ĐIỀN BẢNG CHỦ NHIỆM"
    assert any(TERM_I_DAYS in line[0] for line in guide)
    read = await AuditEvent.get(action="homeroom.read", actor=teacher.label)
    assert read.target == f"homeroom:{small.classes['6A'].id}:{small.terms[1].id}"

    comment = "Chăm ngoan,  tiến bộ rõ  ở môn Toán.\nCần mạnh dạn phát biểu hơn."
    back = filled(template.data, {**GOOD, "D6": "Đạt", "F7": 3, "G6": comment})
    report = await import_teacher_sheet(teacher, back, template.filename, workers=workers)
    assert report.kind == "homeroom"
    assert (report.parts["conducts"].created, report.parts["conducts"].updated) == (1, 1)
    assert (report.parts["absences"].created, report.parts["absences"].updated) == (1, 1)
    assert report.parts["comments"].created == 1
    assert "Đã nhập tệp «bang-chu-nhiem-6a-hk1.xlsx» (bảng chủ nhiệm)" in report.summary()
    assert "Hướng dẫn" not in report.summary() and "Bỏ qua" not in report.summary()
    conducts = {c.student_id: c.level for c in await Conduct.filter(term=small.terms[1])}
    assert conducts == {
        small.students[AN]: "Đ",
        small.students[BINH]: "T",
        small.students[CHI]: "K",
    }
    absent = {
        a.student_id: (a.excused, a.unexcused) for a in await Absence.filter(term=small.terms[1])
    }
    # a blank half keeps what was stored: Bình's 1 excused day stays beside the new 3
    assert absent[small.students[BINH]] == (1, 3) and absent[small.students[CHI]] == (2, 1)
    note = await Comment.get(student_id=small.students[AN], term=small.terms[1])
    assert note.text == "Chăm ngoan, tiến bộ rõ ở môn Toán.\nCần mạnh dạn phát biểu hơn."
    assert note.subject_id is None and note.author_id == small.staff["GV03"].id
    assert await AuditEvent.filter(action="comment.create", actor=teacher.label).count() == 1

    again = rows(await sheet_of(small, workers))
    assert again[5][3:] == ("Đạt", 1, 0, note.text)
    assert again[7][3:] == ("Khá", 2, 1, None)
    repeat = await import_teacher_sheet(teacher, back, template.filename, workers=workers)
    assert repeat.created == repeat.updated == 0  # the same file again changes nothing


async def primary_school() -> tuple[Actor, SchoolClass, Term, list[int]]:
    school = await create_school("TH-AH", "Trường Tiểu học An Hồng", SchoolLevel.PRIMARY)
    year = await ensure_year(school, "2025-2026")
    admin = Actor.command_line(school.id)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(nid, name, dt.date(2016, 10, 10), Gender.MALE, "4A", 4, n)
            for n, (nid, name) in enumerate(
                [("001216000041", "Hà Minh Khôi"), ("001216000042", "Lò Văn Hải")], 1
            )
        ],
    )
    await roster.write_staff(
        admin,
        year,
        [roster.StaffEntry("GV09", "Lý Thu Hà", frozenset({Role.HOMEROOM}), homeroom_class="4A")],
    )
    teacher = await Actor.of_staff(await Staff.get(code="GV09"))
    klass = await SchoolClass.get(year=year, name="4A")
    term = await Term.get(year=year, number=1)
    ids = [s.id for s in await Student.filter(school=school).order_by("national_id")]
    return teacher, klass, term, ids


async def test_primary_round_trip(db: str, workers) -> None:
    teacher, klass, term, (khoi, hai) = await primary_school()
    template = await homeroom_template(teacher, klass, term, workers=workers)
    header = rows(template.data)[4]
    names = tuple(name for _code, name in QUALITIES + COMPETENCIES)
    assert header == (
        "STT",
        "Mã định danh",
        "Họ và tên",
        *names,
        "Nghỉ có phép",
        "Nghỉ không phép",
        "Nhận xét",
    )
    assert len(names) == 15
    guide = [line[0] for line in rows(template.data, "Hướng dẫn")]
    assert "mức đạt được cuối học kì I: T (Tốt), Đ (Đạt) hoặc C (Cần cố gắng)" in guide[2]
    # Khôi: every quality and competency Tốt but Thể chất Đạt; Hải: only Yêu nước, Cần cố gắng
    cells: dict[str, object] = {f"{chr(ord('D') + i)}6": "T" for i in range(15)}
    cells |= {"R6": "Đạt", "D7": "c", "U6": "Hoàn thành tốt nội dung học kỳ I.", "S7": 2}
    report = await import_teacher_sheet(
        teacher, filled(template.data, cells), template.filename, workers=workers
    )
    assert report.parts["qualities"].created == 16 and report.parts["absences"].created == 1
    levels = {
        (q.student_id, q.quality): (q.level, q.point)
        for q in await QualityAssessment.filter(term=term)
    }
    assert levels[khoi, "YEU_NUOC"] == ("T", TestPoint.END_1)
    assert levels[khoi, "THE_CHAT"] == ("Đ", TestPoint.END_1)
    assert levels[hai, "YEU_NUOC"] == ("C", TestPoint.END_1) and len(levels) == 16
    assert (await Comment.get(student_id=khoi)).text == "Hoàn thành tốt nội dung học kỳ I."
    assert not await Conduct.exists() and not await Mark.exists()
    again = rows((await homeroom_template(teacher, klass, term, workers=workers)).data)
    assert again[5][3:] == ("T",) * 14 + ("Đ", None, None, "Hoàn thành tốt nội dung học kỳ I.")
    assert again[6][3:5] == ("C", None) and again[6][18:20] == (2, 0)

    # conduct for a primary student: a column of its own, refused by name
    conduct = filled(template.data, {"V5": "Rèn luyện", "V6": "Tốt", "D7": "T"})
    before = await stored()
    with pytest.raises(FileRejected) as refused:
        await import_teacher_sheet(teacher, conduct, template.filename, workers=workers)
    assert str(refused.value).splitlines()[1:] == [
        "• Chủ nhiệm, dòng 6 (Hà Minh Khôi), cột «Rèn luyện»: Tiểu học không xếp loại rèn luyện: "
        "Thông tư 27 đánh giá phẩm chất và năng lực (Tốt, Đạt, Cần cố gắng). Hãy nhập phẩm chất, "
        "năng lực thay cho rèn luyện. Cần: để trống cột này; điền các cột phẩm chất, năng lực "
        "(T, Đ, C)."
    ]
    assert await stored() == before
    with pytest.raises(InvalidValue, match="Trường tiểu học không xếp loại rèn luyện"):
        await import_file(teacher, await klass.year, "conduct", conduct, "rl.xlsx", workers=workers)


def _long_comment() -> str:
    return ("Em chăm ngoan, lễ phép. " * 500)[:10_000]


# (what the teacher did to 6A's term I sheet, the start of the first problem line)
BAD: dict[str, tuple[dict[str, object], str]] = {
    "conduct off the scale": (
        {"D7": "Trung bình"},
        "• Chủ nhiệm, dòng 7 (Trần Thị Bình), cột «Rèn luyện»: Kết quả rèn luyện «Trung bình» "
        "không hợp lệ: chỉ có Tốt (T), Khá (K), Đạt (Đ) hoặc Chưa đạt (CĐ). Cần: Tốt, Khá, Đạt "
        "hoặc Chưa đạt (cũng nhận T, K, Đ, CĐ).",
    ),
    "conduct of the other term": (
        {"D5": "Rèn luyện HK II", "D6": None, "D7": "Tốt", "D8": None},
        "• Chủ nhiệm, dòng 7 (Trần Thị Bình), cột «Rèn luyện HK II»: Bảng này là của học kỳ I, "
        "cột này là rèn luyện học kỳ II",
    ),
    "conduct of the year": (
        {"H5": "Rèn luyện cả năm", "H6": "Tốt"},
        "• Chủ nhiệm, dòng 6 (Nguyễn Văn An), cột «Rèn luyện cả năm»: Rèn luyện cả năm không "
        "nhập: được tính từ rèn luyện hai học kỳ (Thông tư 22, Điều 8)",
    ),
    "negative days": (
        {"E6": -2},
        "• Chủ nhiệm, dòng 6 (Nguyễn Văn An), cột «Nghỉ có phép»: Số ngày nghỉ có phép «-2» "
        "không hợp lệ: số ngày không thể âm",
    ),
    "half a day": (
        {"F7": 1.5},
        "• Chủ nhiệm, dòng 7 (Trần Thị Bình), cột «Nghỉ không phép»: Số ngày nghỉ không phép "
        "«1,5» không hợp lệ: số ngày nghỉ phải là số nguyên",
    ),
    "more days than the term has": (
        {"F6": 115},
        "• Chủ nhiệm, dòng 6 (Nguyễn Văn An), cột «Nghỉ không phép»: Số ngày nghỉ không phép "
        "«115» không hợp lệ: nhiều hơn số ngày học của học kỳ (114 ngày).",
    ),
    "the two halves together": (
        {"E7": 60, "F7": 60},
        "• Chủ nhiệm, dòng 7 (Trần Thị Bình), cột «Nghỉ không phép»: Tổng số ngày nghỉ (60 có "
        f"phép + 60 không phép = 120) nhiều hơn số ngày học của học kỳ (114 ngày). {BOUND}",
    ),
    "qualities for a secondary student": (
        {"H5": "Yêu nước", "H6": "T"},
        "• Chủ nhiệm, dòng 6 (Nguyễn Văn An), cột «Yêu nước»: Trung học không đánh giá phẩm "
        "chất, năng lực theo mức Tốt/Đạt/Cần cố gắng",
    ),
    "a comment of 10,000 characters": (
        {"G7": _long_comment()},
        "• Chủ nhiệm, dòng 7 (Trần Thị Bình), cột «Nhận xét»: Nhận xét dài 10000 ký tự, quá "
        "giới hạn 1000 ký tự của ô nhận xét trong học bạ",
    ),
    "a student of 6B": (
        {"B7": "001214000004", "C7": "Lê Văn Dũng", "D7": "Tốt"},
        "• Chủ nhiệm, dòng 7 (Lê Văn Dũng), cột «Mã định danh»: Học sinh mã định danh "
        "001214000004 học lớp 6B, không phải lớp 6A",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
async def test_bad_input_is_refused_whole(small: Small, workers, case: str) -> None:
    changes, first = BAD[case]
    data = await sheet_of(small, workers)
    before = await stored()
    teacher = await small.actor("GV03")
    with pytest.raises(FileRejected) as refused:
        await import_teacher_sheet(
            teacher, filled(data, {**GOOD, **changes}), "cn.xlsx", workers=workers
        )
    lines = str(refused.value).splitlines()
    assert lines[0].startswith("❌ Chưa lưu gì từ tệp «cn.xlsx»: tệp có 1 lỗi")
    assert lines[0].endswith("rồi gửi lại cả tệp cho Trợ lý:")
    assert lines[1].startswith(first), lines[1]
    if "cột «Nghỉ" in first:  # a day count says where the most days absent comes from
        assert lines[1].endswith(BOUND), lines[1]
    assert len(lines) == 2
    assert await stored() == before  # not even Chi's good row
    assert not await Conduct.exists(student_id=small.students[CHI])


async def test_a_term_not_begun_and_another_class(small: Small, workers) -> None:
    teacher = await small.actor("GV03")
    before = await stored()
    term_two = filled(await sheet_of(small, workers, term=2), GOOD)
    with pytest.raises(FileRejected) as refused:
        await import_teacher_sheet(teacher, term_two, "hk2.xlsx", workers=workers)
    assert str(refused.value).splitlines()[1:] == [
        "• Chủ nhiệm, dòng 3, cột «Học kỳ»: Học kỳ II chưa bắt đầu (bắt đầu ngày 16/01/2026). "
        "Cần: bảng của học kỳ đã bắt đầu; gửi bảng học kỳ II từ ngày 16/01/2026."
    ]
    # 6B's sheet (the admin made it) sent by 6A's homeroom teacher
    other = filled(await sheet_of(small, workers, klass="6B", who="admin"), {"D6": "Tốt"})
    with pytest.raises(FileRejected) as refused:
        await import_teacher_sheet(teacher, other, "6b.xlsx", workers=workers)
    assert str(refused.value).splitlines()[1:] == [
        "• Chủ nhiệm, dòng 3, cột «Lớp»: Chỉ giáo viên chủ nhiệm lớp 6B (hoặc quản trị) được "
        "nhập rèn luyện, số ngày nghỉ và nhận xét chung của lớp. Cần: bảng chủ nhiệm của lớp "
        "thầy cô chủ nhiệm: 6A."
    ]
    assert await stored() == before
    with pytest.raises(PermissionDenied, match="Chỉ giáo viên chủ nhiệm lớp 6B"):
        await sheet_of(small, workers, klass="6B")  # nor does the bot hand it out


async def test_each_kind_takes_the_same_file(small: Small, workers) -> None:
    """`hocba import conduct|absences|comments FILE` on the homeroom sheet writes only that
    kind and names the columns it left out."""
    data = filled(await sheet_of(small, workers), {**GOOD, "G8": "Ngoan."})

    async def load(kind: str) -> ImportReport:
        return await import_file(small.admin, small.year, kind, data, "cn.xlsx", workers=workers)

    report = await load("rèn luyện")
    assert report.kind == "conduct" and list(report.parts) == ["conducts"]
    assert "bỏ qua các cột không dùng đến: «Nghỉ có phép», «Nghỉ không phép», «Nhận xét»" in (
        report.summary()
    )
    assert await Conduct.exists(student_id=small.students[CHI], level="K")
    assert not await Absence.exists(student_id=small.students[CHI])
    report = await load("absences")
    assert list(report.parts) == ["absences"] and report.parts["absences"].created == 1
    report = await load("comments")
    assert list(report.parts) == ["comments"]
    assert (await Comment.get(student_id=small.students[CHI])).text == "Ngoan."
    with pytest.raises(InvalidValue, match="Trường trung học không đánh giá từng phẩm chất"):
        await load("qualities")


async def test_a_schools_own_export_with_a_term_column(small: Small, workers) -> None:
    """A long sheet of the whole school, no guide: told from a grade sheet by its header."""
    header = ("Lớp", "Học kỳ", "Mã định danh", "Họ và tên", "Hạnh kiểm", "Số ngày nghỉ có phép")
    data = xlsx(
        {
            "RL": [
                header,
                ("6A", "HK1", "001314000003", CHI, "Khá", 2),
                ("6B", "1", "001214000004", "Lê Văn Dũng", "Tốt", None),
            ]
        }
    )
    report = await import_teacher_sheet(small.admin, data, "renluyen.xlsx", workers=workers)
    assert report.kind == "homeroom" and report.parts["conducts"].created == 2
    bad = xlsx({"RL": [header, ("6A", "3", "001314000003", CHI, "Khá", 2)]})
    before = await stored()
    with pytest.raises(FileRejected, match=r"dòng 2 \(Phạm Thị Chi\), cột «Học kỳ»: Học kỳ «3»"):
        await import_file(small.admin, small.year, "conduct", bad, "rl.xlsx", workers=workers)
    assert await stored() == before


async def test_grade_sheets_still_go_to_the_marks(small: Small, workers) -> None:
    teacher = await small.actor("GV02")
    template = await grade_sheet_template(
        teacher, small.classes["6A"], small.subjects["NV"], small.terms[1], workers=workers
    )
    back = filled_grade_sheet(template.data, {"G7": 6.5})
    report = await import_teacher_sheet(teacher, back, template.filename, workers=workers)
    assert report.kind == "marks" and report.parts["marks"].created == 1


async def test_the_homeroom_teacher_gets_a_button_per_term_begun(small: Small) -> None:
    teacher = await small.actor("GV03")
    choices = await homeroom_sheet_choices(teacher, small.year)
    assert [c.label for c in choices] == ["📄 Bảng chủ nhiệm 6A, học kỳ I"]
    assert choices[0].data == f"hsh:{small.classes['6A'].id}:1"
    assert await homeroom_sheet_choices(await small.actor("GV02"), small.year) == ()
