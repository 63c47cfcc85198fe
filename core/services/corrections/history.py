"""A student's cell history (/lichsu): every value a cell had, by whom, when, under which
request, read from the audit log (the gradebook records every write there).

The log names a cell by its target ("mark:5:2:1:TX1", "primary:5:2:end_1", "conduct:5:1",
"absence:5:1", "quality:5:end_1:CHAM_CHI") and a value as stored ("8.5", "T"); people read
neither. Each line is told in the words of the grade sheet and of Thông tư 22 (Điều 7: ĐĐGtx,
ĐĐGgk giữa kỳ, ĐĐGck cuối kỳ): «Ngữ văn, học kỳ I, ĐĐGtx 1: 6,0 → 7,5», a primary subject's
in those of Thông tư 27 (Điều 7): «Toán, Mức đạt được cuối học kì I: Hoàn thành → Hoàn thành
tốt», «Toán, Điểm kiểm tra định kì cuối học kì I: 7 → 8», and the homeroom teacher's data
in theirs: «Rèn luyện học kỳ I: Khá → Tốt», «Số ngày nghỉ có phép học kỳ II: 2 → 3», «Chăm
chỉ (cuối học kì I): Đạt → Tốt», with the time on the school's clock, the person's name and
the request's number (core.formatting and `shown`, as the correction cards write them). A long
history shows its most recent lines and says how many earlier ones there are.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, replace
from decimal import Decimal

from tortoise.expressions import Q

from core import audit, formatting
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.formatting import roman
from core.i18n import _
from core.models import (
    AuditEvent,
    CellKind,
    CorrectionRequest,
    School,
    Staff,
    Student,
    Subject,
    Term,
)
from core.rules.primary import TestPoint
from core.services.access import Actor
from core.services.calendar import POINT_COLUMNS
from core.services.corrections import homeroom, primary
from core.services.corrections.cells import canonical, column_of, column_words, shown
from core.services.corrections.views import OVERSEERS
from core.services.gradebook import TOPIC_COLUMN, parse_column
from core.services.schools import subjects_by_name
from core.text import fold

MAX_LINES = 40  # the most recent changes shown; asking for one subject (or column) shows more
_HOMEROOM_TARGETS = ("conduct", "absence", "quality")
_SUBJECT_TARGETS = ("mark", "primary")  # a secondary subject's marks, a primary one's cells
_ABSENCE_FIELDS = {"excused": CellKind.EXCUSED, "unexcused": CellKind.UNEXCUSED}
_PRIMARY_FIELDS = {"level": CellKind.LEVEL, "score": CellKind.SCORE}  # one row, two cells
_HOMEROOM_WORDS = frozenset({"chu nhiem", "gvcn"})  # /lichsu ID chủ nhiệm


@dataclass(frozen=True)
class HistoryLine:
    """One value a cell had: when, by whom, under which request (None: ordinary entry)."""

    at: dt.datetime
    cell: str  # the audit log's target of the cell
    subject: str  # empty for the homeroom teacher's data
    term: int
    kind: CellKind
    index: int
    before: str | None  # values as stored ("8.5", "Đ", "T"); None: empty
    after: str | None
    by: str
    request: str | None  # the request's number (SĐ-12)
    point: TestPoint | None = None  # the assessment point of a quality or a primary cell

    @property
    def column(self) -> str:
        """The column's short code (TX1, GK, CK; «Rèn luyện»), as /lichsu is asked with."""
        return column_of(self.kind, self.index)

    def where(self) -> str:
        """The cell in words (HTML): «Ngữ văn, học kỳ I, ĐĐGtx 1», «Toán, Mức đạt được cuối
        học kì I», «Rèn luyện học kỳ I»."""
        if self.kind.is_primary:
            return _("{subject}, {cell}").format(
                subject=html.escape(self.subject), cell=primary.words(self.kind, self.index)
            )
        mark_kind = self.kind.mark_kind
        if mark_kind is not None:
            return _("{subject}, học kỳ {term}, {column}").format(
                subject=html.escape(self.subject),
                term=roman(self.term),
                column=column_words(mark_kind, self.index),
            )
        if self.kind is CellKind.QUALITY and self.point is not None:
            code = homeroom.quality_code(self.index)
            return html.escape(homeroom.quality_words(code, self.point))
        return html.escape(homeroom.words(self.kind, self.index, self.term))

    def text(self) -> str:
        """The line as people read it (HTML)."""
        by = html.escape(self.by)
        if self.request:
            by = _("{by}, theo phiếu {number}").format(by=by, number=self.request)
        return _("• {when} — {where}: {before} → <b>{after}</b> ({by})").format(
            when=formatting.date_time(self.at),
            where=self.where(),
            before=shown(self.before, self.kind),
            after=shown(self.after, self.kind),
            by=by,
        )


