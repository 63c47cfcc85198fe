"""The subject teacher's comment on the grade sheet: shown beside the marks, written back with
them (Thông tư 22 Điều 4: the subject teacher assesses by comment as well as by marks)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core.errors import ImportRejected, PermissionDenied
from core.importing import import_file, import_teacher_sheet
from core.models import Comment, Mark
from core.services import gradebook
from core.services.templates import grade_sheet_template
from tests.integration.fixtures_sheets import xlsx

from .test_templates import filled, rows

AN, BINH, CHI = "Nguyễn Văn An", "Trần Thị Bình", "Phạm Thị Chi"


async def _stored(small, subject: str | None = "NV") -> dict[str, str]:
    """The comments of 6A's students in term I, by name: the subject's, or the general one."""
    names = {v: k for k, v in small.students.items()}
    found = Comment.filter(term=small.terms[1])
    found = (
        found.filter(subject=small.subjects[subject])
        if subject
        else found.filter(subject_id__isnull=True)
    )
    return {names[c.student_id]: c.text for c in await found}


async def test_the_sheet_shows_and_takes_back_the_subject_comment(small, workers, clock_at) -> None:
    clock_at("01/12/2025")  # term I, before its lock
    teacher = await small.actor("GV02")  # Ngữ văn in 6A
    klass, term = small.classes["6A"], small.terms[1]
    await gradebook.write_comments(
        teacher,
        [gradebook.CommentEntry(small.students[AN], klass, term, "Đọc tốt.", small.subjects["NV"])],
    )
    general = gradebook.CommentEntry(small.students[BINH], klass, term, "Ngoan, chăm chỉ.")
    await gradebook.write_comments(await small.actor("GV03"), [general])  # 6A's homeroom

    template = await grade_sheet_template(
        teacher, klass, small.subjects["NV"], term, workers=workers
    )
    lines = rows(template.data)
    assert lines[4][-1] == "Nhận xét"
    # the subject's own comment, not the homeroom teacher's general one
    assert [line[-1] for line in lines[5:8]] == ["Đọc tốt.", None, None]
    guide = [line[0] for line in rows(template.data, "Hướng dẫn")]
    said = [line for line in guide if line.startswith("Cột «Nhận xét»")]
    assert len(said) == 1 and "Thông tư 22, Điều 4" in said[0] and "học kỳ II" in said[0]
    assert "không xóa điểm hay nhận xét đã có" in guide[-2]
    book = load_workbook(io.BytesIO(template.data))
    assert book["Bảng điểm"]["J6"].alignment.wrap_text

    # An's comment cleared (blank: not entered), Bình a mark and a comment, Chi a comment only
    back = filled(
        template.data,
        {"J6": None, "G7": 6.5, "J7": "- Tiến bộ rõ;\n  cần đọc thêm.", "J8": "Viết hay."},
    )
    report = await import_teacher_sheet(teacher, back, template.filename, workers=workers)
    assert report.parts["marks"].created == 1
    assert report.parts["comments"].created == 2
    assert "- Nhận xét: 2 thêm mới, 0 cập nhật, 0 không đổi." in report.summary()
    assert await _stored(small) == {
        AN: "Đọc tốt.",
        BINH: "- Tiến bộ rõ;\ncần đọc thêm.",
        CHI: "Viết hay.",
    }
    assert await _stored(small, None) == {BINH: "Ngoan, chăm chỉ."}  # untouched
    mine = await Comment.get(student_id=small.students[CHI], subject=small.subjects["NV"])
    assert mine.author_id == teacher.staff_id

    again = rows(
        (
            await grade_sheet_template(teacher, klass, small.subjects["NV"], term, workers=workers)
        ).data
    )
    assert again[6][-1] == "- Tiến bộ rõ;\ncần đọc thêm."  # as text, not a formula
    repeat = await import_teacher_sheet(teacher, back, template.filename, workers=workers)
    assert repeat.created == repeat.updated == 0


async def test_a_hidden_character_refuses_the_whole_sheet(small, workers, clock_at) -> None:
    clock_at("01/12/2025")
    teacher = await small.actor("GV02")
    klass, nv, term = small.classes["6A"], small.subjects["NV"], small.terms[1]
    template = await grade_sheet_template(teacher, klass, nv, term, workers=workers)
    back = filled(template.data, {"G7": 8, "J6": "Tốt", "J8": "Chăm \u202eđọc"})
    marks, comments = await Mark.all().count(), await Comment.all().count()
    with pytest.raises(ImportRejected) as refused:
        await import_file(teacher, small.year, "marks", back, template.filename, workers=workers)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column, problem.who) == (8, "Nhận xét", CHI)
    assert "ký tự ẩn" in problem.problem
    assert (await Mark.all().count(), await Comment.all().count()) == (marks, comments)


_LONG = ("Lớp", "Mã định danh", "Môn", "Học kỳ", "TX1", "NX")


async def test_only_the_subjects_teacher_writes_its_comment(small, workers, clock_at) -> None:
    clock_at("01/12/2025")
    an = "001214000001"
    sheet = xlsx({"NX": [_LONG, ("6A", an, "Ngữ văn", "I", None, "Đọc tốt.")]})
    for code in ("GV01", "GV03"):  # Toán's teacher in 6A; 6A's homeroom teacher
        with pytest.raises(PermissionDenied, match="Ngữ văn"):
            await import_file(
                await small.actor(code), small.year, "marks", sheet, "nx.xlsx", workers=workers
            )
    assert not await Comment.exists()
    marks = await Mark.all().count()
    # a school's own long sheet: a row with only the comment is a row
    report = await import_file(
        await small.actor("GV02"), small.year, "marks", sheet, "nx.xlsx", workers=workers
    )
    assert "marks" not in report.parts and report.parts["comments"].created == 1
    assert await _stored(small) == {AN: "Đọc tốt."}
    assert await Mark.all().count() == marks


async def test_a_row_given_twice_is_refused_for_its_comment_too(small, workers, clock_at) -> None:
    clock_at("01/12/2025")
    an = "001214000001"
    sheet = [
        _LONG,
        ("6A", an, "Ngữ văn", "I", 8, None),
        ("6A", an, "Ngữ văn", "HK1", None, "Đọc tốt."),
    ]
    with pytest.raises(ImportRejected) as refused:
        await import_file(
            await small.actor("GV02"),
            small.year,
            "marks",
            xlsx({"NX": sheet}),
            "nx.xlsx",
            workers=workers,
        )
    (problem,) = refused.value.problems
    assert problem.row == 3 and "dòng 2" in problem.problem
    assert not await Comment.exists()
