"""A primary school year in the record (Thông tư 27/2020/TT-BGDĐT): the `ketquatieuhoc` part.

A primary record shows what the paper học bạ tiểu học shows at the end of the year (TT27 Điều
7 khoản 1–2, Điều 9): each subject or activity's level (Hoàn thành tốt / Hoàn thành / Chưa
hoàn thành), the end-of-year periodic test score where the subject has one, and the teacher's
comment; each quality and competency's level with the homeroom teacher's view; the year's
education result (Điều 9 khoản 2a); whether the class's programme, and in grade 5 primary
school, is completed (Điều 11–12: 000 Điều 7 names both among what the homeroom teacher
confirms); the award (Điều 15 khoản 1a: Học sinh Xuất sắc for Hoàn thành xuất sắc); days absent.

Only plain data here, as in core.render.xml_record: the builder and the reader are inverse, so
the PDF prints exactly what was signed.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from core.i18n import _
from core.render.xml_base import NAMESPACES, add, text

TAG = "ketquatieuhoc"


@dataclass(frozen=True)
class PrimarySubject:
    """One subject or activity of the year: level (T/H/C), test score or "" (no test), comment."""

    code: str
    name: str
    level: str
    score: str
    comment: str
    teacher: str


@dataclass(frozen=True)
class QualityLine:
    """One quality or competency: `group` is phamchat, nanglucchung or nanglucdacthu."""

    code: str
    name: str
    group: str
    level: str  # T, Đ, C (TT27 Điều 7 khoản 2)


@dataclass(frozen=True)
class PrimaryYear:
    subjects: tuple[PrimarySubject, ...]
    qualities: tuple[QualityLine, ...]
    result: str  # HTXS, HTT, HT, CHT
    class_completed: bool
    primary_completed: bool | None  # grade 5 only: hoàn thành chương trình tiểu học
    award: str  # "" or xuat_sac
    absent_days: int

    def facts(self) -> dict[str, str]:
        """Every value as `label → text`, for comparing an issued record with the gradebook
        (core.services.issuance.drift): the labels are what a person reads."""
        found = {
            _("{subject}: mức đạt được").format(subject=s.name): s.level for s in self.subjects
        }
        found |= {
            _("{subject}: điểm KTĐK cuối năm").format(subject=s.name): s.score
            for s in self.subjects
        }
        found |= {_("{subject}: nhận xét").format(subject=s.name): s.comment for s in self.subjects}
        found |= {q.name: q.level for q in self.qualities}
        found |= {
            _("Kết quả giáo dục"): self.result,
            _("Hoàn thành chương trình lớp học"): str(self.class_completed),
            _("Hoàn thành chương trình tiểu học"): str(self.primary_completed),
            _("Khen thưởng"): self.award,
            _("Số ngày nghỉ"): str(self.absent_days),
        }
        return found


def _flag(value: bool) -> str:
    return "true" if value else "false"


def add_primary(parent: etree._Element, year: PrimaryYear) -> None:
    """Append the year's `ketquatieuhoc` element to the record's data."""
    part = add(parent, TAG)
    for subject in year.subjects:
        element = add(part, "monhoc")
        add(element, "mamonhoc", subject.code)
        add(element, "tenmonhoc", subject.name)
        add(element, "mucdat", subject.level)
        if subject.score:
            add(element, "diemktdk", subject.score)
        add(element, "giaovien", subject.teacher)
        if subject.comment:
            add(element, "nhanxet", subject.comment)
    for quality in year.qualities:
        element = add(part, "phamchatnangluc")
        element.set("nhom", quality.group)
        add(element, "ma", quality.code)
        add(element, "ten", quality.name)
        add(element, "mucdat", quality.level)
    add(part, "ketquagiaoduc", year.result)
    add(part, "hoanthanhchuongtrinhlop", _flag(year.class_completed))
    if year.primary_completed is not None:
        add(part, "hoanthanhchuongtrinhtieuhoc", _flag(year.primary_completed))
    if year.award:
        add(part, "khenthuong", year.award)
    add(part, "songaynghi", year.absent_days)


def primary_from_xml(data: etree._Element) -> PrimaryYear | None:
    """The `ketquatieuhoc` part of a record's data element, or None (a secondary record)."""
    part = data.find(f"h:{TAG}", NAMESPACES)
    if part is None:
        return None
    finished = text(part, "h:hoanthanhchuongtrinhtieuhoc")
    return PrimaryYear(
        subjects=tuple(
            PrimarySubject(
                text(s, "h:mamonhoc"),
                text(s, "h:tenmonhoc"),
                text(s, "h:mucdat"),
                text(s, "h:diemktdk"),
                text(s, "h:nhanxet"),
                text(s, "h:giaovien"),
            )
            for s in part.iterfind("h:monhoc", NAMESPACES)
        ),
        qualities=tuple(
            QualityLine(text(e, "h:ma"), text(e, "h:ten"), e.get("nhom", ""), text(e, "h:mucdat"))
            for e in part.iterfind("h:phamchatnangluc", NAMESPACES)
        ),
        result=text(part, "h:ketquagiaoduc"),
        class_completed=text(part, "h:hoanthanhchuongtrinhlop") == "true",
        primary_completed=None if not finished else finished == "true",
        award=text(part, "h:khenthuong"),
        absent_days=int(text(part, "h:songaynghi", "0")),
    )