@dataclass(frozen=True)
class CellHistory:
    """What /lichsu shows: whose cells, narrowed to what, and their lines, oldest first."""

    student: str
    national_id: str
    lines: list[HistoryLine]
    subject: str | None = None
    column: str = ""  # the column asked for, in words («ĐĐGtx 1», «Mức đạt được cuối học kì I»)
    homeroom: bool = False  # only the homeroom teacher's data

    def text(self) -> str:
        """The whole answer (HTML): the title, the most recent `MAX_LINES` lines, and how many
        earlier ones were left out."""
        narrowed = [html.escape(self.subject)] if self.subject else []
        if self.homeroom:
            narrowed.append(_("dữ liệu chủ nhiệm"))
        if self.column:
            narrowed.append(self.column)
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


def _homeroom_lines(event: AuditEvent, terms: dict[int, int], at: HistoryLine) -> list[HistoryLine]:
    """The lines of one write of the homeroom teacher's data (`at`: the line's common facts):
    conduct and a quality hold one value, a row of days absent two (each its own line)."""
    kind, _student, where, *rest = event.target.split(":")
    before, after = event.before or {}, event.after or {}
    if kind == "absence":
        return [
            replace(
                at,
                term=terms.get(int(where), 1),
                kind=cell,
                before=None if before.get(field) is None else str(before[field]),
                after=str(after[field]),
            )
            for field, cell in _ABSENCE_FIELDS.items()
            if after.get(field) is not None
        ]
    if "level" not in after:
        return []  # only the term of a quality moved: no value changed
    level = {"before": before.get("level"), "after": str(after["level"])}
    if kind == "conduct":
        return [replace(at, term=terms.get(int(where), 1), kind=CellKind.CONDUCT, **level)]
    point, code = TestPoint(where), rest[0]
    if code not in homeroom.QUALITY_NAMES:
        return []
    return [
        replace(
            at,
            term=homeroom.term_of_point(point),
            kind=CellKind.QUALITY,
            index=homeroom.quality_index(code),
            point=point,
            **level,
        )
    ]


def _primary_lines(
    event: AuditEvent, subjects: dict[int, str], at: HistoryLine
) -> list[HistoryLine]:
    """The lines of one write of a primary subject's point (`at`: the line's common facts):
    its row holds the level and the score, each its own line (TT27 Điều 7, khoản 1); a write
    that only moved the row's term changed no value."""
    _kind, _student, subject, where = event.target.split(":")
    point = TestPoint(where)
    before, after = event.before or {}, event.after or {}
    return [
        replace(
            at,
            subject=subjects.get(int(subject), ""),
            term=homeroom.term_of_point(point),
            kind=cell,
            index=primary.index_of(point),
            point=point,
            before=None if before.get(field) is None else str(before[field]),
            after=str(after[field]),
        )
        for field, cell in _PRIMARY_FIELDS.items()
        if after.get(field) is not None
    ]


def _targets(student_id: int, subject_id: int | None, homeroom_only: bool) -> Q:
    """The audit targets of the student's cells asked for."""
    marks = [
        f"{kind}:{student_id}:" + (f"{subject_id}:" if subject_id else "")
        for kind in _SUBJECT_TARGETS
    ]
    others = [f"{kind}:{student_id}:" for kind in _HOMEROOM_TARGETS]
    prefixes = others if homeroom_only else marks if subject_id else [*marks, *others]
    found = Q(target__startswith=prefixes[0])
    for prefix in prefixes[1:]:
        found |= Q(target__startswith=prefix)
    return found


async def history(
    actor: Actor,
    student_id: int,
    subject_id: int | None = None,
    column: str | None = None,
    *,
    homeroom_only: bool = False,
    cell_kind: CellKind | None = None,
) -> list[HistoryLine]:
    """Every value the student's cells had (narrowed to a subject, a column, a kind of cell
    (a primary point's level or score), or the homeroom teacher's data), oldest first, from
    the audit log; a change made under a correction request names it."""
    student = await Student.get_or_none(id=student_id, school_id=actor.school_id)
    if student is None:
        raise NotFound(_("Không tìm thấy học sinh này."))
    _ensure_overseer(actor)
    actions = [
        f"{k}.{a}" for k in (*_SUBJECT_TARGETS, *_HOMEROOM_TARGETS) for a in ("create", "update")
    ]
    events = [
        e
        for e in await AuditEvent.filter(
            _targets(student_id, subject_id, homeroom_only),
            action__in=[*actions, "correction.apply"],
        ).order_by("seq")
        if column is None or e.target.rsplit(":", 1)[1] == column
    ]
    marks = [e.target.split(":") for e in events if e.target.startswith("mark:")]
    subject_ids = {int(c[2]) for c in marks} | {
        int(e.target.split(":")[2]) for e in events if e.target.startswith("primary:")
    }
    subjects = dict(await Subject.filter(id__in=sorted(subject_ids)).values_list("id", "name"))
    term_ids = {int(c[3]) for c in marks} | {
        int(e.target.split(":")[2]) for e in events if e.target.startswith(("conduct:", "absence:"))
    }
    terms = dict(await Term.filter(id__in=sorted(term_ids)).values_list("id", "number"))
    requests = {
        r.id: r.number
        for r in await CorrectionRequest.filter(
            school_id=actor.school_id,
            id__in=[e.after["request"] for e in events if e.action == "correction.apply"],
        )
    }
    names = {f"staff:{s.id}": s.full_name for s in await Staff.filter(school_id=actor.school_id)}
    lines: list[HistoryLine] = []
    for event in events:
        if event.action == "correction.apply":
            _name_request(lines, event, requests.get(event.after["request"]))
            continue
        at = HistoryLine(event.at, event.target, "", 1, CellKind.REGULAR, 1, None, None, "", None)
        at = replace(at, by=_who(event.actor, names))
        if event.target.startswith("primary:"):
            lines += _primary_lines(event, subjects, at)
            continue
        if not event.target.startswith("mark:"):
            lines += _homeroom_lines(event, terms, at)
            continue
        _mark, _student, subject, term, code = event.target.split(":")
        kind, index = parse_column(code)
        lines.append(
            replace(
                at,
                subject=subjects.get(int(subject), ""),
                term=terms.get(int(term), 1),
                kind=CellKind(kind.value),
                index=index,
                before=_audit_value(event.before),
                after=_audit_value(event.after),
            )
        )
    if cell_kind is not None:
        lines = [line for line in lines if line.kind is cell_kind]
    await audit.record(
        audit.Event(
            actor.label, "correction.history", f"student:{student_id}", after={"lines": len(lines)}
        )
    )
    return lines


