"""Signed test documents, our verifier's report on them, and the independent verifiers (xmlsec1,
pdfsig) as oracles: what they accept and what ours refuses."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import zxingcpp
from PIL import Image

from core.models.records import RECORD_ORDER, SignatureRole
from core.render import xml_record as fmt
from core.render.pdf_record import render_record_pdf
from core.render.xml_base import DS
from core.signing.chain import countersigned
from core.signing.document_check import check_document
from core.signing.keys import Signer
from core.signing.pades import sign_pdf
from core.signing.reports import FileReport
from core.signing.signer_list import Registered
from core.signing.trust import Trust, fingerprint
from core.signing.xmldsig import scoped, sign_xml
from tests.signing.conftest import SCHOOL, tool

ID_ATTRS = [
    "--id-attr:Id",
    f"{fmt.NS}:dulieuhocba",
    "--id-attr:Id",
    f"{fmt.NS}:dulieubangdiem",
    "--id-attr:Id",
    f"{DS}:SignatureProperty",
    "--id-attr:Id",
    f"{DS}:Signature",
]


def xmlsec_verify(path: Path, ca_file: Path, sig_id: str) -> bool:
    """xmlsec1's answer for one signature (it checks one at a time, knowing no signer list).
    A role's Id (chuky-dv) names that role's signature over the file's data: in a record, of
    its current year (chuky-dv-2025-2026)."""
    if f'Id="{sig_id}"'.encode() not in path.read_bytes():
        sig_id = scoped(fmt.parse_own(path.read_bytes()), sig_id)
    result = subprocess.run(
        [
            tool("xmlsec1"),
            "--verify",
            "--trusted-pem",
            str(ca_file),
            *ID_ATTRS,
            "--node-id",
            sig_id,
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def pdfsig(path: Path) -> str:
    return subprocess.run(
        [tool("pdfsig"), "-nocert", str(path)], capture_output=True, text=True, check=False
    ).stdout


def signed_record(record: fmt.StudentRecord, signers: dict[str, Signer], now: dt.datetime) -> bytes:
    """The record signed by its whole chain, in order."""
    xml = fmt.build_record(record)
    for role in RECORD_ORDER:
        xml = sign_xml(xml, signers[role.value], role.signature_id, now, countersigned(role))
    return xml


async def signed_pdf(
    record: fmt.StudentRecord, signers: dict[str, Signer], now: dt.datetime | None = None
) -> bytes:
    pdf = render_record_pdf(record)
    pdf = await sign_pdf(pdf, signers["ht"], SignatureRole.PRINCIPAL, now)
    return await sign_pdf(pdf, signers["dv"], SignatureRole.SEAL, now)


def school_registry(signers: dict[str, Signer]) -> dict[str, Registered]:
    """The test school's register: its seal, and its people."""
    people = frozenset(fingerprint(s.certificate) for r, s in signers.items() if r != "dv")
    return {SCHOOL.code: Registered(frozenset({fingerprint(signers["dv"].certificate)}), people)}


def report(
    data: bytes,
    trust: Trust,
    signers: dict[str, Signer],
    now: dt.datetime | None = None,
) -> FileReport:
    """Our verifier's report on a file, with the test school's register."""
    return check_document(
        data, trust, school_registry(signers), now or dt.datetime.now(dt.UTC), "vi"
    )


def qr_codes(pdf: bytes, folder: Path) -> list[str]:
    """The QR codes on a PDF's first page as a phone's camera would read them: the page drawn
    by poppler's pdftoppm at 150 dpi, decoded by zxing-cpp (neither knows our code)."""
    path = folder / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [
            tool("pdftoppm"),
            "-r",
            "150",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(folder / "page"),
        ],
        check=True,
    )
    with Image.open(folder / "page.png") as page:
        return [code.text for code in zxingcpp.read_barcodes(page)]
