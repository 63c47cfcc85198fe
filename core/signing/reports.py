"""The answer for one signature to the four questions of regulation 001, Điều 15.

a) is the signature valid, b) is the signed content unchanged, c) is the certificate valid
(chain to a configured trust root, valid and not revoked at the signing time, and the one the
signer list names), d) is the signing time valid. XML (core.signing.xml_verify) and PDF
(core.signing.pdf_verify) fill the same report, and a signature the signer list requires but
the file lacks gets one too, failing a): every problem is named under the question it answers,
so the command line, the bot and the library say the same thing in the same words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509

from core import clock
from core.formatting import date_time
from core.i18n import _
from core.models.records import SignatureRole

CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass
class SignatureReport:
    label: str  # the signature's Id (XML) or field name (PDF)
    role: SignatureRole | None
    signer: str
    signing_time: dt.datetime | None = None
    signature: list[str] = field(default_factory=list)  # a) what is wrong, if anything
    content: list[str] = field(default_factory=list)  # b)
    certificate: list[str] = field(default_factory=list)  # c)
    time: list[str] = field(default_factory=list)  # d)
    notes: list[str] = field(default_factory=list)  # what was not checked, and why
    missing: bool = False  # required by the signer list, absent from the file

    @property
    def ok(self) -> bool:
        return not (self.signature or self.content or self.certificate or self.time)

    @property
    def signature_valid(self) -> bool:
        return not self.signature

    @property
    def content_unchanged(self) -> bool:
        return not self.content

    @property
    def certificate_problem(self) -> str | None:
        return "; ".join(self.certificate) or None

    @property
    def time_problem(self) -> str | None:
        return "; ".join(self.time) or None

    def as_dict(self) -> dict[str, object]:
        """The same answers for a machine (the portal's JSON API): each question's verdict
        and its problems, in the words of `lines`."""

        def check(problems: list[str]) -> dict[str, object]:
            return {"ok": not problems, "problems": list(problems)}

        return {
            "label": self.label,
            "role": self.role.value if self.role else None,
            "role_label": self.role.label if self.role else None,
            "signer": self.signer,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "missing": self.missing,
            "valid": self.ok,
            "checks": {
                "signature": check(self.signature),
                "content": check(self.content),
                "certificate": check(self.certificate),
                "time": check(self.time),
            },
            "notes": list(self.notes),
        }

    def lines(self) -> list[str]:
        """The report in Vietnamese, one line per question (and the checks not made)."""

        def verdict(problems: list[str], good: str, bad: str) -> str:
            return good if not problems else f"{bad} — " + "; ".join(problems)

        yes, no = _("hợp lệ"), _("KHÔNG hợp lệ")
        role = self.role.label if self.role else _("không rõ vai trò")
        when = date_time(self.signing_time) if self.signing_time else _("không có")
        out = [
            _("Chữ ký {label} — {signer} ({role})").format(
                label=self.label, signer=self.signer, role=role
            ),
            _("  a) Chữ ký: {verdict}").format(verdict=verdict(self.signature, yes, no)),
            _("  b) Nội dung đã ký: {verdict}").format(
                verdict=verdict(self.content, _("không bị thay đổi"), _("KHÔNG hợp lệ"))
            ),
            _("  c) Chứng thư số: {verdict}").format(verdict=verdict(self.certificate, yes, no)),
            _("  d) Thời điểm ký: {when}: {verdict}").format(
                when=when, verdict=verdict(self.time, yes, no)
            ),
        ]
        out += [_("     (lưu ý: {note})").format(note=note) for note in self.notes]
        return out


def time_problem(
    moment: dt.datetime | None,
    certificate: x509.Certificate,
    covered: bool,
    now: dt.datetime | None = None,
) -> str | None:
    """Why a signing time cannot be trusted, or None; `now` as the verifier's clock has it (a
    worker process has no staging clock of its own)."""
    if moment is None:
        return _("chữ ký không ghi thời điểm ký")
    if not covered:
        return _("thời điểm ký không nằm trong phần được ký")
    if moment > (now or clock.now()) + CLOCK_SKEW:
        return _("thời điểm ký ở tương lai")
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        return _("ngoài thời hạn hiệu lực của chứng thư")
    return None


@dataclass
class FileReport:
    """The whole answer for one file: what it is, what is wrong with it as a whole, each
    signature's four answers, and the record's status where the school's database knows it."""

    kind: str  # "XML" | "PDF"
    record: bool  # a student's record (else a subject sheet): only a record has a status
    signatures: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    digest: str = ""  # what its status is looked up by (core.services.verification)
    status: str = ""
    withdrawn: bool = False  # replaced, revoked, or never issued
    state: str = "unknown"  # for machines: current, replaced, revoked or unknown

    @property
    def valid(self) -> bool:
        """Every required signature present and answering all four questions, nothing else."""
        return not self.problems and bool(self.signatures) and all(s.ok for s in self.signatures)

    @property
    def ok(self) -> bool:
        return self.valid and not self.withdrawn

    def as_dict(self) -> dict[str, object]:
        """The report for a machine (the portal's JSON API): `valid`, `status` (current,
        replaced, revoked, unknown), every signature's four checks, and the same sentences."""
        return {
            "valid": self.valid,
            "status": self.state,
            "kind": self.kind,
            "document": "record" if self.record else "subject_sheet",
            "problems": list(self.problems),
            "signatures": [s.as_dict() for s in self.signatures],
            "status_text": self.status,
            "conclusion": self.lines()[-1],
        }

    def lines(self) -> list[str]:
        document = _("học bạ") if self.record else _("bảng điểm môn học")
        out = [
            _("Tệp {kind} ({document}): {n} chữ ký.").format(
                kind=self.kind,
                document=document,
                n=sum(1 for s in self.signatures if not s.missing),
            )
        ]
        out += [_("Tệp: {problem}").format(problem=p) for p in self.problems]
        for report in self.signatures:
            out += report.lines()
        if self.status:
            out.append(self.status)
        if not self.valid:
            out.append(
                _("KẾT LUẬN: tệp KHÔNG có giá trị (Điều 15: có nội dung không hợp lệ, xem trên).")
            )
        elif self.withdrawn:
            out.append(
                _(
                    "KẾT LUẬN: các chữ ký hợp lệ nhưng học bạ này KHÔNG còn hiệu lực: hãy dùng "
                    "bản hiện hành của trường."
                )
            )
        else:
            out.append(_("KẾT LUẬN: mọi chữ ký hợp lệ."))
        return out
