"""Fixtures of the signing tests: a test PKI, signers, a signed record, the system verifiers,
a SoftHSM2 token."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.bootstrap import build_runtime
from bot.config import Config, load_config
from core import clock
from core.models import Role, School, SchoolClass, Staff
from core.render import xml_record as fmt
from core.runtime import Runtime
from core.services.schools import find_class, latest_year
from core.signing.backends import SigningSettings
from core.signing.keys import Signer
from core.signing.trust import fingerprint
from core.workers import WorkerPool
from demo.pki import SEAL_CODE, Issued, issue, make_ca, pem
from demo.school import COMPLETE_CLASS, SECONDARY, create_demo
from demo.signing import demo_signing
from tests.portal import PORTAL
from tests.signing import softhsm
from tests.signing.csc_server import CscServer, register_remote_certificate, start_csc

SCHOOL = fmt.SchoolInfo("THCS-DA", "Trường THCS Đại An", "Trung học cơ sở", "Ninh Bình", "Ý Yên")


def tool(name: str) -> str:
    """The path of a system verifier. The test's marker (xmlsec1, poppler) guarantees it is
    installed: tests/conftest.py skips the test, or fails it in CI, before it runs."""
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is missing: mark the test that runs it with its tool's marker")
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


def listed(signers: dict[str, Signer], *roles: str) -> tuple[fmt.ListedSigner, ...]:
    """The signer list naming these test signers' certificates (001 Điều 4.1)."""
    return tuple(
        fmt.ListedSigner(role, signers[role].name, fingerprint(signers[role].certificate))
        for role in roles
    )


@pytest.fixture
def record(signers: dict[str, Signer]) -> fmt.StudentRecord:
    return fmt.StudentRecord(
        record_code="THCS-DA.037213000001",
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
        signers=listed(signers, "gvcn", "ht", "dv"),
        lookup=fmt.Lookup("K7QX3M9P2TAB", "20260620", PORTAL.address("K7QX3M9P2TAB")),
    )


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime.now(clock.zone())


@pytest.fixture(scope="session")
def softhsm_token(
    ca: Issued, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SigningSettings]:
    """A SoftHSM2 token made for this run (SOFTHSM2_CONF in a temp dir) holding the school's
    seal under the label SEAL, as the clerk's server would have it. A test using it gets the
    softhsm2 marker (tests/conftest.py), so SoftHSM2 is there."""
    before = os.environ.get("SOFTHSM2_CONF")
    seal = issue(ca, SCHOOL.name, SCHOOL.name)
    token = softhsm.make_token(tmp_path_factory.mktemp("softhsm"), {SEAL_CODE: seal})
    yield SigningSettings(
        "pkcs11",
        pkcs11_module=token.module,
        pkcs11_token_label=token.label,
        pkcs11_pin=token.pin,
    )
    if before is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = before


@pytest.fixture(scope="session")
def demo_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One key folder for every demo of the run: the demo's staff codes repeat, so the PKCS#12
    files made by the first test serve the others (RSA key generation is the slow part)."""
    return tmp_path_factory.mktemp("demo-keys")


# When the demo's class is closed and its records signed and issued: term II's entry has ended
# (31/05), the year's final lock (15/08, 001 Điều 25.4) is ahead, so the clock stands here.
ISSUING_2025_2026 = dt.datetime(2026, 6, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


@pytest.fixture
async def demo(sqlite_db: str, demo_keys: Path) -> tuple[Config, School, SchoolClass]:
    """The demo school with its test PKI (PKCS#12 files, so demo mode) and class 6A closed, on
    SQLite only:
    the full chain is slow, and the services it drives are dialect-neutral. The clock stands
    at `ISSUING_2025_2026`."""
    config = load_config(
        environ={"HOCBA_SIGNING_PKCS12_DIR": str(demo_keys), "HOCBA_DEMO_ENABLED": "true"}
    )
    clock.set_time(ISSUING_2025_2026)
    await create_demo("2025-2026")
    await demo_signing(config.signing.pkcs12_dir, config.signing.pkcs12_password)
    school = await School.get(code=SECONDARY.code)
    school_class = await find_class(await latest_year(school), COMPLETE_CLASS)
    return config, school, school_class


@pytest.fixture
async def runtime(demo, workers: WorkerPool, tmp_path: Path) -> AsyncIterator[Runtime]:
    """What the bot and the command line run with, for the demo (the session's worker pool);
    background signing runs are waited for at the end."""
    config = load_config(
        environ={
            "HOCBA_SIGNING_PKCS12_DIR": str(demo[0].signing.pkcs12_dir),
            "HOCBA_STORAGE_DIR": str(tmp_path / "files"),
            "HOCBA_DEMO_ENABLED": "true",
        }
    )
    runtime = await build_runtime(config, workers)
    yield runtime
    await runtime.batches.wait()


@pytest.fixture
async def csc(demo_keys: Path, demo, workers: WorkerPool) -> AsyncIterator[CscServer]:
    """certomancer-csc-dummy on loopback, holding a remote credential for the demo school's
    principal (labelled by staff code, as core.signing.csc expects), registered as the
    principal's certificate."""
    _config, school, _class = demo
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    server = await start_csc(
        demo_keys / "csc", {principal.code: principal.full_name}, school.name, school.code
    )
    await register_remote_certificate(server, school.id, principal.code, workers, ("", ""))
    yield server
    await server.stop()
