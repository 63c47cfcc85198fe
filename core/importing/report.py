"""What an import did, or why it was refused, for the admin or teacher who sent the file.

Besides the counts it says what was left out (sheets without a header of this kind, columns
it did not recognise, guardians without a phone), so nothing in a file is dropped silently.

A refused file is told as its sender needs it (`FileRejected`): that nothing of it was saved,
not even its good rows, so the whole file goes again once fixed (a teacher who fixes two rows
and sends only those would otherwise believe the rest was in); then every problem, with its
place, the name of whom the row is about, and what is expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import ImportRejected, Problem
from core.i18n import _, ngettext
from core.services.upsert import Written


class FileRejected(ImportRejected):
    """The file was refused as a whole: nothing from it was written. `again` says how to try
    again where the file came from ("gửi lại cả tệp cho Trợ lý" in the bot)."""

    def __init__(self, filename: str, problems: list[Problem], again: str):
        self.filename = filename
        self.again = again
        super().__init__(problems)

    def __str__(self) -> str:
        n = len(self.problems)
        head = ngettext(
            "❌ Chưa lưu gì từ tệp «{file}»: tệp có {n} lỗi, nên không dòng nào được ghi, kể "
            "cả các dòng đúng. Hãy sửa lỗi dưới đây rồi {again}:",
            "❌ Chưa lưu gì từ tệp «{file}»: tệp có {n} lỗi, nên không dòng nào được ghi, kể "
            "cả các dòng đúng. Hãy sửa lỗi dưới đây rồi {again}:",
            n,
        ).format(file=self.filename, n=n, again=self.again)
        return "\n".join([head, *(f"• {problem}" for problem in self.problems)])


def _kind_label(kind: str) -> str:
    return {
        "students": _("danh sách học sinh"),
        "staff": _("danh sách cán bộ"),
        "assignments": _("phân công giảng dạy"),
        "marks": _("điểm"),
        "homeroom": _("bảng chủ nhiệm"),
        "conduct": _("rèn luyện"),
        "absences": _("số ngày nghỉ"),
        "qualities": _("phẩm chất, năng lực"),
        "comments": _("nhận xét"),
    }[kind]


def _part_label(part: str) -> str:
    return {
        "students": _("Học sinh"),
        "enrollments": _("Xếp lớp"),
        "guardians": _("Cha mẹ, người giám hộ"),
        "staff": _("Cán bộ"),
        "roles": _("Vai trò"),
        "homerooms": _("Chủ nhiệm lớp"),
        "assignments": _("Phân công"),
        "marks": _("Điểm"),
        "primary": _("Đánh giá"),
        "conducts": _("Rèn luyện"),
        "absences": _("Số ngày nghỉ"),
        "qualities": _("Phẩm chất, năng lực"),
        "comments": _("Nhận xét"),
    }.get(part, part)


@dataclass(frozen=True)
class SheetSummary:
    name: str
    rows: int
    ignored_columns: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """Per kind of row (students, enrollments, guardians...): created, updated, unchanged."""

    kind: str
    filename: str
    sheets: list[SheetSummary] = field(default_factory=list)
    ignored_sheets: list[str] = field(default_factory=list)
    parts: dict[str, Written] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.sheets)

    @property
    def created(self) -> int:
        return sum(w.created for w in self.parts.values())

    @property
    def updated(self) -> int:
        return sum(w.updated for w in self.parts.values())

    @property
    def unchanged(self) -> int:
        return sum(w.unchanged for w in self.parts.values())

    def summary(self) -> str:
        lines = [
            _("Đã nhập tệp «{file}» ({kind}): {sheets} trang tính, {rows} dòng.").format(
                file=self.filename,
                kind=_kind_label(self.kind),
                sheets=len(self.sheets),
                rows=self.rows,
            )
        ]
        for part, written in self.parts.items():
            lines.append(
                _(
                    "- {part}: {created} thêm mới, {updated} cập nhật, {unchanged} không đổi."
                ).format(
                    part=_part_label(part),
                    created=written.created,
                    updated=written.updated,
                    unchanged=written.unchanged,
                )
            )
        if self.created == self.updated == 0:
            lines.append(_("Không có gì thay đổi: mọi dữ liệu trong tệp đã có sẵn."))
        for sheet in self.sheets:
            if sheet.ignored_columns:
                lines.append(
                    _("Trang «{sheet}»: bỏ qua các cột không dùng đến: {columns}.").format(
                        sheet=sheet.name,
                        columns=", ".join(f"«{c}»" for c in sheet.ignored_columns),
                    )
                )
        for name in self.ignored_sheets:
            lines.append(
                _("Bỏ qua trang «{sheet}»: không có dòng tiêu đề của {kind}.").format(
                    sheet=name, kind=_kind_label(self.kind)
                )
            )
        lines.extend(self.notes)
        return "\n".join(lines)
