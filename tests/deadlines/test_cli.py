"""`hocba calendar`, `lock`, `unlock`, `progress`, and a write refused through `hocba import`."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.cli import main
from core import clock
from core.db import close_database, open_database
from core.services.templates import grade_sheet_template

from .test_templates import filled


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

    # The command line opens the database itself, in its own event loop.
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
        code, out, _err = await hocba("calendar", "show")
        assert code == 0 and f"30/06/{second_year}" in out and "001 Điều 25.1" in out
        code, out, _err = await hocba(
            "calendar", "set", "lock.year", f"25/06/{second_year}", "16:00"
        )
        assert code == 0 and "16:00, " in out and f"25/06/{second_year}" in out

        code, _out, err = await hocba("lock", "6A", "Ngữ", "văn", "HK1")
        assert code == 1 and "--decided-by" in err
        code, out, _err = await hocba("lock", "6A", "Ngữ", "văn", "HK1", "--decided-by", "HT01")
        assert code == 0 and "Đã khóa sổ điểm lớp 6A, môn Ngữ văn, học kỳ I" in out

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
        assert code == 0 and "RL: thiếu 1 học sinh" in out and "Phạm Thị Chi" in out
        code, out, _err = await hocba("progress", "--term", "1")
        assert code == 0 and "✓ Bùi Thị Văn: đủ" in out and "✓ Hoàng Văn Toán: đủ" in out
        assert "• Ngô Chủ Nhiệm" in out  # missing, but not late yet
    finally:
        await open_database(db)
