"""Backup tests: the S3-compatible server of tests/backups/s3_server.py."""

from tests.backups.s3_server import s3_bucket, s3_read_only, s3_server, s3_store

__all__ = ["s3_bucket", "s3_read_only", "s3_server", "s3_store"]
