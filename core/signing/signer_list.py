"""Holding a file's signatures to the signer list its signed data states (001 Điều 4.1, 24.5).

The list says who must sign, in which role, in which order and with which certificate; the last
signer on it (the school's seal on a record, the subject teacher on a sheet) vouches for it, so
that signer's certificate must belong to the school the data names: registered in the school's
certificate register (core.models.certificates: 004 Điều 15.1, the school registers its
organisation certificate), or pinned as a configured trust anchor whose name is the school's.
Whatever the file holds beyond the list, or lacks, or holds out of order, is named under the
question of Điều 15 it fails, on the signature it concerns; a signature the file lacks gets a
report of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509

from core.i18n import _
from core.models.records import SignatureRole
from core.render.xml_record import ListedSigner
from core.signing.keys import subject_name
from core.signing.reports import SignatureReport
from core.signing.trust import Trust, fingerprint

SHEET_ORDER = (SignatureRole.SUBJECT_TEACHER,)
PDF_SIGNERS = (SignatureRole.PRINCIPAL, SignatureRole.SEAL)  # the XML alone carries the rest


@dataclass(frozen=True)
class Registered:
    """The fingerprints a school registered: its seal certificates, its staff's certificates."""

    seals: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()


Registry = Mapping[str, Registered]  # school code → what it registered


@dataclass
class Found:
    """One signature found in the file: its role as the file labels it, its report so far
    (the cryptographic checks done), and its certificate (None: it carries none)."""

    role: SignatureRole | None
    report: SignatureReport
    certificate: x509.Certificate | None


@dataclass(frozen=True)
class School:
    """The school the signed data names."""

    code: str
    name: str


@dataclass
class Verdict:
    signatures: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the file as a whole


def _role(value: str) -> SignatureRole | None:
    try:
        return SignatureRole(value)
    except ValueError:
        return None


def list_problem(listed: Sequence[ListedSigner], expected: Sequence[SignatureRole]) -> str | None:
    """The list must name exactly the roles of this kind of document, in the order of Điều 24.5."""
    if [_role(s.role) for s in listed] == list(expected):
        return None
    return _(
        "danh sách ký trong dữ liệu không đúng quy định (Điều 24.5): cần {wanted}, có {found}"
    ).format(
        wanted=", ".join(r.label for r in expected),
        found=", ".join(s.role for s in listed) or _("(trống)"),
    )


def _owned_by(
    certificate: x509.Certificate,
    role: SignatureRole,
    school: School,
    registered: Registered,
    trust: Trust,
) -> bool:
    """The seal's certificate registered as the school's seal (a person's, as one of its
    staff's), or a trust anchor the configuration pins that bears the school's name."""
    mine = registered.seals if role is SignatureRole.SEAL else registered.people
    if fingerprint(certificate) in mine:
        return True
    return certificate in trust.roots and subject_name(certificate) == school.name


def _missing(entry: ListedSigner, role: SignatureRole, label: str) -> SignatureReport:
    return SignatureReport(
        label,
        role,
        entry.name,
        missing=True,
        signature=[
            _("THIẾU chữ ký của {role} {name}, danh sách ký của tệp yêu cầu").format(
                role=role.label, name=entry.name
            )
        ],
    )


def enforce(
    listed: Sequence[ListedSigner],
    signing: Sequence[SignatureRole],
    found: list[Found],
    label_of: Mapping[SignatureRole, str],
    school: School,
    registered: Registered,
    trust: Trust,
) -> list[SignatureReport]:
    """Every listed signer of `signing` (the roles that sign this file, in order) matched to the
    file's signatures, in order; what is missing, extra, duplicated, out of order or signed
    with another certificate is written on the signature it concerns."""
    entries = {role: entry for entry in listed if (role := _role(entry.role)) is not None}
    wanted = [role for role in signing if role in entries]
    reports: list[SignatureReport] = []
    seen: set[SignatureRole] = set()
    for position, item in enumerate(found):
        role, report = item.role, item.report
        reports.append(report)
        if role is None or role not in wanted:
            report.signature.append(_("chữ ký THỪA: không có trong danh sách ký của tệp"))
            continue
        if role in seen:
            report.signature.append(_("chữ ký TRÙNG LẶP: vai trò này đã ký ở trên"))
            continue
        seen.add(role)
        if position != wanted.index(role):
            report.signature.append(
                _("SAI THỨ TỰ: đứng thứ {at}, danh sách ký (Điều 24.5) xếp thứ {wanted}").format(
                    at=position + 1, wanted=wanted.index(role) + 1
                )
            )
        entry = entries[role]
        if item.certificate is None:
            continue
        got = fingerprint(item.certificate)
        if got != entry.fingerprint:
            report.certificate.append(
                _(
                    "không phải chứng thư danh sách ký ghi cho {role} {name} (cần vân tay "
                    "{wanted}…, chữ ký dùng {got}…)"
                ).format(
                    role=role.label, name=entry.name, wanted=entry.fingerprint[:16], got=got[:16]
                )
            )
        elif role is wanted[-1] and not _owned_by(
            item.certificate, role, school, registered, trust
        ):
            report.certificate.append(
                _(
                    "chứng thư «{name}» không phải của {school} ({code}): không có trong sổ "
                    "chứng thư trường đã đăng ký, cũng không phải chứng thư gốc tin cậy mang "
                    "tên trường"
                ).format(name=subject_name(item.certificate), school=school.name, code=school.code)
            )
    for role in wanted:
        if role not in seen:
            reports.append(_missing(entries[role], role, label_of[role]))
    _times_in_order(found, wanted)
    return reports


def _times_in_order(found: list[Found], wanted: list[SignatureRole]) -> None:
    """A later signer cannot have signed before an earlier one (Điều 24.5)."""
    latest: tuple[SignatureRole, dt.datetime] | None = None
    for item in sorted(
        (f for f in found if f.role in wanted),
        key=lambda f: wanted.index(f.role),  # type: ignore[arg-type]
    ):
        moment = item.report.signing_time
        if moment is None:
            continue
        if latest is not None and moment < latest[1]:
            item.report.time.append(
                _("ký trước {role} ({when}), người phải ký trước theo Điều 24.5").format(
                    role=latest[0].label, when=latest[1].strftime("%d/%m/%Y %H:%M:%S UTC")
                )
            )
        else:
            latest = (item.role, moment)  # type: ignore[assignment]
