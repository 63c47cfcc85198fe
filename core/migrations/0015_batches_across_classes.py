from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# One approval across classes (issue 13; 001 Điều 24.5a: a subject teacher signs all their
# classes' parts at once): a signing batch's class may be None, for a batch of every class where
# the signer's step waits; each of its items names its document, and the document its class.


class Migration(migrations.Migration):
    dependencies = [('models', '0014_primary_correction_cells')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='SigningBatch',
            name='school_class',
            field=fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', null=True, description='the class signed; None: several classes at once (each item says which)', db_constraint=True, to_field='id', related_name='batches', on_delete=OnDelete.CASCADE),
        ),
    ]
