"""The school's register of signing certificates: registering, listing, and what a record needs.

A record's signer list names each signer's certificate (001 Điều 4.1; core.render.xml_record),
so a class's documents can only be built once its signers' certificates are registered. A person
registers theirs when their key is set up: from a certificate file, or read from the key the
configuration names for them (a PKCS#12 file or a token, 001 Điều 8.3: the key itself is never
copied), or from the remote signing service's credential (CSC `credentials/info`). The school's
seal certificate is registered by the clerk or an admin (004 Điều 9.4, 15.1). Each registration
is audited, and a newer certificate supersedes the older one without deleting it: records signed
with the old one still verify.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import HocbaError, InvalidValue, PermissionDenied
from core.formatting import date_time
from core.i18n import _
from core.models import (
    CertificateKind,
    Role,
    School,
    SigningCertificate,
    Staff,
)
from core.render.xml_record import ListedSigner
from core.services.access import READ_ALL, Actor
from core.services.signin import find_staff
from core.signing.backends import SEAL_CODE, SigningSettings, backend_of, open_signer
from core.signing.csc import CscClient
from core.signing.keys import subject_name
from core.signing.signer_list import Registered
from core.signing.trust import chain_problem, fingerprint
from core.workers import WorkerPool


@dataclass(frozen=True)
class Registration:
    """What registering did: the row, whether it is new, how many older ones it superseded."""

    certificate: SigningCertificate
    owner: str  # the person's name, or the school's (the seal)
    new: bool
    superseded: int


def configured_certificate(settings: SigningSettings, school_code: str, code: str) -> bytes:
    """Worker-pool task: the certificate (DER) of the key the configuration names for `code`
    (a file or a token, opened in the worker as for signing; only the certificate leaves)."""
    with open_signer(settings, school_code, code) as signer:
        return signer.certificate.public_bytes(Encoding.DER)


async def _remote_certificate(settings: SigningSettings, school_code: str, code: str) -> bytes:
    async with aiohttp.ClientSession() as session:
        client = CscClient(
            session, settings.csc_url, settings.csc_client_id, settings.csc_client_secret
        )
        credential = await client.credential(school_code, code)
    return credential.certificate.public_bytes(Encoding.DER)


async def _owner(actor: Actor, code: str) -> Staff | None:
    """The staff member `code` names (None: the seal), if the actor may register for them: a
    person for themselves or an admin for anyone; the seal, the clerk, an admin or the
    principal."""
    if code.strip().upper() == SEAL_CODE:
        if not actor.has(Role.CLERK, Role.ADMIN, Role.PRINCIPAL):
            raise PermissionDenied(
                _("Chỉ văn thư, quản trị hoặc Hiệu trưởng được đăng ký chứng thư con dấu.")
            )
        return None
    staff = await find_staff(actor.school_id, code)
    if staff.id != actor.staff_id and not actor.has(Role.ADMIN):
        raise PermissionDenied(_("Mỗi người tự đăng ký chứng thư của mình (hoặc nhờ quản trị)."))
    return staff


def _usable(certificate: x509.Certificate, roots: Sequence[x509.Certificate]) -> None:
    """Refuse a certificate that cannot sign now: expired, not yet valid, not chaining to a
    trust root, or not made for signing (TT 15/2025: check before signing, not after)."""
    now = clock.now()
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise InvalidValue(
            _("Chứng thư «{name}» không có hiệu lực lúc này (từ {start} đến {end}).").format(
                name=subject_name(certificate),
                start=date_time(certificate.not_valid_before_utc),
                end=date_time(certificate.not_valid_after_utc),
            )
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            raise InvalidValue(
                _("Chứng thư «{name}» không dùng để ký số.").format(name=subject_name(certificate))
            )
    except x509.ExtensionNotFound:
        pass
    if not roots:
        raise InvalidValue(
            _("Chưa cấu hình chứng thư gốc tin cậy ([trust] roots): chưa đăng ký được.")
        )
    if (problem := chain_problem(certificate, [], roots, now)) is not None:
        raise InvalidValue(
            _("Không đăng ký chứng thư «{name}»: {problem}.").format(
                name=subject_name(certificate), problem=problem
            )
        )


async def register(
    actor: Actor,
    code: str,
    certificate: x509.Certificate,
    source: str,
    roots: Sequence[x509.Certificate],
) -> Registration:
    """Register `certificate` for staff `code` (or the seal, SEAL), superseding theirs."""
    staff = await _owner(actor, code)
    _usable(certificate, roots)
    school = await School.get(id=actor.school_id)
    owner = staff.full_name if staff else school.name
    kind = CertificateKind.PERSONAL if staff else CertificateKind.SEAL
    print_ = fingerprint(certificate)
    async with in_transaction():
        known = await SigningCertificate.get_or_none(school_id=school.id, fingerprint=print_)
        if known is not None:
            if known.staff_id != (staff.id if staff else None):
                raise InvalidValue(
                    _("Chứng thư này đã được đăng ký cho người khác của trường; không đăng ký.")
                )
            if known.active:
                return Registration(known, owner, False, 0)
        mine = SigningCertificate.filter(
            school_id=school.id, kind=kind, staff_id=staff.id if staff else None, active=True
        )
        superseded = await mine.update(active=False)
        if known is not None:
            known.active = True
            await known.save(update_fields=["active"])
            row = known
        else:
            row = await SigningCertificate.create(
                school_id=school.id,
                staff_id=staff.id if staff else None,
                kind=kind,
                fingerprint=print_,
                subject=certificate.subject.rfc4514_string()[:500],
                der=certificate.public_bytes(Encoding.DER),
                not_before=certificate.not_valid_before_utc,
                not_after=certificate.not_valid_after_utc,
                source=source,
                registered_at=clock.now(),
                registered_by=actor.label,
            )
        await audit.record(
            audit.Event(
                actor.label,
                "certificate.register",
                f"certificate:{row.id}",
                after={
                    "owner": staff.code if staff else SEAL_CODE,
                    "fingerprint": print_,
                    "source": source,
                    "superseded": superseded,
                },
            )
        )
    return Registration(row, owner, True, superseded)


async def register_from_key(
    actor: Actor,
    code: str,
    settings: SigningSettings,
    workers: WorkerPool,
    roots: Sequence[x509.Certificate],
) -> Registration:
    """Register the certificate of the key the configuration names for `code`."""
    staff = await _owner(actor, code)  # refused before any key is touched
    school = await School.get(id=actor.school_id)
    key_code = staff.code if staff else SEAL_CODE
    backend = backend_of(settings, key_code)
    if backend == "csc":
        der = await _remote_certificate(settings, school.code, key_code)
    else:
        der = await workers.run(configured_certificate, settings, school.code, key_code)
    return await register(actor, code, x509.load_der_x509_certificate(der), backend, roots)


async def register_all_from_keys(
    actor: Actor,
    settings: SigningSettings,
    workers: WorkerPool,
    roots: Sequence[x509.Certificate],
) -> tuple[list[Registration], list[str]]:
    """Every active staff member's and the seal's configured key, registered; what could not be
    read is said per person, and the others are registered all the same."""
    done, problems = [], []
    codes = [s.code for s in await Staff.filter(school_id=actor.school_id, active=True)]
    for code in [*sorted(codes), SEAL_CODE]:
        try:
            done.append(await register_from_key(actor, code, settings, workers, roots))
        except HocbaError as exc:
            problems.append(f"{code}: {exc}")
    return done, problems


@dataclass(frozen=True)
class CertificateLine:
    owner: str  # "GV01 Nguyễn Văn A" or "SEAL Trường ..."
    kind: CertificateKind
    fingerprint: str
    subject: str
    not_after: str
    active: bool


async def listing(actor: Actor) -> list[CertificateLine]:
    """The school's register, newest first per owner."""
    if not actor.has(*READ_ALL):
        raise PermissionDenied(_("Chỉ Ban giám hiệu, quản trị, văn thư xem được sổ chứng thư."))
    rows = (
        await SigningCertificate.filter(school_id=actor.school_id)
        .order_by("kind", "staff_id", "-registered_at")
        .prefetch_related("staff")
    )
    return [
        CertificateLine(
            f"{r.staff.code} {r.staff.full_name}" if r.staff else SEAL_CODE,
            r.kind,
            r.fingerprint,
            r.subject,
            date_time(r.not_after),
            r.active,
        )
        for r in rows
    ]


