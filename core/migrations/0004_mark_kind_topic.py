from tortoise import migrations
from core.models.grades import MarkKind
from tortoise import fields
from core.migrations._field_description import AlterDescription

# MarkKind gains TOPIC (the learning-topic column, TT22 Điều 6 khoản 3): only the enum's
# description changes, not the varchar(8) column. A plain AlterField would rebuild both tables on
# SQLite and lose their UNIQUE (unique_together) constraints; AlterDescription leaves them.


class Migration(migrations.Migration):
    dependencies = [('models', '0003_notification_topic_and_expiry')]

    initial = False

    operations = [
        AlterDescription(
            model_name='CorrectionItem',
            name='kind',
            field=fields.CharEnumField(description='REGULAR: regular\nMIDTERM: midterm\nFINAL: final\nTOPIC: topic', enum_type=MarkKind, max_length=8),
        ),
        AlterDescription(
            model_name='Mark',
            name='kind',
            field=fields.CharEnumField(description='REGULAR: regular\nMIDTERM: midterm\nFINAL: final\nTOPIC: topic', enum_type=MarkKind, max_length=8),
        ),
    ]
