"""A class × subject result sheet as XML (hocba.xsd, bangdiemmonhoc): what a subject teacher signs
for a class (001 Điều 24.5a), beside the students' records (core.render.xml_record)."""

from __future__ import annotations

from dataclasses import dataclass

from core.render.xml_base import add
from core.render.xml_record import (
    ListedSigner,
    SchoolInfo,
    add_signer_list,
    new_document,
    serialise,
)


@dataclass(frozen=True)
class SheetRow:
    number: int
    national_id: str
    full_name: str
    marks: tuple[tuple[str, str], ...]  # (column, value): ("TX1", "7.5"), ("GK", "8.0")...
    result: str


@dataclass(frozen=True)
class SubjectSheet:
    """A class × subject result sheet of a term ("1", "2") or of the year ("CN")."""

    school: SchoolInfo
    year_name: str
    class_name: str
    subject_code: str
    subject_name: str
    period: str
    teacher: str
    rows: tuple[SheetRow, ...]
    signers: tuple[ListedSigner, ...] = ()  # the subject teacher (Điều 24.5a)


def build_sheet(sheet: SubjectSheet) -> bytes:
    """The class × subject sheet, unsigned, with an empty signatures container."""
    root, data = new_document("bangdiemmonhoc", "dulieubangdiem")
    for tag, value in (
        ("matruong", sheet.school.code),
        ("tentruong", sheet.school.name),
        ("namhoc", sheet.year_name),
        ("lop", sheet.class_name),
        ("mamonhoc", sheet.subject_code),
        ("tenmonhoc", sheet.subject_name),
        ("hocky", sheet.period),
        ("giaovien", sheet.teacher),
    ):
        add(data, tag, value)
    for row in sheet.rows:
        student = add(data, "hocsinh")
        add(student, "stt", row.number)
        add(student, "madinhdanhcanhan", row.national_id)
        add(student, "hovaten", row.full_name)
        for column, value in row.marks:
            add(student, "diem", value).set("cot", column)
        add(student, "ketqua", row.result)
    add_signer_list(data, sheet.signers)
    add(root, "danhsachchuky")
    return serialise(root)
