"""Choosing a signer's key from the configuration, and who holds each key.

Regulation 001 Điều 8.3 and 11.1: a private key is under its signer's sole control when they
sign, kept on a dedicated device and handed to nobody; Điều 32.1: nobody does another person's
work with their account. So:
- a person signs through a remote signing service they approve in their own app ("csc"), or
  with their own token ("pkcs11"), whose PIN they type themselves at the console
  (`hocba sign`, `OwnToken`): outside demo mode the server never holds a person's PIN;
- the school's seal lives on a token or HSM attached to the server ("pkcs11", 001 Điều 11.2:
  the clerk keeps the organisation's token; `seal`), configured with its PIN;
- PKCS#12 files on the server ("pkcs12") are the demo's and the tests' (`demo` True): a
  configuration naming them outside demo mode is refused at start (bot.config), and no signer
  is opened from one here outside demo mode.

The core does not import the bot's `Config`: the bootstrap copies its [signing] and [demo]
sections into `SigningSettings`, a plain value that can also be handed to a worker process.
A person's backend is `[signing.people]` for their staff code, else the default `backend`.
Remote (CSC) signers never sign here: their documents go through a prepared batch and one
approval (core.services.issuance.prepare_remote / complete_remote).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core.i18n import _
from core.models.records import SignatureRole
from core.signing.keys import (
    Signer,
    SignerUnavailable,
    load_own_key,
    load_pkcs11,
    load_pkcs12,
    pkcs11_session,
)

SEAL_CODE = "SEAL"  # the file name, token label and config key of the school's organisation key
PEOPLE_BACKENDS = ("csc", "pkcs11", "pkcs12")
SEAL_BACKENDS = ("pkcs11", "pkcs12")
DEMO_ONLY = "pkcs12"  # server-held key files: demo mode only

KEY_FOLDER_CA = "ca.pem"  # a PKCS#12 folder may keep the CA that issued its keys


def pkcs12_path(directory: Path, school_code: str, code: str) -> Path:
    """Where a person's (or the seal's) PKCS#12 file lives: one folder per school, because
    staff codes repeat between schools."""
    return directory / school_code / f"{code}.p12"


@dataclass(frozen=True)
class OwnToken:
    """A person's own token, plugged in and unlocked by them for one `hocba sign` run: their
    staff code, the token's label ("" = the only token present) and the PIN they typed."""

    code: str
    label: str = ""
    pin: str = field(default="", repr=False)


@dataclass(frozen=True)
class SigningSettings:
    """The [signing] section: the people's default backend, each backend's settings, per-person
    exceptions (`people`: staff code → backend), the seal's backend, demo mode, and for a
    console run the signer's own unlocked token (`own`, never from the configuration)."""

    backend: str = "csc"
    pkcs12_dir: Path = Path("var/keys")
    pkcs12_password: str = field(default="", repr=False)
    pkcs11_module: str = ""
    pkcs11_token_label: str = ""
    pkcs11_pin: str = field(default="", repr=False)
    csc_url: str = ""
    csc_client_id: str = ""
    csc_client_secret: str = field(default="", repr=False)
    people: dict[str, str] = field(default_factory=dict)
    seal: str = "pkcs11"
    demo: bool = False
    own: OwnToken | None = None


def backend_of(settings: SigningSettings, code: str) -> str:
    if code == SEAL_CODE:
        return settings.seal
    return settings.people.get(code, settings.backend)


def signer_code(staff_code: str, role: SignatureRole) -> str:
    """Whose key signs a step: the school's seal for the seal step (the clerk operates it),
    the person's own otherwise."""
    return SEAL_CODE if role is SignatureRole.SEAL else staff_code


def key_label(settings: SigningSettings, code: str) -> str:
    """Which key signs for `code`, as an audit event names it: the remote credential is named
    by the batch itself; a token by its label; a demo key file by its name."""
    backend = backend_of(settings, code)
    if backend == "pkcs12":
        return f"{code}.p12"
    if backend == "pkcs11":
        own = settings.own
        if code != SEAL_CODE and not settings.demo and own is not None:
            return own.label or "token"
        return settings.pkcs11_token_label
    return ""


def unusable(settings: SigningSettings, code: str) -> str | None:
    """Why the key of `code` (a staff code, or SEAL_CODE) cannot sign from here, in words for
    the signer or the admins; None when it can be tried."""
    backend = backend_of(settings, code)
    seal = code == SEAL_CODE
    if backend == DEMO_ONLY and not settings.demo:
        return _(
            "Tệp khóa PKCS#12 trên máy chủ chỉ dùng cho chế độ trình diễn: khóa của mỗi người "
            "phải do chính họ giữ (Quy chế 001, Điều 8.3, 11.1). Quản trị hãy cấu hình ký số "
            "từ xa hoặc token ([signing])."
        )
    if backend == "csc" and not settings.csc_url:
        return _("Trường chưa cấu hình dịch vụ ký số từ xa ([signing] csc_url): hãy báo quản trị.")
    if backend == "pkcs11" and (seal or settings.demo) and not settings.pkcs11_module:
        return _(
            "Con dấu số của trường chưa được cấu hình (token hoặc HSM: [signing] pkcs11_module, "
            "pkcs11_token_label, pkcs11_pin): hãy báo quản trị."
        )
    if backend == "pkcs11" and not (seal or settings.demo):
        if settings.own is None or settings.own.code != code:
            return _(
                "{code} ký bằng token của chính mình: cắm token vào máy chạy trợ lý, chạy lệnh "
                "«hocba sign LỚP --as {code}» rồi tự nhập mã PIN (trợ lý không giữ mã PIN của "
                "ai)."
            ).format(code=code)
        if not settings.pkcs11_module:
            return _(
                "Chưa cấu hình thư viện PKCS#11 của token ([signing] pkcs11_module): hãy báo "
                "quản trị."
            )
    return None


def ensure_usable(settings: SigningSettings, code: str) -> None:
    """SignerUnavailable, saying what to do, when the key of `code` cannot sign from here."""
    if problem := unusable(settings, code):
        raise SignerUnavailable(problem)


@contextmanager
def open_signer(settings: SigningSettings, school_code: str, code: str) -> Iterator[Signer]:
    """The loaded signer of staff `code` (or the seal, SEAL_CODE), held open for a whole batch
    so each key is loaded once."""
    ensure_usable(settings, code)
    backend = backend_of(settings, code)
    if backend == "pkcs12":
        yield load_pkcs12(
            pkcs12_path(settings.pkcs12_dir, school_code, code), settings.pkcs12_password
        )
    elif backend == "pkcs11" and code != SEAL_CODE and not settings.demo:
        own = settings.own
        assert own is not None  # ensure_usable
        with pkcs11_session(settings.pkcs11_module, own.label, own.pin) as session:
            yield load_own_key(session, code)
    elif backend == "pkcs11":
        with pkcs11_session(
            settings.pkcs11_module, settings.pkcs11_token_label, settings.pkcs11_pin
        ) as session:
            yield load_pkcs11(session, code)
    else:
        raise SignerUnavailable(
            _("{code} ký từ xa: hãy mở phiên ký và phê duyệt trong ứng dụng ký số.").format(
                code=code
            )
        )
