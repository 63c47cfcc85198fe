"""`hocba web` in a process of its own, as a school runs it: for the portal's tests and
`make bench-portal`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from typing import IO

import aiohttp

from tests.telegram_fake.fixtures import free_port

START_SECONDS = 30.0


@contextlib.asynccontextmanager
async def hocba_web(env: dict[str, str]) -> AsyncIterator[str]:
    """Start `python -m bot.cli web` on a free loopback port with `env` as its only HOCBA_*
    settings; yield its base URL once /healthz answers; then stop it with SIGTERM, after
    which it must exit cleanly (code 0)."""
    port = free_port()
    settings = {k: v for k, v in os.environ.items() if not k.startswith("HOCBA_")}
    settings |= {"HOCBA_WEB_HOST": "127.0.0.1", "HOCBA_WEB_PORT": str(port), **env}
    # its log goes to a file: a pipe nobody reads fills up under load and stalls the server
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "web"],
            env=settings,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            if not await _until_healthy(server, base):
                raise RuntimeError(f"hocba web did not start: {_tail(log)}")
            yield base
        finally:
            server.send_signal(signal.SIGTERM)
            code = server.wait(30)
        assert code == 0, _tail(log)


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-4000:]


async def _until_healthy(server: subprocess.Popen, base: str) -> bool:
    async with aiohttp.ClientSession() as session:
        for _ in range(int(START_SECONDS * 10)):
            if server.poll() is not None:
                break
            try:
                async with session.get(f"{base}/healthz") as health:
                    if health.status == 200:
                        return True
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    return False
