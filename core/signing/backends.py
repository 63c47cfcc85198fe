"""Choosing a person's signer from the configuration: PKCS#12 file, PKCS#11 token, or remote.

The core does not import the bot's `Config`: the bootstrap copies its [signing] section into
`SigningSettings`, a plain value that can also be handed to a worker process. A person's
backend is `[signing.people]` for their staff code, else the default `backend`. Remote (CSC)
signers never sign here: their documents go through a prepared batch and one approval
(core.services.issuance.prepare_remote / complete_remote).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core.i18n import _
from core.models.records import SignatureRole
from core.signing.keys import Signer, SignerUnavailable, load_pkcs11, load_pkcs12, pkcs11_session

SEAL_CODE = "SEAL"  # the file name, token label and config key of the school's organisation key


KEY_FOLDER_CA = "ca.pem"  # a PKCS#12 folder may keep the CA that issued its keys


def pkcs12_path(directory: Path, school_code: str, code: str) -> Path:
    """Where a person's (or the seal's) PKCS#12 file lives: one folder per school, because
    staff codes repeat between schools."""
    return directory / school_code / f"{code}.p12"


@dataclass(frozen=True)
class SigningSettings:
    """The [signing] section: the default backend, each backend's settings, and per-person
    exceptions (`people`: staff code → backend)."""

    backend: str = "pkcs12"
    pkcs12_dir: Path = Path("var/keys")
    pkcs12_password: str = field(default="", repr=False)
    pkcs11_module: str = ""
    pkcs11_token_label: str = ""
    pkcs11_pin: str = field(default="", repr=False)
    csc_url: str = ""
    csc_client_id: str = ""
    csc_client_secret: str = field(default="", repr=False)
    people: dict[str, str] = field(default_factory=dict)


def backend_of(settings: SigningSettings, code: str) -> str:
    return settings.people.get(code, settings.backend)


def signer_code(staff_code: str, role: SignatureRole) -> str:
    """Whose key signs a step: the school's seal for the seal step (the clerk operates it),
    the person's own otherwise."""
    return SEAL_CODE if role is SignatureRole.SEAL else staff_code


@contextmanager
def open_signer(settings: SigningSettings, school_code: str, code: str) -> Iterator[Signer]:
    """The loaded signer of staff `code` (or the seal, SEAL_CODE), held open
    for a whole batch so each key is loaded once."""
    backend = backend_of(settings, code)
    if backend == "pkcs12":
        yield load_pkcs12(
            pkcs12_path(settings.pkcs12_dir, school_code, code), settings.pkcs12_password
        )
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
