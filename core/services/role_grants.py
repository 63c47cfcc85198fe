"""Who grants the roles that sign for the school: the principal alone.

The principal forms the admin board and names the system's administrator (001 Điều 16.2),
approves the assignment of the record book's staff with a digital signature (001 Điều 24.2–24.3),
and provides and manages every account of the system (001 Điều 33.2; 000 Điều 3, Điều 9: the
principal and vice principals keep the high-level accounts, the admin board sets the teachers'
roles; 004 Điều 13.2: the principal administers the record book). So the admins keep the staff
list and the teachers' roles, and the roles that sign and seal for the school (`RESERVED`: the
principal, the vice principal, the clerk who holds the school's certificate, 001 Điều 18.6–18.8)
are granted or withdrawn only on the principal's decision: the principal's own, or an admin's
naming it (`decided_by`, as `hocba close --decided-by`), audited with it.

One exception: a school with no principal on record yet (its first staff list) has nobody to
decide; its principal is appointed from outside the school (001 Điều 7.2), and the admin's
set-up is audited as such. From then on the rule holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.errors import InvalidValue, PermissionDenied
from core.i18n import _
from core.models import Role, Staff, StaffRole
from core.services.access import Actor
from core.text import fold

_ORDER = (Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.CLERK)  # as the school names them
RESERVED = frozenset(_ORDER)


@dataclass(frozen=True)
class GrantDecision:
    """The decision reserved roles change on: the principal's, or the school's set-up."""

    name: str  # "Hiệu trưởng Đỗ Thị Hiệu", or the set-up's label
    staff_id: int | None

    def audited(self) -> dict[str, object]:
        return {"decided_by": self.name, "decided_by_staff": self.staff_id}


def _labels(roles: Iterable[Role]) -> str:
    named = set(roles)
    return ", ".join(role.label for role in _ORDER if role in named)


def how_to_proceed() -> str:
    """What an admin does when the principal's decision is needed (a refusal's second half)."""
    return _(
        "nhập theo quyết định của Hiệu trưởng, nêu người quyết định: hocba import staff TỆP "
        "--decided-by MÃ_HIỆU_TRƯỞNG; hoặc giữ nguyên vai trò {roles} như đang có"
    ).format(roles=_labels(RESERVED))


def _refusal() -> str:
    return _(
        "Giao hoặc bỏ vai trò {roles} là quyết định của Hiệu trưởng (Quy chế 001 Điều 16.2, "
        "24.3, 33.2); quản trị chỉ thực hiện quyết định đó"
    ).format(roles=_labels(RESERVED))


async def _is_principal(staff: Staff) -> bool:
    return staff.active and await staff.roles.filter(role=Role.PRINCIPAL).exists()


async def grant_decision(actor: Actor, decided_by: Staff | None) -> GrantDecision:
    """The decision `actor` may change reserved roles on; PermissionDenied, saying what to do,
    when there is none."""
    if decided_by is not None:
        if not actor.has(Role.ADMIN) and decided_by.id != actor.staff_id:
            raise PermissionDenied(
                _("Chỉ quản trị học bạ số thực hiện phân công theo quyết định của Hiệu trưởng.")
            )
        if decided_by.school_id != actor.school_id or not await _is_principal(decided_by):
            raise PermissionDenied(
                _(
                    "{name} không phải Hiệu trưởng của trường: không quyết định được việc giao "
                    "vai trò {roles}. Hãy nêu mã cán bộ của Hiệu trưởng."
                ).format(name=decided_by.full_name, roles=_labels(RESERVED))
            )
        return GrantDecision(
            _("Hiệu trưởng {name}").format(name=decided_by.full_name), decided_by.id
        )
    if actor.has(Role.PRINCIPAL) and actor.staff_id is not None:
        me = await Staff.get(id=actor.staff_id)
        if await _is_principal(me):
            return GrantDecision(_("Hiệu trưởng {name}").format(name=me.full_name), me.id)
    if not await StaffRole.exists(staff__school_id=actor.school_id, role=Role.PRINCIPAL):
        return GrantDecision(
            _("thiết lập ban đầu (trường chưa có Hiệu trưởng trong hệ thống)"), None
        )
    raise PermissionDenied(
        _("{refusal}. Cần: {how}.").format(refusal=_refusal(), how=how_to_proceed())
    )


@dataclass(frozen=True)
class RoleGrants:
    """For a staff list: the reserved roles each code holds now, and the decision they may
    change on (None: they may not, `refusal` says why). Loaded once, checked per row."""

    held: dict[str, frozenset[Role]]  # folded staff code -> the reserved roles held
    phones: dict[str, str | None]  # folded staff code -> the stored phone of those holders
    decision: GrantDecision | None
    refusal: str = ""

    @classmethod
    async def load(cls, actor: Actor, decided_by: Staff | None) -> RoleGrants:
        rows = await StaffRole.filter(
            staff__school_id=actor.school_id, role__in=list(RESERVED)
        ).values_list("staff__code", "role", "staff__phone")
        held: dict[str, set[Role]] = {}
        phones: dict[str, str | None] = {}
        for code, role, phone in rows:
            held.setdefault(fold(code), set()).add(Role(role))
            phones[fold(code)] = phone
        frozen = {code: frozenset(roles) for code, roles in held.items()}
        try:
            return cls(frozen, phones, await grant_decision(actor, decided_by))
        except PermissionDenied as refused:
            if decided_by is not None:  # a wrong decider is the whole file's problem
                raise
            return cls(frozen, phones, None, str(refused))

    def check_phone(self, code: str, phone: str | None) -> None:
        """A row changing the phone of someone who holds a reserved role: refused (InvalidValue)
        without a decision. The phone is how a person signs in to the assistant (Telegram's
        contact button, core.services.signin), so whoever sets the principal's number could
        sign in, and sign, as the principal: the same decision as granting the role."""
        held = self.held.get(fold(code), frozenset())
        if held and self.decision is None and phone != self.phones.get(fold(code)):
            raise InvalidValue(
                _(
                    "Dòng này đổi số điện thoại của {code} ({roles}): đó là số người ấy dùng để "
                    "đăng nhập Trợ lý và ký cho trường, nên đổi số cũng là quyết định của Hiệu "
                    "trưởng như giao vai trò (Quy chế 001 Điều 33.2)"
                ).format(code=code, roles=_labels(held))
            )

    def check(self, code: str, roles: frozenset[Role]) -> None:
        """A row giving `code` these roles: refused (InvalidValue) when it grants or withdraws
        a reserved role without a decision."""
        held = self.held.get(fold(code), frozenset())
        added, removed = (roles & RESERVED) - held, held - roles
        if (added or removed) and self.decision is None:
            change = []
            if added:
                change.append(
                    _("giao vai trò {roles} cho {code}").format(roles=_labels(added), code=code)
                )
            if removed:
                change.append(
                    _("bỏ vai trò {roles} của {code}").format(roles=_labels(removed), code=code)
                )
            raise InvalidValue(
                _("Dòng này {change}: {refusal}").format(
                    change=_(" và ").join(change), refusal=_refusal()
                )
            )


async def ensure_may_change(
    actor: Actor, changes: set[tuple[int, Role]], decided_by: Staff | None
) -> GrantDecision | None:
    """For a write of staff roles: the decision its reserved-role changes (staff id, role)
    are made on, None when it changes none; PermissionDenied when there is no decision."""
    if not any(role in RESERVED for _staff, role in changes):
        return None
    return await grant_decision(actor, decided_by)
