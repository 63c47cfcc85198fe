"""A class's computed results as a plain-text table for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core import formatting
from core.i18n import _
from core.models import School, SchoolYear
from core.services.results import ClassResults, PrimaryResult, SecondaryResult

DASH = "—"


def _cell(value: object) -> str:
    if value is None:
        return DASH
    if isinstance(value, Decimal):
        return formatting.score(value)
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _secondary(results: ClassResults, term: int | None) -> str:
    key = f"term{term}" if term else "year"
    header = [_("STT"), _("Họ và tên")] + [s.code for s in results.subjects]
    header += [_("Học tập"), _("Rèn luyện")]
    if not term:
        header += [_("Nghỉ"), _("Lên lớp"), _("Danh hiệu")]
    rows = []
    for r in results.rows:
        assert isinstance(r, SecondaryResult)
        row = [str(r.number), r.full_name] + [_cell(getattr(s, key)) for s in r.subjects]
        row += [_cell(r.learning[key] and r.learning[key].label)]
        row += [_cell(r.conduct[key] and r.conduct[key].label)]
        if not term:
            row += [
                str(r.absent_days),
                _cell(r.promotion and r.promotion.label),
                _cell(r.title and r.title.label),
            ]
        rows.append(row)
    return _table(header, rows)


def _primary(results: ClassResults) -> str:
    header = [_("STT"), _("Họ và tên")] + [s.code for s in results.subjects] + [_("Kết quả")]
    rows = []
    for r in results.rows:
        assert isinstance(r, PrimaryResult)
        cells = []
        for s in results.subjects:
            level, score = r.levels.get(s.code), r.scores.get(s.code)
            cells.append(_cell(level) + (f" ({score})" if score is not None else ""))
        rows.append([str(r.number), r.full_name, *cells, _cell(r.result and r.result.label)])
    return _table(header, rows)


def render_results(
    school: School, year: SchoolYear, results: ClassResults, term: int | None = None
) -> str:
    klass = results.school_class.name
    period = _("học kỳ {term}").format(term="I" * term) if term else _("cả năm")
    title = _("{school} — lớp {klass}, năm học {year}, {period}").format(
        school=school.name, klass=klass, year=year.name, period=period
    )
    is_primary = bool(results.rows) and isinstance(results.rows[0], PrimaryResult)
    body = _primary(results) if is_primary else _secondary(results, term)
    incomplete = sum(1 for r in results.rows if r.missing)
    legend = [s.code + ": " + s.name for s in results.subjects]
    note = (
        _("{n} học sinh còn thiếu dữ liệu nên chưa có kết quả (—).").format(n=incomplete)
        if incomplete
        else _("Đủ dữ liệu cho tất cả học sinh.")
    )
    return "\n".join([title, "", body, "", note, "; ".join(legend)])
