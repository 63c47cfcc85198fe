from tortoise import migrations
from tortoise.migrations import operations as ops
from core.models.corrections import WitnessRole
from tortoise.fields.base import OnDelete
from tortoise import fields
from core.migrations._field_description import AlterDescription

# The school's own rules where the regulations differ (core.services.school_rules), and the
# homeroom teacher as a witness of mark corrections (001 Điều 17.3): WitnessRole gains a value
# that fits Witness.role's varchar(12), so only the description changes (AlterDescription
# leaves the table and its UNIQUE (request, role) alone on SQLite).

class Migration(migrations.Migration):
    dependencies = [('models', '0006_signing_certificates')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SchoolRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='rules', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=32)),
                ('value', fields.CharField(max_length=16)),
                ('decided_by', fields.CharField(description='who decided, as people read it', max_length=160)),
                ('decided_by_staff', fields.ForeignKeyField('models.Staff', source_field='decided_by_staff_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('executed_by', fields.CharField(description='actor label of who applied it', max_length=40)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'school_rule', 'app': 'models', 'unique_together': (('school', 'key'),), 'pk_attr': 'id', 'table_description': 'A rule the school set: `key` of core.services.school_rules.RULES, one of its values.'},
            bases=['Model'],
        ),
        AlterDescription(
            model_name='Witness',
            name='role',
            field=fields.CharEnumField(description='LEADERSHIP: leadership\nADMIN: admin\nINSPECTOR: inspector\nTEACHER: teacher\nHOMEROOM: homeroom', enum_type=WitnessRole, max_length=12),
        ),
    ]
