"""Does a certificate chain to a configured trust root, and was it valid at a given moment?

Regulation 001 Điều 8, khoản 1: a signature counts when it was made while its certificate was
valid. So validity is checked at the signing time, not today: a record signed last year with a
certificate that has since expired is still valid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from core.i18n import _

MAX_DEPTH = 5


def load_roots(paths: Iterable[Path]) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    for path in paths:
        roots += x509.load_pem_x509_certificates(path.read_bytes())
    return roots


def _valid_at(certificate: x509.Certificate, moment: dt.datetime) -> bool:
    return certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def chain_problem(
    certificate: x509.Certificate,
    others: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    moment: dt.datetime,
) -> str | None:
    """None when `certificate` chains to one of `roots` with every link valid at `moment`;
    otherwise what is wrong, in words for the reader of a verification report."""
    if not roots:
        return _("chưa cấu hình chứng thư gốc tin cậy ([trust] roots)")
    current = certificate
    for _depth in range(MAX_DEPTH):
        if not _valid_at(current, moment):
            return _("chứng thư «{name}» không còn hiệu lực tại thời điểm ký").format(
                name=current.subject.rfc4514_string()
            )
        if current in roots:
            return None
        issuers = [c for c in (*roots, *others) if c.subject == current.issuer and c is not current]
        for issuer in issuers:
            try:
                current.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature):
                continue
            if not _is_ca(issuer):
                return _("bên cấp «{name}» không phải tổ chức chứng thực").format(
                    name=issuer.subject.rfc4514_string()
                )
            current = issuer
            break
        else:
            return _("không chuỗi được tới chứng thư gốc tin cậy (bên cấp: {issuer})").format(
                issuer=current.issuer.rfc4514_string()
            )
    return _("chuỗi chứng thư quá dài")
