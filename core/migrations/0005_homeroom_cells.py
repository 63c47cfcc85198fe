from tortoise import migrations
from tortoise.migrations import operations as ops
from core.models.corrections import CellKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from core.migrations._field_description import AlterDescription

# Corrections of the homeroom teacher's cells (conduct, days absent, qualities and
# competencies): such a request names no subject (CorrectionRequest.subject, and the late
# allowance that lets one through after the cut-off, become nullable), and its items say which
# cell (CellKind; a quality by its code in the new `quality` column).
#
# CorrectionItem.kind only gains enum values that fit its varchar(8): AlterDescription leaves
# the table (and its UNIQUE (request, kind, index)) alone on SQLite.
#
# The two `subject` fields really change (NOT NULL goes): on SQLite that rebuilds their tables,
# and the rebuild drops the index on correction_request.state, which the boards filter by. It
# is made again after, and again after the rebuilds of a rollback (as 0003 does for the outbox).
STATE_INDEX = (
    'CREATE INDEX IF NOT EXISTS "idx_correction__state_4068fa" '
    'ON "correction_request" ("state")'
)


class Migration(migrations.Migration):
    dependencies = [('models', '0004_mark_kind_topic')]

    initial = False

    operations = [
        ops.RunSQL(ops.RunSQL.noop, reverse_sql=STATE_INDEX),
        AlterDescription(
            model_name='CorrectionItem',
            name='kind',
            field=fields.CharEnumField(description='REGULAR: regular\nMIDTERM: midterm\nFINAL: final\nTOPIC: topic\nCONDUCT: conduct\nEXCUSED: absent_p\nUNEXCUSED: absent_k\nQUALITY: quality', enum_type=CellKind, max_length=8),
        ),
        ops.AddField(
            model_name='CorrectionItem',
            name='quality',
            field=fields.CharField(default='', description="a quality's code", db_default='', max_length=32),
        ),
        ops.AlterField(
            model_name='CorrectionRequest',
            name='subject',
            field=fields.ForeignKeyField('models.Subject', source_field='subject_id', null=True, description='None: homeroom data', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='LateAllowance',
            name='subject',
            field=fields.ForeignKeyField('models.Subject', source_field='subject_id', null=True, description='None: homeroom data', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE),
        ),
        ops.RunSQL(STATE_INDEX, reverse_sql=ops.RunSQL.noop),
    ]
