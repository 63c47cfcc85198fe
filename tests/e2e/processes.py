"""`hocba serve` processes started by a test, as a deployment runs them, each with its own web
port; what they log goes to a file (a pipe nobody read would fill and stall the process)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError

from tests.telegram_fake.fixtures import free_port

HOCBA = [sys.executable, "-m", "bot.cli"]  # what the installed `hocba` script runs


def get(url: str) -> tuple[int, str]:
    """GET `url`: (status, body), whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


@dataclass
class Process:
    name: str
    port: int
    handle: asyncio.subprocess.Process
    log: Path  # its standard error: the log

    async def get(self, path: str) -> tuple[int, str]:
        """GET a page of this process's web listener."""
        return await asyncio.to_thread(get, f"http://127.0.0.1:{self.port}{path}")

    async def readyz(self) -> dict[str, object]:
        return json.loads((await self.get("/readyz"))[1])


@dataclass
class Processes:
    """The processes started so far, all stopped (SIGTERM) by `stop`."""

    environ: dict[str, str]
    logs: Path
    started: list[Process] = field(default_factory=list)

    async def start(
        self, arguments: list[str], *, port: int | None = None, env: dict[str, str] | None = None
    ) -> Process:
        """`hocba ARGUMENTS` on `port` (a free one by default), once its /healthz answers."""
        port = port or free_port()
        name = f"{'-'.join(arguments)}-{len(self.started)}"
        log = self.logs / f"{name}.log"
        handle = await asyncio.create_subprocess_exec(
            *HOCBA,
            *arguments,
            env={**self.environ, **(env or {}), "HOCBA_WEB_PORT": str(port)},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        process = Process(name, port, handle, log)
        self.started.append(process)
        for _ in range(300):
            if handle.returncode is not None:
                raise AssertionError(f"hocba {' '.join(arguments)} exited: {log.read_text()}")
            try:
                if (await process.get("/healthz"))[0] == 200:
                    return process
            except OSError:
                pass
            await asyncio.sleep(0.1)
        raise TimeoutError(f"hocba {' '.join(arguments)} never answered /healthz")

    async def stop(self) -> None:
        for process in self.started:
            if process.handle.returncode is None:
                process.handle.send_signal(signal.SIGTERM)
        for process in self.started:
            await asyncio.wait_for(process.handle.wait(), 30)
