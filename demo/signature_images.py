"""The demo's handwritten signatures, uploaded as a teacher uploads theirs with /chuky.

The demo's people are made up, so their signatures are drawn from their names
(core.render.images.handwritten_signature); each goes through the same service and checks as
a real upload (core.services.signature_images, regulation 001 Điều 13), and the demo's records
show the uploaded images, as a school's would.
"""

from __future__ import annotations

from core.models import School, Staff
from core.render.images import handwritten_signature
from core.services import signature_images
from core.services.access import Actor


async def upload_signatures(school: School) -> int:
    """Each person of `school` who signs in person uploads their drawn signature, as they
    would in the bot; returns how many did."""
    uploaded = 0
    for staff in await Staff.filter(school=school).prefetch_related("roles").order_by("id"):
        actor = await Actor.of_staff(staff)
        if actor.has(*signature_images.SIGNING_ROLES):
            await signature_images.upload(actor, handwritten_signature(staff.full_name))
            uploaded += 1
    return uploaded
