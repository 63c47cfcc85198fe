from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Families on the web (issue 14): one-time codes sent to a guardian's phone and the
# time-limited download links they open, both stored as hashes.

class Migration(migrations.Migration):
    dependencies = [('models', '0009_family_access')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DownloadLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('guardian_phone', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'download_link', 'app': 'models', 'pk_attr': 'id', 'table_description': "A time-limited link to a student's current record files, opened by a redeemed code;"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FamilyCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('phone', fields.CharField(max_length=16)),
                ('code_hash', fields.CharField(max_length=64)),
                ('channel', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('tries_left', fields.SmallIntField()),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'family_code', 'app': 'models', 'pk_attr': 'id', 'table_description': "A one-time code sent to a guardian's phone for the web (`/lay-lai-hoc-ba`): the page"},
            bases=['Model'],
        ),
    ]
