"""Verifying a record file handed in by anyone: `hocba verify FILE`, the bot, the library.

Every front end calls `verify_file` and prints `FileReport.lines()`, so they all say the same
thing. The file is checked whole in the worker pool (core.signing.document_check: hostile until
proven otherwise, bounded in size before anything reads it) against the configured trust and the
schools' certificate register; its status (current, replaced, revoked) is then looked up by its
content (the canonical signed data of an XML, the bytes of a PDF: see document_check for why),
never by the record code and version the file claims, and only for a valid file (a stripped
copy of the current record has its data, but must not borrow its status). Looking up a
record's status reads that record, so it is audited; an invalid file, or one that matches no
record, reads nothing and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from tortoise.expressions import Q

from core import audit, clock
from core.formatting import date_time
from core.i18n import _, current_language
from core.models import IssuedRecord, RecordState
from core.runtime import Runtime
from core.services.certificates import registry
from core.signing.document_check import MAX_FILE_BYTES, check_document, too_big
from core.signing.reports import FileReport
from core.signing.trust import Trust, as_trust
from core.workers import WorkerPool

__all__ = ["MAX_FILE_BYTES", "FileReport", "status_of", "too_big", "verify_file", "verify_for"]


async def _record(report: FileReport) -> IssuedRecord | None:
    """The record this file is, if it is one: only a valid file is looked up, so a forged one
    reads no record (and can borrow no record's status)."""
    if not report.digest or not report.record or not report.valid:
        return None
    field = Q(data_hash=report.digest) if report.kind == "XML" else Q(pdf_sha256=report.digest)
    return await IssuedRecord.filter(field).order_by("-id").first()


async def _status(record: IssuedRecord | None, report: FileReport) -> tuple[str, bool, str]:
    """The status line, whether the file is no longer (or not yet) a valid record, and the
    status for machines (current, replaced, revoked, unknown)."""
    if not report.record:
        text = _("Tình trạng: bảng điểm môn học là tài liệu nội bộ; không tra tình trạng.")
        return text, False, "unknown"
    if not report.valid:
        return _("Tình trạng: không tra cứu, vì tệp không hợp lệ."), False, "unknown"
    if record is None:
        return (
            _(
                "Tình trạng: không có học bạ nào trong cơ sở dữ liệu này trùng nội dung tệp "
                "(không tra được tệp này còn hiệu lực hay không)."
            ),
            False,
            "unknown",
        )
    return await status_of(record)


async def status_of(record: IssuedRecord) -> tuple[str, bool, str]:
    """A record version's status line, whether it is no longer (or not yet) in force, and the
    status for machines: what the portal says of an uploaded file and of a looked-up code."""
    head = _("Tình trạng: học bạ {code}, phiên bản {v}").format(code=record.code, v=record.version)
    if record.state is RecordState.ISSUED:
        return _("{head}, đang có hiệu lực (bản hiện hành).").format(head=head), False, "current"
    if record.state is RecordState.SIGNING:
        return _("{head}, CHƯA phát hành (đang ký).").format(head=head), True, "unknown"
    newer = (
        await IssuedRecord.filter(  # the level's record: a later year's version replaces it too
            code=record.code, state=RecordState.ISSUED, version__gt=record.version
        )
        .order_by("-version")
        .first()
    )
    when = date_time(record.revoked_at) if record.revoked_at else ""
    if newer is not None:
        return (
            _(
                "{head}: ĐÃ BỊ THAY THẾ, KHÔNG còn hiệu lực (thu hồi lúc {when}; bản hiện hành "
                "là phiên bản {new}). Lý do: {reason}"
            ).format(head=head, when=when, new=newer.version, reason=record.revoked_reason),
            True,
            "replaced",
        )
    return (
        _("{head}: ĐÃ BỊ THU HỒI lúc {when}, KHÔNG còn hiệu lực. Lý do: {reason}").format(
            head=head, when=when, reason=record.revoked_reason
        ),
        True,
        "revoked",
    )


async def verify_file(
    data: bytes,
    trust: Trust | Sequence[x509.Certificate],
    actor_label: str,
    workers: WorkerPool | None = None,
) -> FileReport:
    """The report on one file; a file that cannot be a record (too big, not XML or PDF, a
    DOCTYPE) raises InvalidValue saying why. `workers`: where the checks run (inline without)."""
    if len(data) > MAX_FILE_BYTES:
        raise too_big(len(data))
    known = await registry()
    task = (data, as_trust(trust), known, clock.now(), current_language())
    report = await workers.run(check_document, *task) if workers else check_document(*task)
    record = await _record(report)
    report.status, report.withdrawn, report.state = await _status(record, report)
    if record is not None:
        await audit.record(
            audit.Event(
                actor_label,
                "record.verify",
                f"record:{record.id}",
                after={"kind": report.kind, "valid": report.valid, "state": record.state.value},
            )
        )
    return report


async def verify_for(runtime: Runtime, data: bytes, actor_label: str) -> FileReport:
    """`verify_file` with the deployment's trust ([trust] roots and crls) and worker pool: what
    `hocba verify` and the bot both call, so they give the same report."""
    trust = Trust.load(runtime.trust_roots, runtime.trust_crls)
    return await verify_file(data, trust, actor_label, runtime.workers)
