"""Part of migration 0001_initial, as it was generated and applied: classes, their closing and
signing batches, staff roles, students, enrolments, guardians, issued records, subjects,
subject sheets, batch items, teaching assignments and terms.

The history never changes: a new model or field is a new migration."""

import functools
from core.models.people import Role
from core.models.records import BatchState, RecordState, SignatureRole
from core.rules.catalog import Assessment
from core.validation import Gender
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations import operations as ops

OPERATIONS = [
    ops.CreateModel(
        name='SchoolClass',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('year', fields.ForeignKeyField('models.SchoolYear', source_field='year_id', db_constraint=True, to_field='id', related_name='classes', on_delete=OnDelete.CASCADE)),
            ('name', fields.CharField(max_length=16)),
            ('grade', fields.SmallIntField()),
            ('homeroom', fields.ForeignKeyField('models.Staff', source_field='homeroom_id', null=True, db_constraint=True, to_field='id', related_name='homeroom_classes', on_delete=OnDelete.SET_NULL)),
        ],
        options={'table': 'school_class', 'app': 'models', 'unique_together': (('year', 'name'),), 'pk_attr': 'id', 'table_description': 'A class of one school year ("6A"), with its homeroom teacher.'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='ClassClosure',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school_class', fields.OneToOneField('models.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name='closure', on_delete=OnDelete.CASCADE)),
            ('closed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ('closed_by', fields.CharField(max_length=64)),
        ],
        options={'table': 'class_closure', 'app': 'models', 'pk_attr': 'id', 'table_description': "The class's year data is final (chốt dữ liệu, Điều 25): records may be built and signed."},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='SigningBatch',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name='batches', on_delete=OnDelete.CASCADE)),
            ('signer', fields.ForeignKeyField('models.Staff', source_field='signer_id', db_constraint=True, to_field='id', related_name='batches', on_delete=OnDelete.CASCADE)),
            ('role', fields.CharEnumField(description='SUBJECT_TEACHER: gvbm\nHOMEROOM: gvcn\nPRINCIPAL: ht\nSEAL: dv', enum_type=SignatureRole, max_length=4)),
            ('backend', fields.CharField(max_length=10)),
            ('state', fields.CharEnumField(default=BatchState.PREPARED, description='PREPARED: prepared\nAWAITING: awaiting\nDONE: done\nREFUSED: refused\nFAILED: failed', enum_type=BatchState, max_length=10)),
            ('total', fields.IntField(default=0)),
            ('done', fields.IntField(default=0)),
            ('message', fields.TextField(default='', unique=False)),
            ('remote', fields.JSONField(default=dict, description='credential, SAD, deadline', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        ],
        options={'table': 'signing_batch', 'app': 'models', 'pk_attr': 'id', 'table_description': "One signer's signing of N documents of a class with one approval."},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='StaffRole',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='roles', on_delete=OnDelete.CASCADE)),
            ('role', fields.CharEnumField(description='PRINCIPAL: principal\nVICE_PRINCIPAL: vice_principal\nHOMEROOM: homeroom\nSUBJECT_TEACHER: subject_teacher\nADMIN: admin\nCLERK: clerk\nREGISTRAR: registrar\nINSPECTOR: inspector', enum_type=Role, max_length=20)),
        ],
        options={'table': 'staff_role', 'app': 'models', 'unique_together': (('staff', 'role'),), 'pk_attr': 'id'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='Student',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='students', on_delete=OnDelete.CASCADE)),
            ('national_id', fields.CharField(unique=True, max_length=12)),
            ('full_name', fields.CharField(max_length=120)),
            ('born', fields.DateField()),
            ('gender', fields.CharEnumField(description='MALE: male\nFEMALE: female', enum_type=Gender, max_length=8)),
            ('ethnicity', fields.CharField(default='Kinh', max_length=40)),
            ('birthplace', fields.CharField(default='', max_length=200)),
        ],
        options={'table': 'student', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A student, identified nationally by the 12-digit personal ID (mã định danh cá nhân).'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='Enrollment',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='enrollments', on_delete=OnDelete.CASCADE)),
            ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name='enrollments', on_delete=OnDelete.CASCADE)),
            ('year', fields.ForeignKeyField('models.SchoolYear', source_field='year_id', db_constraint=True, to_field='id', related_name='enrollments', on_delete=OnDelete.CASCADE)),
            ('number', fields.SmallIntField(default=0, description='Số thứ tự in the class list')),
        ],
        options={'table': 'enrollment', 'app': 'models', 'unique_together': (('student', 'year'),), 'pk_attr': 'id', 'table_description': 'Which class a student is in for a school year (one class per year).'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='Guardian',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='guardians', on_delete=OnDelete.CASCADE)),
            ('full_name', fields.CharField(max_length=120)),
            ('relation', fields.CharField(max_length=40)),
            ('phone', fields.CharField(db_index=True, max_length=16)),
        ],
        options={'table': 'guardian', 'app': 'models', 'unique_together': (('student', 'phone'),), 'pk_attr': 'id', 'table_description': 'A parent or guardian; `phone` is normalised (+84...) so a shared contact can be matched.'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='IssuedRecord',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='records', on_delete=OnDelete.CASCADE)),
            ('year', fields.ForeignKeyField('models.SchoolYear', source_field='year_id', db_constraint=True, to_field='id', related_name='records', on_delete=OnDelete.CASCADE)),
            ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name='records', on_delete=OnDelete.CASCADE)),
            ('code', fields.CharField(db_index=True, description='madinhdanhhocba', max_length=64)),
            ('version', fields.SmallIntField(default=1)),
            ('state', fields.CharEnumField(default=RecordState.SIGNING, description='SIGNING: signing\nISSUED: issued\nREVOKED: revoked', enum_type=RecordState, max_length=10)),
            ('next_role', fields.CharEnumField(null=True, description='SUBJECT_TEACHER: gvbm\nHOMEROOM: gvcn\nPRINCIPAL: ht\nSEAL: dv', enum_type=SignatureRole, max_length=4)),
            ('data_hash', fields.CharField(description='SHA-256 of the canonical data', max_length=64)),
            ('xml', fields.BinaryField()),
            ('pdf', fields.BinaryField(null=True)),
            ('xml_sha256', fields.CharField(null=True, description='of the issued file', max_length=64)),
            ('pdf_sha256', fields.CharField(null=True, description='of the issued file', max_length=64)),
            ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ('issued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ('correction_reason', fields.TextField(default='', description='why this version exists', unique=False)),
            ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ('revoked_reason', fields.TextField(default='', unique=False)),
        ],
        options={'table': 'issued_record', 'app': 'models', 'unique_together': (('student', 'year', 'version'),), 'pk_attr': 'id', 'table_description': "One version of a student's record of a school year, with its signed XML and PDF."},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='Subject',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='subjects', on_delete=OnDelete.CASCADE)),
            ('code', fields.CharField(max_length=16)),
            ('name', fields.CharField(max_length=120)),
            ('assessment', fields.CharEnumField(description='SCORED: scored\nCOMMENT: comment\nLEVELS: levels', enum_type=Assessment, max_length=10)),
            ('periods_by_grade', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
        ],
        options={'table': 'subject', 'app': 'models', 'unique_together': (('school', 'code'),), 'pk_attr': 'id', 'table_description': 'A subject as taught in one school, seeded from the national catalog and editable there.'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='SubjectSheetDoc',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name='sheets', on_delete=OnDelete.CASCADE)),
            ('subject', fields.ForeignKeyField('models.Subject', source_field='subject_id', db_constraint=True, to_field='id', related_name='sheets', on_delete=OnDelete.CASCADE)),
            ('period', fields.CharField(description='1, 2 or CN (the year)', max_length=2)),
            ('teacher', fields.ForeignKeyField('models.Staff', source_field='teacher_id', null=True, db_constraint=True, to_field='id', related_name='sheets', on_delete=OnDelete.CASCADE)),
            ('xml', fields.BinaryField()),
            ('signed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        ],
        options={'table': 'subject_sheet', 'app': 'models', 'unique_together': (('school_class', 'subject', 'period'),), 'pk_attr': 'id', 'table_description': 'A class × subject result sheet of a term or the year, signed by the subject teacher.'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='BatchItem',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('batch', fields.ForeignKeyField('models.SigningBatch', source_field='batch_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
            ('sheet', fields.ForeignKeyField('models.SubjectSheetDoc', source_field='sheet_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ('record', fields.ForeignKeyField('models.IssuedRecord', source_field='record_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ('prepared', fields.JSONField(default=dict, description='remote: digests to sign', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ('done', fields.BooleanField(default=False)),
        ],
        options={'table': 'batch_item', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One document of a batch; for remote signing, the prepared document and its digest.'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='TeachingAssignment',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
            ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
            ('subject', fields.ForeignKeyField('models.Subject', source_field='subject_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
        ],
        options={'table': 'teaching_assignment', 'app': 'models', 'unique_together': (('school_class', 'subject', 'staff'),), 'pk_attr': 'id', 'table_description': "Teacher × class × subject (the year is the class's): who may write which marks."},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='Term',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('year', fields.ForeignKeyField('models.SchoolYear', source_field='year_id', db_constraint=True, to_field='id', related_name='terms', on_delete=OnDelete.CASCADE)),
            ('number', fields.SmallIntField()),
            ('starts', fields.DateField()),
            ('ends', fields.DateField()),
        ],
        options={'table': 'term', 'app': 'models', 'unique_together': (('year', 'number'),), 'pk_attr': 'id', 'table_description': 'Học kỳ I / II of a year; marks, conduct and locks refer to it.'},
        bases=['Model'],
    ),
]
