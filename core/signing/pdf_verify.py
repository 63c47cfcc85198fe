"""Checking the PAdES signatures of a PDF, and a record's PDF against its signer list.

`verify_pdf` answers the four questions of Điều 15 for every signature of any PDF we sign (a
record, a correction's sealed minutes): pyhanko checks the CMS signature and the byte-range
digest, and whether what was added after a signature is only a later signature; the chain,
revocation and time checks are the XML's (core.signing.trust, core.signing.reports). The last
signature must cover the whole file: bytes appended after it (an incremental update, which pdfsig
still calls "Signature is Valid") are content nobody signed.

`verify_record_pdf` then holds the signatures to the record's signer list, which the PDF carries
inside its signed content as the attachment danhsachky.xml (core.render.pdf_record): the
principal's and the seal's signatures, in that order, with the listed certificates.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from io import BytesIO

from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from core import clock
from core.errors import InvalidValue
from core.i18n import _
from core.models.records import RECORD_ORDER
from core.render import xml_record as fmt
from core.signing.keys import subject_name
from core.signing.pades import FIELD_NAMES
from core.signing.reports import SignatureReport, time_problem
from core.signing.signer_list import (
    PDF_SIGNERS,
    Found,
    Registered,
    Registry,
    School,
    Verdict,
    enforce,
    list_problem,
)
from core.signing.trust import Trust, as_trust, chain_path, revocation

MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_LIST_BYTES = 64 * 1024  # the attached signer list: a few hundred bytes in truth
_ROLES = {name: role for role, name in FIELD_NAMES.items()}
# A hostile PDF makes pyhanko's difference analysis log a traceback for what the report
# already says in words; the log of a verifier is not the place for it.
logging.getLogger("pyhanko.sign.diff_analysis").setLevel(logging.ERROR)


def _unreadable() -> InvalidValue:
    """A PDF no reader can open: said in words (the library's English reason stays in the
    traceback), with what to send instead."""
    return InvalidValue(
        _(
            "Tệp PDF hỏng hoặc không đọc được, nên không kiểm tra được chữ ký. Hãy gửi đúng tệp "
            "PDF học bạ trường đã cấp (không chụp ảnh, không in rồi quét lại)."
        )
    )


def _reader(data: bytes) -> PdfFileReader:
    if len(data) > MAX_PDF_BYTES:
        raise InvalidValue(_("Tệp PDF quá lớn để là một học bạ; không kiểm tra."))
    try:
        return PdfFileReader(BytesIO(data), strict=False)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise _unreadable() from exc


def _integrity(embedded: EmbeddedPdfSignature, last: bool) -> tuple[list[str], list[str]]:
    """a) and b) for one signature: the CMS value and digest, then what follows its revision."""
    signature: list[str] = []
    content: list[str] = []
    try:
        # the last signature must cover the whole file: no difference analysis to run
        embedded.compute_integrity_info(skip_diff=last)
        intact, valid = validate_sig_integrity(
            embedded.signer_info, embedded.signer_cert, "data", embedded.compute_digest()
        )
    except (SignatureValidationError, PdfReadError, ValueError, KeyError, TypeError) as exc:
        return [_("không đọc được chữ ký: {error}").format(error=exc)], []
    if not valid:
        signature.append(_("giá trị chữ ký không khớp chứng thư"))
    if not intact:
        content.append(_("nội dung PDF ĐÃ BỊ THAY ĐỔI sau khi ký"))
    coverage = embedded.coverage
    if last:
        if coverage != SignatureCoverageLevel.ENTIRE_FILE:
            content.append(
                _(
                    "có nội dung được thêm sau chữ ký cuối cùng (cập nhật gia tăng): phần thêm "
                    "không được ai ký"
                )
            )
        return signature, content
    level = getattr(embedded.diff_result, "modification_level", ModificationLevel.OTHER)
    if coverage != SignatureCoverageLevel.ENTIRE_REVISION or level > ModificationLevel.FORM_FILLING:
        content.append(_("sau chữ ký này tệp bị sửa ngoài việc thêm chữ ký sau"))
    return signature, content


def _check(embedded: EmbeddedPdfSignature, last: bool, trust: Trust, now: dt.datetime) -> Found:
    try:
        certificate = x509.load_der_x509_certificate(embedded.signer_cert.dump())
        others = [x509.load_der_x509_certificate(c.dump()) for c in embedded.other_embedded_certs]
        moment = embedded.self_reported_timestamp
    except (ValueError, KeyError, TypeError, SignatureValidationError):
        report = SignatureReport(
            str(embedded.field_name),
            _ROLES.get(embedded.field_name),
            _("(không có chứng thư)"),
            signature=[_("chữ ký không kèm chứng thư số")],
            certificate=[_("không có chứng thư để kiểm tra")],
            time=[_("không kiểm tra được khi không có chứng thư")],
        )
        return Found(report.role, report, None)
    moment = moment.astimezone(dt.UTC) if moment else None
    signature, content = _integrity(embedded, last)
    report = SignatureReport(
        str(embedded.field_name),
        _ROLES.get(embedded.field_name),
        subject_name(certificate),
        signing_time=moment,
        signature=signature,
        content=content,
    )
    path, problem = chain_path(certificate, others, trust.roots, moment or now)
    if problem is None:
        checked = revocation(path, trust, moment or now)
        problem = checked.problem
        report.notes.append(checked.note)
    if problem is not None:
        report.certificate.append(problem)
    # the time sits in the CMS signed attributes: covered when the signature is valid
    if (late := time_problem(moment, certificate, not signature, now)) is not None:
        report.time.append(late)
    return Found(report.role, report, certificate)


def _found(reader: PdfFileReader, trust: Trust, now: dt.datetime) -> list[Found]:
    try:
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise _unreadable() from exc
    return [
        _check(embedded, at == len(signatures) - 1, trust, now)
        for at, embedded in enumerate(signatures)
    ]


async def verify_pdf(
    data: bytes, trust: Trust | list[x509.Certificate], now: dt.datetime | None = None
) -> list[SignatureReport]:
    """Every signature of a PDF, each on its own (a correction's sealed minutes)."""
    return [f.report for f in _found(_reader(data), as_trust(trust), now or clock.now())]


def _attachment(reader: PdfFileReader) -> bytes | None:
    """The attached signer list, decompressed within its bound (never a zip bomb)."""
    try:
        names = list(reader.root["/Names"]["/EmbeddedFiles"]["/Names"])
        for name, spec in zip(names[::2], names[1::2], strict=True):
            if str(name) != fmt.PDF_SIGNERS_FILE:
                continue
            stream = spec.get_object()["/EF"]["/F"].get_object()
            assert isinstance(stream, generic.StreamObject)
            filters = stream.get("/Filter")
            raw = stream.encoded_data
            if filters is None:
                return raw[: MAX_LIST_BYTES + 1]
            if filters != "/FlateDecode":
                return None
            return zlib.decompressobj().decompress(raw, MAX_LIST_BYTES + 1)
    except (KeyError, TypeError, ValueError, AssertionError, zlib.error, PdfReadError):
        return None
    return None


def verify_record_pdf(data: bytes, trust: Trust, registry: Registry, now: dt.datetime) -> Verdict:
    """A record's PDF: every signature checked, then held to the attached signer list."""
    reader = _reader(data)
    found = _found(reader, trust, now)
    verdict = Verdict()
    attached = _attachment(reader)
    root = None
    if attached is None or len(attached) > MAX_LIST_BYTES:
        verdict.problems.append(
            _("tệp PDF không mang danh sách ký của học bạ ({file}) trong phần đã ký").format(
                file=fmt.PDF_SIGNERS_FILE
            )
        )
    else:
        try:
            root = fmt.parse_untrusted(attached)
            fmt.validate(root)
            if root.tag != f"{{{fmt.NS}}}thongtinkypdf":
                raise InvalidValue(_("danh sách ký đính kèm không đúng định dạng"))
        except InvalidValue as exc:
            verdict.problems.append(str(exc))
            root = None
    if root is None:
        verdict.signatures = [f.report for f in found]
        return verdict
    listed = fmt.signers_from_xml(root)
    if (problem := list_problem(listed, RECORD_ORDER)) is not None:
        verdict.problems.append(problem)
    school = School(
        root.findtext(f"{{{fmt.NS}}}matruong", default=""),
        root.findtext(f"{{{fmt.NS}}}tentruong", default=""),
    )
    verdict.signatures = enforce(
        listed,
        PDF_SIGNERS,
        found,
        FIELD_NAMES,
        school,
        registry.get(school.code, Registered()),
        trust,
    )
    return verdict
