"""One file handed in for verification, checked whole, as one worker-pool task (no database).

Anyone may hand in a file, so it is hostile until proven otherwise: its size is bounded before
anything reads it, XML goes through `parse_untrusted` (no DTD, no entities, no network), a PDF's
attachment is decompressed within a bound. What it is decides the checks: a record or a subject
sheet in XML (core.signing.xml_verify), a record's PDF (core.signing.pdf_verify).

The digest it returns is what the record's status is looked up by, never the code and version
the file claims: for XML, the SHA-256 of the canonical signed data (what every signature's first
reference covers), because bytes outside the signed data (spacing between signatures, the XML
declaration, an encoding) can change without breaking a signature, so a hash of the file's bytes
could be dodged by re-serialising a replaced record; for a PDF, the SHA-256 of the file's bytes,
because the last signature must cover every byte (anything appended is refused), so the bytes
are the content.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from core.errors import InvalidValue
from core.i18n import _, use_language
from core.render import xml_record as fmt
from core.signing.pdf_verify import MAX_PDF_BYTES, verify_record_pdf
from core.signing.reports import FileReport
from core.signing.signer_list import Registry
from core.signing.trust import Trust
from core.signing.xml_verify import data_digest, is_record, verify_xml

MAX_FILE_BYTES = max(MAX_PDF_BYTES, fmt.MAX_XML_BYTES)


def too_big(size: int) -> InvalidValue:
    return InvalidValue(
        _(
            "Tệp quá lớn ({size:.1f} MB) để là một học bạ (XML tối đa {xml} MB, PDF tối đa "
            "{pdf} MB); không kiểm tra. Hãy gửi đúng tệp học bạ trường đã cấp."
        ).format(
            size=size / 1024 / 1024,
            xml=fmt.MAX_XML_BYTES // (1024 * 1024),
            pdf=MAX_PDF_BYTES // (1024 * 1024),
        )
    )


def check_document(
    data: bytes, trust: Trust, registry: Registry, now: dt.datetime, language: str
) -> FileReport:
    """The report of one file (its status is the caller's to fill, from the database)."""
    if len(data) > MAX_FILE_BYTES:
        raise too_big(len(data))
    with use_language(language):
        if data[:1024].lstrip().startswith(b"%PDF-"):
            verdict = verify_record_pdf(data, trust, registry, now)
            return FileReport(
                "PDF",
                True,
                verdict.signatures,
                verdict.problems,
                hashlib.sha256(data).hexdigest(),
            )
        root = fmt.parse_untrusted(data)
        verdict = verify_xml(root, trust, registry, now)
        try:
            digest = data_digest(root)
        except InvalidValue:
            digest = ""
        record = is_record(root)
        return FileReport("XML", record, verdict.signatures, verdict.problems, digest)
