"""The migration history of the "models" app (core.models), applied by `core.db.open_database`.

Files named NNNN_*.py are Tortoise migrations as Tortoise's writer wrote them: `make migration
NAME=...` runs its autodetector. 0001_initial is the autodetector's output for the models of the
day migrations were introduced, with one operation appended through the same writer: RunPython
of `_audit_append_only.install`, the audit log's triggers. Modules starting with "_" are helpers
the loader skips. Keep this file free of code: the loader reloads it on every run.
"""
