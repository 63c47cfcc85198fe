"""A student's cell history (/lichsu): every value a cell had, by whom, when, under which
request, read from the audit log (the gradebook records every write there).

The log names a cell by its target ("mark:5:2:1:TX1") and a value as stored ("8.5"); people
read neither. Each line is told in the words of the grade sheet and of Thông tư 22 (Điều 7:
ĐĐGtx, ĐĐGgk giữa kỳ, ĐĐGck cuối kỳ): «Ngữ văn, học kỳ I, ĐĐGtx 1: 6,0 → 7,5», with the
time on the school's clock, the person's name and the request's number (core.formatting and
`shown`, as the correction cards write them). A long history shows its most recent lines and
says how many earlier ones there are.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, replace
from decimal import Decimal

from core import audit, formatting
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import (
    AuditEvent,
    CorrectionRequest,
    MarkKind,
    School,
    Staff,
    Student,
    Subject,
    Term,
)
from core.services.access import Actor
from core.services.corrections.cells import canonical, roman, shown
from core.services.corrections.views import OVERSEERS
from core.services.gradebook import mark_column
from core.services.schools import subjects_by_name
from core.text import fold

MAX_LINES = 40  # the most recent changes shown; asking for one subject (or column) shows more
_KINDS = {"TX": MarkKind.REGULAR, "GK": MarkKind.MIDTERM, "CK": MarkKind.FINAL}


def column_words(kind: MarkKind, index: int) -> str:
    """A mark column as TT22 (Điều 7) and the grade sheet name it: ĐĐGtx 1, ĐĐGgk (giữa kỳ),
    ĐĐGck (cuối kỳ)."""
    return {
        MarkKind.REGULAR: _("ĐĐGtx {n}"),
        MarkKind.MIDTERM: _("ĐĐGgk (giữa kỳ)"),
        MarkKind.FINAL: _("ĐĐGck (cuối kỳ)"),
    }[kind].format(n=index)


def _column_code(code: str) -> tuple[MarkKind, int]:
    """The kind and index of a column as the log writes it (TX1..TX4, GK, CK)."""
    kind = _KINDS[code[:2]]
    return kind, int(code[2:]) if kind is MarkKind.REGULAR else 1


@dataclass(frozen=True)
class HistoryLine:
    """One value a cell had: when, by whom, under which request (None: ordinary entry)."""

    at: dt.datetime
    cell: str  # the audit log's target of the cell
    subject: str
    term: int
    kind: MarkKind
    index: int
    before: str | None  # values as stored ("8.5", "Đ"); None: empty
    after: str | None
    by: str
    request: str | None  # the request's number (SĐ-12)

    @property
    def column(self) -> str:
        """The column's short code (TX1, GK, CK), as /lichsu is asked with."""
        return mark_column(self.kind, self.index)

    def text(self) -> str:
        """The line as people read it (HTML)."""
        by = html.escape(self.by)
        if self.request:
            by = _("{by}, theo phiếu {number}").format(by=by, number=self.request)
        return _(
            "• {when} — {subject}, học kỳ {term}, {column}: {before} → <b>{after}</b> ({by})"
        ).format(
            when=formatting.date_time(self.at),
            subject=html.escape(self.subject),
            term=roman(self.term),
            column=column_words(self.kind, self.index),
            before=shown(self.before),
            after=shown(self.after),
            by=by,
        )


@dataclass(frozen=True)
class CellHistory:
    """What /lichsu shows: whose cells, narrowed to what, and their lines, oldest first."""

    student: str
    national_id: str
    lines: list[HistoryLine]
    subject: str | None = None
    column: tuple[MarkKind, int] | None = None

    def text(self) -> str:
        """The whole answer (HTML): the title, the most recent `MAX_LINES` lines, and how many
        earlier ones were left out."""
        narrowed = [html.escape(self.subject)] if self.subject else []
        if self.column:
            narrowed.append(column_words(*self.column))
        title = (
            _("<b>Lịch sử điểm của {name}</b> (mã định danh {id}): {what}")
            if narrowed
            else _("<b>Lịch sử điểm của {name}</b> (mã định danh {id})")
        )
        out = [
            title.format(
                name=html.escape(self.student), id=self.national_id, what=", ".join(narrowed)
            )
        ]
        earlier = len(self.lines) - MAX_LINES
        if earlier > 0:
            out.append(
                _(
                    "… và {n} thay đổi trước đó (hỏi riêng một môn, hoặc một cột của môn, để "
                    "xem hết)."
                ).format(n=formatting.integer(earlier))
            )
        out += [line.text() for line in self.lines[-MAX_LINES:]]
        if not self.lines:
            out.append(_("Chưa có điểm nào được ghi."))
        return "\n".join(out)


