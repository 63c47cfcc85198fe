"""`hocba ARGS` as an admin runs it from a console: a process of its own (`python -m bot.cli`)
on the test's database, the clock held by the staging setting, as a school rehearses."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from core.db import close_database, open_database

Hocba = Callable[..., Awaitable[tuple[int, str, str]]]
ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def console(db: str, cwd: Path) -> AsyncIterator[Hocba]:
    """`hocba ARGS` in a process of its own, in `cwd`; each run gives (exit code, out, err)."""
    await close_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOCBA_")}
    env |= {
        "HOCBA_DATABASE_URL": db,
        "HOCBA_STAGING_NOW": "2025-12-20 10:00",
        "PYTHONPATH": str(ROOT),
        "PYTHONWARNINGS": "ignore",  # a library's deprecation notice is not the command's output
    }

    async def hocba(*argv: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot.cli", *argv),
            cwd=cwd,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    try:
        yield hocba
    finally:
        await open_database(db)
