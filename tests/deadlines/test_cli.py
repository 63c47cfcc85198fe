"""`hocba calendar`, `lock`, `unlock`, `progress`, and a write refused through `hocba import`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.cli import main
from core import clock
from core.db import close_database, open_database
from core.services.templates import grade_sheet_template

from .test_templates import filled

Hocba = Callable[..., Awaitable[tuple[int, str, str]]]


@contextlib.asynccontextmanager
async def command_line(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> AsyncIterator[Hocba]:
    """`hocba` as run from a console: it opens the database itself, in its own event loop;
    each run gives (exit code, stdout, stderr)."""
    await close_database()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOCBA_DATABASE_URL", db)
    for name in ("HOCBA_CONFIG", "HOCBA_TELEGRAM_TOKEN", "HOCBA_SCHOOL_CODE"):
        monkeypatch.delenv(name, raising=False)

    async def hocba(*argv: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(main, list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    try:
        yield hocba
    finally:
        await open_database(db)


async def test_deadline_commands(
    upcoming, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, workers
) -> None:
    small = upcoming
    template = await grade_sheet_template(
        small.admin, small.classes["6A"], small.subjects["NV"], small.terms[1], workers=workers
    )
    sheet = tmp_path / "bang-diem.xlsx"
    sheet.write_bytes(filled(template.data, {"G7": 6.5, "I7": 7, "I8": 8}))
    second_year = int(small.year.name[5:])

    async with command_line(db, tmp_path, monkeypatch, capsys) as hocba:
        code, out, _err = await hocba("calendar", "show")
        assert code == 0 and f"30/06/{second_year}" in out and "001 Điều 25.1" in out
        moved = ("calendar", "set", "lock.year", f"25/06/{second_year}", "16:00")
        code, _out, err = await hocba(*moved)  # a lock date: the principal's decision
        assert code == 1 and "Ngày khóa sổ do Hiệu trưởng quyết định" in err
        assert "--decided-by MÃ_HIỆU_TRƯỞNG" in err
        code, out, _err = await hocba(*moved, "--decided-by", "HT01")
        assert code == 0 and "16:00, " in out and f"25/06/{second_year}" in out

        code, _out, err = await hocba("lock", "6A", "Ngữ", "văn", "HK1")
        assert code == 1 and "--decided-by" in err
        code, out, _err = await hocba("lock", "6A", "Ngữ", "văn", "HK1", "--decided-by", "HT01")
        assert code == 0 and "Đã khóa sổ điểm lớp 6A, môn Ngữ văn, học kỳ I" in out

        # the admin imports a teacher's sheet on the principal's decision (nhập hộ, 001 Điều
        # 17.2), refused all the same by the lock
        rule = ("rules", "set", "admin_enters_marks", "yes", "--decided-by", "HT01")
        code, _out, err = await hocba(*rule)
        assert code == 0, err
        code, _out, err = await hocba("import", "marks", str(sheet))
        assert code == 1
        assert "Không ghi được: Sổ điểm lớp 6A, môn Ngữ văn, học kỳ I" in err
        assert "Hiệu trưởng Đỗ Thị Hiệu" in err

        code, out, _err = await hocba("lock")
        assert code == 0 and "🔒 Sổ điểm lớp 6A, môn Ngữ văn" in out

        in_15_days = dt.datetime.now(clock.zone()) + dt.timedelta(days=15)
        code, _out, err = await hocba(
            "unlock",
            "6A",
            "Ngữ văn",
            "HK1",
            "--decided-by",
            "HT01",
            "--reason",
            "Nhập bù điểm",
            "--until",
            in_15_days.strftime("%d/%m/%Y %H:%M"),
        )
        assert code == 1 and "14 ngày" in err  # the core's limit, as in the bot

        until = (dt.datetime.now(clock.zone()) + dt.timedelta(hours=1)).strftime("%d/%m/%Y %H:%M")
        code, out, _err = await hocba(
            "unlock",
            "6A",
            "Ngữ văn",
            "HK1",
            "--decided-by",
            "HT01",
            "--reason",
            "Nhập bù điểm",
            "--until",
            until,
        )
        assert code == 0 and "tự khóa lại" in out
        code, out, _err = await hocba("import", "marks", str(sheet))
        assert code == 0

        code, out, _err = await hocba("progress", "6A", "--term", "1")
        assert code == 0 and "Rèn luyện: thiếu 1 học sinh" in out and "Phạm Thị Chi" in out
        assert "Số ngày nghỉ: thiếu 1 học sinh" in out
        code, out, _err = await hocba("progress", "--term", "1")
        assert code == 0 and "✓ Bùi Thị Văn: đủ" in out and "✓ Hoàng Văn Toán: đủ" in out
        assert "• Ngô Chủ Nhiệm" in out  # missing, but not late yet
        homerooms = out.split("Phần chủ nhiệm theo lớp:\n")[1]
        assert "  • 6A (Ngô Chủ Nhiệm):\n      Rèn luyện: thiếu 1 học sinh, hạn 17:00" in homerooms
        assert "  • 6B (chưa có GVCN):" in homerooms


async def test_calendar_set_checks_dates_and_asks_before_locking(
    upcoming, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, clock_at
) -> None:
    """A typo and the help's old example are refused with the range allowed; a change that
    locks now prints what would lock and changes nothing without --yes."""
    small = upcoming
    year, second = small.year.name, int(small.year.name[5:])
    clock_at(f"20/01/{second}", "10:00")  # term II has begun; term I locks on 29/01
    with pytest.raises(SystemExit):
        main(["calendar", "--help"])
    assert f"lock.year 30/06/{second} 17:00" in capsys.readouterr().out  # this year's
    async with command_line(db, tmp_path, monkeypatch, capsys) as hocba:
        code, _out, err = await hocba("calendar", "set", "lock.term1", "01/01/2020")
        assert code == 1 and f"nằm ngoài năm học {year}" in err
        assert f"15/01/{second} («Hạn nhập xong học kỳ I») đến 17:00" in err
        code, _out, err = await hocba(
            "calendar", "set", "lock.year", f"30/06/{second - 1}", "17:00"
        )
        assert code == 1 and f"nằm ngoài năm học {year}" in err

        now_ago = ("calendar", "set", "lock.term1", f"20/01/{second}", "09:00")
        now_ago += ("--decided-by", "HT01")  # a lock date: the principal's decision
        code, out, err = await hocba(*now_ago)
        assert code == 1 and out == ""
        assert f"Sổ điểm học kỳ I (năm học {year}), cả 2 lớp: ngay khi xác nhận" in err
        assert "2 giáo viên còn nhập dở (5 ô điểm còn thiếu)" in err
        assert "Lịch chưa thay đổi. Chạy lại lệnh với --yes để áp dụng." in err
        code, out, _err = await hocba("lock")
        assert code == 0 and "chưa có khóa nào" in out

        code, out, _err = await hocba(*now_ago, "--yes")
        assert code == 0 and "Sẽ khóa:" in out
        assert "Đã đặt «Khóa sổ học kỳ I»: 09:00, " in out and f"20/01/{second}." in out
        assert f"🔒 Sổ điểm học kỳ I (năm học {year}) đã khóa từ 09:00" in out
        code, out, _err = await hocba("lock")
        assert code == 0 and "theo lịch khóa sổ của trường («Khóa sổ học kỳ I»)" in out
        code, _out, err = await hocba("calendar", "set", "lock.term1", f"29/01/{second}")
        assert code == 1 and "đã khóa" in err
