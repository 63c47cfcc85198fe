"""What a teacher (or the admin at the console) reads about a grade sheet the bot sent them:
a refused one says nothing was saved and the whole file must come again, names the student
of each row, writes numbers with the decimal comma the sheet asks for; and nobody is told
about the template's own guide sheet."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from core.db import close_database, open_database
from core.importing import FileRejected, import_file, import_teacher_sheet
from core.models import Mark
from core.services import school_rules
from core.services.templates import grade_sheet_template

from .conftest import Small
from .test_templates import filled

# 6A Ngữ văn: rows 6, 7, 8 are An, Bình, Chi; G = TX4, I = CK
BAD = {"G7": 11, "I7": 7.55, "I6": 7.25, "I8": 8}


async def _template(small: Small, workers) -> tuple[bytes, str]:
    template = await grade_sheet_template(
        await small.actor("GV02"),
        small.classes["6A"],
        small.subjects["NV"],
        small.terms[1],
        workers=workers,
    )
    return template.data, template.filename


async def test_a_refused_sheet_says_what_to_do_and_whose_rows(upcoming: Small, workers) -> None:
    data, name = await _template(upcoming, workers)
    before = await Mark.all().count()
    teacher = await upcoming.actor("GV02")

    with pytest.raises(FileRejected) as refused:
        await import_teacher_sheet(teacher, filled(data, BAD), name, workers=workers)

    text = str(refused.value)
    lines = text.splitlines()
    assert lines[0] == (
        f"❌ Chưa lưu gì từ tệp «{name}»: tệp có 3 lỗi, nên không dòng nào được ghi, kể cả các "
        "dòng đúng. Hãy sửa lỗi dưới đây rồi gửi lại cả tệp cho Trợ lý:"
    )
    assert lines[1].startswith("• Bảng điểm, dòng 6 (Nguyễn Văn An), cột «CK»: Điểm «7,25»")
    assert lines[2].startswith("• Bảng điểm, dòng 7 (Trần Thị Bình), cột «TX4»: Điểm «11»")
    assert lines[3].startswith("• Bảng điểm, dòng 7 (Trần Thị Bình), cột «CK»: Điểm «7,55»")
    assert "(ví dụ 7 hoặc 7,5)" in lines[3]
    assert "7.5" not in text and "Hướng dẫn" not in text
    assert await Mark.all().count() == before  # not even Chi's good CK

    report = await import_teacher_sheet(
        teacher, filled(data, {"G7": 6, "I7": "7,5", "I6": 7.5, "I8": 8}), name, workers=workers
    )
    assert "Hướng dẫn" not in report.summary() and "Bỏ qua" not in report.summary()
    written = report.parts["marks"]
    assert (written.created, written.updated) == (3, 1)  # An's CK 7 became 7,5


async def test_a_guide_sheet_of_the_schools_own_is_still_mentioned(
    upcoming: Small, workers
) -> None:
    """Only the template's guide (known by its first line) passes without a word: a sheet the
    school added is named as left out, so nothing in a file is dropped silently."""
    data, name = await _template(upcoming, workers)
    book = load_workbook(io.BytesIO(data))
    book.create_sheet("Ghi chú").append(["Điểm bù của em Chi sẽ nhập sau"])
    out = io.BytesIO()
    book.save(out)
    teacher = await upcoming.actor("GV02")  # Ngữ văn's teacher enters her own sheet
    report = await import_file(
        teacher, upcoming.year, "marks", out.getvalue(), name, workers=workers
    )
    assert "Bỏ qua trang «Ghi chú»" in report.summary()
    assert "Hướng dẫn" not in report.summary()


async def test_hocba_import_tells_the_same(
    upcoming: Small,
    db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    workers,
) -> None:
    data, name = await _template(upcoming, workers)
    bad, good = tmp_path / name, tmp_path / "tot.xlsx"
    bad.write_bytes(filled(data, BAD))
    good.write_bytes(filled(data, {"G7": 6, "I7": "7,5", "I6": 7.5, "I8": 8}))
    # the console imports a teacher's sheet on the principal's decision (001 Điều 17.2)
    await school_rules.set_rule(upcoming.admin, "admin_enters_marks", "yes", decided_by="HT01")
    await close_database()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOCBA_DATABASE_URL", db)
    for variable in ("HOCBA_CONFIG", "HOCBA_SCHOOL_CODE", "HOCBA_STAGING_NOW"):
        monkeypatch.delenv(variable, raising=False)
    try:
        code = await asyncio.to_thread(main, ["import", "marks", str(bad)])
        out, err = capsys.readouterr()
        assert code == 1 and out == ""
        assert err.startswith(f"❌ Chưa lưu gì từ tệp «{name}»: tệp có 3 lỗi")
        assert "Hãy sửa lỗi dưới đây rồi nhập lại cả tệp:" in err
        assert "• Bảng điểm, dòng 7 (Trần Thị Bình), cột «CK»: Điểm «7,55»" in err
        assert "7.5" not in err and "Hướng dẫn" not in err

        code = await asyncio.to_thread(main, ["import", "marks", str(good)])
        out, err = capsys.readouterr()
        assert code == 0 and "3 thêm mới, 1 cập nhật" in out and "Hướng dẫn" not in out
    finally:
        await open_database(db)
