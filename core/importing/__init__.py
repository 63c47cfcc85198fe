"""Importing a school's spreadsheets (.xlsx, .csv): students, staff, assignments, marks, and
the homeroom teacher's data (conduct, days absent, qualities and competencies, comments).

The whole file is checked before anything is written: every problem found, in every sheet, is
returned at once in ImportRejected, so the school fixes the file in one pass, and a refused
file leaves no trace (not even an audit event). A valid file is written in one transaction
through the roster and gradebook services, which check the actor's rights and audit each
change; re-importing the same file changes nothing.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path

from tortoise.transactions import in_transaction

from core.errors import ImportRejected, InvalidValue, PermissionDenied, Problem
from core.i18n import _, current_language
from core.importing.assignments import AssignmentImport
from core.importing.base import SheetImport
from core.importing.context import ImportContext
from core.importing.headers import HEADER_SCAN_ROWS, Field, find_layout, header_key, is_guide
from core.importing.homeroom import PARTS as HOMEROOM_PARTS
from core.importing.homeroom import HomeroomImport
from core.importing.homeroom_fields import HOMEROOM_GUIDE_HEADING
from core.importing.marks import SecondaryMarkImport
from core.importing.primary_marks import PrimaryMarkImport
from core.importing.reader import Sheet, check_size, parse_file, read_bounded
from core.importing.report import FileRejected, ImportReport, SheetSummary
from core.importing.rows import SheetView
from core.importing.staff import StaffImport
from core.importing.students import StudentImport
from core.models import SchoolYear, Staff
from core.rules.catalog import SchoolLevel
from core.services.access import Actor
from core.services.schools import current_year
from core.workers import WorkerPool

__all__ = [
    "KINDS",
    "FileRejected",
    "ImportReport",
    "import_file",
    "import_teacher_sheet",
    "kind_name",
    "read_import_file",
]

KINDS: dict[str, tuple[str, ...]] = {
    "students": ("students", "hocsinh", "danhsachhocsinh", "hs"),
    "staff": ("staff", "canbo", "giaovien", "danhsachcanbo", "cb"),
    "assignments": ("assignments", "phancong", "phanconggiangday", "pc"),
    "marks": ("marks", "diem", "bangdiem", "danhgia"),
    # the homeroom teacher's sheet: all of it, or one kind of its columns (core.importing.homeroom)
    "homeroom": ("homeroom", "chunhiem", "bangchunhiem", "gvcn"),
    "conduct": ("conduct", "renluyen", "hanhkiem", "xeploairenluyen"),
    "absences": ("absences", "ngaynghi", "songaynghi", "nghihoc", "chuyencan"),
    "qualities": ("qualities", "phamchat", "phamchatnangluc", "pcnl", "nangluc"),
    "comments": ("comments", "nhanxet", "nx"),
}
_KIND_BY_KEY = {header_key(alias): kind for kind, aliases in KINDS.items() for alias in aliases}


def kind_name(text: str) -> str:
    """'students', or how a Vietnamese admin says it ('học sinh', 'hocsinh') -> 'students'."""
    kind = _KIND_BY_KEY.get(header_key(text))
    if kind is None:
        raise InvalidValue(
            _("Loại tệp «{kind}» không rõ: dùng {kinds}.").format(
                kind=text, kinds=", ".join(f"{k} ({v[1]})" for k, v in KINDS.items())
            )
        )
    return kind


def read_import_file(path: Path) -> bytes:
    """A file to import, read from disk only when its size allows (`hocba import`): a 2 GB
    file is refused by its size, without being read."""
    try:
        return read_bounded(path)
    except ImportRejected as rejected:
        raise FileRejected(path.name, rejected.problems, _("nhập lại cả tệp")) from None


def _importer(kind: str, ctx: ImportContext) -> SheetImport:
    if kind in HOMEROOM_PARTS:
        return HomeroomImport(ctx, kind)
    if kind == "marks":
        primary = ctx.level is SchoolLevel.PRIMARY
        return PrimaryMarkImport(ctx) if primary else SecondaryMarkImport(ctx)
    return {"students": StudentImport, "staff": StaffImport, "assignments": AssignmentImport}[kind](
        ctx
    )


def _no_header(filename: str, fields: tuple[Field, ...]) -> Problem:
    names = ", ".join(f"«{f.label}»" for f in fields if f.required)
    optional = [f"«{f.label}»" for f in fields if f.signature and not f.required]
    if optional:
        names += _(" và ít nhất một cột {columns}").format(columns=", ".join(optional))
    return Problem(
        filename,
        None,
        None,
        _("Không trang tính nào có dòng tiêu đề nhận ra được trong {n} dòng đầu").format(
            n=HEADER_SCAN_ROWS
        ),
        _("một dòng tiêu đề có các cột {names}").format(names=names),
    )


async def import_file(
    actor: Actor,
    year: SchoolYear,
    kind: str,
    data: bytes,
    filename: str,
    *,
    workers: WorkerPool,
    again: str | None = None,
    decided_by: Staff | None = None,
) -> ImportReport:
    """Check the whole file, then write it in one transaction; FileRejected lists every
    problem when there is any, and then nothing is written (`again`: how the sender tries
    again, by default "nhập lại cả tệp"). The file is parsed in the worker pool; an import
    that stops while writing leaves nothing behind and can be run again. `decided_by`: the
    principal whose decision an admin executes (the roles only the principal grants)."""
    kind = kind_name(kind)
    try:
        ctx = await _context(actor, year)
        ctx.decided_by = decided_by
        importer = _importer(kind, ctx)
        importer.authorize()
        with _collector_paused():
            return await _run(importer, kind, await _parse(data, filename, workers), filename)
    except ImportRejected as rejected:
        raise FileRejected(filename, rejected.problems, again or _("nhập lại cả tệp")) from None


async def import_teacher_sheet(
    actor: Actor, data: bytes, filename: str, *, workers: WorkerPool
) -> ImportReport:
    """A sheet a teacher sent to the bot, in the school's current year: a grade sheet (marks of
    a class × subject) or the homeroom teacher's sheet of a class, told apart by the guide
    sheet of the template the bot made, else by the header row."""
    year = await current_year(actor.school_id)
    try:
        ctx = await _context(actor, year)
        with _collector_paused():
            sheets = await _parse(data, filename, workers)
            kind = "homeroom" if _is_homeroom_sheet(ctx, sheets) else "marks"
            importer = _importer(kind, ctx)
            importer.authorize()
            return await _run(importer, kind, sheets, filename)
    except ImportRejected as rejected:
        raise FileRejected(filename, rejected.problems, _("gửi lại cả tệp cho Trợ lý")) from None


def _is_guide(sheet: Sheet) -> bool:
    """A guide sheet of a template the bot made: passed over without a word."""
    return is_guide(sheet) or is_guide(sheet, HOMEROOM_GUIDE_HEADING)


def _is_homeroom_sheet(ctx: ImportContext, sheets: list[Sheet]) -> bool:
    """The homeroom sheet's guide, or, in a file without the bot's guide, a sheet whose header
    is the homeroom sheet's (conduct, days absent, comments, qualities) and none a grade
    sheet's (mark or level columns)."""
    if any(is_guide(sheet) for sheet in sheets):
        return False
    if any(is_guide(sheet, HOMEROOM_GUIDE_HEADING) for sheet in sheets):
        return True
    homeroom = HomeroomImport(ctx).fields()
    marks = _importer("marks", ctx).fields()
    found = [
        (find_layout(sheet, homeroom), find_layout(sheet, marks))
        for sheet in sheets
        if not _is_guide(sheet)
    ]
    return any(h is not None for h, _m in found) and all(m is None for _h, m in found)


