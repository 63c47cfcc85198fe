"""The record's two visible stamps, read back by poppler: no text of the signed record ever
overprints other text, and neither stamp's caption lies on the other stamp (issue 13: the
captions used to be written over each other where the seal covers the principal's box).

The seal covers the left third of the principal's signature on purpose (001 Điều 13), so the
two boxes overlap (core.render.book_canvas.PRINCIPAL_BOX, SEAL_BOX); each caption must keep to
the part of its box the other leaves free (core.signing.stamps.stamp_layout). The checks use
pdftotext's word boxes (tests/signing/text_boxes.py), which include the stamps' appearance
streams, and pdfimages for the picture a stamp draws.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from core.models.records import RECORD_ORDER, SignatureRole
from core.render import xml_record as fmt
from core.render.book_canvas import PRINCIPAL_BOX, SEAL_BOX
from core.render.images import BLUE, handwritten_signature, png
from core.render.pdf_record import render_record_pdf
from core.signing.backends import SigningSettings
from core.signing.chain import countersigned, sign_record_step
from core.signing.keys import Signer, load_pkcs12
from core.signing.pades import PadesSigner
from core.signing.stamps import GAP, stamp_layout
from core.signing.trust import fingerprint
from core.signing.worker import _handwriting, sign_documents
from core.signing.xmldsig import sign_xml
from demo.pki import Issued, Person, issue, pkcs12_path, write_school_pki
from tests.signing.conftest import SCHOOL, tool
from tests.signing.oracles import signed_pdf
from tests.signing.text_boxes import Page, described, overprints, read_pages

MOMENT = dt.datetime(2026, 6, 28, 7, 30, tzinfo=dt.UTC)
LONG_SCHOOL = "Trường THCS Nguyễn Văn Trỗi, phường Nam Định"  # 58 of 64 bytes a name may have
LONG_PRINCIPAL = "Tôn Nữ Hoàng Thị Bích Phượng Nguyễn Phước"


def _stamps(page: Page) -> dict[str, tuple[float, ...]]:
    return {"principal": page.from_bottom(PRINCIPAL_BOX), "seal": page.from_bottom(SEAL_BOX)}


def assert_clean(pages: list[Page]) -> list[str]:
    """No overprint on any page; on the last, every word that meets a stamp's box meets that
    one only (no caption in the overlap, none on the other stamp), and the page's own text
    stays clear of both. Returns the words of the stamps' captions, principal's first."""
    for page in pages:
        assert not overprints(page.boxes), described(overprints(page.boxes))
    last = pages[-1]
    stamps = _stamps(last)
    captions: dict[str, list[str]] = {"principal": [], "seal": []}
    for box in last.boxes:
        met = [name for name, area in stamps.items() if box.meets(area)]
        assert len(met) <= 1, f"{box.text!r} lies on both stamps: {box}"
        if met:
            captions[met[0]].append(box.text)
    return [" ".join(captions["principal"]), " ".join(captions["seal"])]


@pytest.mark.poppler
async def test_signed_record_text_never_overprints(record, signers, tmp_path):
    """The record signed by the principal and the seal: every word's box, page by page."""
    pages = read_pages(await signed_pdf(record, signers, MOMENT), tmp_path)
    principal, seal = assert_clean(pages)
    assert principal == "Ký bởi: Trần Đức Thắng Thời gian: 14:30, Chủ Nhật, 28/06/2026"
    assert seal.startswith("Ký bởi:") and "Trường THCS Đại An" in seal.replace("\n", " ")
    assert "28/06/2026" in seal


@pytest.mark.poppler
async def test_long_names_wrap_in_their_own_part(record, ca: Issued, tmp_path):
    """A long school name and a long principal's name: the captions wrap (the seal's into
    its narrow strip) and still overprint nothing."""
    long = {
        "ht": Signer(*_parts(issue(ca, LONG_PRINCIPAL, LONG_SCHOOL, "Hiệu trưởng"))),
        "dv": Signer(*_parts(issue(ca, LONG_SCHOOL, LONG_SCHOOL))),
    }
    pages = read_pages(await signed_pdf(record, long, MOMENT), tmp_path)
    principal, seal = assert_clean(pages)
    assert LONG_PRINCIPAL in principal
    assert all(word in seal for word in LONG_SCHOOL.split())


def _parts(issued: Issued) -> tuple:
    return issued.key, issued.certificate, issued.chain


@pytest.mark.poppler
async def test_the_oracle_finds_captions_written_over_each_other(record, signers, tmp_path):
    """The oracle can fail: the same stamps, each laid out as if alone in its box (the
    overlap ignored, as before issue 13), print their captions over each other."""
    pdf = render_record_pdf(record)
    for role, box in ((SignatureRole.PRINCIPAL, PRINCIPAL_BOX), (SignatureRole.SEAL, SEAL_BOX)):
        shifted = (box[0] + 0.01, box[1], box[2], box[3])  # not the record's place: "alone"
        signer = signers["ht" if role is SignatureRole.PRINCIPAL else "dv"]
        pdf = await PadesSigner(signer, role, MOMENT, box=shifted).sign(pdf)
    clashes = overprints(read_pages(pdf, tmp_path)[-1].boxes)
    assert clashes and all("Ký bởi" in a.text + b.text or "Thời" in a.text for a, b in clashes)


