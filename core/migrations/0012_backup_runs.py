from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

# Backups (issue 16; 001 Điều 20.4): each run of a school's backup, so the admins can be told
# when one fails or none has succeeded for too long.

class Migration(migrations.Migration):
    dependencies = [('models', '0011_record_lookup_codes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BackupRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ok', fields.BooleanField(default=False, db_index=True)),
                ('archive', fields.CharField(default='', description="the archive's file name", max_length=200)),
                ('size', fields.BigIntField(default=0)),
                ('sha256', fields.CharField(default='', max_length=64)),
                ('destinations', fields.JSONField(default=list, description='where it was written', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.TextField(default='', description='why it failed, for the admins', unique=False)),
            ],
            options={'table': 'backup_run', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One backup of a school: when, the archive it made, the destinations that took it, and'},
            bases=['Model'],
        ),
    ]
