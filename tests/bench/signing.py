"""`make bench-signing`: issue a 1,500-student school (and a 600-student primary school) through
the signing chain, and compare.

Every record goes through exactly the service's code (core.signing.chain.sign_record_step):
the XML built and signed by the homeroom teacher, the principal and the school's seal, the PDF
rendered when the principal signs and signed as PAdES by the principal and the seal. Keys are
opened the way the service opens them (core.signing.backends.open_signer): PKCS#12 files, then
a SoftHSM2 token when softhsm2 is installed. The records are spread over all cores, one
process each, each opening its keys once.

Printed per backend: records per second and seconds in all (wall clock, workers' start and key
loading included), peak memory, the share of rendering (XML build + PDF layout) / XML signing /
PDF signing. Then, on one core and on the same documents in the same run, the bare library
calls used the obvious way (signxml's XMLSigner with the key file, pyhanko's SimpleSigner from
the key file with the same visible stamp) against ours, and the ratio, so that a figure still
means something on a noisy machine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from io import BytesIO
from pathlib import Path

from cryptography.hazmat.primitives.serialization import pkcs12

from core import clock
from core.models.records import RECORD_ORDER, SignatureRole
from core.render import xml_record as fmt
from core.render.images import handwritten_signature
from core.render.pdf_record import render_from_xml
from core.signing.backends import SigningSettings, open_signer
from core.signing.chain import sign_record_step
from core.signing.keys import Signer
from core.signing.pades import BOXES, FIELD_NAMES, stamp_style
from core.signing.trust import fingerprint
from demo.pki import SEAL_CODE, Person, load_or_make_ca, pkcs12_path, write_school_pki
from tests.portal import PORTAL

SCHOOL = fmt.SchoolInfo("THCS-BENCH", "Trường THCS Bench", "Trung học cơ sở", "Hà Nội", "Ba Vì")
PASSWORD = "bench"
CODES = {
    SignatureRole.HOMEROOM: "GVCN",
    SignatureRole.PRINCIPAL: "HT",
    SignatureRole.SEAL: SEAL_CODE,
}
PEOPLE = [
    Person("GVCN", "Nguyễn Thị Ánh Tuyết", "Giáo viên chủ nhiệm"),
    Person("HT", "Trần Đức Thắng", "Hiệu trưởng"),
]
BARE_SAMPLE = 30
# the principal's uploaded signature image, drawn in their stamp as the service draws it
HANDWRITING = handwritten_signature("Trần Đức Thắng")


def settings_for(backend: str, keys: Path, **token: str) -> SigningSettings:
    """The [signing] section the service would read: the bench's test PKI, as key files or on
    one token for everybody and the seal, which only demo mode allows (a school's people keep
    their own keys: core.signing.backends)."""
    return SigningSettings(backend, keys, PASSWORD, seal=backend, demo=True, **token)


def _listed(signers: dict[SignatureRole, Signer]) -> tuple[fmt.ListedSigner, ...]:
    """The record's signer list (001 Điều 4.1): who signs in which role, by certificate."""
    names = {p.code: p.name for p in PEOPLE} | {SEAL_CODE: SCHOOL.name}
    return tuple(
        fmt.ListedSigner(role.value, names[CODES[role]], fingerprint(signers[role].certificate))
        for role in RECORD_ORDER
    )


def sample_record(n: int, signers: tuple[fmt.ListedSigner, ...]) -> fmt.StudentRecord:
    subjects = tuple(
        fmt.SubjectLine(f"M{i}", f"Môn học số {i}", True, "7.5", "8.0", "7.8", "Nguyễn Văn Giáo")
        for i in range(12)
    )
    return fmt.StudentRecord(
        f"THCS-BENCH.{n:012d}",
        1,
        None,
        dt.date(2026, 6, 20),
        SCHOOL,
        f"{n:012d}",
        "Lê Thị Hồng Nhung",
        dt.date(2013, 2, 3),
        "Nữ",
        "Kinh",
        "Hà Nội",
        "2025-2026",
        "6A",
        6,
        "Nguyễn Thị Ánh Tuyết",
        "Trần Đức Thắng",
        subjects,
        ("K", "K", "K"),
        ("T", "T", "T"),
        2,
        "len_lop",
        None,
        signers=signers,
        lookup=PORTAL.new_lookup(),  # the QR code every issued PDF carries
    )


PRIMARY_SCHOOL = fmt.SchoolInfo("TH-BENCH", "Trường Tiểu học Bench", "Tiểu học", "Hà Nội", "Ba Vì")


