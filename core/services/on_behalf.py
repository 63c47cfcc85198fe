"""Who writes the gradebook: the assigned teacher; an admin enters for a teacher ("nhập hộ")
only where the school decided so, and every such write names the decision and for whom.

Regulation 001 Điều 17.2: subject teachers and homeroom teachers enter their assessment results
themselves ("trực tiếp nhập"); 35.1 (the subject teacher "trực tiếp nhập điểm"), 34.1 and 34.5
(the homeroom teacher keeps attendance and conduct and writes the comments on the system); 32.1
and 004 Điều 12: nobody has another do their work. So by default a subject's marks are written
by its assigned teacher, and conduct, days absent, qualities and comments by the class's
homeroom teacher; the admins do not write them. Some schools have the admin board enter a
teacher's marks (from a paper mark book, for a teacher without the means): that is the
principal's decision, the school's rule `admin_enters_marks` (core.services.school_rules,
default no). Where it holds, each gradebook write an admin makes for a teacher is audited with
the decision and the teachers it was made for (`record`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core import audit
from core.errors import PermissionDenied
from core.i18n import _
from core.models import Role, SchoolClass, Staff, Subject, TeachingAssignment
from core.services.access import Actor, Sheet, own_sheets, write_refusal
from core.services.school_rules import rule_states, school_rules
from core.services.upsert import Written

RULE = "admin_enters_marks"


@dataclass(frozen=True)
class OnBehalf:
    """An admin's write into a sheet that is a teacher's, on the school's decision."""

    school_class: SchoolClass
    subject: Subject | None  # None: the homeroom teacher's part of the class
    teachers: tuple[Staff, ...]  # whose sheet it is (none when nobody is assigned yet)
    decided_by: str  # "Hiệu trưởng Đỗ Thị Hiệu", as the rule records it


async def _teachers(sheets: Sequence[Sheet]) -> dict[tuple[int, int | None], list[Staff]]:
    """Whose each sheet is: the subject's assigned teachers, or the homeroom teacher; in
    three queries whatever the number of sheets."""
    classes = {c.id for c, _s in sheets}
    subjects = {s.id for _c, s in sheets if s is not None}
    assigned = await TeachingAssignment.filter(
        school_class_id__in=classes, subject_id__in=subjects
    ).values_list("school_class_id", "subject_id", "staff_id")
    ids: dict[tuple[int, int | None], list[int]] = {}
    for class_id, subject_id, staff_id in assigned:
        ids.setdefault((class_id, subject_id), []).append(staff_id)
    for c, s in sheets:
        if s is None and c.homeroom_id:
            ids[c.id, None] = [c.homeroom_id]
    staff = {
        member.id: member
        for member in await Staff.filter(id__in={i for group in ids.values() for i in group})
    }
    return {
        key: sorted((staff[i] for i in group), key=lambda member: member.full_name)
        for key, group in ids.items()
    }


def _sheet(school_class: SchoolClass, subject: Subject | None) -> str:
    if subject is None:
        return _("phần chủ nhiệm lớp {klass} (rèn luyện, ngày nghỉ, nhận xét, phẩm chất)").format(
            klass=school_class.name
        )
    return _("điểm môn {subject} lớp {klass}").format(subject=subject.name, klass=school_class.name)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _refusal(school_class: SchoolClass, subject: Subject | None, teachers: list[Staff]) -> str:
    who = ", ".join(t.full_name for t in teachers)
    sheet = _capital(_sheet(school_class, subject))
    if not who:
        return _(
            "{sheet} do giáo viên được phân công trực tiếp nhập (Quy chế 001 Điều 17.2), nhưng "
            "chưa có ai được phân công; trường chưa quyết định cho quản trị nhập hộ. Hãy phân "
            "công giáo viên (hocba import staff | assignments TỆP) để họ nhập, hoặc đề nghị Hiệu "
            "trưởng cho phép nhập hộ: hocba rules set admin_enters_marks yes --decided-by "
            "MÃ_HIỆU_TRƯỞNG."
        ).format(sheet=sheet)
    writer = (_("giáo viên chủ nhiệm {who}") if subject is None else _("giáo viên {who}")).format(
        who=who
    )
    return _(
        "{sheet} do {writer} trực tiếp nhập (Quy chế 001 Điều 17.2); trường chưa quyết định cho "
        "quản trị nhập hộ. Hãy nhờ {who} nhập, hoặc đề nghị Hiệu trưởng cho phép nhập hộ: hocba "
        "rules set admin_enters_marks yes --decided-by MÃ_HIỆU_TRƯỞNG."
    ).format(sheet=sheet, writer=writer, who=who)


async def _decision(school_id: int) -> str:
    state = next(s for s in await rule_states(school_id) if s.spec.key == RULE)
    return state.decided_by or ""


async def ensure_writes(actor: Actor, sheets: Iterable[Sheet]) -> list[OnBehalf]:
    """`actor` may write the sheets (a class's marks of a subject, or with the subject None
    its homeroom part): their own (access.own_sheets decides that), or, for an admin where
    the school enabled nhập hộ, another teacher's: those come back as `OnBehalf`. Else
    PermissionDenied naming the first sheet refused and whom to ask. An admin who is also a
    class's teacher writes their own sheet."""
    unique: dict[tuple[int, int | None], Sheet] = {}
    for school_class, subject in sheets:
        key = (school_class.id, subject.id if subject else None)
        unique.setdefault(key, (school_class, subject))
    if not unique:
        return []
    own = await own_sheets(actor, list(unique.values()))
    others = [sheet for key, sheet in unique.items() if key not in own]
    if not others:
        return []
    if not actor.has(Role.ADMIN):
        raise write_refusal(*others[0])
    teachers = await _teachers(others)
    if not (await school_rules(actor.school_id)).admin_enters_marks:
        school_class, subject = others[0]
        key = (school_class.id, subject.id if subject else None)
        raise PermissionDenied(_refusal(school_class, subject, teachers.get(key, [])))
    decided = await _decision(actor.school_id)
    return [
        OnBehalf(c, s, tuple(teachers.get((c.id, s.id if s else None), [])), decided)
        for c, s in others
    ]


async def record(actor: Actor, behalf: Sequence[OnBehalf], written: Written) -> None:
    """One audit event per sheet an admin wrote for a teacher: the decision and for whom
    (none when the write changed nothing: a re-import leaves no trace)."""
    if not written.changed:
        return
    await audit.record_many(
        audit.Event(
            actor.label,
            "gradebook.on_behalf",
            f"sheet:{done.school_class.id}:{done.subject.id if done.subject else 'homeroom'}",
            after={
                "rule": RULE,
                "decided_by": done.decided_by,
                "for": [t.full_name for t in done.teachers],
                "for_staff": [t.id for t in done.teachers],
            },
        )
        for done in behalf
    )
