"""Signers: a certificate, its chain, and a key object that signs like a `cryptography` RSA key.

signxml calls `key.sign(data, padding, algorithm)` and pyhanko (through core.signing.pades)
calls the same, so a key held in memory (PKCS#12), on a token (PKCS#11) or captured for a
remote service (core.signing.chain.RemoteKey) plugs into both in one way. Loading is done once per
signer and the loaded key is kept: reloading and re-validating an RSA key costs ~40 ms, more
than the signature itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from core.errors import HocbaError
from core.i18n import _


class SigningKey(Protocol):
    """The part of `rsa.RSAPrivateKey` that signxml and our PAdES signer use."""

    @property
    def key_size(self) -> int: ...

    def sign(
        self, data: bytes, padding: rsa_padding.AsymmetricPadding, algorithm: hashes.HashAlgorithm
    ) -> bytes: ...


@dataclass(frozen=True)
class Signer:
    """Who signs and with what: the key object, the certificate, the chain (end entity first)."""

    key: SigningKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def name(self) -> str:
        return subject_name(self.certificate)


def subject_name(certificate: x509.Certificate) -> str:
    """The certificate's common name, as a person or a school is called in it."""
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


class SignerUnavailable(HocbaError):
    """A key cannot be used (file missing, wrong password, token absent): nothing was signed."""


def load_pkcs12(path: Path, password: str) -> Signer:
    """A PKCS#12 file's key and certificates, loaded once."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SignerUnavailable(
            _("Không đọc được tệp khóa {path}: {reason}.").format(path=path, reason=exc.strerror)
        ) from exc
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except ValueError as exc:
        raise SignerUnavailable(
            _("Tệp khóa {path} sai mật khẩu hoặc hỏng.").format(path=path)
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey) or certificate is None:
        raise SignerUnavailable(
            _("Tệp khóa {path} không chứa khóa RSA kèm chứng thư.").format(path=path)
        )
    return Signer(key, certificate, (certificate, *extra))


class Pkcs11Key:
    """An RSA private key on a PKCS#11 token; the token hashes and signs (CKM_SHA256_RSA_PKCS)."""

    def __init__(self, key: object, key_size: int) -> None:
        self._key = key
        self._key_size = key_size

    @property
    def key_size(self) -> int:
        return self._key_size

    def sign(
        self, data: bytes, padding: rsa_padding.AsymmetricPadding, algorithm: hashes.HashAlgorithm
    ) -> bytes:
        from pkcs11 import Mechanism

        if not isinstance(padding, rsa_padding.PKCS1v15) or not isinstance(
            algorithm, hashes.SHA256
        ):
            raise SignerUnavailable(_("Thiết bị ký chỉ được dùng với RSA-SHA256 (PKCS#1 v1.5)."))
        return bytes(self._key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))  # type: ignore[attr-defined]


@contextmanager
def pkcs11_session(module: str, token_label: str, pin: str) -> Iterator[object]:
    """A logged-in session on the token with this label (SoftHSM2 also shows an empty slot,
    so the token is chosen by label, never by slot number); without a label, the only
    initialised token present (a person's own token, plugged in to sign)."""
    import pkcs11
    from pkcs11 import exceptions as p11e

    try:
        library = pkcs11.lib(module)
        token = library.get_token(token_label=token_label) if token_label else _only_token(library)
    except (p11e.NoSuchToken, p11e.PKCS11Error, RuntimeError, OSError) as exc:
        raise SignerUnavailable(
            _("Không thấy thiết bị ký (token) «{label}».").format(label=token_label)
        ) from exc
    try:
        try:
            session = token.open(user_pin=pin)
        except p11e.UserAlreadyLoggedIn:
            # A login is per process, not per session: another signer of this process (the
            # seal while a principal's batch runs) already logged in to the same token.
            session = token.open()
    except p11e.PKCS11Error as exc:
        raise SignerUnavailable(
            _("Không mở được thiết bị ký «{label}»: sai mã PIN?").format(label=token.label)
        ) from exc
    try:
        yield session
    finally:
        session.close()


def _only_token(library: object) -> object:
    from pkcs11 import TokenFlag

    tokens = [
        t
        for t in library.get_tokens()  # type: ignore[attr-defined]
        if t.flags & TokenFlag.TOKEN_INITIALIZED
    ]
    if len(tokens) != 1:
        raise SignerUnavailable(
            _(
                "Có {n} thiết bị ký (token) đang cắm: hãy chọn token của mình bằng --token "
                "«tên token» ({labels})."
            ).format(n=len(tokens), labels=", ".join(t.label for t in tokens) or "-")
        )
    return tokens[0]


def load_pkcs11(session: object, label: str) -> Signer:
    """The key and certificate stored under `label` on an open token session."""
    from pkcs11 import Attribute, ObjectClass
    from pkcs11 import exceptions as p11e

    try:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)  # type: ignore[attr-defined]
        found = list(
            session.get_objects(  # type: ignore[attr-defined]
                {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}
            )
        )
    except (p11e.NoSuchKey, p11e.MultipleObjectsReturned) as exc:
        raise SignerUnavailable(
            _("Thiết bị ký không có khóa «{label}».").format(label=label)
        ) from exc
    if not found:
        raise SignerUnavailable(_("Thiết bị ký không có chứng thư «{label}».").format(label=label))
    certificate = x509.load_der_x509_certificate(bytes(found[0][Attribute.VALUE]))
    return Signer(Pkcs11Key(key, key.key_length), certificate, (certificate,))


def load_own_key(session: object, code: str) -> Signer:
    """The signing key of a person's own token: the key labelled with their staff code if the
    token has one, else its only private key (a provider's token holds one person's key under
    a label of its own), with the certificate of the same ID."""
    from pkcs11 import Attribute, ObjectClass

    keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))  # type: ignore[attr-defined]
    labelled = [k for k in keys if k.label == code]
    if len(labelled) == 1 or len(keys) == 1:
        key = (labelled or keys)[0]
    else:
        raise SignerUnavailable(
            _("Token có {n} khóa, không có khóa nào mang nhãn «{code}».").format(
                n=len(keys), code=code
            )
        )
    found = list(
        session.get_objects(  # type: ignore[attr-defined]
            {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: key[Attribute.ID]}
        )
    )
    if not found:
        raise SignerUnavailable(_("Token không có chứng thư của khóa ký."))
    certificate = x509.load_der_x509_certificate(bytes(found[0][Attribute.VALUE]))
    return Signer(Pkcs11Key(key, key.key_length), certificate, (certificate,))
