"""Part of migration 0001_initial, as it was generated and applied: the audit log, the bot's state,
the school, its years, deadlines and staff, delegations, invites and notifications.

The history never changes: a new model or field is a new migration."""

import functools
from core.models.outbox import DeliveryState, Failure
from core.rules.catalog import SchoolLevel
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

OPERATIONS = [
    ops.CreateModel(
        name='AuditEvent',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('seq', fields.BigIntField(unique=True)),
            ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ('actor', fields.CharField(db_index=True, max_length=80)),
            ('action', fields.CharField(max_length=60)),
            ('target', fields.CharField(max_length=160)),
            ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ('prev_hash', fields.CharField(max_length=64)),
            ('hash', fields.CharField(max_length=64)),
        ],
        options={'table': 'audit_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Who did what to which record, with the values before and after.'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='BotState',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('namespace', fields.CharField(max_length=120)),
            ('key', fields.CharField(max_length=255)),
            ('value', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
        ],
        options={'table': 'bot_state', 'app': 'models', 'unique_together': (('namespace', 'key'),), 'pk_attr': 'id', 'table_description': 'One remembered value; (namespace, key) is unique, so a write replaces the previous one.'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='School',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('code', fields.CharField(unique=True, description='Mã trường (ministry code)', max_length=32)),
            ('name', fields.CharField(max_length=200)),
            ('level', fields.CharEnumField(description='PRIMARY: primary\nLOWER_SECONDARY: lower_secondary\nUPPER_SECONDARY: upper_secondary', enum_type=SchoolLevel, max_length=20)),
            ('province', fields.CharField(default='', max_length=100)),
            ('district', fields.CharField(default='', max_length=100)),
        ],
        options={'table': 'school', 'app': 'models', 'pk_attr': 'id'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='CorrectionSettings',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school', fields.OneToOneField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='correction_settings', on_delete=OnDelete.CASCADE)),
            ('direct_to_principal', fields.BooleanField(default=False)),
            ('open_minutes', fields.SmallIntField(default=30)),
            ('updated_by', fields.CharField(default='', max_length=40)),
        ],
        options={'table': 'correction_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': "A school's choices: direct routing to the principal (default: through the admin board,"},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='SchoolYear',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='years', on_delete=OnDelete.CASCADE)),
            ('name', fields.CharField(max_length=9)),
            ('starts', fields.DateField()),
            ('ends', fields.DateField()),
        ],
        options={'table': 'school_year', 'app': 'models', 'unique_together': (('school', 'name'),), 'pk_attr': 'id', 'table_description': 'A school year, named as schools write it ("2025-2026").'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='DeadlineSetting',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('year', fields.ForeignKeyField('models.SchoolYear', source_field='year_id', db_constraint=True, to_field='id', related_name='deadline_settings', on_delete=OnDelete.CASCADE)),
            ('key', fields.CharField(max_length=40)),
            ('value', fields.CharField(max_length=40)),
            ('updated_by', fields.CharField(max_length=40)),
            ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
        ],
        options={'table': 'deadline_setting', 'app': 'models', 'unique_together': (('year', 'key'),), 'pk_attr': 'id', 'table_description': 'One calendar value a school set for a year (`key` from core.services.calendar.KEYS).'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='Staff',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.CASCADE)),
            ('code', fields.CharField(max_length=32)),
            ('full_name', fields.CharField(max_length=120)),
            ('phone', fields.CharField(null=True, db_index=True, max_length=16)),
            ('email', fields.CharField(default='', max_length=200)),
            ('telegram_user_id', fields.BigIntField(null=True, unique=True)),
            ('language', fields.CharField(default='vi', max_length=5)),
            ('active', fields.BooleanField(default=True)),
        ],
        options={'table': 'staff', 'app': 'models', 'unique_together': (('school', 'code'),), 'pk_attr': 'id', 'table_description': "A member of staff, keyed by the school's own staff code; linked to Telegram later."},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='Delegation',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='correction_delegations', on_delete=OnDelete.CASCADE)),
            ('principal', fields.ForeignKeyField('models.Staff', source_field='principal_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ('delegate', fields.ForeignKeyField('models.Staff', source_field='delegate_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        ],
        options={'table': 'correction_delegation', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A principal lets a vice principal decide correction requests; `revoked_at` ends it.'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='InviteCode',
        fields=[
            ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ('code_hash', fields.CharField(unique=True, max_length=64)),
            ('created_by', fields.CharField(max_length=80)),
            ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ('used_by', fields.BigIntField(null=True, description='Telegram user id that redeemed it')),
        ],
        options={'table': 'invite_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An invite an admin gave to one staff member.'},
        bases=['Model'],
    ),
    ops.CreateModel(
        name='Notification',
        fields=[
            ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
            ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
            ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
            ('chat_id', fields.BigIntField(null=True)),
            ('kind', fields.CharField(max_length=60)),
            ('text', fields.TextField(description="HTML (parse_mode HTML), in the recipient's language", unique=False)),
            ('buttons', fields.JSONField(null=True, description='Inline keyboard: rows of {text, callback_data}', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ('file_path', fields.CharField(null=True, max_length=500)),
            ('file_name', fields.CharField(null=True, max_length=200)),
            ('file_sha256', fields.CharField(null=True, max_length=64)),
            ('dedupe_key', fields.CharField(unique=True, max_length=200)),
            ('state', fields.CharEnumField(default=DeliveryState.PENDING, description='PENDING: pending\nSENDING: sending\nSENT: sent\nFAILED: failed\nWAITING_LINK: waiting_link', enum_type=DeliveryState, max_length=16)),
            ('failure', fields.CharEnumField(null=True, description='BLOCKED: blocked\nREJECTED: rejected\nGAVE_UP: gave_up\nFILE_MISSING: file_missing', enum_type=Failure, max_length=16)),
            ('attempts', fields.SmallIntField(default=0)),
            ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ('claim_token', fields.CharField(null=True, max_length=32)),
            ('last_error', fields.TextField(null=True, unique=False)),
            ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ('telegram_message_id', fields.BigIntField(null=True)),
        ],
        options={'table': 'notification', 'app': 'models', 'indexes': [Index(fields=['state', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': "One message to one recipient, already rendered in the recipient's language."},
        bases=['Model'],
    ),
]
