"""`hocba template marks|homeroom` and `hocba import conduct|homeroom` as an admin runs them from a
console: separate processes (`python -m bot.cli`) on the test's database, the clock held in
term I of 2025-2026 by the staging setting, as a school rehearses."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from core.models import Absence, Comment, Conduct
from tests.deadlines.conftest import build_small
from tests.integration.console import console
from tests.on_behalf import enable_on_behalf


def edit(path: Path, sheet: str, cells: dict[str, object]) -> Path:
    book = load_workbook(path)
    for address, value in cells.items():
        book[sheet][address] = value
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


async def test_templates_and_homeroom_imports(sqlite_db: str, tmp_path: Path) -> None:
    """On SQLite only (seven processes are slow); the services behind are covered on both
    backends by tests/integration/test_import_homeroom.py."""
    small = await build_small("2025-2026")
    await enable_on_behalf(small.school.id)  # the console's admin enters the homeroom sheet
    chi = small.students["Phạm Thị Chi"]
    async with console(sqlite_db, tmp_path) as hocba:
        code, out, err = await hocba("template", "homeroom", "6A", "1")
        assert code == 0, err
        assert "Đã ghi bang-chu-nhiem-6a-hk1.xlsx." in out and "hocba import homeroom" in out
        sheet = tmp_path / "bang-chu-nhiem-6a-hk1.xlsx"
        rows = list(load_workbook(sheet)["Chủ nhiệm"].iter_rows(values_only=True))
        assert rows[4][3:] == ("Rèn luyện", "Nghỉ có phép", "Nghỉ không phép", "Nhận xét")
        assert rows[5][2:5] == ("Nguyễn Văn An", "Tốt", 1)

        code, out, err = await hocba("template", "marks", "6A", "Ngữ văn", "HK1", "-o", "nv.xlsx")
        assert code == 0, err
        assert "Đã ghi nv.xlsx." in out and "hocba import marks" in out
        marks = list(load_workbook(tmp_path / "nv.xlsx")["Bảng điểm"].iter_rows(values_only=True))
        assert marks[2][:5] == ("Lớp: 6A", None, "Môn: Ngữ văn", None, "Học kỳ: I")
        assert marks[4][-1] == "Nhận xét"
        # the subject teacher's comment comes back with the marks (Chi's row)
        noted = edit(tmp_path / "nv.xlsx", "Bảng điểm", {"J8": "Viết hay, cần đọc thêm."})
        code, out, err = await hocba("import", "marks", str(noted))
        assert code == 0, err
        assert "- Nhận xét: 1 thêm mới, 0 cập nhật, 0 không đổi." in out
        # the same sheet as the homeroom teacher's comments: refused, its comments are a subject's
        code, out, err = await hocba("import", "comments", str(noted))
        assert code == 1 and out == "" and "Đây là bảng điểm của một môn" in err, err
        code, out, err = await hocba("template", "marks", "6A", "Hóa học", "1")
        assert code == 1 and out == "" and "Trường không có môn «Hóa học»" in err

        bad = edit(sheet, "Chủ nhiệm", {"D7": "Giỏi", "D8": "Khá", "E8": 3})
        code, out, err = await hocba("import", "conduct", str(bad))
        assert code == 1 and out == ""
        told = err.splitlines()
        assert told[0].startswith("Đồng hồ thử nghiệm ([staging] now)")  # the clock set above
        assert told[1].startswith(
            "❌ Chưa lưu gì từ tệp «bang-chu-nhiem-6a-hk1.xlsx»: tệp có 1 lỗi,"
        )
        assert "rồi nhập lại cả tệp:" in err
        assert (
            "• Chủ nhiệm, dòng 7 (Trần Thị Bình), cột «Rèn luyện»: Kết quả rèn luyện «Giỏi»" in err
        )
        good = edit(sheet, "Chủ nhiệm", {"D7": "Tốt"})
        code, out, err = await hocba("import", "conduct", str(good))
        assert code == 0, err
        assert "- Rèn luyện: 1 thêm mới, 0 cập nhật, 2 không đổi." in out
        assert "bỏ qua các cột không dùng đến: «Nghỉ có phép», «Nghỉ không phép»" in out

        code, out, err = await hocba("import", "qualities", str(good))
        assert code == 1 and "Trường trung học không đánh giá từng phẩm chất" in err
        code, out, err = await hocba("import", "chunhiem", str(good))  # the whole file
        assert code == 0 and "- Số ngày nghỉ: 1 thêm mới" in out, err
    assert (await Conduct.get(student_id=chi)).level == "K"
    absent = await Absence.get(student_id=chi)
    assert (absent.excused, absent.unexcused) == (3, 0)
    noted = await Comment.get(student_id=chi, subject=small.subjects["NV"])
    assert noted.text == "Viết hay, cần đọc thêm."
