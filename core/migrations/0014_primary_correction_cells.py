from tortoise import migrations
from tortoise import fields
from core.models.corrections import CellKind
from core.migrations._field_description import AlterDescription

# Corrections of a primary subject's cells (issue 13; TT27 Điều 7, khoản 1): a request's item
# may be a subject's level at an assessment point (LEVEL) or its periodic test score (SCORE),
# the point's number in `index`.
#
# CorrectionItem.kind only gains enum values that fit its varchar(8): AlterDescription leaves
# the table (and its UNIQUE (request, kind, index)) alone on SQLite, as 0005 did.


class Migration(migrations.Migration):
    dependencies = [('models', '0013_signature_images')]

    initial = False

    operations = [
        AlterDescription(
            model_name='CorrectionItem',
            name='kind',
            field=fields.CharEnumField(description='REGULAR: regular\nMIDTERM: midterm\nFINAL: final\nTOPIC: topic\nCONDUCT: conduct\nEXCUSED: absent_p\nUNEXCUSED: absent_k\nQUALITY: quality\nLEVEL: level\nSCORE: score', enum_type=CellKind, max_length=8),
        ),
    ]
