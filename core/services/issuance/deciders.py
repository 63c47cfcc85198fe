"""Who decides that a class's year is closed: the principal, or the vice principal the
principal delegated; an admin only executes their decision, naming it.

Regulation 001 Điều 33.6 gives the review of promotion and titles to the principal; 000 and
003 have the principal decide and the admins execute (as for locks, core.services.locks). The
delegation is the one /uyquyen gives (core.services.corrections.routing: `principal_behind`),
so a vice principal the principal trusts with correction decisions may close a year too, and
loses it with /thoiuyquyen.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import PermissionDenied
from core.i18n import _
from core.models import Role, Staff
from core.services.access import Actor
from core.services.corrections.routing import principal_behind


@dataclass(frozen=True)
class Decision:
    """Who decided a close: the principal, or a vice principal on the principal's delegation."""

    name: str
    staff_id: int
    principal: str | None = None  # the delegating principal, when a vice principal decided

    def label(self) -> str:
        """In the reader's language (a message is rendered in its recipient's)."""
        if self.principal is None:
            return _("Hiệu trưởng {name}").format(name=self.name)
        return _("Phó hiệu trưởng {name} (được Hiệu trưởng {principal} ủy quyền)").format(
            name=self.name, principal=self.principal
        )


def refusal(decided_by: Staff | None) -> str:
    """Why `decided_by` (or, when None, the person asking) may not close a year."""
    if decided_by is not None:
        return _(
            "{name} không phải Hiệu trưởng, cũng không phải Phó hiệu trưởng được Hiệu trưởng ủy "
            "quyền (/uyquyen): không quyết định chốt năm học được."
        ).format(name=decided_by.full_name)
    return _(
        "Chỉ Hiệu trưởng, hoặc Phó hiệu trưởng được Hiệu trưởng ủy quyền (/uyquyen), chốt năm "
        "học của một lớp. Quản trị thực hiện trên máy chủ theo quyết định của họ: "
        "hocba close LỚP --decided-by MÃ_CÁN_BỘ."
    )


async def decision_of(actor: Actor, decided_by: Staff | None = None) -> Decision:
    """The decision `actor` closes on: their own (principal, or delegated vice principal), or,
    for an admin, the named decider's; anyone else is refused."""
    deciding = actor
    if decided_by is not None:
        if not actor.has(Role.ADMIN):
            raise PermissionDenied(
                _(
                    "Chỉ quản trị học bạ số thực hiện việc chốt năm học theo quyết định của "
                    "người khác."
                )
            )
        if decided_by.school_id != actor.school_id or not decided_by.active:
            raise PermissionDenied(refusal(decided_by))
        deciding = await Actor.of_staff(decided_by)
    try:
        principal = await principal_behind(deciding)
    except PermissionDenied:
        raise PermissionDenied(refusal(decided_by)) from None
    if deciding.staff_id == principal.id:
        return Decision(principal.full_name, principal.id)
    me = decided_by or await Staff.get(id=deciding.staff_id)
    return Decision(me.full_name, me.id, principal.full_name)


async def decides(actor: Actor) -> bool:
    """Whether `actor` decides closes themselves (the bot offers them the confirmation)."""
    try:
        await decision_of(actor)
    except PermissionDenied:
        return False
    return True
