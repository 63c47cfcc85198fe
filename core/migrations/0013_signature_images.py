from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Signature images (issue 13; 001 Điều 13): each signer's current handwritten signature, blue on
# a transparent PNG, which the visible stamps of the record's PDF draw.

class Migration(migrations.Migration):
    dependencies = [('models', '0012_backup_runs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SignatureImage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.OneToOneField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='signature_image', on_delete=OnDelete.CASCADE)),
                ('png', fields.BinaryField(description='the stored PNG, already checked and recoloured')),
                ('sha256', fields.CharField(description='SHA-256 of `png`, hex', max_length=64)),
                ('width', fields.IntField(description='pixels')),
                ('height', fields.IntField(description='pixels')),
                ('uploaded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('uploaded_by', fields.CharField(description="the uploader's audit label", max_length=64)),
            ],
            options={'table': 'signature_image', 'app': 'models', 'pk_attr': 'id', 'table_description': "A staff member's current signature image: PNG bytes, blue strokes, transparent ground."},
            bases=['Model'],
        ),
    ]
