"""The documents' font comes from PyPI, not the machine: static Noto Sans cuts made from the
package's variable font, cached per user, and the rendered PDFs carry Vietnamese text that
extracts (pypdf, no system tool)."""

from __future__ import annotations

import multiprocessing
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from io import BytesIO
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PageObject, PdfReader
from pypdf.generic import NameObject

from core.models.records import SignatureRole
from core.render import fonts
from core.render.pdf_record import render_record_pdf
from core.signing.pades import sign_pdf

TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # ngang huyền sắc hỏi ngã nặng
VOWELS = "aăâeêioôơuưy"
CONSONANTS = "bcdđghklmnpqrstvx"


def vietnamese_letters() -> set[str]:
    """Every letter of the Vietnamese alphabet, each vowel with each tone, both cases, NFC."""
    lower = {unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES} | set(CONSONANTS)
    return lower | {c.upper() for c in lower}


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty font cache for this test; the process's own cache is restored after it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fonts._static_fonts.cache_clear()
    yield tmp_path / "hocba" / "fonts"
    fonts._static_fonts.cache_clear()


def test_static_cuts_have_every_vietnamese_letter_and_their_weight(own_cache: Path):
    regular, bold = fonts.font_path(fonts.REGULAR), fonts.font_path(fonts.BOLD)
    assert regular.parent == bold.parent == own_cache
    assert fonts.stamp_font_path() == regular
    for path, weight, style in ((regular, 400, "Regular"), (bold, 700, "Bold")):
        font = TTFont(path)
        assert "fvar" not in font and "GSUB" not in font  # static, without layout tables
        assert font["OS/2"].usWeightClass == weight
        assert font["name"].getDebugName(2) == style
        missing = {c for c in vietnamese_letters() if ord(c) not in font.getBestCmap()}
        assert not missing
        assert {ord(c) for c in "₫№–—“”‘’•…"} <= font.getBestCmap().keys()
    regular_a = TTFont(regular)["hmtx"]["a"][0]
    assert TTFont(bold)["hmtx"]["a"][0] > regular_a  # really another weight


def test_cache_is_reused_and_rebuilt_for_another_recipe(
    own_cache: Path, monkeypatch: pytest.MonkeyPatch
):
    first = fonts.font_path()
    made = first.stat().st_mtime_ns
    fonts._static_fonts.cache_clear()
    assert fonts.font_path() == first and first.stat().st_mtime_ns == made  # not built again
    monkeypatch.setattr(fonts, "_UNICODES", tuple(range(0x20, 0x7F)))
    fonts._static_fonts.cache_clear()
    other = fonts.font_path()
    assert other != first and other.parent == first.parent
    assert ord("ạ") not in TTFont(other).getBestCmap()
    assert ord("ạ") in TTFont(first).getBestCmap()  # the old cut is left to its readers


def _built_in_a_fresh_process() -> tuple[str, str]:
    return str(fonts.font_path(fonts.REGULAR)), str(fonts.font_path(fonts.BOLD))


def test_worker_processes_building_at_once_get_whole_fonts(own_cache: Path):
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:
        results = [pool.submit(_built_in_a_fresh_process) for _ in range(2)]
        paths = {future.result() for future in results}
    assert len(paths) == 1
    for path in paths.pop():
        assert TTFont(path).getBestCmap()[ord("ữ")]
    assert not list(own_cache.glob("*.tmp")) and not list(own_cache.glob(".*.tmp"))


def _page_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def _stamp_text(pdf: bytes) -> str:
    """The text of the signature stamps: their appearance streams, each drawn on a page of its
    own, since pypdf reads the text of pages and not of annotations."""
    texts = []
    for page in PdfReader(BytesIO(pdf)).pages:
        for annotation in page.get("/Annots", []):
            appearance = annotation.get_object()["/AP"]["/N"].get_object()
            stamp = PageObject.create_blank_page(None, 300, 100)
            stamp[NameObject("/Resources")] = appearance["/Resources"]
            stamp.replace_contents(appearance)
            texts.append(stamp.extract_text())
    return "\n".join(texts)


async def test_record_pdf_and_stamp_carry_vietnamese_text(record, signers):
    pdf = await sign_pdf(render_record_pdf(record), signers["ht"], SignatureRole.PRINCIPAL)
    text = _page_text(pdf)
    for expected in (
        "HỌC BẠ",
        "Lê Thị Hồng Nhung",
        "Nguyễn Thị Ánh Tuyết",
        "Giáo dục thể chất",
        "Chăm ngoan, tiến bộ rõ rệt.",
        "HIỆU TRƯỞNG",
    ):
        assert expected in text, expected
    assert PdfReader(BytesIO(pdf)).metadata.title == "Học bạ Lê Thị Hồng Nhung 2025-2026"
    assert "Ký bởi: Trần Đức Thắng" in _stamp_text(pdf)  # drawn by pyhanko with the stamp font
