"""A test PKI for the demo school and the tests: a CA, one certificate per person, the seal.

Real schools receive certificates from a licensed provider (regulation 001, Điều 8–9); this
module exists so that `hocba demo` and the tests can run the whole signing chain with nothing
bought. Everything it makes says "thử nghiệm" (test) in its names, so nobody mistakes it for a
real certificate. Keys are RSA 2048, the size providers issue for personal certificates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from core.signing.backends import KEY_FOLDER_CA as CA_FILE
from core.signing.backends import SEAL_CODE, pkcs12_path

CA_KEY_FILE = "ca.key.pem"
KEY_SIZE = 2048


@dataclass(frozen=True)
class Issued:
    """A key with its certificate and the chain up to (and including) the CA."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def _name(common_name: str, organisation: str, title: str = "") -> x509.Name:
    parts = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if title:
        parts.append(x509.NameAttribute(NameOID.TITLE, title))
    return x509.Name(parts)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# The demo's key files are valid from two years back, for three years: the demo's year is the
# latest one that has ended, so its records are signed on a staging clock at that year's dates
# (after the final lock of 15/8 nothing is issued any more, 001 Điều 25.4), and a signature
# counts only when every certificate of its chain was valid when it was made.
DEMO_VALIDITY = dt.timedelta(days=3 * 365)


def _demo_since() -> dt.datetime:
    return _now() - dt.timedelta(days=2 * 365)


def make_ca(
    name: str = "CA thử nghiệm Học bạ số",
    *,
    years: int = 10,
    not_before: dt.datetime | None = None,
) -> Issued:
    """A test CA, valid from yesterday, or from `not_before`: a school year rehearsed on a
    staging clock signs at that year's dates, and a signature counts only when every
    certificate of its chain was valid when it was made (core.signing.trust)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    subject = _name(name, "Học bạ số (thử nghiệm)")
    start = not_before or _now() - dt.timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, certificate, (certificate,))


def issue(
    ca: Issued,
    common_name: str,
    organisation: str,
    title: str = "",
    *,
    days: int = 365,
    not_before: dt.datetime | None = None,
    key: rsa.RSAPrivateKey | None = None,
) -> Issued:
    """A signing certificate (non-repudiation + digital signature) issued by `ca`."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    start = not_before or _now() - dt.timedelta(hours=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation, title))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    return Issued(key, certificate, (certificate, *ca.chain))


def write_pkcs12(issued: Issued, path: Path, password: str, friendly_name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    encryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            friendly_name.encode(),
            issued.key,
            issued.certificate,
            list(issued.chain[1:]),
            encryption,
        )
    )
    path.chmod(0o600)


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Person:
    """Who gets a certificate: staff code (file name), name, and the title printed in it."""

    code: str
    name: str
    title: str


def load_or_make_ca(directory: Path) -> Issued:
    """The CA kept in `directory` (made on first use), so every school of a demo shares one
    trust root and running the demo twice keeps it."""
    directory.mkdir(parents=True, exist_ok=True)
    key_file, ca_file = directory / CA_KEY_FILE, directory / CA_FILE
    if ca_file.exists() and key_file.exists():
        key = serialization.load_pem_private_key(key_file.read_bytes(), None)
        assert isinstance(key, rsa.RSAPrivateKey)
        certificate = x509.load_pem_x509_certificate(ca_file.read_bytes())
        return Issued(key, certificate, (certificate,))
    ca = make_ca(not_before=_demo_since())
    key_file.write_bytes(
        ca.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    ca_file.write_bytes(pem(ca.certificate))
    return ca


def write_school_pki(
    directory: Path, school_code: str, school_name: str, people: list[Person], password: str
) -> Path:
    """One PKCS#12 file per person and one for the seal, issued by the shared CA; returns the
    CA certificate file. Existing files are kept."""
    ca = load_or_make_ca(directory)
    for person in [*people, Person(SEAL_CODE, school_name, "")]:
        target = pkcs12_path(directory, school_code, person.code)
        if not target.exists():
            issued = issue(
                ca,
                person.name,
                school_name,
                person.title,
                days=DEMO_VALIDITY.days,
                not_before=_demo_since(),
            )
            write_pkcs12(issued, target, password, person.name)
    return directory / CA_FILE
