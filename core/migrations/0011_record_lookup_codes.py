from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# The portal's lookup of a record from the QR code on its PDF (issue 14; 001 Điều 22.1, mã số
# tra cứu): each version built from now on has its own code. Records issued before keep none.

class Migration(migrations.Migration):
    dependencies = [('models', '0010_family_web_codes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='IssuedRecord',
            name='lookup_code',
            field=fields.CharField(null=True, unique=True, description="matracuu: the portal's key to this version (its QR code); its access code is in the signed XML. None: issued before records carried one", max_length=12),
        ),
    ]
