"""The student's photo on their record (issue 13: the cover "with the student's data, and photo
when given"): inside the signed data of the XML, so changing it breaks the signatures, and on
the PDF's cover; a student without a photo gets neither."""

from __future__ import annotations

import subprocess
from base64 import b64encode
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from bot.cli_signing import issue_class
from core.models import IssuedRecord, Student
from core.render import xml_record as fmt
from core.services import student_photos
from core.services.access import Actor
from core.services.verification import verify_file
from core.signing.trust import load_roots
from tests.signing.conftest import tool
from tests.signing.oracles import xmlsec_verify


def _portrait() -> bytes:
    image = Image.new("RGB", (900, 1200), (230, 200, 180))
    out = BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def _cover_images(pdf: bytes, folder: Path) -> list[tuple[int, int]]:
    """(width, height) of each image on the PDF's first page, as pdfimages lists them."""
    path = folder / "record.pdf"
    path.write_bytes(pdf)
    listed = subprocess.run(
        [tool("pdfimages"), "-f", "1", "-l", "1", "-list", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    return [(int(line.split()[3]), int(line.split()[4])) for line in listed]


@pytest.mark.xmlsec1
@pytest.mark.poppler
async def test_the_photo_is_signed_with_the_record_and_on_its_cover(demo, runtime, tmp_path):
    config, school, six_a = demo
    first, second = await Student.filter(enrollments__school_class=six_a).order_by("id").limit(2)
    stored = await student_photos.upload(
        Actor.command_line(school.id), first.national_id, _portrait()
    )
    assert await issue_class(runtime, school, six_a) == 40
    with_photo = await IssuedRecord.get(school_class=six_a, student=first)
    without = await IssuedRecord.get(school_class=six_a, student=second)

    assert fmt.record_from_xml(fmt.parse_own(with_photo.xml)).photo == stored.jpeg
    assert b"<anh>" not in without.xml
    assert _cover_images(with_photo.pdf, tmp_path) == [student_photos.KEPT_SIZE]
    assert _cover_images(without.pdf, tmp_path) == []

    ca_file = config.signing.pkcs12_dir / "ca.pem"
    xml_path = tmp_path / "record.xml"
    xml_path.write_bytes(with_photo.xml)
    assert xmlsec_verify(xml_path, ca_file, "chuky-dv")
    roots = load_roots([ca_file])
    assert (await verify_file(with_photo.xml, roots, "test", runtime.workers)).ok

    # another face in the file: every signature over the data fails
    root = fmt.parse_own(with_photo.xml)
    photo = root.find(f".//{{{fmt.NS}}}hocsinh/{{{fmt.NS}}}anh")
    assert photo is not None
    photo.text = b64encode(_portrait()[:-2] + b"\x00\xd9").decode()
    xml_path.write_bytes(etree.tostring(root))
    assert not xmlsec_verify(xml_path, ca_file, "chuky-dv")
    report = await verify_file(xml_path.read_bytes(), roots, "test", runtime.workers)
    assert not report.ok
