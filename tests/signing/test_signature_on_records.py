"""Issued records draw their principal's uploaded signature image (001 Điều 13): the issuance
hands image_for(principal) to the signing step; the demo uploaded each signer's through the
service (demo.signature_images), so no record of it shows the scrawl drawn from a name."""

from __future__ import annotations

import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from bot.cli_signing import issue_class
from core.models import IssuedRecord, Role, Staff
from core.services import signature_images
from tests.signing.conftest import tool


def _image_sizes(pdf: bytes, folder: Path) -> set[tuple[int, int]]:
    path = folder / "record.pdf"
    path.write_bytes(pdf)
    subprocess.run([tool("pdfimages"), "-png", str(path), str(folder / "img")], check=True)
    return {Image.open(p).size for p in folder.glob("img-*.png")}


@pytest.mark.poppler
async def test_issued_records_draw_the_uploaded_signature(demo, runtime, tmp_path: Path):
    _config, school, school_class = demo
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    uploaded = await signature_images.image_for(principal.id)
    assert uploaded is not None
    assert await issue_class(runtime, school, school_class) == 40
    record = await IssuedRecord.filter(school_class=school_class).order_by("id").first()
    sizes = _image_sizes(record.pdf, tmp_path)
    assert Image.open(BytesIO(uploaded)).size in sizes
    assert (360, 150) not in sizes  # the demo's scrawl as drawn, uncropped: not used
