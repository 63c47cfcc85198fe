from tortoise import migrations
from tortoise.migrations import operations as ops
from core.models.certificates import CertificateKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_homeroom_cells')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SigningCertificate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='certificates', on_delete=OnDelete.CASCADE)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', null=True, description='None: the seal', db_constraint=True, to_field='id', related_name='certificates', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='PERSONAL: personal\nSEAL: seal', enum_type=CertificateKind, max_length=10)),
                ('fingerprint', fields.CharField(description='SHA-256 of the DER, hex', max_length=64)),
                ('subject', fields.CharField(max_length=500)),
                ('der', fields.BinaryField()),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('not_after', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('source', fields.CharField(description='pem, pkcs12, pkcs11, csc', max_length=16)),
                ('registered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('registered_by', fields.CharField(max_length=64)),
                ('active', fields.BooleanField(default=True, description='False: superseded by a newer one')),
            ],
            options={'table': 'signing_certificate', 'app': 'models', 'unique_together': (('school', 'fingerprint'),), 'pk_attr': 'id', 'table_description': 'One registered certificate (DER kept whole, so a verifier can read it back).'},
            bases=['Model'],
        ),
    ]
