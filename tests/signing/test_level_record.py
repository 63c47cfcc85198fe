"""One record per student per school level, extended year by year (001 Điều 24.4).

Two consecutive years are issued for the demo's secondary class (6A, then 7A) and its primary
class (4A, then 5A), each through the whole chain. The second year's version carries the
first year's section with its signatures exactly as they were made: xmlsec1 still accepts
every one of them and every new one, pdfsig accepts the PDF, and our verifier names every
signer and role of both years. What must not be built is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from bot.cli_signing import issue_class
from core import clock
from core.errors import InvalidValue
from core.models import (
    AuditEvent,
    IssuedRecord,
    RecordState,
    Role,
    School,
    SchoolClass,
    SchoolYear,
    Staff,
    Student,
)
from core.models.records import RECORD_ORDER
from core.render import xml_record as fmt
from core.services import issuance
from core.services.access import Actor
from core.services.issuance.drift import check_records
from core.services.issuance.levels import level_chains
from core.services.record_lookup import look_up
from core.services.schools import create_school, ensure_year, find_class, latest_year
from core.services.verification import verify_file
from core.signing.trust import load_roots
from demo.school import PRIMARY
from tests.signing.conftest import tool
from tests.signing.next_year import NEXT_YEAR, next_year_class
from tests.signing.oracles import pdfsig, xmlsec_verify
from web.lookup_pages import record_page

FIRST_YEAR = "2025-2026"


def _sections(xml: bytes) -> dict[str, tuple[bytes, list[bytes]]]:
    """Year → the canonical bytes of its section and of each of its signatures."""
    root = fmt.parse_own(xml)
    found = {}
    for section in [root, *fmt.earlier_years(root)]:
        data = fmt.data_element(section)
        signatures = section.find(f"{{{fmt.NS}}}danhsachchuky")
        found[fmt.text(data, "h:namhoc")] = (
            etree.tostring(data, method="c14n", exclusive=True),
            [etree.tostring(s, method="c14n", exclusive=True) for s in signatures],
        )
    return found


async def _two_years(runtime, school: School, first: SchoolClass, second_name: str, tmp_path):
    """Issue `first`, then the next year's class of its students; returns the first version
    and the second of the first student's record, and the second year's class."""
    issued = await issue_class(runtime, school, first)
    v1 = await IssuedRecord.filter(school_class=first).order_by("id").first()
    assert v1 is not None and v1.version == 1
    second, moment = await next_year_class(school, first, second_name)
    with clock.staged(moment):
        assert await issue_class(runtime, school, second) == issued
    v2 = await IssuedRecord.get(school_class=second, student_id=v1.student_id)
    return await IssuedRecord.get(id=v1.id), v2, second, moment


async def _check_two_years(v1: IssuedRecord, v2: IssuedRecord, ca_file: Path, runtime, tmp_path):
    # one record of the level: the same code, the next version, the first one superseded
    assert (v2.code, v2.version, v2.state) == (v1.code, 2, RecordState.ISSUED)
    assert v1.state is RecordState.REVOKED
    assert v1.revoked_reason == f"Thay thế bởi phiên bản 2: Thêm năm học {NEXT_YEAR}"
    first, second = _sections(v1.xml), _sections(v2.xml)
    assert list(second) == [NEXT_YEAR, FIRST_YEAR]
    assert second[FIRST_YEAR] == first[FIRST_YEAR]  # carried byte for byte, signatures too

    xml_path, pdf_path = tmp_path / "v2.xml", tmp_path / "v2.pdf"
    xml_path.write_bytes(v2.xml)
    pdf_path.write_bytes(v2.pdf)
    for year in (FIRST_YEAR, NEXT_YEAR):
        for role in RECORD_ORDER:
            assert xmlsec_verify(xml_path, ca_file, f"{role.signature_id}-{year}"), (year, role)
    assert pdfsig(pdf_path).count("Signature Validation: Signature is Valid.") == 2
    text = subprocess.run(
        [tool("pdftotext"), str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for year in (FIRST_YEAR, NEXT_YEAR):
        assert f"NĂM HỌC {year}" in text
    cover = subprocess.run(
        [tool("pdftotext"), "-f", "1", "-l", "1", str(pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    history = cover[cover.index("QUÁ TRÌNH HỌC TẬP") :]  # the learning history: both years
    assert history.index(FIRST_YEAR) < history.index(NEXT_YEAR)

    report = await verify_file(v2.xml, load_roots([ca_file]), "test", runtime.workers)
    assert report.ok, "\n".join(report.lines())
    named = [(r.label, r.role, r.signer) for r in report.signatures]
    listed = [
        (f"{role.signature_id}-{year}", role, fmt.record_from_data(section).signers[i].name)
        for year, section in (
            (NEXT_YEAR, fmt.data_element(fmt.parse_own(v2.xml))),
            (FIRST_YEAR, fmt.data_element(fmt.earlier_years(fmt.parse_own(v2.xml))[0])),
        )
        for i, role in enumerate(RECORD_ORDER)
    ]
    assert [(label, role) for label, role, _name in named] == [(la, ro) for la, ro, _n in listed]
    assert all(
        name in signer for (_l, _r, name), (_la, _ro, signer) in zip(listed, named, strict=True)
    )
    # the first version's signatures are all still valid; it is replaced, and says by which
    old = await verify_file(v1.xml, load_roots([ca_file]), "test", runtime.workers)
    assert old.valid and old.withdrawn and old.state == "replaced", "\n".join(old.lines())

    # the QR code's page shows this year, then the earlier year with its class and outcome
    lookup = fmt.record_from_xml(fmt.parse_own(v2.xml)).lookup
    assert lookup is not None
    found = await look_up("192.0.2.1", lookup.code, lookup.access)
    first_year = fmt.record_from_data(fmt.data_element(fmt.earlier_years(fmt.parse_own(v2.xml))[0]))
    assert found.state == "current" and found.earlier == (first_year,)
    page = record_page(found)
    shown = page[page.index('id="earlier"') :]
    assert f"Năm học {FIRST_YEAR}, lớp {first_year.class_name}" in shown
    outcome = "Kết quả giáo dục cả năm" if first_year.primary else "Kết quả học tập cả năm"
    assert outcome in shown and NEXT_YEAR not in shown


@pytest.mark.xmlsec1
@pytest.mark.poppler
async def test_a_secondary_record_grows_by_a_year(demo, runtime, tmp_path: Path):
    config, school, six_a = demo
    ca_file = config.signing.pkcs12_dir / "ca.pem"
    v1, v2, seven_a, moment = await _two_years(runtime, school, six_a, "7A", tmp_path)
    with clock.staged(moment + dt.timedelta(hours=1)):  # checked once the second is issued
        await _check_two_years(v1, v2, ca_file, runtime, tmp_path)

    # both years' data still say what the gradebook says (`hocba records check`)
    admin = Actor.command_line(school.id)
    with clock.staged(moment):
        for year in await SchoolYear.filter(school=school):
            compared, differences = await check_records(admin, year)
            assert (compared, differences) == (40, []), year.name

    # What must not be built is refused, and nothing is written.
    student = await Student.get(id=v1.student_id)
    first_year = await SchoolYear.get(school=school, name=FIRST_YEAR)
    other = await create_school("THCS-KHAC", "Trường THCS Khác", school.level)
    other_year = await ensure_year(other, NEXT_YEAR)
    rows, last = await IssuedRecord.all().count(), await AuditEvent.all().order_by("-id").first()
    with pytest.raises(InvalidValue, match=f"đã phát hành đến năm học {NEXT_YEAR}"):
        await level_chains(school, first_year, [student])  # an earlier year, once more
    with pytest.raises(InvalidValue, match="đã có học bạ cấp học này ở trường khác"):
        await level_chains(other, other_year, [student])
    await seven_a.enrollments.filter(student=student).delete()  # the student left 7A
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    with clock.staged(moment), pytest.raises(InvalidValue, match="không học lớp 7A"):
        await issuance.revise(
            await Actor.of_staff(principal), v2, "Sửa điểm", runtime.workers, runtime.portal
        )
    assert await IssuedRecord.all().count() == rows
    assert await AuditEvent.filter(id__gt=last.id).values_list("action", "target") == []


@pytest.mark.xmlsec1
@pytest.mark.poppler
async def test_a_primary_record_grows_by_a_year(demo, runtime, tmp_path: Path):
    config, _secondary, _6a = demo
    ca_file = config.signing.pkcs12_dir / "ca.pem"
    school = await School.get(code=PRIMARY.code)
    four_a = await find_class(await latest_year(school), "4A")
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    await issuance.close_year(Actor.command_line(school.id), four_a.id, decided_by=principal)
    v1, v2, _5a, moment = await _two_years(runtime, school, four_a, "5A", tmp_path)
    with clock.staged(moment + dt.timedelta(hours=1)):
        await _check_two_years(v1, v2, ca_file, runtime, tmp_path)
    year = fmt.record_from_xml(fmt.parse_own(v2.xml))
    assert year.grade == 5 and year.primary is not None  # grade 5: completes primary school


async def test_a_year_is_not_built_while_the_one_before_is_being_signed(demo, runtime):
    _config, school, six_a = demo
    admin = Actor.command_line(school.id)
    await issuance.prepare_class(admin, six_a, runtime.workers, runtime.portal)
    student = await Student.filter(enrollments__school_class=six_a).first()
    assert student is not None
    with pytest.raises(InvalidValue, match=f"năm học {FIRST_YEAR} .* chưa ký xong"):
        await level_chains(school, await ensure_year(school, NEXT_YEAR), [student])
