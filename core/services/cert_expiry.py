"""Signers whose certificates expire soon (issue 6, item 9), and their warnings.

A lapsed certificate stops the signing chain at the worst moment (the end of the year), so
each signer is warned 30 and 7 days ahead, through the outbox, once per certificate and
threshold (the dedupe key names both: a renewed certificate is warned about again when its own
time comes). The certificates are read where the signer's backend keeps them: a PKCS#12 file
or the PKCS#11 token. Remote (CSC) credentials are not read here: the provider renews them and
warns its own users, and asking it would need the network every day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core import clock
from core.formatting import date
from core.i18n import _
from core.models import Notification, Role, School, SignatureRole, Staff
from core.services.outbox import notify_staff
from core.signing.backends import SigningSettings, backend_of, open_signer, signer_code
from core.signing.keys import SignerUnavailable, subject_name

THRESHOLDS = (30, 7)  # days before expiry when a signer is warned
_SIGNING_ROLES = {
    Role.SUBJECT_TEACHER: SignatureRole.SUBJECT_TEACHER,
    Role.HOMEROOM: SignatureRole.HOMEROOM,
    Role.PRINCIPAL: SignatureRole.PRINCIPAL,
    Role.CLERK: SignatureRole.SEAL,  # the clerk operates the school's seal
}


@dataclass(frozen=True)
class Expiring:
    staff: Staff
    code: str  # whose certificate: the person's code, or the seal's
    subject: str
    serial: int
    not_after: dt.datetime
    days_left: int


async def expiring_within(
    settings: SigningSettings, school: School, days: int, now: dt.datetime
) -> list[Expiring]:
    """The school's signers whose certificate expires within `days` days of `now` (or has
    expired), one line per person and certificate."""
    found = []
    staff = await Staff.filter(school=school, active=True).prefetch_related("roles")
    for person in staff:
        codes = {
            signer_code(person.code, _SIGNING_ROLES[Role(r.role)])
            for r in person.roles
            if Role(r.role) in _SIGNING_ROLES
        }
        for code in sorted(codes):
            if backend_of(settings, code) == "csc":
                continue
            try:
                with open_signer(settings, school.code, code) as signer:
                    certificate = signer.certificate
            except SignerUnavailable:
                continue  # no key yet: nothing to expire
            not_after = certificate.not_valid_after_utc
            days_left = (not_after - now).days
            if days_left <= days:
                found.append(
                    Expiring(
                        person,
                        code,
                        subject_name(certificate),
                        certificate.serial_number,
                        not_after,
                        days_left,
                    )
                )
    return found


async def warn_expiring(settings: SigningSettings, school: School, now: dt.datetime) -> int:
    """Enqueue the 30- and 7-day warnings that are due; returns how many are new."""
    new = 0
    for item in await expiring_within(settings, school, max(THRESHOLDS), now):
        threshold = min(t for t in THRESHOLDS if item.days_left <= t)

        def text(item: Expiring = item) -> str:
            return _(
                "⚠️ Chứng thư số «{subject}» dùng để ký học bạ sẽ hết hạn ngày {day} (còn {n} "
                "ngày). Thầy/cô hãy liên hệ nhà cung cấp để gia hạn trước khi ký."
            ).format(
                subject=item.subject,
                day=date(clock.local(item.not_after).date(), "dd/MM/y"),
                n=max(item.days_left, 0),
            )

        key = f"cert-expiry:{item.staff.id}:{item.serial}:{threshold}"
        if not await Notification.exists(dedupe_key=key):
            await notify_staff(item.staff, "cert.expiry", text, dedupe_key=key, now=now)
            new += 1
    return new
