"""School structure: the school, its years and terms, subjects, classes."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.rules.catalog import Assessment, SchoolLevel


class School(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True, description="Mã trường (ministry code)")
    name = fields.CharField(max_length=200)
    level = fields.CharEnumField(SchoolLevel, max_length=20)
    province = fields.CharField(max_length=100, default="")
    district = fields.CharField(max_length=100, default="")

    class Meta:
        table = "school"


class SchoolYear(Model):
    """A school year, named as schools write it ("2025-2026")."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="years", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=9)
    starts = fields.DateField()
    ends = fields.DateField()

    class Meta:
        table = "school_year"
        unique_together = (("school", "name"),)


class Term(Model):
    """Học kỳ I / II of a year; marks, conduct and locks refer to it."""

    id = fields.IntField(primary_key=True)
    year: fields.ForeignKeyRelation[SchoolYear] = fields.ForeignKeyField(
        "models.SchoolYear", related_name="terms", on_delete=fields.CASCADE
    )
    number = fields.SmallIntField()
    starts = fields.DateField()
    ends = fields.DateField()

    class Meta:
        table = "term"
        unique_together = (("year", "number"),)


class Subject(Model):
    """A subject as taught in one school, seeded from the national catalog and editable there.

    `yearly_periods` of the catalog varies by grade; the per-grade numbers live in
    `periods_by_grade` so the regular-mark count (Thông tư 22, Điều 7) follows the class's grade.
    """

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="subjects", on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=16)
    name = fields.CharField(max_length=120)
    assessment = fields.CharEnumField(Assessment, max_length=10)
    periods_by_grade: dict[str, int] = fields.JSONField(default=dict)

    class Meta:
        table = "subject"
        unique_together = (("school", "code"),)

    def yearly_periods(self, grade: int) -> int:
        return int(self.periods_by_grade.get(str(grade), 0))

    def taught_in(self, grade: int) -> bool:
        return str(grade) in self.periods_by_grade


class SchoolClass(Model):
    """A class of one school year ("6A"), with its homeroom teacher."""

    id = fields.IntField(primary_key=True)
    year: fields.ForeignKeyRelation[SchoolYear] = fields.ForeignKeyField(
        "models.SchoolYear", related_name="classes", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=16)
    grade = fields.SmallIntField()
    homeroom = fields.ForeignKeyField(
        "models.Staff", related_name="homeroom_classes", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "school_class"
        unique_together = (("year", "name"),)
