"""An S3-compatible server for the backup tests: moto's, in a thread, on a free loopback port.

moto is a real S3 server (HTTP, SigV4 signatures, buckets, multipart uploads) that needs no
binary beyond the Python package, so the object-store destination is tested through the same
minio client and the same network path a school's store is reached by. Signatures are checked:
the server runs with moto's IAM authentication on, and the fixtures hand out the keys of IAM
users made for them, so wrong keys and a bucket that refuses writes are tested for real.

`s3_server` (one per session) is the store's settings with a key that may do anything;
`s3_bucket` a fresh, empty bucket on it for one test; `s3_read_only` the settings of a key
that may read and list but not write or delete.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
import urllib3
from minio import Minio
from moto import settings as moto_settings
from moto.server import ThreadedMotoServer

from core.services.backups.destinations import S3Settings

REGION = "us-east-1"
_ANYTHING = ["s3:*"]
# Real S3 checks a listing against s3:ListBucket; moto names the action after the request.
_READ_ONLY = ["s3:GetObject", "s3:ListBucket", "s3:ListObjectsV2", "s3:GetBucketLocation"]
_buckets = itertools.count(1)


@dataclass(frozen=True)
class S3Store:
    """The running server: its address and the settings of each of its users."""

    endpoint: str
    writer: S3Settings
    reader: S3Settings

    def client(self, settings: S3Settings | None = None) -> Minio:
        """A minio client on the store, with the writer's keys unless told otherwise."""
        settings = settings or self.writer
        return Minio(
            self.endpoint.removeprefix("http://"),
            access_key=settings.access_key,
            secret_key=settings.secret_key,
            secure=False,
            region=REGION,
        )


def _user(iam, name: str, actions: list[str], endpoint: str) -> S3Settings:
    """An IAM user allowed `actions` on every bucket, and its S3Settings."""
    iam.create_user(UserName=name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    iam.put_user_policy(UserName=name, PolicyName="backups", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return S3Settings(endpoint, key["AccessKeyId"], key["SecretAccessKey"], REGION)


def _authentication(endpoint: str, first_free_requests: str) -> None:
    """Turn moto's signature and policy checks on ("0") or off ("inf")."""
    urllib3.request("POST", f"{endpoint}/moto-api/reset-auth", body=first_free_requests.encode())


@pytest.fixture(scope="session")
def s3_store() -> Iterator[S3Store]:
    """moto's server on 127.0.0.1 with authentication on, and two users (writer, reader)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    previous = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    try:
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
        )
        writer = _user(iam, "backup-writer", _ANYTHING, endpoint)
        reader = _user(iam, "backup-reader", _READ_ONLY, endpoint)
        _authentication(endpoint, "0")
        yield S3Store(endpoint, writer, reader)
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = previous
        server.stop()


@pytest.fixture(scope="session")
def s3_server(s3_store: S3Store) -> S3Settings:
    """The store's settings, with a key that may read, write and delete in every bucket."""
    return s3_store.writer


@pytest.fixture
def s3_read_only(s3_store: S3Store) -> S3Settings:
    """The store's settings with a key that may list and read but not write or delete."""
    return s3_store.reader


@pytest.fixture
def s3_bucket(s3_store: S3Store) -> str:
    """A new, empty bucket for one test (made with the minio client, as the writer)."""
    name = f"backups-{next(_buckets)}"
    s3_store.client().make_bucket(name)
    return name
