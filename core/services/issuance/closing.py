"""The principal closes a class's year for issuance, from the phone or the server's console.

One step, so that signing can start where the signers are: the class's data is checked
complete (every mark, conduct and absence the results need; what is missing is listed by
student otherwise), the year is closed (001 Điều 25), its documents are created and each first
signer is told what waits for them (core.services.issuance.announce). Closing again, or after
the documents exist, changes nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import NotFound, PermissionDenied
from core.i18n import _
from core.models import IssuedRecord, Role, SchoolClass
from core.services.access import Actor
from core.services.issuance.prepare import close_class, prepare_class
from core.services.schools import current_year
from core.workers import WorkerPool


@dataclass(frozen=True)
class OpenClass:
    """A class of the current year whose records are not yet being signed."""

    class_id: int
    name: str


@dataclass(frozen=True)
class Closed:
    """What closing a class did."""

    class_name: str
    documents: int  # created now; 0 when they existed already
    told: tuple[str, ...]  # the signers told that documents wait for them


def _ensure_decides(actor: Actor) -> None:
    """The principal decides (001 Điều 25); an admin at the console executes the decision."""
    if not actor.has(Role.PRINCIPAL, Role.ADMIN):
        raise PermissionDenied(_("Chỉ hiệu trưởng được chốt năm học của một lớp để lập học bạ."))


async def classes_to_close(actor: Actor) -> list[OpenClass]:
    """The current year's classes without documents yet, by grade and name."""
    _ensure_decides(actor)
    year = await current_year(actor.school_id)
    started = (
        await IssuedRecord.filter(year=year).distinct().values_list("school_class_id", flat=True)
    )
    classes = (
        await SchoolClass.filter(year=year).exclude(id__in=list(started)).order_by("grade", "name")
    )
    return [OpenClass(c.id, c.name) for c in classes]


async def close_and_prepare(actor: Actor, class_id: int, workers: WorkerPool) -> Closed:
    """Close the class's year if its data is complete, create its documents, tell the first
    signers; a class of another school, or gone, is refused as unknown."""
    _ensure_decides(actor)
    school_class = await SchoolClass.get_or_none(id=class_id, year__school_id=actor.school_id)
    if school_class is None:
        raise NotFound(_("Không có lớp này trong năm học. Hãy mở lại danh sách lớp."))
    await close_class(actor, school_class)  # says what is missing, by student
    prepared = await prepare_class(actor, school_class, workers)
    return Closed(school_class.name, prepared.documents, prepared.told)
