"""The record PDF laid out as the paper book (issue 13, point 5), read back by poppler: a cover
with the national motto, the student and the learning history; the year's section; at the foot
of the last page the homeroom teacher's block (showing their XML signature), the place and date
line, HIỆU TRƯỞNG above the stamps and the names below them; no word overprints another, for
a secondary and a primary record signed through the service's own chain."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from core.models.records import RECORD_ORDER
from core.render import xml_record as fmt
from core.render.book_canvas import PRINCIPAL_BOX, SEAL_BOX
from core.signing.chain import sign_record_step
from core.signing.keys import Signer
from tests.signing.test_stamp_layout import assert_clean
from tests.signing.text_boxes import Page, read_pages
from tests.unit.test_primary_format import _year

HOMEROOM_AT = dt.datetime(2026, 6, 27, 9, 15, tzinfo=dt.UTC)  # 16:15 at the school
PRINCIPAL_AT = dt.datetime(2026, 6, 28, 7, 30, tzinfo=dt.UTC)


async def _issued(record: fmt.StudentRecord, signers: dict[str, Signer]) -> bytes:
    """The record signed in order by the homeroom teacher (a day earlier), the principal and
    the seal, exactly as the service signs it (core.signing.chain); its PDF."""
    xml, pdf = fmt.build_record(record), None
    for role in RECORD_ORDER:
        at = HOMEROOM_AT if role.value == "gvcn" else PRINCIPAL_AT
        xml, pdf = await sign_record_step(xml, pdf, role, signers[role.value], at)
    assert pdf is not None
    return pdf


def _words(page: Page) -> str:
    return " ".join(box.text for box in page.boxes)


def _lowest(page: Page, word: str):
    """The word's box nearest the foot of the page (the signature blocks are there)."""
    return max((b for b in page.boxes if b.text == word), key=lambda b: b.y2)


def _top(page: Page, word: str) -> float:
    """How far from the page's bottom the word's lowest box begins."""
    return page.height - _lowest(page, word).y2


def _bottom(page: Page, word: str) -> float:
    """How far from the page's bottom the word's lowest box reaches up."""
    return page.height - _lowest(page, word).y1


def _check_book(pages: list[Page], record: fmt.StudentRecord) -> None:
    assert len(pages) >= 2
    cover = _words(pages[0])
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "HỌC BẠ",
        record.school.level.upper(),
        record.full_name,
        record.national_id,
        "QUÁ TRÌNH HỌC TẬP",
    ):
        assert expected in cover, expected
    section = " ".join(_words(page) for page in pages[1:])
    assert f"NĂM HỌC {record.year_name} — LỚP {record.class_name}" in section
    last = pages[-1]
    words = _words(last)
    assert "GIÁO VIÊN CHỦ NHIỆM" in words and "Đã ký số" in words
    assert "16:15, Thứ Bảy, 27/06/2026" in words  # the homeroom teacher's XML signature
    assert f"{record.school.district}, ngày 28 tháng 06 năm 2026" in words
    # the titles above both stamps, the names below them: nothing of the page under a stamp
    assert _top(last, "TRƯỞNG") > max(PRINCIPAL_BOX[3], SEAL_BOX[3])
    surname = record.principal.split()[0]
    assert _bottom(last, surname) < min(PRINCIPAL_BOX[1], SEAL_BOX[1])
    assert all(f"trang {n}/{len(pages)}" in _words(p) for n, p in enumerate(pages, 1))
    assert_clean(pages)


@pytest.mark.poppler
async def test_a_secondary_record_is_laid_out_as_the_book(record, signers, tmp_path: Path):
    _check_book(read_pages(await _issued(record, signers), tmp_path), record)


@pytest.mark.poppler
async def test_a_primary_record_is_laid_out_as_the_book(record, signers, tmp_path: Path):
    primary = dataclasses.replace(
        record,
        school=dataclasses.replace(record.school, level="Tiểu học"),
        class_name="5A",
        grade=5,
        subjects=(),
        learning=("", "", ""),
        conduct=("", "", ""),
        promotion="",
        absent_days=0,
        primary=_year(),
    )
    pages = read_pages(await _issued(primary, signers), tmp_path)
    _check_book(pages, primary)
    section = " ".join(_words(page) for page in pages[1:])
    for expected in ("Phẩm chất chủ yếu", "Kết quả giáo dục cả năm", "Đọc to, rõ ràng."):
        assert expected in section, expected


@pytest.mark.poppler
async def test_content_never_runs_into_the_signature_blocks(record, signers, tmp_path: Path):
    """Records of every length around a page's end: the last page's content stops above the
    signature area (a new page when it would not), whatever else it holds."""
    for count in range(9, 22, 2):
        subjects = tuple(
            dataclasses.replace(
                record.subjects[i % len(record.subjects)],
                code=f"M{i}",
                name=f"Môn học số {i}",
                comment="Tiến bộ rõ rệt, cần phát huy." * (i % 3),
            )
            for i in range(count)
        )
        longer = dataclasses.replace(record, subjects=subjects)
        pages = read_pages(await _issued(longer, signers), tmp_path)
        principal, seal = assert_clean(pages)
        assert principal.startswith("Ký bởi:") and seal.startswith("Ký bởi:"), count
        seal_print = longer.signers[-1].fingerprint  # the signer list's last line
        (page,) = [page for page in pages if any(b.text == seal_print for b in page.boxes)]
        if page is pages[-1]:  # on the last page it ends above the signature blocks
            box = next(b for b in page.boxes if b.text == seal_print)
            assert page.height - box.y2 > 200, count


@pytest.mark.poppler
async def test_each_year_of_the_level_has_its_section(record, signers, tmp_path: Path):
    """A second year's version prints the earlier year's section, with who signed it and when
    (its XML signatures), before this year's, whose blocks are at the foot of the last page."""
    xml, pdf = fmt.build_record(dataclasses.replace(record, year_name="2024-2025")), None
    for role in RECORD_ORDER:
        xml, pdf = await sign_record_step(xml, pdf, role, signers[role.value], HOMEROOM_AT)
    second = dataclasses.replace(
        record, version=2, replaces_version=1, class_name="7A", grade=7, previous=xml
    )
    pages = read_pages(await _issued(second, signers), tmp_path)
    _check_book(pages, second)
    (earlier,) = [p for p in pages if "NĂM HỌC 2024-2025 — LỚP 6A" in _words(p)]
    (latest,) = [p for p in pages if f"NĂM HỌC {second.year_name} — LỚP 7A" in _words(p)]
    assert pages.index(earlier) < pages.index(latest)
    assert _words(earlier).count("16:15, Thứ Bảy, 27/06/2026") == 3  # gvcn, ht and dv signed