def sample_primary_record(n: int, signers: tuple[fmt.ListedSigner, ...]) -> fmt.StudentRecord:
    """A grade-5 primary record (Thông tư 27): eleven subjects, six with a test score, each
    with its teacher's comment; the fifteen qualities and competencies."""
    from core.render.xml_primary import PrimarySubject, PrimaryYear, QualityLine
    from core.rules import primary as tt27

    subjects = tuple(
        PrimarySubject(
            f"M{i}", f"Môn học số {i}", "T", "9" if i < 6 else "", "Tiến bộ, chăm chỉ.", "Giáo"
        )
        for i in range(11)
    )
    groups = (
        ("phamchat", tt27.QUALITIES),
        ("nanglucchung", tt27.GENERAL_COMPETENCIES),
        ("nanglucdacthu", tt27.SPECIFIC_COMPETENCIES),
    )
    qualities = tuple(
        QualityLine(code, name, group, "T") for group, entries in groups for code, name in entries
    )
    record = sample_record(n, signers)
    return dataclasses.replace(
        record,
        record_code=f"TH-BENCH.{n:012d}",
        school=PRIMARY_SCHOOL,
        class_name="5A",
        grade=5,
        subjects=(),
        learning=("", "", ""),
        conduct=("", "", ""),
        absent_days=0,
        promotion="",
        primary=PrimaryYear(subjects, qualities, "HTT", True, True, "", 2),
    )


SAMPLES = {"secondary": sample_record, "primary": sample_primary_record}
_worker: dict[str, object] = {}


def _open_keys(settings: SigningSettings, environment: dict[str, str] | None = None) -> None:
    """Pool initialiser: open this worker's keys once, as the service does for a batch."""
    os.environ.update(environment or {})
    stack = ExitStack()
    _worker["stack"] = stack
    _worker["signers"] = {
        role: stack.enter_context(open_signer(settings, SCHOOL.code, code))
        for role, code in CODES.items()
    }


async def _issue(
    numbers: range, signers: dict[SignatureRole, Signer], level: str = "secondary"
) -> Counter[str]:
    timings: Counter[str] = Counter()
    moment = dt.datetime.now(clock.zone())  # one batch step per signer: one moment
    listed = _listed(signers)
    sample = SAMPLES[level]
    for n in numbers:
        start = time.perf_counter()
        xml, pdf = fmt.build_record(sample(n, listed)), None
        timings["render"] += time.perf_counter() - start
        for role in RECORD_ORDER:
            image = HANDWRITING if role is SignatureRole.PRINCIPAL else None
            xml, pdf = await sign_record_step(
                xml, pdf, role, signers[role], moment, timings, handwriting=image
            )
    return timings


def _work(job: tuple[range, str]) -> tuple[Counter[str], float]:
    """One worker's share (numbers, school level); returns its timings and its peak resident
    memory (MiB)."""
    numbers, level = job
    timings = asyncio.run(_issue(numbers, _worker["signers"], level))  # type: ignore[arg-type]
    return timings, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_backend(
    name: str, settings: SigningSettings, count: int, level: str = "secondary"
) -> float:
    """Issue `count` records of a `level` school on every core; prints the figures, returns
    records per second."""
    workers = os.cpu_count() or 1
    chunks = [(range(i, count, workers), level) for i in range(workers)]
    start = time.perf_counter()
    # forkserver: a PKCS#11 library initialised in this process must not be inherited by fork
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # workers start with the libraries imported
    with ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_open_keys,
        initargs=(settings, {k: v for k, v in os.environ.items() if k == "SOFTHSM2_CONF"}),
    ) as pool:
        results = list(pool.map(_work, chunks))
    seconds = time.perf_counter() - start
    timings = sum((r[0] for r in results), Counter())
    total = sum(timings.values())
    print(
        f"{name:<12} {count} records in {seconds:.1f} s on {workers} processes: "
        f"{count / seconds:.1f} records/s; peak memory {max(r[1] for r in results):.0f} MiB "
        "per worker"
    )
    print(
        f"{'':<12} share: rendering {timings['render'] / total:.0%}, XML signing "
        f"{timings['xml'] / total:.0%}, PDF signing {timings['pdf'] / total:.0%}; per record on "
        f"one core {timings['render'] / count * 1000:.1f} + {timings['xml'] / count * 1000:.1f} "
        f"+ {timings['pdf'] / count * 1000:.1f} ms"
    )
    return count / seconds


def _bare_xml(xml: bytes, key_pem: bytes, cert_pem: bytes) -> bytes:
    """signxml as its documentation shows it: enveloped RSA-SHA256, key given as PEM."""
    from lxml import etree
    from signxml import SignatureMethod, XMLSigner

    root = fmt.parse_own(xml)
    signed = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256).sign(
        root, key=key_pem, cert=cert_pem
    )
    return etree.tostring(signed)


