"""The record PDF: Vietnamese text that extracts, two PAdES signatures checked by pdfsig and
pyhanko's validator, and tampering detected."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from core.models.records import SignatureRole
from core.render.pdf_record import render_record_pdf
from core.signing.pades import sign_pdf
from core.signing.pdf_verify import verify_pdf
from core.signing.trust import Trust, fingerprint, load_roots
from tests.signing.conftest import tool
from tests.signing.oracles import qr_codes, report, signed_pdf


@pytest.mark.poppler
async def test_pdf_signed_by_principal_and_seal(record, signers, ca_file, tmp_path):
    """What the page shows (text and the QR code, read back as a phone would) and both PAdES
    signatures, checked by pdfsig and by pyhanko's validator."""
    pdf = await signed_pdf(record, signers)
    path = tmp_path / "record.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [tool("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "Lê Thị Hồng Nhung",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Giáo dục thể chất",
        "Ký bởi: Trần Đức Thắng",
        "Chăm ngoan, tiến bộ rõ rệt.",
        "Vân tay chứng thư",
        fingerprint(signers["ht"].certificate),  # the signer list, printed (Điều 4.1)
        "Mã tra cứu: K7QX-3M9P-2TAB",  # beside the QR code (001 Điều 22.1, mã số tra cứu)...
        "Mã truy cập: 2026 0620",  # ...with the code its page asks for (issue 14)
    ):
        assert expected in text
    out = subprocess.run(
        [tool("pdfsig"), "-nocert", str(path)], capture_output=True, text=True, check=False
    ).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2
    assert qr_codes(pdf, tmp_path) == ["https://hocba.example.vn/xac-thuc/K7QX3M9P2TAB"]
    assert "Trần Đức Thắng" in out and "HieuTruong" in out and "DauNhaTruong" in out
    reports = await verify_pdf(pdf, load_roots([ca_file]))
    assert [r.role for r in reports] == [SignatureRole.PRINCIPAL, SignatureRole.SEAL]
    assert all(r.ok for r in reports)
    whole = report(pdf, Trust.load([ca_file]), signers)  # held to the attached signer list
    assert whole.valid and whole.kind == "PDF", "\n".join(whole.lines())


@pytest.mark.poppler
async def test_tampered_pdf_fails(record, signers, ca_file, tmp_path):
    pdf = await signed_pdf(record, signers)
    marker = b"/Author"
    at = pdf.index(marker)
    tampered = pdf[:at] + b"/Autxor" + pdf[at + len(marker) :]
    path = tmp_path / "tampered.pdf"
    path.write_bytes(tampered)
    out = subprocess.run(
        [tool("pdfsig"), "-nocert", str(path)], capture_output=True, text=True, check=False
    ).stdout
    assert "Signature is Valid" not in out
    reports = await verify_pdf(tampered, load_roots([ca_file]))
    assert reports and not any(r.ok for r in reports)


@pytest.mark.poppler
async def test_stamp_shows_the_school_clock(record, signers, tmp_path):
    """Signed at 07:30 UTC: the stamp says 14:30 (Asia/Ho_Chi_Minh), not the server's UTC."""
    moment = dt.datetime(2026, 6, 28, 7, 30, tzinfo=dt.UTC)
    pdf = await sign_pdf(render_record_pdf(record), signers["ht"], SignatureRole.PRINCIPAL, moment)
    path = tmp_path / "stamp.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [tool("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Thời gian: 14:30" in text and "28/06/2026" in text
