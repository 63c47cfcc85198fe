"""Does a certificate chain to a configured trust root, was it valid, and not revoked, when used?

Regulation 001 Điều 8, khoản 1: a signature counts when it was made while its certificate was
valid. So validity is checked at the signing time, not today: a record signed last year with a
certificate that has since expired is still valid. Revocation (Điều 15c, "chứng thư số hợp lệ")
is checked against the CRL files the configuration gives (`[trust] crls`): a certificate revoked
at or before the signing time makes the signature invalid; one revoked later does not (it was
valid when it signed). Where no CRL covers a certificate's issuer, or OCSP is not configured,
the report says the revocation was not checked, and why, rather than pretending it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from core.errors import InvalidValue
from core.i18n import _

MAX_DEPTH = 5
_PEM = b"-----BEGIN"


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, lower-case hex: how a signer list names a certificate."""
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def load_certificates(data: bytes, source: str) -> list[x509.Certificate]:
    """Every certificate of a PEM file, or the one of a DER file; a clear refusal otherwise."""
    try:
        if data.lstrip().startswith(_PEM):
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise InvalidValue(
            _("{source} không phải chứng thư số (cần tệp PEM hoặc DER).").format(source=source)
        ) from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidValue(
            _("Không đọc được tệp {path}: {reason}.").format(path=path, reason=exc.strerror)
        ) from exc


def load_roots(paths: Iterable[Path]) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    for path in paths:
        roots += load_certificates(_read(path), str(path))
    return roots


def load_crls(paths: Iterable[Path]) -> list[x509.CertificateRevocationList]:
    crls = []
    for path in paths:
        data = _read(path)
        try:
            crls.append(
                x509.load_pem_x509_crl(data)
                if data.lstrip().startswith(_PEM)
                else x509.load_der_x509_crl(data)
            )
        except ValueError as exc:
            raise InvalidValue(
                _("{path} không phải danh sách thu hồi chứng thư (CRL, PEM hoặc DER).").format(
                    path=path
                )
            ) from exc
    return crls


@dataclass(frozen=True)
class Trust:
    """What a verifier trusts: the roots, and the revocation lists it was given. OCSP is not
    asked (a verifier that calls out on every uploaded file can be made to call anywhere); the
    report says so."""

    roots: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()

    @classmethod
    def load(cls, roots: Iterable[Path], crls: Iterable[Path] = ()) -> Trust:
        return cls(tuple(load_roots(roots)), tuple(load_crls(crls)))

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Sent to a worker process as DER (cryptography's objects do not pickle)."""
        return (
            _from_der,
            (
                tuple(c.public_bytes(Encoding.DER) for c in self.roots),
                tuple(c.public_bytes(Encoding.DER) for c in self.crls),
            ),
        )


def _from_der(roots: tuple[bytes, ...], crls: tuple[bytes, ...]) -> Trust:
    return Trust(
        tuple(x509.load_der_x509_certificate(r) for r in roots),
        tuple(x509.load_der_x509_crl(c) for c in crls),
    )


def as_trust(trust: Trust | Sequence[x509.Certificate]) -> Trust:
    """Accept the roots alone where no revocation list is at hand (a library caller, the
    minutes' seal check)."""
    return trust if isinstance(trust, Trust) else Trust(tuple(trust))


def _valid_at(certificate: x509.Certificate, moment: dt.datetime) -> bool:
    return certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _name(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()


def chain_path(
    certificate: x509.Certificate,
    others: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    moment: dt.datetime,
) -> tuple[list[x509.Certificate], str | None]:
    """The path from `certificate` up to a root, each link valid at `moment`, or what is wrong
    (in words for the reader of a verification report) with the path as far as it went."""
    if not roots:
        return [certificate], _("chưa cấu hình chứng thư gốc tin cậy ([trust] roots)")
    path = [certificate]
    current = certificate
    for _depth in range(MAX_DEPTH):
        if not _valid_at(current, moment):
            return path, _("chứng thư «{name}» không còn hiệu lực tại thời điểm ký").format(
                name=_name(current)
            )
        if current in roots:
            return path, None
        issuers = [c for c in (*roots, *others) if c.subject == current.issuer and c is not current]
        for issuer in issuers:
            try:
                current.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature):
                continue
            if not _is_ca(issuer):
                return path, _("bên cấp «{name}» không phải tổ chức chứng thực").format(
                    name=_name(issuer)
                )
            current = issuer
            path.append(current)
            break
        else:
            return path, _("không chuỗi được tới chứng thư gốc tin cậy (bên cấp: {issuer})").format(
                issuer=current.issuer.rfc4514_string()
            )
    return path, _("chuỗi chứng thư quá dài")


def chain_problem(
    certificate: x509.Certificate,
    others: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    moment: dt.datetime,
) -> str | None:
    """None when `certificate` chains to one of `roots` with every link valid at `moment`."""
    return chain_path(certificate, others, roots, moment)[1]


def _crl_of(
    issuer: x509.Certificate, crls: Sequence[x509.CertificateRevocationList]
) -> x509.CertificateRevocationList | None:
    """The CRL the issuer signed (a CRL whose signature does not verify is not its)."""
    for crl in crls:
        if crl.issuer == issuer.subject and crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            return crl
    return None


@dataclass(frozen=True)
class Revocation:
    problem: str | None  # revoked when it signed
    note: str  # what was checked against what, and what was not (and why)


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else _name(certificate)


def revocation(path: Sequence[x509.Certificate], trust: Trust, moment: dt.datetime) -> Revocation:
    """Each certificate of the path below its root, against its issuer's CRL if one was given."""
    unchecked, stale = [], []
    for certificate, issuer in pairwise(path):
        crl = _crl_of(issuer, trust.crls)
        if crl is None:
            unchecked.append(_common_name(issuer))
            continue
        entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        if entry is not None and entry.revocation_date_utc <= moment:
            return Revocation(
                _("chứng thư «{name}» đã bị thu hồi từ {when} (CRL của «{issuer}»)").format(
                    name=_common_name(certificate),
                    when=entry.revocation_date_utc.strftime("%d/%m/%Y %H:%M UTC"),
                    issuer=_common_name(issuer),
                ),
                "",
            )
        if crl.next_update_utc is not None and crl.next_update_utc < moment:
            stale.append(_common_name(issuer))
    ocsp = _("OCSP bỏ qua (chưa cấu hình)")
    if unchecked:
        note = _("thu hồi chưa kiểm tra: không có CRL của «{issuers}» trong [trust] crls").format(
            issuers="», «".join(unchecked)
        )
    elif stale:
        note = _("thu hồi: CRL của «{issuers}» cũ hơn thời điểm ký, hãy cập nhật").format(
            issuers="», «".join(stale)
        )
    else:
        note = _("thu hồi: đã kiểm tra theo CRL")
    return Revocation(None, f"{note}; {ocsp}")
