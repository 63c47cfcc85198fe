"""`hocba serve` as a school runs it: a separate process, polling the (fake) Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.telegram_fake import FakeTelegramServer


async def test_serve_answers_start_and_help_then_stops_on_sigterm(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "HOCBA_TELEGRAM_TOKEN": telegram_server.token,
        "HOCBA_TELEGRAM_BASE_URL": telegram_server.base_url,
        "HOCBA_TELEGRAM_BASE_FILE_URL": telegram_server.base_file_url,
        "HOCBA_DATABASE_URL": f"sqlite://{tmp_path / 'serve.sqlite3'}",
    }
    env.pop("HOCBA_CONFIG", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        started = asyncio.create_task(process.wait())
        polling = asyncio.create_task(
            telegram_server.wait_until(
                lambda: telegram_server.calls_to("getUpdates"), timeout=30, what="the bot polls"
            )
        )
        await asyncio.wait({started, polling}, return_when=asyncio.FIRST_COMPLETED)
        started.cancel()
        polling.cancel()
        assert process.returncode is None, "hocba serve exited before polling"
        user = telegram_server.user(1001, "Lan")
        await user.send_command("/start")
        welcome = await user.wait_for_message(timeout=10)
        assert "Xin chào! Đây là trợ lý Học bạ số" in welcome.text
        await user.send_command("/help")
        assert "Hướng dẫn" in (await user.wait_for_message(timeout=10)).text
        commands = [c["command"] for c in telegram_server.commands_for(1001)]
        assert commands == [
            "start",
            "help",
            "nhapdiem",
            "chunhiem",
            "suadiem",
            "chuky",
            "language",
            "dangxuat",
        ]
        assert (tmp_path / "serve.sqlite3").exists()  # opened in post_init
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