def test_each_part_keeps_to_its_place():
    """The layouts themselves: the principal's caption right of the seal's box, the seal's
    left of the principal's, each picture clear of its own caption; the principal's picture
    spans its box, so the seal's box covers about its left third (001 Điều 13); a seal alone
    (the minutes) has its caption under its picture."""
    text = "Ký bởi: Trần Đức Thắng\nThời gian: 14:30, Chủ Nhật, 28/06/2026"
    principal = stamp_layout(PRINCIPAL_BOX, SEAL_BOX, text)
    assert not principal.beside
    assert PRINCIPAL_BOX[0] + principal.caption[0] >= SEAL_BOX[2] + GAP
    assert principal.caption[3] <= principal.picture[1]
    picture_x1 = PRINCIPAL_BOX[0] + principal.picture[0]
    picture_x2 = PRINCIPAL_BOX[0] + principal.picture[2]
    covered = (SEAL_BOX[2] - picture_x1) / (picture_x2 - picture_x1)
    assert 0.25 <= covered <= 0.4
    seal = stamp_layout(SEAL_BOX, PRINCIPAL_BOX, "Ký bởi: Trường THCS Đại An\n" + text[23:])
    assert seal.beside
    assert SEAL_BOX[0] + seal.caption[2] <= PRINCIPAL_BOX[0] - GAP
    assert seal.caption[2] <= seal.picture[0]
    assert SEAL_BOX[0] + seal.picture[2] > PRINCIPAL_BOX[0]  # the seal over the signature
    alone = stamp_layout((0, 0, 110, 110), None, text)
    assert not alone.beside and alone.caption[3] <= alone.picture[1]


def _signature(size: tuple[int, int]) -> bytes:
    """A stored signature image: blue strokes on a transparent ground."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(5, size[1] - 5), (size[0] - 5, 5)], fill=BLUE, width=5)
    return png(image)


def _images(pdf: bytes, folder: Path) -> list[Image.Image]:
    """The images on the PDF's last page (the stamps' pictures), by pdfimages."""
    path = folder / "signed.pdf"
    path.write_bytes(pdf)
    subprocess.run([tool("pdfimages"), "-png", str(path), str(folder / "img")], check=True)
    return [Image.open(p) for p in sorted(folder.glob("img-*.png"))]


def _homeroom_signed(record: fmt.StudentRecord, signers: dict[str, Signer]) -> bytes:
    role = RECORD_ORDER[0]
    return sign_xml(
        fmt.build_record(record), signers["gvcn"], role.signature_id, MOMENT, countersigned(role)
    )


@pytest.mark.poppler
async def test_principal_step_draws_the_image_it_is_given(record, signers, tmp_path):
    """The signing chain draws the uploaded image, and no picture at all without one."""
    xml = _homeroom_signed(record, signers)
    uploaded = _signature((300, 100))
    _xml, pdf = await sign_record_step(
        xml, None, SignatureRole.PRINCIPAL, signers["ht"], MOMENT, handwriting=uploaded
    )
    assert pdf is not None
    pictures = _images(pdf, tmp_path)
    assert [p.size for p in pictures] == [(300, 100), (300, 100)]  # the image and its mask
    (tmp_path / "none").mkdir()
    _xml, bare = await sign_record_step(xml, None, SignatureRole.PRINCIPAL, signers["ht"], MOMENT)
    assert bare is not None and _images(bare, tmp_path / "none") == []
    assert_clean(read_pages(bare, tmp_path))


@pytest.mark.poppler
def test_worker_signs_with_the_uploaded_image(record, signers, tmp_path):
    """What the issuance runs in the worker pool (sign_documents) draws the signer's uploaded
    image; in demo mode without one, the scrawl drawn from the name."""
    keys, password = tmp_path / "keys", "demo"
    principal = Person("HT01", "Trần Đức Thắng", "Hiệu trưởng")
    write_school_pki(keys, SCHOOL.code, SCHOOL.name, [principal], password)
    key_file = load_pkcs12(pkcs12_path(keys, SCHOOL.code, "HT01"), password)
    listed = [
        fmt.ListedSigner(s.role, s.name, fingerprint(key_file.certificate)) if s.role == "ht" else s
        for s in record.signers
    ]
    xml = _homeroom_signed(replace(record, signers=tuple(listed)), signers)
    settings = SigningSettings("pkcs12", keys, password, seal="pkcs12", demo=True)
    uploaded = _signature((240, 90))
    for folder, image, size in (("uploaded", uploaded, (240, 90)), ("demo", None, (360, 150))):
        signed, name = sign_documents(
            settings,
            SCHOOL.code,
            "HT01",
            SignatureRole.PRINCIPAL,
            [(xml, None)],
            MOMENT,
            "vi",
            image,
        )
        assert name == "Trần Đức Thắng"
        (tmp_path / folder).mkdir()
        pdf = signed[0][1]
        assert pdf is not None
        assert {p.size for p in _images(pdf, tmp_path / folder)} == {size}


def test_only_the_demo_invents_a_signature(signers):
    """Without an uploaded image a real principal's stamp has no picture; a demo one gets
    the scrawl drawn from the name; the seal never gets a handwriting."""
    ht = signers["ht"]
    real, demo = SigningSettings("csc"), SigningSettings("pkcs12", demo=True)
    uploaded = _signature((200, 80))
    assert _handwriting(real, SignatureRole.PRINCIPAL, ht, None) is None
    assert _handwriting(real, SignatureRole.PRINCIPAL, ht, uploaded) == uploaded
    assert _handwriting(demo, SignatureRole.PRINCIPAL, ht, None) == handwritten_signature(ht.name)
    assert _handwriting(demo, SignatureRole.SEAL, signers["dv"], None) is None
