"""Forged and replayed record PDFs (issue 12, "Bad input"): content appended by an incremental
update after the last signature, a missing seal, a teacher in the principal's or the seal's
place, another school's valid certificates, the replaced version presented as current, a signer
list that inflates to 64 MiB, a truncated file. Each is refused with its reason in Vietnamese,
in bounded time and memory, writing nothing (tests/hostile/forgery_kit.py).

pdfsig checks each signature alone and knows no signer list: where it calls every signature of
such a file valid, a second test shows that it does, and the first that our verifier refuses it.
"""

from __future__ import annotations

import zlib
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from core.models.records import SignatureRole
from core.render import xml_record as fmt
from core.render.pdf_record import render_record_pdf
from core.signing.pades import sign_pdf
from demo.pki import Issued
from tests.hostile import forgery_kit
from tests.hostile.forgery_kit import (
    THIS_SCHOOL,
    Case,
    Kit,
    another_schools_record,
    assert_refused,
    made,
)
from tests.signing import conftest as signing
from tests.signing.oracles import pdfsig, signed_pdf

# the test PKI, record and school, shared (pytest finds fixtures by module name)
ca, ca_file, record, signers = signing.ca, signing.ca_file, signing.record, signing.signers
kit, other_school = forgery_kit.kit, forgery_kit.other_school


def appended(kit: Kit) -> bytes:
    """An incremental update after the seal: a new catalogue entry nobody signed."""
    writer = IncrementalPdfFileWriter(BytesIO(kit.pdf2))
    writer.root["/HocbaGhiChu"] = generic.TextStringObject("Được miễn thi lại")
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


async def _signed_by(kit: Kit, principal: str, seal: str) -> bytes:
    """The record's PDF signed in the principal's and the seal's places by these keys."""
    pdf = render_record_pdf(kit.record)
    pdf = await sign_pdf(pdf, kit.signers[principal], SignatureRole.PRINCIPAL, kit.now)
    return await sign_pdf(pdf, kit.signers[seal], SignatureRole.SEAL, kit.now)


async def seal_missing(kit: Kit) -> bytes:
    """The PDF as the principal left it: the seal's signature missing."""
    pdf = render_record_pdf(kit.record)
    return await sign_pdf(pdf, kit.signers["ht"], SignatureRole.PRINCIPAL, kit.now)


async def teacher_as_principal(kit: Kit) -> bytes:
    return await _signed_by(kit, "gvbm", "dv")


async def teacher_as_seal(kit: Kit) -> bytes:
    return await _signed_by(kit, "ht", "gvbm")


async def another_schools(kit: Kit) -> bytes:
    return await signed_pdf(another_schools_record(kit), kit.other, kit.now)


def replayed_v1(kit: Kit) -> bytes:
    return kit.pdf1


async def signer_list_bomb(kit: Kit) -> bytes:
    """A signer list that inflates to 64 MiB from 64 KiB, signed like the genuine one."""
    writer = IncrementalPdfFileWriter(BytesIO(render_record_pdf(kit.record)))
    bomb = EmbeddedFileObject(writer, encoded_data=zlib.compress(b"<" * (64 << 20), 9))
    bomb["/Filter"] = generic.NameObject("/FlateDecode")
    writer.root["/Names"] = generic.DictionaryObject()
    embed_file(writer, FileSpec(fmt.PDF_SIGNERS_FILE, fmt.PDF_SIGNERS_FILE, embedded_data=bomb))
    out = BytesIO()
    writer.write(out)
    pdf = await sign_pdf(out.getvalue(), kit.signers["ht"], SignatureRole.PRINCIPAL, kit.now)
    return await sign_pdf(pdf, kit.signers["dv"], SignatureRole.SEAL, kit.now)


def truncated(kit: Kit) -> bytes:
    return kit.pdf2[: len(kit.pdf2) // 3]


CASES = {
    "incremental-update-after-last-signature": Case(appended, ("cập nhật gia tăng",), pdfsig=True),
    "seal-missing": Case(seal_missing, ("THIẾU chữ ký của Nhà trường",), pdfsig=True),
    "teacher-as-principal": Case(
        teacher_as_principal,
        ("không phải chứng thư danh sách ký ghi cho Hiệu trưởng",),
        pdfsig=True,
    ),
    "teacher-as-seal": Case(
        teacher_as_seal, ("không phải chứng thư danh sách ký ghi cho Nhà trường",), pdfsig=True
    ),
    "valid-certificates-of-another-school": Case(another_schools, (THIS_SCHOOL,), pdfsig=True),
    "replaced-version-presented-as-current": Case(
        replayed_v1, ("ĐÃ BỊ THAY THẾ",), pdfsig=True, reads_record=True
    ),
    "signer-list-zip-bomb": Case(
        signer_list_bomb, ("không mang danh sách ký của học bạ",), pdfsig=True
    ),
    "truncated": Case(truncated, ("PDF",)),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_forged_pdf_is_refused_with_its_reason(name: str, kit: Kit, ca: Issued) -> None:
    await assert_refused(CASES[name], kit, ca)


@pytest.mark.poppler
@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.pdfsig])
async def test_pdfsig_accepts_what_we_refuse(name: str, kit: Kit, tmp_path: Path) -> None:
    """pdfsig calls every signature of these files valid."""
    path = tmp_path / "forged.pdf"
    path.write_bytes(await made(CASES[name], kit))
    out = pdfsig(path)
    count = out.count("Signature Field Name:")
    assert count and out.count("Signature Validation: Signature is Valid.") == count, out