async def _context(actor: Actor, year: SchoolYear) -> ImportContext:
    if year.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))
    return await ImportContext.open(actor, year)


async def _parse(data: bytes, filename: str, workers: WorkerPool) -> list[Sheet]:
    check_size(data, filename)
    parsed = await workers.run(parse_file, data, filename, current_language())
    if parsed.problems:
        raise ImportRejected(parsed.problems)
    return parsed.sheets


_pausing = 0  # imports running with the cyclic collector paused (`_collector_paused`)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while an import runs. Checking and writing a
    year of marks makes millions of small objects (cells, entries, rows, events) that live
    until the write ends; each of the collector's full passes walks all of them, and together
    they cost a quarter of the import. Reference counting still frees what dies; the cycles
    made meanwhile (few) wait for the collector, which resumes when the last import ends
    (an asyncio counter: imports of several people may interleave)."""
    global _pausing
    if _pausing == 0 and not gc.isenabled():
        yield  # paused by someone else: theirs to resume
        return
    _pausing += 1
    gc.disable()
    try:
        yield
    finally:
        _pausing -= 1
        if _pausing == 0:
            gc.enable()


async def _run(
    importer: SheetImport, kind: str, sheets: list[Sheet], filename: str
) -> ImportReport:
    await importer.prepare()
    fields = importer.fields()
    by_key = {f.key: f for f in fields}
    report = ImportReport(kind, filename)
    for sheet in sheets:
        if _is_guide(sheet):
            continue
        layout = find_layout(sheet, fields)
        if layout is None:
            report.ignored_sheets.append(sheet.name)
            continue
        importer.problems.extend(layout.problems)
        rows = 0
        if not layout.problems:
            view = SheetView(sheet, layout, by_key, importer.problems, importer.row_name)
            for row in view.rows():
                importer.check(row)
                rows += 1
        report.sheets.append(SheetSummary(sheet.name, rows, tuple(layout.ignored)))
    if not report.sheets:
        raise ImportRejected([_no_header(filename, fields)])
    if not importer.problems and report.rows == 0:
        raise ImportRejected(
            [
                Problem(
                    filename,
                    None,
                    None,
                    _("Không có dòng dữ liệu nào dưới dòng tiêu đề"),
                    _("mỗi dòng dưới tiêu đề là một {what}").format(what=_row_noun(kind)),
                )
            ]
        )
    await importer.finish()
    importer.duplicates.forget()
    if importer.problems:
        # A value given once for a whole sheet ("Môn: Tin học" not taught in the grade) fails
        # on every row the same way; it is reported once.
        raise ImportRejected(list(dict.fromkeys(importer.problems)))
    async with in_transaction():
        report.parts = await importer.write()
    report.notes = importer.notes
    return report


def _row_noun(kind: str) -> str:
    if kind in HOMEROOM_PARTS:
        return _("học sinh của lớp")
    return {
        "students": _("học sinh"),
        "staff": _("cán bộ"),
        "assignments": _("phân công"),
        "marks": _("học sinh với điểm của một môn"),
    }[kind]
