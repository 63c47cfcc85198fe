"""People: students with their guardians and enrolments, staff with roles and assignments."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core.i18n import _
from core.validation import Gender


class Role(StrEnum):
    PRINCIPAL = "principal"
    VICE_PRINCIPAL = "vice_principal"
    HOMEROOM = "homeroom"
    SUBJECT_TEACHER = "subject_teacher"
    ADMIN = "admin"
    CLERK = "clerk"
    REGISTRAR = "registrar"
    INSPECTOR = "inspector"

    @property
    def label(self) -> str:
        return {
            Role.PRINCIPAL: _("Hiệu trưởng"),
            Role.VICE_PRINCIPAL: _("Phó hiệu trưởng"),
            Role.HOMEROOM: _("Giáo viên chủ nhiệm"),
            Role.SUBJECT_TEACHER: _("Giáo viên bộ môn"),
            Role.ADMIN: _("Quản trị học bạ số"),
            Role.CLERK: _("Văn thư"),
            Role.REGISTRAR: _("Học vụ"),
            Role.INSPECTOR: _("Ban thanh tra nhân dân"),
        }[self]


class Student(Model):
    """A student, identified nationally by the 12-digit personal ID (mã định danh cá nhân)."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="students")
    national_id = fields.CharField(max_length=12, unique=True)
    full_name = fields.CharField(max_length=120)
    born = fields.DateField()
    gender = fields.CharEnumField(Gender, max_length=8)
    ethnicity = fields.CharField(max_length=40, default="Kinh")
    birthplace = fields.CharField(max_length=200, default="")

    class Meta:
        table = "student"


class Guardian(Model):
    """A parent or guardian; `phone` is normalised (+84...) so a shared contact can be matched."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="guardians", on_delete=fields.CASCADE
    )
    full_name = fields.CharField(max_length=120)
    relation = fields.CharField(max_length=40)
    phone = fields.CharField(max_length=16, index=True)

    class Meta:
        table = "guardian"
        unique_together = (("student", "phone"),)


class Enrollment(Model):
    """Which class a student is in for a school year (one class per year)."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="enrollments", on_delete=fields.CASCADE
    )
    school_class = fields.ForeignKeyField(
        "models.SchoolClass", related_name="enrollments", on_delete=fields.CASCADE
    )
    year = fields.ForeignKeyField("models.SchoolYear", related_name="enrollments")
    number = fields.SmallIntField(default=0, description="Số thứ tự in the class list")

    class Meta:
        table = "enrollment"
        unique_together = (("student", "year"),)


class Staff(Model):
    """A member of staff, keyed by the school's own staff code; linked to Telegram later."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="staff")
    code = fields.CharField(max_length=32)
    full_name = fields.CharField(max_length=120)
    phone = fields.CharField(max_length=16, null=True, index=True)
    email = fields.CharField(max_length=200, default="")
    telegram_user_id = fields.BigIntField(null=True, unique=True)
    language = fields.CharField(max_length=5, default="vi")
    active = fields.BooleanField(default=True)

    roles: fields.ReverseRelation[StaffRole]

    class Meta:
        table = "staff"
        unique_together = (("school", "code"),)


class StaffRole(Model):
    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="roles", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(Role, max_length=20)

    class Meta:
        table = "staff_role"
        unique_together = (("staff", "role"),)


class TeachingAssignment(Model):
    """Teacher × class × subject (the year is the class's): who may write which marks."""

    id = fields.IntField(primary_key=True)
    staff = fields.ForeignKeyField("models.Staff", related_name="assignments")
    school_class = fields.ForeignKeyField(
        "models.SchoolClass", related_name="assignments", on_delete=fields.CASCADE
    )
    subject = fields.ForeignKeyField("models.Subject", related_name="assignments")

    class Meta:
        table = "teaching_assignment"
        unique_together = (("school_class", "subject", "staff"),)
