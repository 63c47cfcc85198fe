"""Staff sign-in in the core: invites, own contact, one account per person, attempts audited."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import PermissionDenied
from core.models import AuditEvent, InviteCode, Role, Staff
from core.rules.catalog import SchoolLevel
from core.services import roster, signin
from core.services.access import Actor
from core.services.schools import create_school, ensure_year

NOW = dt.datetime(2025, 11, 28, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
async def staff(secondary, admin_of):
    school, year = secondary
    await roster.write_staff(
        admin_of(school),
        year,
        [
            roster.StaffEntry(
                "GV01", "Lê Thị Hoa", frozenset({Role.SUBJECT_TEACHER}), phone="+84912345678"
            ),
            roster.StaffEntry(
                "GV02", "Trần Văn Bình", frozenset({Role.SUBJECT_TEACHER}), phone="+84987654321"
            ),
        ],
    )
    return school, await Staff.get(code="GV01"), await Staff.get(code="GV02")


async def test_invite_works_once_for_its_school(staff, admin_of) -> None:
    school, hoa, _binh = staff
    invite = await signin.create_invite(admin_of(school), "hoa", now=NOW)  # part of the name
    assert invite.staff.id == hoa.id and len(invite.code) >= 16
    linked = await signin.redeem_invite(invite.code, 111, school_id=school.id, now=NOW)
    assert linked.telegram_user_id == 111
    with pytest.raises(signin.SignInRefused, match="đã được dùng"):
        await signin.redeem_invite(invite.code, 222, school_id=school.id, now=NOW)
    assert (await Staff.get(id=hoa.id)).telegram_user_id == 111


async def test_invite_refusals_are_audited(staff, admin_of) -> None:
    school, _hoa, _binh = staff
    other = await create_school("THCS-X", "Trường X", SchoolLevel.LOWER_SECONDARY)
    await ensure_year(other, "2025-2026")
    expired = await signin.create_invite(admin_of(school), "GV01", now=NOW - dt.timedelta(days=4))
    with pytest.raises(signin.SignInRefused, match="hết hạn"):
        await signin.redeem_invite(expired.code, 333, school_id=school.id, now=NOW)
    with pytest.raises(signin.SignInRefused, match="không đúng"):
        await signin.redeem_invite("not-a-real-code", 333, school_id=school.id, now=NOW)
    fresh = await signin.create_invite(admin_of(school), "GV01", now=NOW)
    with pytest.raises(signin.SignInRefused, match="trường khác"):
        await signin.redeem_invite(fresh.code, 333, school_id=other.id, now=NOW)
    reasons = [e.after["reason"] for e in await AuditEvent.filter(action=signin.REFUSED)]
    assert reasons == ["expired_code", "unknown_code", "other_school"]
    assert await Staff.filter(telegram_user_id=333).count() == 0


async def test_guessing_is_slowed_down(staff) -> None:
    school, *_ = staff
    for attempt in range(signin.MAX_FAILURES):
        with pytest.raises(signin.SignInRefused, match="không đúng"):
            await signin.redeem_invite(f"guess-{attempt}", 444, school_id=school.id, now=NOW)
    with pytest.raises(signin.SignInRefused, match="nhiều lần"):
        await signin.redeem_invite("guess-again", 444, school_id=school.id, now=NOW)


async def test_only_admins_create_invites(staff) -> None:
    _school, hoa, _ = staff
    teacher = await Actor.of_staff(hoa)
    with pytest.raises(PermissionDenied):
        await signin.create_invite(teacher, "GV02", now=NOW)


async def test_an_invite_into_a_schools_signing_account_is_the_principals(staff, admin_of):
    """Whoever redeems an invite acts as that person: for the principal, vice principal or
    clerk only on the principal's decision (001 Điều 16.2, 33.2). The school's set-up, before
    it has a principal, invites its first principal."""
    school, _hoa, _ = staff
    year = await school.years.all().first()
    admin = admin_of(school)
    set_up = await signin.create_invite(admin, "GV01", now=NOW)  # no principal yet: a teacher
    assert set_up.staff.code == "GV01"
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry("HT01", "Đỗ Thị Hiệu", frozenset({Role.PRINCIPAL})),
            roster.StaffEntry("VT01", "Phan Văn Thư", frozenset({Role.CLERK})),
        ],
    )  # the set-up: the school had no principal on record
    principal = await Staff.get(code="HT01")
    before = await InviteCode.all().count(), await AuditEvent.all().count()
    for who in ("HT01", "VT01"):
        with pytest.raises(PermissionDenied, match=f"hocba staff invite {who} --decided-by"):
            await signin.create_invite(admin, who, now=NOW)
    assert (await InviteCode.all().count(), await AuditEvent.all().count()) == before

    invite = await signin.create_invite(admin, "VT01", decided_by=principal, now=NOW)
    assert invite.staff.code == "VT01"
    event = await AuditEvent.filter(action="signin.invite").order_by("-seq").first()
    assert event.after["decided_by_staff"] == principal.id
    teacher_decides = await Staff.get(code="GV02")
    with pytest.raises(PermissionDenied, match="không phải Hiệu trưởng"):
        await signin.create_invite(admin, "HT01", decided_by=teacher_decides, now=NOW)
    assert (await signin.create_invite(admin, "GV02", now=NOW)).staff.code == "GV02"


async def test_contact_must_be_own_and_known(staff) -> None:
    school, hoa, _binh = staff
    with pytest.raises(signin.SignInRefused, match="không phải số điện thoại của chính bạn"):
        await signin.link_by_contact("0912345678", 999, 555, school_id=school.id, now=NOW)
    with pytest.raises(signin.SignInRefused, match="không có trong danh sách"):
        await signin.link_by_contact("0900000000", 555, 555, school_id=school.id, now=NOW)
    staff_row = await signin.link_by_contact("0912 345 678", 555, 555, school_id=school.id, now=NOW)
    assert staff_row.id == hoa.id and (await Staff.get(id=hoa.id)).telegram_user_id == 555


async def test_one_account_per_person_and_relink(staff, admin_of) -> None:
    school, hoa, binh = staff
    await signin.link_by_contact("0912345678", 555, 555, school_id=school.id, now=NOW)
    # the same account cannot become a second person
    with pytest.raises(signin.SignInRefused, match="đang đăng nhập là Lê Thị Hoa"):
        await signin.link_by_contact("0987654321", 555, 555, school_id=school.id, now=NOW)
    # another account cannot take over Hoa by her phone number
    with pytest.raises(signin.SignInRefused, match="tài khoản Telegram khác"):
        await signin.link_by_contact("0912345678", 666, 666, school_id=school.id, now=NOW)
    # sign out, then Binh's account works; an admin's invite moves Hoa to a new phone
    assert (await signin.unlink(555)).id == hoa.id
    await signin.link_by_contact("0987654321", 555, 555, school_id=school.id, now=NOW)
    invite = await signin.create_invite(admin_of(school), "GV01", now=NOW)
    await signin.redeem_invite(invite.code, 777, school_id=school.id, now=NOW)
    assert (await Staff.get(id=hoa.id)).telegram_user_id == 777
    assert (await Staff.get(id=binh.id)).telegram_user_id == 555
    assert await AuditEvent.filter(action__startswith="signin.linked").count() == 3
