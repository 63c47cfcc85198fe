"""/readyz, /metrics and request references of a running bot (issue 16, part 4): ready with its
database, worker processes and scheduler; the metrics count the updates people sent and time
them, and read the outbox from the database; only the bearer of the configured token reads
them; every web request gets a reference for its log lines, or keeps the proxy's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer

TOKEN = "metrics-token-for-the-test"


async def _get(url: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status, await response.text()


async def _reference(url: str, given: str | None = None) -> str:
    """The X-Request-Id the server answers with (core.logs: its lines' reference)."""
    headers = {"X-Request-Id": given} if given is not None else {}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.headers["X-Request-Id"]


async def test_readyz_and_metrics(telegram_server: FakeTelegramServer, tmp_path: Path) -> None:
    config = bot_config(telegram_server, tmp_path, HOCBA_WEB_METRICS_TOKEN=TOKEN)
    base = f"http://127.0.0.1:{config.web.port}"
    async with running_bot(config, seed_small, schedule_jobs=False):
        teacher = await signed_in(telegram_server, "GV01", 7801)  # a contact: a message
        await teacher.send_command("/help")
        await teacher.wait_for_message(timeout=10)
        await teacher.send_command("/help")
        await teacher.wait_for_message(timeout=10)

        status, body = await _get(f"{base}/readyz")
        assert status == 200, body
        assert json.loads(body) == {
            "status": "ok",
            "database": "ok",
            "workers": "ok",
            "scheduler": "ok",
            "leader": True,  # SQLite: the one process leads
        }

        made = {await _reference(f"{base}/healthz") for _ in range(3)}
        assert len(made) == 3 and all(re.fullmatch("w[0-9a-f]{10}", ref) for ref in made)
        assert await _reference(f"{base}/healthz", "proxy-7f3a.01") == "proxy-7f3a.01"
        forged = await _reference(f"{base}/healthz", "x" * 65)  # not carried into the log
        assert forged.startswith("w") and len(forged) == 11

        assert (await _get(f"{base}/metrics"))[0] == 401
        assert (await _get(f"{base}/metrics", Authorization="Bearer wrong"))[0] == 401
        status, text = await _get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
        assert status == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("hocba_updates_total", (("kind", "command"),))] == 2
    assert samples[("hocba_updates_total", (("kind", "message"),))] >= 1
    assert samples[("hocba_update_seconds_count", ())] >= 3
    assert samples[("hocba_update_seconds_bucket", (("le", "+Inf"),))] >= 3
    assert ("hocba_outbox_oldest_waiting_seconds", ()) in samples
    assert samples[("hocba_signing_batches_open", ())] == 0
    assert samples[("hocba_documents_signed_total", ())] == 0


async def test_metrics_are_off_without_a_token(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    config = bot_config(telegram_server, tmp_path)
    async with running_bot(config, seed_small, schedule_jobs=False):
        await signed_in(telegram_server, "GV01", 7802)  # the bot, and its web server, are up
        status, body = await _get(f"http://127.0.0.1:{config.web.port}/metrics")
    assert status == 404 and "metrics_token" in body
