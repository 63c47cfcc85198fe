"""Certificate expiry (item 9): signers are listed and warned 30 and 7 days ahead, each
warning once, on a controllable clock; the seal's certificate is the clerk's to renew."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core import clock
from core.models import Notification, Role
from core.rules.catalog import SchoolLevel
from core.services import roster
from core.services.access import Actor
from core.services.cert_expiry import expiring_within, warn_expiring
from core.services.schools import create_school, ensure_year
from core.signing.backends import SigningSettings as Settings
from demo.pki import SEAL_CODE, issue, pkcs12_path, write_pkcs12
from jobs import cert_expiry as job

T0 = dt.datetime(2026, 5, 1, 1, 0, tzinfo=dt.UTC)
PEOPLE = [  # code, name, roles, days of validity from T0
    ("GV001", "Trần Đức Thắng", {Role.PRINCIPAL}, 20),
    ("GV004", "Vũ Thị Văn Thư", {Role.CLERK}, None),
    ("GV010", "Nguyễn Thị Ánh Tuyết", {Role.SUBJECT_TEACHER, Role.HOMEROOM}, 5),
    ("GV011", "Lê Văn Xa", {Role.SUBJECT_TEACHER}, 300),
]


@pytest.fixture
async def school(db, ca, tmp_path: Path):
    school = await create_school("THCS-HH", "Trường THCS Hết Hạn", SchoolLevel.LOWER_SECONDARY)
    year = await ensure_year(school, "2025-2026")
    await roster.write_staff(
        Actor.command_line(school.id),
        year,
        [roster.StaffEntry(c, n, frozenset(r), phone=None) for c, n, r, _d in PEOPLE],
    )
    validity = {c: d for c, _n, _r, d in PEOPLE if d} | {SEAL_CODE: 100}
    names = {c: n for c, n, _r, _d in PEOPLE} | {SEAL_CODE: school.name}
    for code, days in validity.items():
        issued = issue(ca, names[code], school.name, days=days, not_before=T0)
        write_pkcs12(issued, pkcs12_path(tmp_path, school.code, code), "pw", names[code])
    clock.set_time(T0)
    yield school, Settings("pkcs12", tmp_path, "pw", seal="pkcs12", demo=True)
    clock.set_time(None)


async def _warnings() -> list[str]:
    return [n.dedupe_key for n in await Notification.filter(kind="cert.expiry").order_by("id")]


async def test_listing_and_warnings_once_each(school):
    school, settings = school
    soon = await expiring_within(settings, school, 30, clock.now())
    assert sorted((e.code, e.days_left) for e in soon) == [("GV001", 20), ("GV010", 5)]

    assert await job.run(settings, school.id) == 2  # 30 days for the principal, 7 for GV010
    assert await job.run(settings, school.id) == 0  # the same day again: nothing new
    texts = [n.text for n in await Notification.filter(kind="cert.expiry")]
    assert any("Trần Đức Thắng" in t and "21/05/2026" in t and "còn 20 ngày" in t for t in texts)

    clock.set_time(T0 + dt.timedelta(days=14))  # the principal is now within 7 days
    assert await warn_expiring(settings, school, clock.now()) == 1
    clock.set_time(T0 + dt.timedelta(days=75))  # the seal: 25 days left, the clerk is told
    assert await warn_expiring(settings, school, clock.now()) == 1
    keys = await _warnings()
    assert len(keys) == 4 and len(set(keys)) == 4
    clerk_note = (await Notification.filter(kind="cert.expiry").order_by("-id").first()).text
    assert school.name in clerk_note and "gia hạn" in clerk_note
