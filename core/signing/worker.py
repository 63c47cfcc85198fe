"""The signing steps as worker-pool tasks (core.workers): the CPU of signing, off the event loop.

Each function signs (or prepares, or finishes) a chunk of documents of one batch step and
returns the new bytes; the batch services store them. A worker keeps a person's key open
between chunks: loading and checking an RSA key costs about 40 ms, and a PKCS#11 session must
belong to the process that uses it (a forked copy of an initialised PKCS#11 library is undefined
behaviour), so the session is opened here, in the worker, never in the bot. A key file that is
replaced (a renewed certificate) or removed is noticed at the next chunk; a token's key is
looked up again every few minutes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from cryptography import x509

from core.formatting import date_time
from core.i18n import _, use_language
from core.models.records import SignatureRole
from core.render.images import handwritten_signature
from core.render.minutes import MinutesFacts, render_minutes
from core.signing.backends import (
    SEAL_CODE,
    SigningSettings,
    backend_of,
    ensure_usable,
    open_signer,
    pkcs12_path,
)
from core.signing.chain import (
    PreparedStep,
    finish_step,
    prepare_step,
    remote_signer,
    sign_record_step,
)
from core.signing.keys import Signer, SignerUnavailable
from core.signing.pades import PadesSigner

Document = tuple[bytes, bytes | None]  # a document's XML, and its PDF for records

PKCS11_KEPT = 300.0  # seconds a token's key stays open in a worker before it is looked up again


@dataclass
class _Opened:
    signer: Signer
    version: object  # what the key was opened from: the file's size and time, or when
    stack: ExitStack


_opened: dict[tuple[str, ...], _Opened] = {}


def _version(settings: SigningSettings, school_code: str, code: str) -> object:
    """What says whether an opened key is still the configured one: a PKCS#12 file's size and
    modification time (a renewed certificate is a new file), or the time slot for a token."""
    if backend_of(settings, code) == "pkcs12":
        try:
            stat = pkcs12_path(settings.pkcs12_dir, school_code, code).stat()
        except OSError:
            return None  # open_signer says what is wrong with it
        return stat.st_size, stat.st_mtime_ns
    return int(time.monotonic() // PKCS11_KEPT)


def _signer(settings: SigningSettings, school_code: str, code: str) -> Signer:
    ensure_usable(settings, code)  # before the cache: a key kept from a demo run is no key
    backend = backend_of(settings, code)
    own = (settings.own.label, settings.own.pin) if settings.own else ("", "")
    key = (backend, str(settings.pkcs12_dir), settings.pkcs11_module, *own, school_code, code)
    version = _version(settings, school_code, code)
    opened = _opened.get(key)
    if opened is not None and opened.version == version:
        return opened.signer
    if opened is not None:
        del _opened[key]
        opened.stack.close()
    stack = ExitStack()
    signer = stack.enter_context(open_signer(settings, school_code, code))
    _opened[key] = _Opened(signer, version, stack)
    return signer


def school_seal(settings: SigningSettings, school_code: str) -> Signer:
    """The school's seal as this worker keeps it open, for what the school seals that is not a
    record (a backup's manifest, core.services.backups)."""
    return _signer(settings, school_code, SEAL_CODE)


def _handwriting(
    settings: SigningSettings, role: SignatureRole, signer: Signer, uploaded: bytes | None
) -> bytes | None:
    """The signature image the principal's stamp draws: the one they uploaded
    (core.services.signature_images, 001 Điều 13); without one, a scrawl drawn from their
    name only in demo mode, whose people are made up. A real person without an uploaded image
    gets the caption alone: nobody's signature is invented."""
    if uploaded is not None or role is not SignatureRole.PRINCIPAL or not settings.demo:
        return uploaded
    return handwritten_signature(signer.name)


def sign_documents(
    settings: SigningSettings,
    school_code: str,
    code: str,
    role: SignatureRole,
    documents: Sequence[Document],
    moment: dt.datetime,
    language: str,
    handwriting: bytes | None = None,
) -> tuple[list[Document], str]:
    """Add `role`'s signatures to each document with the key of `code` (file or token);
    returns the signed documents and the signer's name as their certificate gives it.
    `handwriting`: the signer's uploaded signature image (`_handwriting`)."""
    with use_language(language):  # a refusal (wrong PIN, missing file) in the signer's words
        signer = _signer(settings, school_code, code)
        picture = _handwriting(settings, role, signer, handwriting)

        async def sign_all() -> list[Document]:
            return [
                await sign_record_step(x, p, role, signer, moment, handwriting=picture)
                for x, p in documents
            ]

        return asyncio.run(sign_all()), signer.name


@dataclass(frozen=True)
class Sealed:
    """Minutes sealed by the school (`sealed_by`: the seal certificate's name), or drawn
    without the seal and why not (`problem`, for the admins)."""

    pdf: bytes
    sealed_by: str = ""
    problem: str = ""


def seal_minutes(
    settings: SigningSettings, school_code: str, facts: MinutesFacts, moment: dt.datetime
) -> Sealed:
    """Draw the minutes of a correction and put the school's seal on them (PAdES, visible
    stamp), with the seal as the issuance uses it (file or token). A seal that cannot be used
    (none configured, wrong PIN, certificate expired) gives the minutes without it, saying so,
    and the reason; an error while signing is raised (the caller tries again later)."""
    with use_language(facts.language):
        try:
            seal = _signer(settings, school_code, SEAL_CODE)
            certificate = seal.certificate
            if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
                raise SignerUnavailable(
                    _(
                        "Chứng thư số của con dấu «{name}» không còn hiệu lực (hết hạn {day})."
                    ).format(name=seal.name, day=date_time(certificate.not_valid_after_utc))
                )
        except SignerUnavailable as unusable:
            return Sealed(render_minutes(facts, sealed=False).pdf, problem=str(unusable))
        drawn = render_minutes(facts)
        signer = PadesSigner(
            seal,
            SignatureRole.SEAL,
            moment,
            box=drawn.seal_box,
            reason=_("Biên bản sửa chữa dữ liệu {number}").format(number=facts.number),
        )
        return Sealed(asyncio.run(signer.sign(drawn.pdf)), sealed_by=seal.name)


def _remote(chain_der: Sequence[bytes]) -> Signer:
    chain = [x509.load_der_x509_certificate(c) for c in chain_der]
    return remote_signer(chain[0], chain)


def prepare_documents(
    chain_der: Sequence[bytes],
    role: SignatureRole,
    documents: Sequence[Document],
    moment: dt.datetime,
    handwriting: bytes | None = None,
) -> list[PreparedStep]:
    """Remote signing, phase one, for a chunk: everything but the signature values; the
    principal's stamp draws `handwriting`, their uploaded signature image (None: none; remote
    signers are real people, so there is no demo scrawl here)."""

    async def prepare_all() -> list[PreparedStep]:
        signer = _remote(chain_der)
        return [await prepare_step(x, p, role, signer, moment, handwriting) for x, p in documents]

    return asyncio.run(prepare_all())


def finish_documents(
    chain_der: Sequence[bytes],
    role: SignatureRole,
    prepared: Sequence[tuple[PreparedStep, Sequence[bytes]]],
    moment: dt.datetime,
    language: str,
) -> list[Document]:
    """Remote signing, phase two, for a chunk: the service's values put in, each checked
    against the certificate first (a wrong value raises InvalidValue)."""
    signer = _remote(chain_der)

    async def finish_all() -> list[Document]:
        return [await finish_step(step, role, signer, moment, values) for step, values in prepared]

    with use_language(language):
        return asyncio.run(finish_all())
