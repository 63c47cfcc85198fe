"""The school's register of signing certificates, and what a record asks of it.

A record names each signer's certificate in its signed data (001 Điều 4.1), so: each person
registers theirs (or an admin does, at key set-up), a newer one supersedes the older, a
certificate that cannot sign is refused; a class's documents are built only once every signer
has one, and name exactly those; a key other than the registered one signs nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from core.errors import InvalidValue, PermissionDenied
from core.models import (
    AuditEvent,
    BatchState,
    CertificateKind,
    SigningBatch,
    SigningCertificate,
    Staff,
)
from core.models.records import SignatureRole
from core.rules.catalog import SchoolLevel
from core.services import certificates, issuance
from core.services.access import Actor
from core.services.certificates import CertificatesMissing
from core.services.issuance.build import build_class
from core.services.schools import create_school
from core.signing.backends import pkcs12_path
from core.signing.trust import fingerprint
from demo.pki import Issued, issue, make_ca, write_pkcs12, write_school_pki
from demo.pki import Person as KeyPerson
from tests.signing.year_end import build_secondary


@pytest.fixture(scope="module")
def pki() -> tuple[Issued, Issued]:
    """A trusted CA, and a CA nobody configured."""
    return make_ca(), make_ca("CA lạ")


async def test_register_supersede_and_refusals(db: str, pki) -> None:
    ca, stranger_ca = pki
    school = await create_school("THCS-SO", "Trường THCS Sổ", SchoolLevel.LOWER_SECONDARY)
    a = await Staff.create(school=school, code="GV01", full_name="Nguyễn Văn A")
    b = await Staff.create(school=school, code="GV02", full_name="Trần Thị B")
    admin = Actor.command_line(school.id)
    roots = [ca.certificate]
    first = issue(ca, a.full_name, school.name).certificate

    done = await certificates.register(admin, "GV01", first, "pem", roots)
    assert done.new and done.certificate.fingerprint == fingerprint(first)
    event = await AuditEvent.get(action="certificate.register")
    assert event.after == {
        "owner": "GV01",
        "fingerprint": fingerprint(first),
        "source": "pem",
        "superseded": 0,
    }
    assert not (await certificates.register(admin, "GV01", first, "pem", roots)).new
    with pytest.raises(InvalidValue, match="đã được đăng ký cho người khác"):
        await certificates.register(admin, "GV02", first, "pem", roots)

    renewed = issue(ca, a.full_name, school.name).certificate
    again = await certificates.register(admin, "GV01", renewed, "pkcs12", roots)
    assert again.new and again.superseded == 1
    rows = await SigningCertificate.filter(staff=a).order_by("id")
    assert [(r.fingerprint, r.active) for r in rows] == [
        (fingerprint(first), False),  # kept: records it signed still verify
        (fingerprint(renewed), True),
    ]

    expired = issue(ca, b.full_name, school.name, not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(InvalidValue, match="không có hiệu lực lúc này"):
        await certificates.register(admin, "GV02", expired.certificate, "pem", roots)
    foreign = issue(stranger_ca, b.full_name, school.name).certificate
    with pytest.raises(InvalidValue, match="không chuỗi được tới chứng thư gốc tin cậy"):
        await certificates.register(admin, "GV02", foreign, "pem", roots)
    with pytest.raises(InvalidValue, match=r"\[trust\] roots"):
        await certificates.register(admin, "GV02", foreign, "pem", [])

    teacher = await Actor.of_staff(b)
    with pytest.raises(PermissionDenied, match="tự đăng ký chứng thư của mình"):
        await certificates.register(teacher, "GV01", renewed, "pem", roots)
    seal = issue(ca, school.name, school.name).certificate
    with pytest.raises(PermissionDenied, match="con dấu"):
        await certificates.register(teacher, "SEAL", seal, "pem", roots)
    own = issue(ca, b.full_name, school.name).certificate
    assert (await certificates.register(teacher, "GV02", own, "pem", roots)).new
    assert (await certificates.register(admin, "SEAL", seal, "pem", roots)).certificate.kind is (
        CertificateKind.SEAL
    )
    known = await certificates.registry()
    assert known["THCS-SO"].seals == {fingerprint(seal)}
    assert known["THCS-SO"].people == {fingerprint(c) for c in (first, renewed, own)}


async def test_the_documents_name_the_registered_certificates_and_wait_for_them(db: str) -> None:
    school = await build_secondary()  # everyone's certificate registered
    six_a = school.classes["6A"]
    registered = {
        (r.staff_id, r.kind): r.fingerprint
        for r in await SigningCertificate.filter(school=school.school, active=True)
    }
    homeroom, principal = school.staff["GV02"], school.staff["HT01"]

    built = await build_class(school.admin, six_a)

    expected = (
        ("gvcn", homeroom.full_name, registered[(homeroom.id, CertificateKind.PERSONAL)]),
        ("ht", principal.full_name, registered[(principal.id, CertificateKind.PERSONAL)]),
        ("dv", school.school.name, registered[(None, CertificateKind.SEAL)]),
    )
    assert built.records and all(
        tuple(tuple(vars(s).values()) for s in r.signers) == expected
        for r in built.records.values()
    )
    toan = school.staff["GV01"]
    sheets = [p.sheet for p in built.sheets if p.teacher_id == toan.id]
    assert sheets and all(
        s.signers[0].fingerprint == registered[(toan.id, CertificateKind.PERSONAL)] for s in sheets
    )

    await SigningCertificate.filter(staff_id__in=[homeroom.id, toan.id]).delete()
    with pytest.raises(CertificatesMissing) as refused:
        await build_class(school.admin, six_a)
    assert "Ngô Chủ Nhiệm (GV02), Hoàng Văn Toán (GV01)" in str(refused.value)
    assert "hocba certs register" in str(refused.value)


async def test_a_key_other_than_the_registered_one_signs_nothing(demo, runtime) -> None:
    """The homeroom teacher's key file replaced by one the register does not know: the batch
    fails, saying why, and no record moves on."""
    config, school, school_class = demo
    await issuance.prepare_class(
        Actor.command_line(school.id), school_class, runtime.workers, runtime.portal
    )
    teacher = await Staff.get(id=school_class.homeroom_id)
    actor = await Actor.of_staff(teacher)
    for sheet_signer in await Staff.filter(assignments__school_class=school_class).distinct():
        started = await issuance.begin(
            await Actor.of_staff(sheet_signer),
            school_class.id,
            SignatureRole.SUBJECT_TEACHER,
            runtime.signing,
        )
        await runtime.batches.run(started.id)
    key = pkcs12_path(config.signing.pkcs12_dir, school.code, teacher.code)
    kept = key.read_bytes()
    ca = make_ca()
    try:
        write_pkcs12(issue(ca, teacher.full_name, school.name), key, "", teacher.full_name)
        started = await issuance.begin(
            actor, school_class.id, SignatureRole.HOMEROOM, runtime.signing
        )
        await runtime.batches.run(started.id)
    finally:
        key.write_bytes(kept)  # the demo's key folder serves the other tests
    batch = await SigningBatch.get(id=started.id)
    assert batch.state is BatchState.FAILED
    assert "không phải chứng thư đã đăng ký" in batch.message, batch.message


def _hocba(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--school", "THCS-CUOI", *argv],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


async def test_hocba_certs_register_and_list(sqlite_db: str, tmp_path: Path) -> None:
    school = await build_secondary()
    keys = tmp_path / "keys"
    people = [KeyPerson(s.code, s.full_name, "") for s in school.staff.values()]
    ca_file = write_school_pki(keys, "THCS-CUOI", school.school.name, people, "")
    env = {
        "HOCBA_DATABASE_URL": sqlite_db,
        "HOCBA_STORAGE_DIR": str(tmp_path / "files"),
        "HOCBA_WORKERS_PROCESSES": "1",
        "HOCBA_TRUST_ROOTS": str(ca_file),
        "HOCBA_DEMO_ENABLED": "true",
        "HOCBA_SIGNING_BACKEND": "pkcs12",
        "HOCBA_SIGNING_SEAL": "pkcs12",
        "HOCBA_SIGNING_PKCS12_DIR": str(keys),
    }
    pem = tmp_path / "gv01.pem"
    pem.write_bytes(_pem_of(pkcs12_path(keys, "THCS-CUOI", "GV01")))

    done = _hocba(env, "certs", "register", "GV01", str(pem))
    assert done.returncode == 0, done.stderr
    assert "Hoàng Văn Toán: đã đăng ký chứng thư" in done.stdout and "thay 1" in done.stdout

    everyone = _hocba(env, "certs", "register", "--all")
    assert everyone.returncode == 0, everyone.stderr
    assert "Hoàng Văn Toán: chứng thư" in everyone.stdout and "đã được đăng ký từ trước" in (
        everyone.stdout
    )
    assert "Trường THCS Cuối Năm: đã đăng ký chứng thư" in everyone.stdout  # the seal

    bad = tmp_path / "bad.pem"
    bad.write_text("không phải chứng thư", encoding="utf-8")
    refused = _hocba(env, "certs", "register", "GV02", str(bad))
    assert refused.returncode == 1 and "không phải chứng thư số" in refused.stderr

    listing = _hocba(env, "certs", "list")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert len(lines) == 2 * (len(people) + 1)  # the first certificates, superseded, and the new
    assert sum("đang dùng" in line for line in lines) == len(people) + 1
    assert any(line.startswith("SEAL [con dấu của trường, đang dùng]") for line in lines)


def _pem_of(p12: Path) -> bytes:
    """The certificate of a key file, as a provider hands it out (PEM)."""
    certificate = pkcs12.load_pkcs12(p12.read_bytes(), None).cert
    assert certificate is not None
    return certificate.certificate.public_bytes(Encoding.PEM)
