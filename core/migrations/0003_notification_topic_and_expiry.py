from tortoise import migrations
from tortoise.migrations import operations as ops
from core.models.outbox import DeliveryState
from tortoise import fields

# On SQLite, AlterField (here only the enum's description changes, for the new LAPSED state)
# rebuilds the table, and the rebuild drops its indexes: the (state, next_attempt_at) index the
# outbox polls by is made again after it, and again after the rebuilds of a rollback.
STATE_INDEX = (
    'CREATE INDEX IF NOT EXISTS "idx_notificatio_state_3d93e9" '
    'ON "notification" ("state", "next_attempt_at")'
)


class Migration(migrations.Migration):
    dependencies = [('models', '0002_resumable_signing_batches')]

    initial = False

    operations = [
        ops.RunSQL(ops.RunSQL.noop, reverse_sql=STATE_INDEX),
        ops.AlterField(
            model_name='Notification',
            name='state',
            field=fields.CharEnumField(default=DeliveryState.PENDING, description='PENDING: pending\nSENDING: sending\nSENT: sent\nFAILED: failed\nWAITING_LINK: waiting_link\nLAPSED: lapsed', enum_type=DeliveryState, max_length=16),
        ),
        ops.AddField(
            model_name='Notification',
            name='expires_at',
            field=fields.DatetimeField(null=True, description='no longer worth sending after this (e.g. the deadline)', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Notification',
            name='topic',
            field=fields.CharField(null=True, description='what it is about, as the audit names it', max_length=60),
        ),
        ops.RunSQL(STATE_INDEX, reverse_sql=ops.RunSQL.noop),
    ]
