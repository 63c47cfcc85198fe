# The first schema, as generated and applied; its operations live in three modules by the
# tables they create (core/migrations/_initial_*.py), in their original order.
from tortoise import migrations
from tortoise.migrations import operations as ops
from core.migrations._audit_append_only import install, remove
from core.migrations._initial_school_and_staff import OPERATIONS as INITIAL_SCHOOL_AND_STAFF
from core.migrations._initial_classes_and_records import OPERATIONS as INITIAL_CLASSES_AND_RECORDS
from core.migrations._initial_gradebook_and_corrections import OPERATIONS as INITIAL_GRADEBOOK_AND_CORRECTIONS


class Migration(migrations.Migration):
    initial = True

    operations = [
        *INITIAL_SCHOOL_AND_STAFF,
        *INITIAL_CLASSES_AND_RECORDS,
        *INITIAL_GRADEBOOK_AND_CORRECTIONS,
        ops.RunPython(
            code=install,
            reverse_code=remove,
        ),
    ]
