"""`hocba reminders run [--dry-run]` and the staging clock ([staging] now, HOCBA_STAGING_NOW),
through the command line as a school's IT teacher runs it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from core import clock
from core.db import close_database, open_database
from core.models import Notification
from core.models.outbox import DeliveryState

from .conftest import Small

MONDAY = "12/01/2026 17:05"  # the 3-day reminder of term I's entry (15/01 17:00) is at 17:00
AFTER_ENTRY = "2026-01-15 17:30"


@pytest.fixture
def hocba(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """`hocba ...` on the test database from an empty directory, with the staging clock of
    `now` (None: none); the clock the command fixed is undone after the test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOCBA_DATABASE_URL", db)
    for name in ("HOCBA_CONFIG", "HOCBA_TELEGRAM_TOKEN", "HOCBA_SCHOOL_CODE", "HOCBA_STAGING_NOW"):
        monkeypatch.delenv(name, raising=False)

    async def run(*argv: str, now: str | None = None) -> tuple[int, str, str]:
        if now is None:
            monkeypatch.delenv("HOCBA_STAGING_NOW", raising=False)
        else:
            monkeypatch.setenv("HOCBA_STAGING_NOW", now)
        code = await asyncio.to_thread(main, list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    clock.set_time(None)


async def test_dry_run_prints_and_enqueues_nothing_then_a_run_enqueues_once(
    small: Small, db: str, hocba, caplog: pytest.LogCaptureFixture
) -> None:
    await close_database()  # the command line opens the database itself
    try:
        code, out, err = await hocba("reminders", "run", "--dry-run", now=MONDAY)
        assert code == 0, err
        # on a console (no logging set up) the warning goes to stderr; pytest captures logs
        assert "Đồng hồ thử nghiệm ([staging] now): mọi việc chạy như lúc 17:05" in caplog.text
        assert "Vòng nhắc của Trường THCS Nhỏ, từ 16:50, Thứ Hai, 12/01/2026" in out
        assert "đến 17:05, Thứ Hai, 12/01/2026." in out
        assert "2 tin nhắn:" in out
        waiting = "[chưa đăng nhập Trợ lý: tin chờ đến khi đăng nhập]"
        assert f"→ Bùi Thị Văn (GV02), nhắc hạn nhập điểm {waiting}:" in out
        assert "    ⏰ Nhắc hạn nhập điểm" in out  # the message, without its HTML
        assert "    • 6A — Ngữ văn, HK I: TX4 (1 HS), CK (2 HS)" in out
        assert f"→ Ngô Chủ Nhiệm (GV03), nhắc hạn nhập điểm {waiting}:" in out
        assert "Hoàng Văn Toán" not in out  # complete: nothing for him
        assert "Chạy thử: chưa gửi gì." in out
        again = await hocba("reminders", "run", "--dry-run", now=MONDAY)
        assert again == (0, out, err)  # the dry run moved nothing on

        await open_database(db)
        assert await Notification.all().count() == 0
        await close_database()

        code, out, _err = await hocba("reminders", "run", now=MONDAY)
        assert code == 0
        assert "Đã xếp 2 tin nhắn mới vào hàng gửi: 2 giáo viên được nhắc, 0 hạn đã qua" in out
        code, out, _err = await hocba("reminders", "run", now=MONDAY)
        assert code == 0 and "không có gì để chạy" in out and "17:05, Thứ Hai, 12/01/2026" in out

        await open_database(db)
        reminders = await Notification.filter(kind="reminder").values_list("staff__code", "state")
        assert sorted(reminders) == [
            ("GV02", DeliveryState.WAITING_LINK),
            ("GV03", DeliveryState.WAITING_LINK),
        ]
        await close_database()

        # later on the staging clock: term I's entry has passed, the digest names the late
        # teachers, each with whether the reminders reach them
        code, out, _err = await hocba("reminders", "run", "--dry-run", now=AFTER_ENTRY)
        assert code == 0
        assert "→ Đỗ Thị Hiệu (HT01), báo cáo quá hạn" in out
        assert "→ Vũ Quản Trị (QT01), báo cáo quá hạn" in out
        assert "    • Bùi Thị Văn: thiếu 3 ô điểm — chưa đăng nhập Trợ lý" in out
        assert "    Nhắc nhở tới những giáo viên này: 1 chưa đăng nhập Trợ lý" in out
        # the homeroom teacher's own deadline fell at the same time: its own digest
        assert "    ⚠️ Quá hạn: Hạn giáo viên chủ nhiệm nhập xong học kỳ I" in out
        assert (
            "    • Ngô Chủ Nhiệm: lớp 6A thiếu Rèn luyện 1 HS, Số ngày nghỉ 1 HS — chưa đăng "
            "nhập Trợ lý"
        ) in out
    finally:
        await open_database(db)


async def test_a_staging_clock_moves_the_command_line(
    small: Small, db: str, tmp_path: Path, hocba, caplog: pytest.LogCaptureFixture
) -> None:
    await close_database()
    try:
        code, out, _err = await hocba("progress", "--term", "1", now=MONDAY)
        assert code == 0 and "• Bùi Thị Văn" in out and "TRỄ HẠN" not in out
        (tmp_path / "config.toml").write_text(f'[staging]\nnow = "{AFTER_ENTRY}"\n')
        code, out, err = await hocba("progress", "--term", "1")
        assert code == 0 and "⚠ Bùi Thị Văn" in out and "TRỄ HẠN" in out
        assert "lúc 17:30, Thứ Năm, 15/01/2026" in caplog.text  # from config.toml

        code, out, err = await hocba("progress", now="2026-13-45 08:00")
        assert code == 2 and out == ""
        assert err.strip() == (
            'HOCBA_STAGING_NOW = "2026-13-45 08:00": cần ngày giờ theo giờ của trường, dạng '
            '"2026-05-20 08:00" (hoặc "20/05/2026 08:00"); "" để dùng giờ thật.'
        )
    finally:
        await open_database(db)
