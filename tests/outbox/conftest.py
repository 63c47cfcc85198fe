"""Outbox tests: a school with staff on the `db` fixture, and the fake Telegram server."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable

import pytest

from core.models import Notification, Role, School, Staff, StaffRole
from core.models.outbox import DeliveryState
from tests.telegram_fake.fixtures import *  # noqa: F403

NOW = dt.datetime(2025, 11, 28, 8, 0, tzinfo=dt.UTC)

MakeStaff = Callable[..., Awaitable[Staff]]


@pytest.fixture
async def school(secondary) -> School:
    return secondary[0]


@pytest.fixture
def make_staff(school: School) -> MakeStaff:
    """`await make_staff(telegram_user_id=..., roles=(Role.ADMIN,), language="en")`."""
    numbers = itertools.count(1)

    async def make(
        *,
        telegram_user_id: int | None = None,
        roles: tuple[Role, ...] = (Role.SUBJECT_TEACHER,),
        language: str = "vi",
        name: str | None = None,
    ) -> Staff:
        n = next(numbers)
        staff = await Staff.create(
            school=school,
            code=f"GV{n:02d}",
            full_name=name or f"Giáo viên {n}",
            telegram_user_id=telegram_user_id,
            language=language,
        )
        for role in roles:
            await StaffRole.create(staff=staff, role=role)
        return staff

    return make


async def undeliverable(school_id: int) -> list[Notification]:
    """What has not reached its recipient and will not without someone acting: failed, or
    waiting for a staff member to link Telegram (`staff` loaded), oldest first."""
    return (
        await Notification.filter(
            school_id=school_id, state__in=[DeliveryState.FAILED, DeliveryState.WAITING_LINK]
        )
        .select_related("staff")
        .order_by("created_at", "id")
    )
