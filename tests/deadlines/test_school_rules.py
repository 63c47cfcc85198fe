"""The school's own rules (core.services.school_rules): defaults citing their articles, who may
change them (the principal; an admin naming the principal's decision; nobody else), the refusals
of a bad key or value, the audit trail, and `hocba rules`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import AuditEvent, Role, SchoolRule, Staff, StaffRole
from core.services import school_rules
from core.services.access import Actor
from core.services.calendar import load_calendar
from core.services.calendar.changes import set_deadline
from core.services.calendar.stored import calendars_of
from core.services.school_rules import RULES, Rules

from .conftest import Small, at
from .test_cli import command_line


async def _written() -> tuple[int, int]:
    return await SchoolRule.all().count(), await AuditEvent.all().count()


def test_each_rule_has_its_default_and_article() -> None:
    defaults = Rules()
    assert list(RULES) == [f.name for f in dataclasses.fields(Rules)]
    assert defaults == Rules(False, "lock", "001", "clerk")
    articles = {key: spec.default.article for key, spec in RULES.items()}
    assert articles == {
        "admin_enters_marks": "001 Điều 17.2",
        "correction_cutoff": "000 Điều 8",
        "supplementary_end": "001 Điều 25.2",
        "seal_operator": "001 Điều 24.5d",
    }
    assert [spec.default.value for spec in RULES.values()] == ["no", "lock", "001", "clerk"]
    assert all(c.article for spec in RULES.values() for c in spec.choices)


async def test_defaults_until_the_principal_decides(small: Small) -> None:
    assert await school_rules.school_rules(small.school.id) == Rules()
    principal = await small.actor("HT01")
    changes = {
        "admin_enters_marks": ("yes", True),
        "correction_cutoff": ("exam", "exam"),
        "supplementary_end": ("002", "002"),
        "seal_operator": ("admin", "admin"),
    }
    for key, (value, _read) in changes.items():
        state = await school_rules.set_rule(principal, key, value)
        assert state.changed and state.value.value == value
        assert state.decided_by == "Hiệu trưởng Đỗ Thị Hiệu"
    rules = await school_rules.school_rules(small.school.id)
    assert rules == Rules(**{key: read for key, (_v, read) in changes.items()})
    # the third choice of the supplementary end, and back to a default: the row stays, audited
    await school_rules.set_rule(principal, "supplementary_end", "000")
    assert (await school_rules.school_rules(small.school.id)).supplementary_end == "000"
    await school_rules.set_rule(principal, "Correction_Cutoff ", " LOCK")
    assert (await school_rules.school_rules(small.school.id)).correction_cutoff == "lock"
    events = await AuditEvent.filter(action="school.rule").order_by("seq")
    assert len(events) == 6
    assert events[-1].before == {"key": "correction_cutoff", "value": "exam"}
    assert events[-1].after["decided_by_staff"] == small.staff["HT01"].id
    assert events[-1].after["executed_by"] == principal.label
    assert events[-1].after["article"] == "000 Điều 8"
    # the same value again writes nothing
    before = await _written()
    state = await school_rules.set_rule(principal, "correction_cutoff", "lock")
    assert not state.changed and await _written() == before


async def test_an_admin_executes_only_the_principals_decision(small: Small) -> None:
    admin = await small.actor("QT01")
    before = await _written()
    with pytest.raises(InvalidValue, match="theo quyết định của Hiệu trưởng"):
        await school_rules.set_rule(admin, "admin_enters_marks", "yes")
    with pytest.raises(PermissionDenied, match="Vũ Quản Trị không phải Hiệu trưởng"):
        await school_rules.set_rule(admin, "admin_enters_marks", "yes", decided_by="QT01")
    with pytest.raises(NotFound, match="HT99"):
        await school_rules.set_rule(admin, "admin_enters_marks", "yes", decided_by="HT99")
    assert await _written() == before
    state = await school_rules.set_rule(admin, "admin_enters_marks", "yes", decided_by="HT01")
    assert state.decided_by == "Hiệu trưởng Đỗ Thị Hiệu" and state.executed_by == admin.label
    row = await SchoolRule.get(school=small.school, key="admin_enters_marks")
    assert (row.decided_by_staff_id, row.executed_by) == (small.staff["HT01"].id, admin.label)
    event = await AuditEvent.filter(action="school.rule").get()
    assert event.actor == admin.label and event.after["decided_by"] == "Hiệu trưởng Đỗ Thị Hiệu"
    # a principal no longer in office decides nothing
    await small.staff["HT01"].roles.filter(role=Role.PRINCIPAL).delete()
    with pytest.raises(PermissionDenied, match="không phải Hiệu trưởng"):
        await school_rules.set_rule(admin, "admin_enters_marks", "no", decided_by="HT01")


async def test_nobody_else_decides(small: Small) -> None:
    vice_principal = await Staff.create(school=small.school, code="PHT01", full_name="Lý Phó Hiệu")
    await StaffRole.create(staff=vice_principal, role=Role.VICE_PRINCIPAL)
    teacher, vice = await small.actor("GV01"), await Actor.of_staff(vice_principal)
    before = await _written()
    for actor in (teacher, vice):
        with pytest.raises(PermissionDenied, match="Chỉ Hiệu trưởng quyết định"):
            await school_rules.set_rule(actor, "admin_enters_marks", "yes")
        with pytest.raises(PermissionDenied, match="Chỉ quản trị học bạ số thực hiện"):
            await school_rules.set_rule(actor, "admin_enters_marks", "yes", decided_by="HT01")
    assert await _written() == before
    assert await school_rules.school_rules(small.school.id) == Rules()


async def test_a_bad_key_or_value_lists_what_is_allowed(small: Small) -> None:
    principal = await small.actor("HT01")
    before = await _written()
    with pytest.raises(InvalidValue) as bad_key:
        await school_rules.set_rule(principal, "lock_date", "yes")
    assert "Không có quy định «lock_date»" in str(bad_key.value)
    assert "correction_cutoff" in str(bad_key.value)
    with pytest.raises(InvalidValue) as bad_value:
        await school_rules.set_rule(principal, "supplementary_end", "30/8")
    message = str(bad_value.value)
    assert "«30/8» không phải giá trị" in message
    for fragment in ("001: ngày 15/8 (001 Điều 25.2)", "000: ngày 20/8", "002: ngày 25/8"):
        assert fragment in message
    assert await _written() == before


async def test_hocba_rules(
    small: Small, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    async with command_line(db, tmp_path, monkeypatch, capsys) as hocba:
        code, out, _err = await hocba("rules")
        assert code == 0
        assert "correction_cutoff — Hạn cuối đề nghị sửa điểm: lock" in out
        assert "mặc định; 000 Điều 8" in out and "001 Điều 25.2" in out
        code, _out, err = await hocba("rules", "set", "correction_cutoff", "exam")
        assert code == 1 and "--decided-by MÃ_CÁN_BỘ" in err
        code, _out, err = await hocba(
            "rules", "set", "seal_operator", "robot", "--decided-by", "HT01"
        )
        assert code == 1 and "clerk: văn thư" in err and "admin: quản trị" in err
        code, out, _err = await hocba(
            "rules", "set", "correction_cutoff", "exam", "--decided-by", "HT01"
        )
        assert code == 0 and "Đã đặt: correction_cutoff" in out and "003 Điều 8.3" in out
        code, out, _err = await hocba("rules")
        assert "exam" in out and "mặc định: lock" in out and "Đỗ Thị Hiệu" in out
    assert (await school_rules.school_rules(small.school.id)).correction_cutoff == "exam"
    event = await AuditEvent.filter(action="school.rule").get()
    assert event.actor == "cli" and event.after["decided_by_staff"] == small.staff["HT01"].id


async def test_the_supplementary_end_follows_the_rule_unless_the_school_set_it(
    small: Small, clock_at
) -> None:
    clock_at("01/12/2025")
    principal = await small.actor("HT01")
    cal = await load_calendar(small.year)
    assert cal.moment("supplementary.end") == at("15/08/2026")  # 001 Điều 25.2
    for value, day, article in (("000", "20/08/2026", "000 Điều 6"), ("002", "25/08/2026", "002")):
        await school_rules.set_rule(principal, "supplementary_end", value)
        cal = await load_calendar(small.year)
        assert cal.moment("supplementary.end") == at(day)
        assert {e.key: e for e in cal.entries()}["supplementary.end"].citation.startswith(article)
    # the locks every write checks see the same final lock: not yet fallen on 20/08
    [fast] = (await calendars_of([small.year.id])).values()
    assert fast.moment("supplementary.end") == at("25/08/2026")
    assert "supplementary.end" not in {key for key, *_ in fast.time_locks(at("20/08/2026"))}
    # a date the school set stays, whatever the rule
    await set_deadline(principal, small.year, "supplementary.end", "18/08/2026 17:00")
    await school_rules.set_rule(principal, "supplementary_end", "001")
    assert (await load_calendar(small.year)).moment("supplementary.end") == at("18/08/2026")
