from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Student photos (issue 13): each student's current 3 × 4 photo, which the record's cover shows
# and its signed data carries.

class Migration(migrations.Migration):
    dependencies = [('models', '0015_batches_across_classes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StudentPhoto',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('student', fields.OneToOneField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='photo', on_delete=OnDelete.CASCADE)),
                ('jpeg', fields.BinaryField(description='the stored JPEG, cropped to 3:4 and re-encoded')),
                ('sha256', fields.CharField(description='SHA-256 of `jpeg`, hex', max_length=64)),
                ('uploaded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('uploaded_by', fields.CharField(description="the uploader's audit label", max_length=64)),
            ],
            options={'table': 'student_photo', 'app': 'models', 'pk_attr': 'id', 'table_description': "A student's current photo: a 3:4 portrait JPEG, already normalised (no metadata)."},
            bases=['Model'],
        ),
    ]
