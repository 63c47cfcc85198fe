"""The scheduler's leader (core.leader): on PostgreSQL one process leads at a time, whatever
ends the leader's connection the next one to ask takes over, and a scheduled round runs only in
the leader (jobs.leading); on SQLite the one process always leads."""

from __future__ import annotations

import os
from types import SimpleNamespace

import asyncpg
import pytest

from core.leader import Leadership, lock_key
from core.services.outbox import Doorbell
from jobs.leading import led
from tests.conftest import POSTGRES_URL

# a schema of this test process's own: another run on the same server has another lock
URL = f"{POSTGRES_URL}?schema=hocba_leader_{os.getpid()}"


@pytest.mark.postgres
async def test_one_process_leads_and_the_next_takes_over_when_it_stops() -> None:
    first, second = Leadership(URL), Leadership(URL)
    try:
        assert await first.leads() and await first.leads()  # kept, not asked again
        assert not await second.leads()
        await first.close()
        assert await second.leads() and not await first.leads()
    finally:
        await first.close()
        await second.close()


@pytest.mark.postgres
async def test_a_leader_whose_connection_dies_loses_the_lead() -> None:
    """PostgreSQL ends the leader's session (as when its process is killed or its network
    cut): the lock goes with it, another process takes the lead, and the old leader, asking
    again, finds it taken."""
    old, new = Leadership(URL), Leadership(URL)
    try:
        assert await old.leads()
        pid = old.session
        assert pid is not None and new.session is None
        killer = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://"))
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await killer.close()
        assert await new.leads()
        assert not await old.leads()
    finally:
        await old.close()
        await new.close()


@pytest.mark.postgres
async def test_a_round_runs_only_in_the_leader() -> None:
    ran: list[str] = []

    def round_of(name: str):
        async def job(_context) -> None:
            ran.append(name)

        return job

    leading, waiting = Leadership(URL), Leadership(URL)
    try:
        assert await leading.leads()
        for name, leader in (("leader", leading), ("other", waiting)):
            runtime = SimpleNamespace(leader=leader, doorbell=Doorbell())
            await led(runtime, round_of(name))(None)  # type: ignore[arg-type]
        assert ran == ["leader"]
    finally:
        await leading.close()
        await waiting.close()


async def test_sqlite_has_one_process_which_leads(tmp_path) -> None:
    one, two = Leadership(f"sqlite://{tmp_path / 'a.sqlite3'}"), Leadership("sqlite://b")
    assert await one.leads() and await two.leads()
    await one.close()


def test_each_schema_has_its_own_lock() -> None:
    assert lock_key("school_a") != lock_key("school_b")
    assert lock_key(None) == lock_key("public")
    assert all(-(1 << 31) <= lock_key(s) < (1 << 31) for s in ("a", "b", None))