async def _bare_pdf(pdf: bytes, key_file: Path, cert_file: Path, role: SignatureRole) -> bytes:
    """pyhanko as its documentation shows it: SimpleSigner from key files, PAdES, the same
    visible stamp (already with our small stamp font, which favours pyhanko here)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load(str(key_file), str(cert_file))
    name = FIELD_NAMES[role]
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name=name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
        ),
        signer=signer,
        stamp_style=stamp_style(
            role,
            "Trần Đức Thắng",
            dt.datetime.now(clock.zone()),
            HANDWRITING if role is SignatureRole.PRINCIPAL else None,
        ),
        new_field_spec=fields.SigFieldSpec(name, on_page=-1, box=BOXES[role]),
    )
    out = await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), output=BytesIO())
    return out.getvalue()


def compare_with_bare(settings: SigningSettings) -> None:
    """Ours and the bare calls on the same BARE_SAMPLE records, one core, same run."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    directory = Path(tempfile.mkdtemp(prefix="hocba-bench-"))
    files = {}
    for role, code in CODES.items():
        key, cert, _extra = pkcs12.load_key_and_certificates(
            pkcs12_path(settings.pkcs12_dir, SCHOOL.code, code).read_bytes(), PASSWORD.encode()
        )
        key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())  # type: ignore[union-attr]
        cert_pem = cert.public_bytes(Encoding.PEM)  # type: ignore[union-attr]
        (directory / f"{code}.key").write_bytes(key_pem)
        (directory / f"{code}.crt").write_bytes(cert_pem)
        files[role] = (key_pem, cert_pem, directory / f"{code}.key", directory / f"{code}.crt")
    numbers = range(100_000, 100_000 + BARE_SAMPLE)

    async def bare() -> Counter[str]:
        timings: Counter[str] = Counter()
        for n in numbers:
            start = time.perf_counter()
            xml = fmt.build_record(sample_record(n, listed))
            pdf = render_from_xml(xml)
            middle = time.perf_counter()
            for role in RECORD_ORDER:
                _bare_xml(xml, files[role][0], files[role][1])
            signed_xml = time.perf_counter()
            for role in (SignatureRole.PRINCIPAL, SignatureRole.SEAL):
                pdf = await _bare_pdf(pdf, files[role][2], files[role][3], role)
            timings["render"] += middle - start
            timings["xml"] += signed_xml - middle
            timings["pdf"] += time.perf_counter() - signed_xml
        return timings

    _open_keys(settings)
    listed = _listed(_worker["signers"])  # type: ignore[arg-type]
    ours = asyncio.run(_issue(numbers, _worker["signers"]))  # type: ignore[arg-type]
    theirs = asyncio.run(bare())
    print(f"same {BARE_SAMPLE} records on one core, ms per record (ours vs bare library calls):")
    for part, label in (("xml", "3 XML signatures"), ("pdf", "2 PAdES with stamps")):
        a, b = ours[part] / BARE_SAMPLE * 1000, theirs[part] / BARE_SAMPLE * 1000
        print(f"  {label:<22} {a:7.1f} vs {b:7.1f}   ratio {b / a:5.1f}x")
    a, b = sum(ours.values()), sum(theirs.values())
    print(
        f"  {'whole record':<22} {a / BARE_SAMPLE * 1000:7.1f} vs {b / BARE_SAMPLE * 1000:7.1f}"
        f"   ratio {b / a:5.1f}x  (bare ≈ {BARE_SAMPLE / b:.1f} records/s per core)"
    )


def main(count: int = 1500) -> int:
    with tempfile.TemporaryDirectory(prefix="hocba-bench-") as tmp:
        keys = Path(tmp) / "keys"
        write_school_pki(keys, SCHOOL.code, SCHOOL.name, PEOPLE, PASSWORD)
        files = settings_for("pkcs12", keys)
        run_backend("file keys", files, count)
        run_backend("primary", files, count * 2 // 5, "primary")  # 600 students: a large one
        token = _token(Path(tmp), keys)
        if isinstance(token, str):
            print(f"{'token':<12} skipped: {token}")
        else:
            run_backend("SoftHSM2", token, count)
        compare_with_bare(files)
    return 0


def _token(directory: Path, keys: Path) -> SigningSettings | str:
    """The same keys on a SoftHSM2 token, or why there is none."""
    from demo.pki import Issued
    from tests.signing.softhsm import make_token, missing

    reason = missing()
    if reason:
        return reason
    load_or_make_ca(keys)  # the CA stays the files' CA
    loaded = {}
    for code in CODES.values():
        key, cert, extra = pkcs12.load_key_and_certificates(
            pkcs12_path(keys, SCHOOL.code, code).read_bytes(), PASSWORD.encode()
        )
        loaded[code] = Issued(key, cert, (cert, *extra))  # type: ignore[arg-type]
    token = make_token(directory / "softhsm", loaded)
    return settings_for(
        "pkcs11",
        keys,
        pkcs11_module=token.module,
        pkcs11_token_label=token.label,
        pkcs11_pin=token.pin,
    )


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500))