def _audit_value(values: dict[str, object] | None) -> str | None:
    """A cell's value as the gradebook's audit event recorded it (score or verdict)."""
    if not values:
        return None
    if values.get("verdict") is not None:
        return str(values["verdict"])
    score = values.get("score")
    return None if score is None else canonical(Decimal(str(score)))


def _ensure_overseer(actor: Actor) -> None:
    if not actor.has(*OVERSEERS):
        raise PermissionDenied(_("Lịch sử sửa điểm dành cho Ban giám hiệu và Ban quản trị."))


def _who(label: str, names: dict[str, str]) -> str:
    """Who wrote, from the log's actor label: a member of staff by name, else in words."""
    if label in names:
        return names[label]
    if label == "cli":
        return _("quản trị viên (dòng lệnh trên máy chủ)")
    if label.startswith("staff:"):
        return _("một cán bộ không còn trong danh sách của trường")
    return _("Trợ lý (tự động)")


async def history(
    actor: Actor, student_id: int, subject_id: int | None = None, column: str | None = None
) -> list[HistoryLine]:
    """Every value the student's cells had (narrowed to a subject, a column), oldest first,
    from the audit log; a change made under a correction request names it."""
    student = await Student.get_or_none(id=student_id, school_id=actor.school_id)
    if student is None:
        raise NotFound(_("Không tìm thấy học sinh này."))
    _ensure_overseer(actor)
    prefix = f"mark:{student_id}:" + (f"{subject_id}:" if subject_id else "")
    events = [
        e
        for e in await AuditEvent.filter(
            target__startswith=prefix,
            action__in=["mark.create", "mark.update", "correction.apply"],
        ).order_by("seq")
        if column is None or e.target.rsplit(":", 1)[1] == column
    ]
    cells = [e.target.split(":") for e in events]  # mark, student, subject, term, column
    subjects = dict(
        await Subject.filter(id__in=sorted({int(c[2]) for c in cells})).values_list("id", "name")
    )
    terms = dict(
        await Term.filter(id__in=sorted({int(c[3]) for c in cells})).values_list("id", "number")
    )
    requests = {
        r.id: r.number
        for r in await CorrectionRequest.filter(
            school_id=actor.school_id,
            id__in=[e.after["request"] for e in events if e.action == "correction.apply"],
        )
    }
    names = {f"staff:{s.id}": s.full_name for s in await Staff.filter(school_id=actor.school_id)}
    lines: list[HistoryLine] = []
    for event, (_mark, _student, subject, term, code) in zip(events, cells, strict=True):
        if event.action == "correction.apply":
            number = requests.get(event.after["request"])
            for index in range(len(lines) - 1, -1, -1):
                if lines[index].cell == event.target:
                    lines[index] = replace(lines[index], request=number)
                    break
            continue
        kind, index = _column_code(code)
        lines.append(
            HistoryLine(
                event.at,
                event.target,
                subjects.get(int(subject), ""),
                terms.get(int(term), 1),
                kind,
                index,
                _audit_value(event.before),
                _audit_value(event.after),
                _who(event.actor, names),
                None,
            )
        )
    await audit.record(
        audit.Event(
            actor.label, "correction.history", f"student:{student_id}", after={"lines": len(lines)}
        )
    )
    return lines


def _split_words(words: list[str]) -> tuple[str, str | None]:
    """/lichsu's words after the ID: a subject name, then optionally a column (GK, CK, TXn)."""
    words = list(words)
    column = None
    if words and (words[-1].upper() in {"GK", "CK"} or words[-1].upper().startswith("TX")):
        column = words.pop().upper()
    return " ".join(words), column


def _asked_column(code: str) -> tuple[MarkKind, int]:
    try:
        return _column_code(code)
    except (KeyError, ValueError):
        raise InvalidValue(
            _("Không có cột «{column}»: cột là TX1 đến TX4, GK hoặc CK.").format(column=code)
        ) from None


async def history_of(actor: Actor, national_id: str, words: list[str]) -> CellHistory:
    """The history of the student with this personal ID, narrowed by `words` (see
    `_split_words`): what /lichsu asks for, in one call."""
    _ensure_overseer(actor)
    student = await Student.get_or_none(national_id=national_id, school_id=actor.school_id)
    if student is None:
        raise NotFound(_("Không tìm thấy học sinh có mã định danh {id}.").format(id=national_id))
    name, column = _split_words(words)
    wanted = _asked_column(column) if column else None
    subject = None
    if name:
        school = await School.get(id=actor.school_id)
        subject = (await subjects_by_name(school)).get(fold(name))
        if subject is None:
            raise NotFound(_("Trường không có môn «{name}».").format(name=name))
    return CellHistory(
        student.full_name,
        student.national_id,
        await history(actor, student.id, subject.id if subject else None, column),
        subject.name if subject else None,
        wanted,
    )
