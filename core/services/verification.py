"""`hocba verify FILE`: check a record file (XML or PDF) and say whether it is current.

Anyone may hand in a file, so it is treated as hostile: size caps, no DTD or entities, and a
file that is neither a record XML nor a PDF is refused with a reason. Each check is audited
(who verified which record), since the answer reveals a record's status.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509

from core import audit
from core.i18n import _
from core.models import IssuedRecord, RecordState
from core.render.xml_record import NS, data_element, parse_untrusted
from core.signing.pdf_verify import verify_pdf
from core.signing.reports import SignatureReport
from core.signing.xml_verify import verify_xml


@dataclass
class FileReport:
    kind: str  # "XML" | "PDF"
    signatures: list[SignatureReport] = field(default_factory=list)
    status: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures)

    def lines(self) -> list[str]:
        out = [_("Tệp {kind}: {n} chữ ký.").format(kind=self.kind, n=len(self.signatures))]
        for report in self.signatures:
            out += report.lines()
        out.append(self.status)
        out.append(
            _("KẾT LUẬN: mọi chữ ký hợp lệ.")
            if self.ok
            else _("KẾT LUẬN: tệp KHÔNG có giá trị (Điều 15: một nội dung không hợp lệ).")
        )
        return out


def _status(record: IssuedRecord | None) -> str:
    if record is None:
        return _("Tình trạng: không có trong cơ sở dữ liệu của trường này.")
    if record.state is RecordState.ISSUED:
        return _(
            "Tình trạng: học bạ {code}, phiên bản {v}, đang có hiệu lực (bản hiện hành)."
        ).format(code=record.code, v=record.version)
    if record.state is RecordState.REVOKED:
        return _(
            "Tình trạng: học bạ {code}, phiên bản {v}, đã bị thu hồi/thay thế: {reason}"
        ).format(code=record.code, v=record.version, reason=record.revoked_reason)
    return _("Tình trạng: học bạ {code}, phiên bản {v}, chưa phát hành (đang ký).").format(
        code=record.code, v=record.version
    )


async def verify_file(
    data: bytes, roots: Sequence[x509.Certificate], actor_label: str
) -> FileReport:
    if data.lstrip()[:5] == b"%PDF-":
        report = FileReport("PDF", await verify_pdf(data, roots))
        digest = hashlib.sha256(data).hexdigest()
        record = await IssuedRecord.filter(pdf_sha256=digest).first()
    else:
        root = parse_untrusted(data)
        report = FileReport("XML", verify_xml(root, roots))
        record = None
        if root.tag in (f"{{{NS}}}hocba",):
            element = data_element(root)
            code = element.findtext(f"{{{NS}}}madinhdanhhocba")
            version = element.findtext(f"{{{NS}}}phienban")
            if code and version and version.isdigit():
                record = await IssuedRecord.filter(code=code, version=int(version)).first()
    report.status = _status(record)
    await audit.record(
        audit.Event(
            actor_label,
            "record.verify",
            f"record:{record.id}" if record else "file",
            after={"kind": report.kind, "ok": report.ok},
        )
    )
    return report
