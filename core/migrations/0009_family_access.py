from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Families get their records back (issue 14): failed tries counted per door key in the database
# (core.services.doors), and the Telegram accounts linked to a student by a guardian's phone.

class Migration(migrations.Migration):
    dependencies = [('models', '0008_record_revisions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessAttempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(db_index=True, max_length=80)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'access_attempt', 'app': 'models', 'pk_attr': 'id', 'table_description': "One failed try at a family's door, counted against one key: the Telegram account or web"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GuardianLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('telegram_user_id', fields.BigIntField(db_index=True)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='guardian_links', on_delete=OnDelete.CASCADE)),
                ('phone', fields.CharField(max_length=16)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'guardian_link', 'app': 'models', 'unique_together': (('telegram_user_id', 'student'),), 'pk_attr': 'id', 'table_description': 'A Telegram account a guardian proved their registered phone from (the contact button):'},
            bases=['Model'],
        ),
    ]
