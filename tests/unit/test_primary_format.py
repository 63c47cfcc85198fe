"""The primary part of the record format (core.render.xml_primary, hocba.xsd KetQuaTieuHoc):
what is built reads back the same, and what Thông tư 27 does not allow never validates."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core.errors import InvalidValue
from core.render import xml_record as fmt
from core.render.xml_primary import PrimarySubject, PrimaryYear, QualityLine

SCHOOL = fmt.SchoolInfo("TH-DEMO", "Trường Tiểu học An Hồng", "Tiểu học", "Hải Phòng", "An Dương")


def _year(**changes) -> PrimaryYear:
    year = PrimaryYear(
        subjects=(
            PrimarySubject("TV", "Tiếng Việt", "T", "9", "Đọc to, rõ ràng.", "Bùi Phương Linh"),
            PrimarySubject("DAO_DUC", "Đạo đức", "H", "", "", "Bùi Phương Linh"),
        ),
        qualities=(
            QualityLine("YEU_NUOC", "Yêu nước", "phamchat", "T"),
            QualityLine("TU_CHU_TU_HOC", "Tự chủ và tự học", "nanglucchung", "Đ"),
            QualityLine("NGON_NGU", "Ngôn ngữ", "nanglucdacthu", "C"),
        ),
        result="HT",
        class_completed=True,
        primary_completed=True,
        award="",
        absent_days=3,
    )
    return dataclasses.replace(year, **changes)


def _record(year: PrimaryYear) -> fmt.StudentRecord:
    return fmt.StudentRecord(
        record_code="TH-DEMO.031214000001",
        version=1,
        replaces_version=None,
        created=dt.date(2026, 5, 27),
        school=SCHOOL,
        national_id="031214000001",
        full_name="Nguyễn Minh Khang",
        born=dt.date(2015, 3, 4),
        gender="Nam",
        ethnicity="Kinh",
        birthplace="Hải Phòng",
        year_name="2025-2026",
        class_name="5A",
        grade=5,
        homeroom="Bùi Phương Linh",
        principal="Trần Văn Nam",
        homeroom_comment="Chăm chỉ, lễ phép.",
        signers=(
            fmt.ListedSigner("gvcn", "Bùi Phương Linh", "a" * 64),
            fmt.ListedSigner("ht", "Trần Văn Nam", "b" * 64),
            fmt.ListedSigner("dv", SCHOOL.name, "c" * 64),
        ),
        primary=year,
    )


def test_a_primary_record_reads_back_as_built():
    record = _record(_year())
    assert fmt.record_from_xml(fmt.parse_own(fmt.build_record(record))) == record
    grade_4 = dataclasses.replace(record, grade=4, primary=_year(primary_completed=None))
    again = fmt.record_from_xml(fmt.parse_own(fmt.build_record(grade_4)))
    assert again.primary is not None and again.primary.primary_completed is None


@pytest.mark.parametrize("score", ["0", "10.5", "9,5", "11", "9.0"])
def test_a_periodic_score_outside_whole_one_to_ten_is_refused(score: str):
    subjects = (PrimarySubject("TOAN", "Toán", "T", score, "", "Bùi Phương Linh"),)
    with pytest.raises(InvalidValue, match="diemktdk"):
        fmt.build_record(_record(_year(subjects=subjects)))


@pytest.mark.parametrize("level", ["A", "Đ", "HTT", ""])
def test_a_subject_level_other_than_t_h_c_is_refused(level: str):
    subjects = (PrimarySubject("TOAN", "Toán", level, "8", "", "Bùi Phương Linh"),)
    with pytest.raises(InvalidValue, match="mucdat"):
        fmt.build_record(_record(_year(subjects=subjects)))


@pytest.mark.parametrize(("level", "group"), [("H", "phamchat"), ("T", "phamchat_khac")])
def test_qualities_outside_their_scale_are_refused(level: str, group: str):
    qualities = (QualityLine("YEU_NUOC", "Yêu nước", group, level),)
    with pytest.raises(InvalidValue):
        fmt.build_record(_record(_year(qualities=qualities)))


def test_a_primary_result_outside_tt27_is_refused():
    with pytest.raises(InvalidValue, match="ketquagiaoduc"):
        fmt.build_record(_record(_year(result="Giỏi")))
