"""Who handles a request: the school's routing choice, the deciders and their delegates.

The regulations send a request through the admin board to the principal (000 Điều 8); a school
may choose to send it straight to the principal (`set_routing`). The principal decides, or a
vice principal the principal delegated (`delegate`, `revoke_delegation`): `principal_behind`
answers, for any actor, on whose authority they decide, or refuses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import InvalidValue, PermissionDenied
from core.i18n import _
from core.models import CorrectionSettings, Delegation, Role, Staff
from core.services.access import Actor, staff_with
from core.services.signin import find_staff

ACTOR = "corrections"  # the audit label of the flow acting by itself


def system(school_id: int) -> Actor:
    """The correction flow executing the principal's decision, as the admin board would."""
    return Actor(school_id=school_id, label=ACTOR, roles=frozenset({Role.ADMIN}))


async def settings_of(school_id: int) -> CorrectionSettings:
    found, _created = await CorrectionSettings.get_or_create(school_id=school_id)
    return found


async def set_routing(
    actor: Actor, *, direct: bool, open_minutes: int | None = None
) -> CorrectionSettings:
    """The school's choice: straight to the principal, or through the admin board (default)."""
    if not actor.has(Role.ADMIN, Role.PRINCIPAL):
        raise PermissionDenied(_("Chỉ quản trị hoặc Hiệu trưởng đổi cách chuyển phiếu sửa điểm."))
    if open_minutes is not None and not 5 <= open_minutes <= 240:
        raise InvalidValue(_("Thời gian mở ô điểm phải từ 5 đến 240 phút."))
    async with in_transaction():
        found = await settings_of(actor.school_id)
        before = {"direct": found.direct_to_principal, "minutes": found.open_minutes}
        found.direct_to_principal = direct
        found.open_minutes = open_minutes or found.open_minutes
        found.updated_by = actor.label
        await found.save()
        await audit.record(
            audit.Event(
                actor.label,
                "correction.settings",
                f"school:{actor.school_id}",
                before,
                {"direct": direct, "minutes": found.open_minutes},
            )
        )
    return found


async def deciders(school_id: int) -> list[Staff]:
    """Who may decide: the principals and the vice principals they delegated."""
    principals = await staff_with(school_id, Role.PRINCIPAL)
    delegated = await Delegation.filter(school_id=school_id, revoked_at__isnull=True).values_list(
        "delegate_id", flat=True
    )
    extra = await Staff.filter(id__in=list(delegated), active=True).order_by("id")
    return principals + [s for s in extra if s not in principals]


async def principal_behind(actor: Actor) -> Staff:
    """The principal on whose authority `actor` decides (themselves, or their delegator)."""
    if actor.staff_id is None:
        raise PermissionDenied(_("Chỉ Hiệu trưởng (hoặc người được ủy quyền) duyệt phiếu."))
    if actor.has(Role.PRINCIPAL):
        return await Staff.get(id=actor.staff_id)
    delegation = await Delegation.filter(
        school_id=actor.school_id, delegate_id=actor.staff_id, revoked_at__isnull=True
    ).first()
    if delegation is None or not actor.has(Role.VICE_PRINCIPAL):
        raise PermissionDenied(
            _(
                "Chỉ Hiệu trưởng, hoặc Phó hiệu trưởng được Hiệu trưởng ủy quyền, duyệt phiếu "
                "sửa điểm."
            )
        )
    return await Staff.get(id=delegation.principal_id)


@dataclass(frozen=True)
class Delegated:
    """A delegation given or taken back: whom it concerns, and how many rows it touched."""

    name: str
    count: int


def _ensure_principal(actor: Actor) -> None:
    if not actor.has(Role.PRINCIPAL) or actor.staff_id is None:
        raise PermissionDenied(_("Chỉ Hiệu trưởng ủy quyền duyệt phiếu sửa điểm."))


async def delegate(actor: Actor, who: str, now: dt.datetime | None = None) -> Delegated:
    """The principal lets a vice principal of the school (a staff code or a unique part of a
    name) decide correction requests."""
    _ensure_principal(actor)
    vice_principal = await find_staff(actor.school_id, who)
    if not await vice_principal.roles.filter(role=Role.VICE_PRINCIPAL).exists():
        raise PermissionDenied(
            _("{name} không phải Phó hiệu trưởng của trường.").format(name=vice_principal.full_name)
        )
    async with in_transaction():
        created = await Delegation.create(
            school_id=actor.school_id,
            principal_id=actor.staff_id,
            delegate_id=vice_principal.id,
            created_at=now or clock.now(),
        )
        await audit.record(
            audit.Event(
                actor.label,
                "correction.delegate",
                f"staff:{vice_principal.id}",
                after={"delegation": created.id},
            )
        )
    return Delegated(vice_principal.full_name, 1)


async def revoke_delegation(actor: Actor, who: str, now: dt.datetime | None = None) -> Delegated:
    """The principal takes back every delegation given to that vice principal."""
    _ensure_principal(actor)
    vice_principal = await find_staff(actor.school_id, who)
    async with in_transaction():
        count = await Delegation.filter(
            school_id=actor.school_id, delegate_id=vice_principal.id, revoked_at__isnull=True
        ).update(revoked_at=now or clock.now())
        await audit.record(
            audit.Event(
                actor.label, "correction.revoke", f"staff:{vice_principal.id}", after={"n": count}
            )
        )
    return Delegated(vice_principal.full_name, count)
