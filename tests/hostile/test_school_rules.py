"""Hostile input to the school's rules (core.services.school_rules.set_rule, as `hocba rules
set` and any front end call it): each is refused in Vietnamese, repeats at most the start of
what was typed, writes nothing, and stays within the time and memory bound."""

from __future__ import annotations

import pytest

from core.errors import HocbaError
from core.models import AuditEvent, Role, SchoolRule, Staff, StaffRole
from core.rules.catalog import SchoolLevel
from core.services import school_rules
from core.services.access import Actor
from core.services.schools import create_school

from .conftest import bounded

PAGE = "x" * 1_000_000  # a pasted megabyte

CASES = [
    # (key, value, decided_by, fragment of the refusal)
    (PAGE, "yes", "HT01", "Không có quy định «xxxxxxxx"),
    ("admin_enters_marks", PAGE, "HT01", "không phải giá trị của «Quản trị nhập điểm hộ"),
    ("admin_enters_marks", "yes", PAGE, "Không có cán bộ mã «xxxx"),
    ("admin_enters_marks\x00", "yes", "HT01", "Không có quy định"),
    ("аdmin_enters_marks", "yes", "HT01", "Không có quy định"),  # a Cyrillic «а»
    ("correction_cutoff", "exam\u202e", "HT01", "Chọn một trong"),  # a bidi override
    ("supplementary_end", "１５/8", "HT01", "002: ngày 25/8"),  # full-width digits
    ("supplementary_end", "' OR 1=1 --", "HT01", "001: ngày 15/8"),
    ("seal_operator", "", "HT01", "clerk: văn thư"),
    ("", "", "HT01", "Các quy định của trường: admin_enters_marks"),
    ("seal_operator", "admin", "HT01\n", None),  # the code is trimmed: accepted (control)
    ("seal_operator", "admin", "' OR 1=1 --", "Không có cán bộ mã"),
    ("seal_operator", "admin", "HT\x0001", "Không có cán bộ mã"),  # PostgreSQL refuses a NUL
    ("seal_operator", "admin", "HT01\u200b", "Không có cán bộ mã"),  # a zero-width space
]


@pytest.fixture
async def admin(db: str) -> Actor:
    school = await create_school("THCS-QD", "Trường THCS Quy Định", SchoolLevel.LOWER_SECONDARY)
    principal = await Staff.create(school=school, code="HT01", full_name="Đỗ Thị Hiệu")
    await StaffRole.create(staff=principal, role=Role.PRINCIPAL)
    return Actor.command_line(school.id)


async def _written() -> tuple[int, int]:
    return await SchoolRule.all().count(), await AuditEvent.all().count()


@pytest.mark.parametrize(("key", "value", "decided_by", "fragment"), CASES)
async def test_refused_without_writing(
    admin: Actor, key: str, value: str, decided_by: str, fragment: str | None
) -> None:
    before = await _written()
    with bounded(seconds=5, traced_mib=64):
        if fragment is None:
            await school_rules.set_rule(admin, key, value, decided_by=decided_by)
        else:
            with pytest.raises(HocbaError) as refused:
                await school_rules.set_rule(admin, key, value, decided_by=decided_by)
    if fragment is None:
        assert await _written() == (before[0] + 1, before[1] + 1)
        return
    message = str(refused.value)
    assert fragment in message
    assert len(message) < 2000  # the pasted page is not repeated
    assert await _written() == before
