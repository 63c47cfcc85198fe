"""A primary school issues its records (Thông tư 27) through the same chain as a secondary one:
class 5A of the demo primary school, left closed by `hocba demo`, is issued with every
signature (the subject teachers' term sheets, the homeroom teacher, the principal, the seal),
checked by xmlsec1, pdfsig and our verifier; the record holds the year as TT27 has it and
nothing the gradebook does not say; export writes the files."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pytest

from bot.cli_signing import cmd_export, issue_class
from core.models import IssuedRecord, RecordState, School, Subject, SubjectSheetDoc
from core.render.xml_primary import PrimaryYear
from core.render.xml_record import parse_own, record_from_xml
from core.rules import primary as tt27
from core.services import issuance
from core.services.access import Actor
from core.services.issuance.drift import check_records
from core.services.schools import find_class, latest_year
from core.services.verification import verify_file
from core.signing.trust import load_roots
from demo.school import COMPLETE_PRIMARY_CLASS, PRIMARY
from tests.signing.conftest import tool
from tests.signing.oracles import pdfsig, xmlsec_verify


async def _primary_class():
    school = await School.get(code=PRIMARY.code)
    year = await latest_year(school)
    return school, year, await find_class(year, COMPLETE_PRIMARY_CLASS)


def _year_of(record: IssuedRecord) -> PrimaryYear:
    year = record_from_xml(parse_own(record.xml)).primary
    assert year is not None
    return year


@pytest.mark.xmlsec1
@pytest.mark.poppler
async def test_a_primary_class_is_issued_and_verifies(demo, runtime, tmp_path: Path):
    config, _secondary, _6a = demo
    school, year, school_class = await _primary_class()
    assert await issue_class(runtime, school, school_class) == 25
    records = await IssuedRecord.filter(school_class=school_class).order_by("id")
    assert {r.state for r in records} == {RecordState.ISSUED}

    # Every subject of grade 5, the end-of-year test where TT27 Điều 7 has one, the fifteen
    # qualities and competencies, completion of the class and of primary school (grade 5).
    taught = [s for s in await Subject.filter(school=school).order_by("id") if s.taught_in(5)]
    first = _year_of(records[0])
    assert [s.code for s in first.subjects] == [s.code for s in taught]
    tested = {s.code for s in first.subjects if s.score}
    assert tested == {
        s.code for s in taught if tt27.TestPoint.END_YEAR in tt27.periodic_tests(5, s.code)
    }
    assert len(first.qualities) == len(tt27.QUALITIES + tt27.COMPETENCIES) == 15
    for record in records:
        data = _year_of(record)
        assert data.result in {r.value for r in tt27.YearResult}
        assert data.primary_completed == data.class_completed == (data.result != "CHT")
        assert (data.award == "xuat_sac") == (data.result == "HTXS")
        assert all(1 <= int(s.score) <= 10 for s in data.subjects if s.score)
    assert any(s.comment for s in first.subjects)  # the subject teachers' comments of the year

    # The subject teachers signed their term sheets first (001 Điều 24.5a), two per subject.
    sheets = await SubjectSheetDoc.filter(school_class=school_class)
    assert len(sheets) == 2 * len(taught) and all(s.signed_at for s in sheets)

    # Independent verifiers, then ours, which names every signer and role.
    ca_file = config.signing.pkcs12_dir / "ca.pem"
    xml_path, pdf_path, sheet_path = tmp_path / "r.xml", tmp_path / "r.pdf", tmp_path / "s.xml"
    xml_path.write_bytes(records[0].xml)
    pdf_path.write_bytes(records[0].pdf)
    sheet_path.write_bytes(sheets[0].xml)
    for sig_id in ("chuky-gvcn", "chuky-ht", "chuky-dv"):
        assert xmlsec_verify(xml_path, ca_file, sig_id), sig_id
    assert xmlsec_verify(sheet_path, ca_file, "chuky-gvbm")
    assert pdfsig(pdf_path).count("Signature Validation: Signature is Valid.") == 2
    report = await verify_file(records[0].xml, load_roots([ca_file]), "test", runtime.workers)
    assert report.ok and len(report.signatures) == 3, "\n".join(report.lines())
    text = subprocess.run(
        [tool("pdftotext"), str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())  # a table cell may wrap
    for expected in (
        "Mức đạt được",
        "Điểm KTĐK",
        "Phẩm chất chủ yếu",
        "Năng lực đặc thù",
        "Kết quả giáo dục cả năm",
        "Hoàn thành chương trình tiểu học",
        tt27.YearResult.label_of(first.result),
    ):
        assert expected in text, expected

    # What was issued is what the gradebook says (`hocba records check`).
    compared, differences = await check_records(Actor.command_line(school.id), year)
    assert compared == 25 and differences == []

    # A new version (as a correction makes one) is built from the gradebook again, issued
    # through the same chain, and revokes the first.
    admin = Actor.command_line(school.id)
    new = await issuance.revise(
        admin, records[0], "Sửa mức môn Toán theo biên bản số 2", runtime.workers, runtime.portal
    )
    assert await issue_class(runtime, school, school_class) == 25
    old = await IssuedRecord.get(id=records[0].id)
    assert old.state is RecordState.REVOKED and "biên bản số 2" in old.revoked_reason
    second = await IssuedRecord.get(id=new.id)
    assert second.version == 2 and second.state is RecordState.ISSUED
    assert _year_of(second) == _year_of(records[0])

    out = tmp_path / "out"
    namespace = argparse.Namespace(
        klass=COMPLETE_PRIMARY_CLASS, dir=str(out), school=PRIMARY.code, year=None
    )
    await cmd_export(namespace, config, runtime)
    assert len(list(out.glob("*.xml"))) == 25 and len(list(out.glob("*.pdf"))) == 25
