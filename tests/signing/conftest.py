"""Fixtures of the signing tests: a test PKI, signers, a signed record, the system verifiers."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from core.formatting import SCHOOL_TZ
from core.pki_demo import Issued, issue, make_ca, pem
from core.render import xml_record as fmt
from core.signing.keys import Signer

SCHOOL = fmt.SchoolInfo("THCS-DA", "Trường THCS Đại An", "Trung học cơ sở", "Ninh Bình", "Ý Yên")


def tool(name: str) -> str:
    """The path of a system verifier, or a skip saying which package provides it."""
    packages = {
        "xmlsec1": "xmlsec1",
        "pdfsig": "poppler-utils",
        "pdftotext": "poppler-utils",
        "softhsm2-util": "softhsm2",
    }
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {packages[name]})")
    return path


@pytest.fixture(scope="session")
def ca() -> Issued:
    return make_ca()


@pytest.fixture(scope="session")
def ca_file(ca: Issued, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pki") / "ca.pem"
    path.write_bytes(pem(ca.certificate))
    return path


def _signer(issued: Issued) -> Signer:
    return Signer(issued.key, issued.certificate, issued.chain)


@pytest.fixture(scope="session")
def signers(ca: Issued) -> dict[str, Signer]:
    """A subject teacher, a homeroom teacher, the principal and the school's seal."""
    return {
        "gvbm": _signer(issue(ca, "Phạm Quốc Bảo", SCHOOL.name, "Giáo viên bộ môn")),
        "gvcn": _signer(issue(ca, "Nguyễn Thị Ánh Tuyết", SCHOOL.name, "Giáo viên chủ nhiệm")),
        "ht": _signer(issue(ca, "Trần Đức Thắng", SCHOOL.name, "Hiệu trưởng")),
        "dv": _signer(issue(ca, SCHOOL.name, SCHOOL.name)),
    }


@pytest.fixture
def record() -> fmt.StudentRecord:
    return fmt.StudentRecord(
        record_code="THCS-DA.2025-2026.037213000001",
        version=1,
        replaces_version=None,
        created=dt.date(2026, 6, 20),
        school=SCHOOL,
        national_id="037213000001",
        full_name="Lê Thị Hồng Nhung",
        born=dt.date(2013, 2, 3),
        gender="Nữ",
        ethnicity="Kinh",
        birthplace="Ninh Bình",
        year_name="2025-2026",
        class_name="6A",
        grade=6,
        homeroom="Nguyễn Thị Ánh Tuyết",
        principal="Trần Đức Thắng",
        subjects=(
            fmt.SubjectLine("TOAN", "Toán", True, "7.5", "8.0", "7.8", "Phạm Quốc Bảo"),
            fmt.SubjectLine("NGU_VAN", "Ngữ văn", True, "6.5", "7.0", "6.8", "Đỗ Thị Huyền"),
            fmt.SubjectLine("GDTC", "Giáo dục thể chất", False, "Đ", "Đ", "Đ", "Vũ Văn Hùng"),
        ),
        learning=("K", "K", "K"),
        conduct=("T", "T", "T"),
        absent_days=2,
        promotion="len_lop",
        title=None,
        homeroom_comment="Chăm ngoan, tiến bộ rõ rệt.",
    )


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime.now(SCHOOL_TZ)
