"""Backups of a school: archives of its database and file store, written to every configured
destination (local folders, an S3-compatible object store) and thinned by a retention policy."""