async def registry() -> dict[str, Registered]:
    """Every school's registered fingerprints (school code → seals, people): what a verifier
    needs to know that a seal or a teacher belongs to the school a file names."""
    seals: dict[str, set[str]] = defaultdict(set)
    people: dict[str, set[str]] = defaultdict(set)
    for code, kind, print_ in await SigningCertificate.all().values_list(
        "school__code", "kind", "fingerprint"
    ):
        (seals if kind == CertificateKind.SEAL else people)[code].add(print_)
    return {
        code: Registered(frozenset(seals[code]), frozenset(people[code]))
        for code in {*seals, *people}
    }


class CertificatesMissing(HocbaError):
    """A document cannot be built: some of its signers have no usable registered certificate."""


async def listed_signers(
    school: School, signers: Sequence[tuple[str, Staff | None]]
) -> dict[tuple[str, int | None], ListedSigner]:
    """(role, staff id or None for the seal) → the signer-list entry, for every signer; raises
    CertificatesMissing naming everyone whose certificate is missing or expired, and what to do."""
    rows = await SigningCertificate.filter(school_id=school.id, active=True)
    now = clock.now()
    current = {
        r.staff_id: r for r in rows if r.not_before <= now <= r.not_after
    }  # one active per owner (register supersedes)
    found, missing = {}, []
    for role, staff in signers:
        row = current.get(staff.id if staff else None)
        if row is None:
            who = f"{staff.full_name} ({staff.code})" if staff else _("con dấu của trường (SEAL)")
            if who not in missing:
                missing.append(who)
            continue
        name = staff.full_name if staff else school.name
        found[(role, staff.id if staff else None)] = ListedSigner(role, name, row.fingerprint)
    if missing:
        raise CertificatesMissing(
            _(
                "Chưa lập được tài liệu: chưa có chứng thư số còn hiệu lực đã đăng ký của: "
                "{who}. Học bạ ghi sẵn chứng thư của từng người ký (Điều 4.1), nên mỗi người "
                "đăng ký chứng thư khi cài khóa ký (quản trị: hocba certs register MÃ [TỆP.pem]; "
                "con dấu: hocba certs register SEAL), rồi lập lại."
            ).format(who=", ".join(missing))
        )
    return found
