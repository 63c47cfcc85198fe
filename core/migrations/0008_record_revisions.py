from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Issued means frozen (issue 12): a correction of a class closed for issuance leaves, in the
# transaction that closes it, a row asking for its student's record to be issued anew; the
# revision job starts the new version and marks the row done.

class Migration(migrations.Migration):
    dependencies = [('models', '0007_school_rules')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RecordRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('request', fields.OneToOneField('models.CorrectionRequest', source_field='request_id', db_constraint=True, to_field='id', related_name='revision', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('record', fields.ForeignKeyField('models.IssuedRecord', source_field='record_id', null=True, description='the version started; None: the record needed no new version', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('done_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.SmallIntField(default=0)),
                ('last_error', fields.TextField(default='', description='why the last attempt did not finish', unique=False)),
            ],
            options={'table': 'record_revision', 'app': 'models', 'pk_attr': 'id', 'table_description': "A closed class's correction whose student's record is to be issued anew (outbox row)."},
            bases=['Model'],
        ),
    ]
