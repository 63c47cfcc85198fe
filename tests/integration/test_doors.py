"""The doors families knock at (core.services.doors): five failures of a key within the hour
are free, then each doubles the wait from the last one, up to a day; a key that waits closes
the door for every try naming it, and the count lives in the database."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import AccessAttempt
from core.services import doors
from core.services.doors import DoorClosed

T0 = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)


def test_the_waits_grow_from_the_sixth_try() -> None:
    assert [doors.wait_after(n) for n in range(5)] == [dt.timedelta(0)] * 5
    minutes = [doors.wait_after(n) / dt.timedelta(minutes=1) for n in range(5, 10)]
    assert minutes == [1, 2, 4, 8, 16]
    assert doors.wait_after(40) == doors.MAX_WAIT


def test_a_personal_id_or_phone_is_never_a_key_as_written() -> None:
    key = doors.secret_key("nid", "037213000001")
    assert key.startswith("nid:") and "037213000001" not in key
    assert (
        key == doors.secret_key("nid", "037213000001") != doors.secret_key("phone", "037213000001")
    )


async def test_a_key_that_waits_closes_the_door_for_every_try_naming_it(db: str) -> None:
    guessed, other = doors.secret_key("nid", "037213000001"), doors.client_key("tg", 1)
    for n in range(5):
        await doors.ensure_open([guessed, doors.client_key("tg", 100 + n)], T0)
        reached = await doors.failed([guessed, doors.client_key("tg", 100 + n)], T0)
    assert reached == [guessed]  # the fifth failure: the school is told once
    with pytest.raises(DoorClosed, match="thử lại sau"):
        await doors.ensure_open([other, guessed], T0 + dt.timedelta(seconds=30))
    await doors.ensure_open([other], T0 + dt.timedelta(seconds=30))  # another ID: open
    await doors.ensure_open([guessed], T0 + dt.timedelta(minutes=1, seconds=1))
    await doors.failed([guessed], T0 + dt.timedelta(minutes=2))  # the sixth: two minutes
    with pytest.raises(DoorClosed):
        await doors.ensure_open([guessed], T0 + dt.timedelta(minutes=3))
    await doors.ensure_open([guessed], T0 + dt.timedelta(minutes=4, seconds=1))
    later = T0 + doors.WINDOW + dt.timedelta(minutes=3)
    await doors.ensure_open([guessed], later)  # forgotten
    await doors.failed([other], later)  # and dropped: the table holds about an hour
    assert await AccessAttempt.all().values_list("key", flat=True) == [other]