def _name_request(lines: list[HistoryLine], applied: AuditEvent, number: str | None) -> None:
    """The value a correction applied is the cell's latest line: it names the request. A row
    of days absent is one target for two cells: the event's kind says which."""
    kind = applied.after.get("kind")
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line.cell == applied.target and kind in (None, line.kind.value):
            lines[index] = replace(line, request=number)
            return


@dataclass(frozen=True)
class _Asked:
    """A column /lichsu was asked for: how the audit log's targets end (TX1, GK; a primary
    point's end_1), the cell kind when it says one (a primary point holds a level and a
    score), and the column in words."""

    code: str
    kind: CellKind | None
    words: str


_POINT_CODES = {code: point for point, code in POINT_COLUMNS.items()}  # GHK1, CHK1, GHK2, CN
_PRIMARY_CELLS = {"muc": CellKind.LEVEL, "diem": CellKind.SCORE}  # «Mức CHK1», «Điểm CN»


def _split_words(words: list[str]) -> tuple[str, _Asked | None]:
    """/lichsu's words after the ID: a subject name, then optionally a column: a secondary
    one (GK, CK, TXn) or a primary assessment point as the sheet heads it (GHK1, CHK1, GHK2,
    CN), «Mức» or «Điểm» before it for the level or the score alone."""
    words = list(words)
    if not words:
        return "", None
    last = words[-1].upper()
    if last in _POINT_CODES:
        words.pop()
        kind = _PRIMARY_CELLS.get(fold(words[-1])) if words else None
        if kind is not None:
            words.pop()
        return " ".join(words), _primary_column(_POINT_CODES[last], kind)
    if last in {"GK", "CK", TOPIC_COLUMN} or last.startswith("TX"):
        words.pop()
        return " ".join(words), _asked_column(last)
    return " ".join(words), None


def _primary_column(point: TestPoint, kind: CellKind | None) -> _Asked:
    index = primary.index_of(point)
    if kind is None:
        said = _("{level} và {score}").format(
            level=primary.words(CellKind.LEVEL, index), score=primary.words(CellKind.SCORE, index)
        )
        return _Asked(point.value, None, said)
    return _Asked(point.value, kind, primary.words(kind, index))


def _asked_column(code: str) -> _Asked:
    try:
        kind, index = parse_column(code)
    except (KeyError, ValueError):
        raise InvalidValue(
            _(
                "Không có cột «{column}»: cột là TX1 đến TX4, GK hoặc CK; ở tiểu học GHK1, "
                "CHK1, GHK2 hoặc CN (thêm «Mức» hay «Điểm» phía trước để xem riêng)."
            ).format(column=code)
        ) from None
    return _Asked(code, CellKind(kind.value), column_words(kind, index))


async def history_of(actor: Actor, national_id: str, words: list[str]) -> CellHistory:
    """The history of the student with this personal ID, narrowed by `words` (see
    `_split_words`): what /lichsu asks for, in one call."""
    _ensure_overseer(actor)
    student = await Student.get_or_none(national_id=national_id, school_id=actor.school_id)
    if student is None:
        raise NotFound(_("Không tìm thấy học sinh có mã định danh {id}.").format(id=national_id))
    name, asked = _split_words(words)
    subject = None
    if fold(name) in _HOMEROOM_WORDS and asked is None:
        found = await history(actor, student.id, homeroom_only=True)
        return CellHistory(student.full_name, student.national_id, found, homeroom=True)
    if name:
        school = await School.get(id=actor.school_id)
        subject = (await subjects_by_name(school)).get(fold(name))
        if subject is None:
            raise NotFound(_("Trường không có môn «{name}».").format(name=name))
    found = await history(
        actor,
        student.id,
        subject.id if subject else None,
        asked and asked.code,
        cell_kind=asked and asked.kind,
    )
    return CellHistory(
        student.full_name,
        student.national_id,
        found,
        subject.name if subject else None,
        asked.words if asked else "",
    )
