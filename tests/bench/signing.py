"""`make bench-signing`: records per second for the signing chain with file-based keys.

Issues N student records (XML with the homeroom, principal and seal signatures + PDF with the
two PAdES signatures) from one record's data, on all cores (one process each), and prints
records per second, seconds, peak memory, the share of rendering / XML signing / PDF signing,
and the bare library calls on the same document for comparison. The SoftHSM2 run is not
written yet.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from core.formatting import SCHOOL_TZ
from core.models.records import RECORD_ORDER, SignatureRole
from core.pki_demo import issue, make_ca
from core.render import xml_record as fmt
from core.render.pdf_record import render_record_pdf
from core.signing.chain import countersigned
from core.signing.keys import Signer
from core.signing.pades import sign_pdf
from core.signing.xmldsig import sign_xml

SCHOOL = fmt.SchoolInfo("THCS-BENCH", "Trường THCS Bench", "Trung học cơ sở", "Hà Nội", "Ba Vì")


def _record(n: int) -> fmt.StudentRecord:
    subjects = tuple(
        fmt.SubjectLine(f"M{i}", f"Môn học số {i}", True, "7.5", "8.0", "7.8", "Nguyễn Văn Giáo")
        for i in range(12)
    )
    return fmt.StudentRecord(
        f"THCS-BENCH.2025-2026.{n:012d}",
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
    )


def _signers() -> dict[SignatureRole, Signer]:
    ca = make_ca()
    made = {role: issue(ca, f"Người ký {role.value}", SCHOOL.name) for role in RECORD_ORDER}
    return {r: Signer(i.key, i.certificate, i.chain) for r, i in made.items()}


def _work(numbers: range) -> tuple[float, float, float]:
    signers = _signers()
    now = dt.datetime.now(SCHOOL_TZ)
    timings = [0.0, 0.0, 0.0]  # render, XML, PDF

    async def run() -> None:
        for n in numbers:
            t0 = time.perf_counter()
            xml = fmt.build_record(_record(n))
            for role in RECORD_ORDER:
                xml = sign_xml(xml, signers[role], role.signature_id, now, countersigned(role))
            t1 = time.perf_counter()
            pdf = render_record_pdf(_record(n))
            t2 = time.perf_counter()
            principal = signers[SignatureRole.PRINCIPAL]
            pdf = await sign_pdf(pdf, principal, SignatureRole.PRINCIPAL, now)
            await sign_pdf(pdf, signers[SignatureRole.SEAL], SignatureRole.SEAL, now)
            t3 = time.perf_counter()
            timings[0] += t2 - t1
            timings[1] += t1 - t0
            timings[2] += t3 - t2

    asyncio.run(run())
    return tuple(timings)  # type: ignore[return-value]


def _bare(samples: int = 20) -> tuple[float, float]:
    """pyhanko's own file-style signer (SimpleSigner) on the same PDF, ms per record."""
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers as ph

    signer_objects = _signers()
    pdf = render_record_pdf(_record(1))
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    pem_signers = []
    for s in (signer_objects[SignatureRole.PRINCIPAL], signer_objects[SignatureRole.SEAL]):
        key = s.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        cert = s.certificate.public_bytes(Encoding.PEM)
        directory = Path(tempfile.mkdtemp())
        (directory / "k.pem").write_bytes(key)
        (directory / "c.pem").write_bytes(cert)
        pem_signers.append(ph.SimpleSigner.load(str(directory / "k.pem"), str(directory / "c.pem")))
    start = time.perf_counter()
    for _ in range(samples):
        data = pdf
        for index, signer in enumerate(pem_signers):
            out = ph.sign_pdf(
                IncrementalPdfFileWriter(BytesIO(data)),
                ph.PdfSignatureMetadata(field_name=f"S{index}"),
                signer=signer,
            )
            data = out.getvalue()
    bare_pdf = (time.perf_counter() - start) / samples * 1000
    return bare_pdf, 0.0


def main(count: int = 1500) -> int:
    workers = os.cpu_count() or 1
    chunks = [range(i, count, workers) for i in range(workers)]
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_work, chunks))
    seconds = time.perf_counter() - start
    render, xml, pdf = (sum(r[i] for r in results) for i in range(3))
    total = render + xml + pdf
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"signing, file keys   {count} records in {seconds:.1f} s on {workers} processes: "
        f"{count / seconds:.1f} records/s, peak {peak:.0f} MiB per worker"
    )
    print(
        f"  share of time      rendering {render / total:.0%}, XML signing {xml / total:.0%}, "
        f"PDF signing {pdf / total:.0%}"
    )
    print(
        f"  per record (1 core) render {render / count * 1000:.1f} ms, 3 XML signatures "
        f"{xml / count * 1000:.1f} ms, 2 PAdES {pdf / count * 1000:.1f} ms"
    )
    bare_pdf, _unused = _bare()
    print(
        f"  bare pyhanko SimpleSigner, 2 invisible PAdES on the same PDF: {bare_pdf:.1f} ms "
        f"(ours, with stamps: {pdf / count * 1000:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500))
