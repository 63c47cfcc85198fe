"""Where a school's backup archives are kept: local folders and S3-compatible object stores.

Regulation 001 Điều 20.4 asks for periodic backups in several places, off-site and in the cloud
too, so one archive is written to every destination in `[backup] destinations`: a folder (a
second disk, a mounted network share) or `s3://bucket/prefix` on any S3-compatible store (a
Vietnamese cloud, a MinIO at the district office), reached through the `minio` client library.

Every destination offers the same four operations, so the backup job and the retention policy
never care which kind they hold. An archive only ever appears whole under its final name (a
temporary name then a rename; an object store shows an upload only once it is complete), so a
crash or a full disk never leaves something that looks like a good backup and is not. Whatever a
school can meet (a read-only or full disk, a path that is a file, a missing bucket, wrong keys,
an unreachable server) becomes a HocbaError with one sentence naming the destination and saying
what to do, which the job shows to the school's administrators as is.

Everything here is synchronous: it runs in a worker process or a thread, never on the event loop.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from core.errors import HocbaError, InvalidValue, NotFound
from core.i18n import _
from core.storage import sync_folder, write_atomically

ARCHIVE_SUFFIX = ".tar.gz"
S3_SCHEME = "s3://"
# A bucket name as S3 defines it (3 to 63 lower-case letters, digits, dots and hyphens), checked
# when the configuration is read rather than at 2:30 in the night on the first upload.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# Answers of a store that mean "these keys are not valid here", as S3, MinIO and others word them.
_BAD_KEYS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
_FULL = {"QuotaExceeded", "XMinioStorageFull", "XMinioAdminBucketQuotaExceeded"}
_DENIED = {"AccessDenied", "AllAccessDisabled", "AccountProblem"}
# The store gets a few quick retries for a dropped connection or a 5xx; the job runs again on the
# next schedule, so a long wait here would only hold a worker.
_RETRIES = urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504])
_TIMEOUT = urllib3.Timeout(connect=10, read=120)


@dataclass(frozen=True)
class S3Settings:
    """The [backup] section's object-store settings (one store for every s3:// destination)."""

    endpoint: str = ""  # "https://s3.example.vn" or "http://127.0.0.1:9000"; "" = none configured
    access_key: str = ""
    secret_key: str = field(default="", repr=False)  # never in a log line or a traceback
    region: str = ""  # "" = asked from the store (needs s3:GetBucketLocation)


class Destination(Protocol):
    """One place where archives are kept."""

    label: str  # how messages name it: "/srv/backup", "s3://bucket/prefix"

    def put(self, source: Path, name: str) -> None:
        """Copy the archive file `source` there as `name`, atomically."""
        ...

    def names(self) -> list[str]:
        """The archive names stored there (only names ending ARCHIVE_SUFFIX), sorted."""
        ...

    def fetch(self, name: str, target: Path) -> None:
        """Copy the archive `name` to the local file `target`."""
        ...

    def delete(self, name: str) -> None:
        """Remove the archive `name` (already gone is not an error)."""
        ...


def destination(text: str, s3: S3Settings) -> Destination:
    """The destination a `[backup] destinations` entry names: `s3://bucket/optional/prefix` on
    the store of `s3`, anything else a local folder."""
    text = text.strip()
    if not text:
        raise InvalidValue(
            _(
                "Một đích sao lưu trong [backup] destinations đang để trống; hãy ghi một thư mục "
                "hoặc s3://bucket/thư-mục."
            )
        )
    if text[: len(S3_SCHEME)].lower() == S3_SCHEME:
        return _s3_destination(text, s3)
    return LocalFolder(Path(text))


def _check_name(name: str) -> None:
    """An archive name is one plain file name: nothing a caller passes may climb out of the
    destination or touch a temporary file."""
    if (
        not name.endswith(ARCHIVE_SUFFIX)
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or "\0" in name
    ):
        raise InvalidValue(_("«{name}» không phải là tên một bản sao lưu.").format(name=name[:120]))


def _folder_problem(place: str, exc: OSError) -> HocbaError:
    """The one sentence a school's administrator can act on, for an OSError at `place`."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        message = _(
            "Không ghi được bản sao lưu vào {place}: ổ đĩa đã đầy; hãy giải phóng chỗ "
            "trống hoặc chọn thư mục khác trong [backup] destinations."
        )
    elif code == errno.EROFS:
        message = _(
            "Không ghi được bản sao lưu vào {place}: ổ đĩa chỉ cho đọc; hãy gắn lại ổ cho "
            "phép ghi hoặc chọn thư mục khác trong [backup] destinations."
        )
    elif code in (errno.EACCES, errno.EPERM):
        message = _(
            "Không dùng được thư mục sao lưu {place}: tài khoản chạy hocba không có quyền "
            "ghi ở đó; hãy cấp quyền hoặc chọn thư mục khác trong [backup] destinations."
        )
    elif code in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        message = _(
            "{place} không phải là một thư mục (có một tệp trùng tên trên đường dẫn); hãy "
            "ghi đường dẫn của một thư mục trong [backup] destinations."
        )
    else:
        message = _(
            "Không dùng được thư mục sao lưu {place} ({reason}); hãy kiểm tra ổ đĩa đã "
            "gắn và còn ghi được, hoặc chọn thư mục khác trong [backup] destinations."
        )
    return HocbaError(message.format(place=place, reason=exc.strerror or exc))


def _fetch_into(data: BinaryIO, target: Path) -> None:
    """Write a fetched archive to the local file `target`, whole or not at all."""
    try:
        write_atomically(data, target)
    except OSError as exc:
        raise HocbaError(
            _(
                "Không ghi được tệp {target} ({reason}); hãy chọn một nơi còn chỗ trống và có "
                "quyền ghi."
            ).format(target=target, reason=exc.strerror or exc)
        ) from None


class LocalFolder:
    """Archives as files in one folder (made on the first write)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.label = str(folder)

    def __repr__(self) -> str:
        return f"LocalFolder({self.label!r})"

    def put(self, source: Path, name: str) -> None:
        """Copy `source` in as `name`: a temporary file, synced, then renamed."""
        _check_name(name)
        with source.open("rb") as data:  # the caller's own file: its errors are the caller's
            try:
                write_atomically(data, self.folder / name)
            except OSError as exc:
                raise _folder_problem(self.label, exc) from None

    def names(self) -> list[str]:
        """The archives in the folder, sorted; a folder not made yet holds none."""
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise _folder_problem(self.label, exc) from None
        return sorted(
            entry.name
            for entry in entries
            if entry.name.endswith(ARCHIVE_SUFFIX)
            and not entry.name.startswith(".")
            and entry.is_file()
        )

    def fetch(self, name: str, target: Path) -> None:
        """Copy the archive `name` to `target` (written whole or not at all)."""
        _check_name(name)
        try:
            data = (self.folder / name).open("rb")
        except FileNotFoundError:
            raise _missing(name, self.label) from None
        except OSError as exc:
            raise _folder_problem(self.label, exc) from None
        with data:
            _fetch_into(data, target)

    def delete(self, name: str) -> None:
        """Remove the archive `name`; one already gone is left gone."""
        _check_name(name)
        try:
            (self.folder / name).unlink(missing_ok=True)
        except OSError as exc:
            raise _folder_problem(self.label, exc) from None
        sync_folder(self.folder)


def _missing(name: str, label: str) -> NotFound:
    return NotFound(
        _(
            "Không có bản sao lưu {name} ở {label}; hãy xem danh sách các bản sao lưu còn giữ."
        ).format(name=name, label=label)
    )


def _s3_destination(text: str, s3: S3Settings) -> S3Bucket:
    """`s3://bucket/prefix` on the configured store, or InvalidValue saying what to set."""
    if not s3.endpoint.strip():
        raise InvalidValue(
            _(
                "Đích sao lưu {text} là một kho S3 nhưng chưa có địa chỉ máy chủ; hãy đặt [backup] "
                "s3_endpoint (ví dụ https://s3.example.vn) cùng s3_access_key và s3_secret_key."
            ).format(text=text)
        )
    bucket, _slash, prefix = text[len(S3_SCHEME) :].partition("/")
    if not _BUCKET.fullmatch(bucket):
        raise InvalidValue(
            _(
                "«{bucket}» trong đích sao lưu {text} không phải là tên bucket hợp lệ; tên bucket "
                "gồm 3 đến 63 chữ thường, chữ số, dấu chấm và dấu gạch ngang."
            ).format(bucket=bucket, text=text)
        )
    return S3Bucket(bucket, prefix.strip("/"), s3)


def _client(s3: S3Settings) -> Minio:
    """A minio client for the store at `s3.endpoint` (http:// or https://, no path)."""
    endpoint = s3.endpoint.strip()
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
        raise InvalidValue(
            _(
                "[backup] s3_endpoint «{endpoint}» không đúng dạng; hãy ghi địa chỉ máy chủ "
                "bắt đầu bằng https:// hoặc http://, không kèm đường dẫn, ví dụ https://s3.example.vn."
            ).format(endpoint=endpoint)
        )
    return Minio(
        parts.netloc,
        access_key=s3.access_key or None,
        secret_key=s3.secret_key or None,
        secure=parts.scheme == "https",
        region=s3.region or None,
        http_client=urllib3.PoolManager(timeout=_TIMEOUT, retries=_RETRIES, maxsize=4),
    )


class S3Bucket:
    """Archives as objects `prefix/name` in one bucket of an S3-compatible store."""

    def __init__(self, bucket: str, prefix: str, s3: S3Settings):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = s3.endpoint.strip()
        self.label = f"{S3_SCHEME}{bucket}/{self.prefix}" if self.prefix else f"{S3_SCHEME}{bucket}"
        self._client = _client(s3)

    def __repr__(self) -> str:
        return f"S3Bucket({self.label!r} at {self.endpoint!r})"

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, source: Path, name: str) -> None:
        """Upload `source` as `name`: the store shows the object only once the upload is complete
        (a failed multipart upload is aborted by the client)."""
        _check_name(name)
        with source.open("rb") as data, self._errors(_("ghi")):
            self._client.put_object(
                self.bucket,
                self._key(name),
                data,
                length=os.fstat(data.fileno()).st_size,
                content_type="application/gzip",
            )

    def names(self) -> list[str]:
        """The archives directly under the prefix, sorted."""
        start = f"{self.prefix}/" if self.prefix else ""
        with self._errors(_("đọc danh sách")):
            keys = [
                item.object_name or ""
                for item in self._client.list_objects(self.bucket, prefix=start or None)
                if not item.is_dir
            ]
        names = (key[len(start) :] for key in keys if key.startswith(start))
        return sorted(
            name
            for name in names
            if name.endswith(ARCHIVE_SUFFIX) and "/" not in name and not name.startswith(".")
        )

    def fetch(self, name: str, target: Path) -> None:
        """Download `name` to `target` through a temporary file beside it."""
        _check_name(name)
        with self._errors(_("đọc"), name):
            response = self._client.get_object(self.bucket, self._key(name))
            try:
                _fetch_into(response, target)
            finally:
                response.close()
                response.release_conn()

    def delete(self, name: str) -> None:
        """Remove `name` (S3 answers a delete of a missing object with success)."""
        _check_name(name)
        with self._errors(_("xóa")):
            self._client.remove_object(self.bucket, self._key(name))

    @contextlib.contextmanager
    def _errors(self, action: str, name: str = "") -> Iterator[None]:
        """Turn what the store or the network answers into one sentence for the school."""
        try:
            yield
        except S3Error as exc:
            raise self._refused(exc, action, name) from None
        except (InvalidResponseError, ServerError) as exc:
            raise HocbaError(
                _(
                    "Máy chủ {endpoint} không trả lời như một kho S3 khi {action} {label} "
                    "({detail}); hãy kiểm tra [backup] s3_endpoint hoặc báo nhà cung cấp "
                    "kho lưu trữ."
                ).format(
                    endpoint=self.endpoint, action=action, label=self.label, detail=_short(exc)
                )
            ) from None
        except urllib3.exceptions.HTTPError as exc:
            raise self._unreachable(exc) from None

    def _refused(self, exc: S3Error, action: str, name: str) -> HocbaError:
        """The store answered with an error code: say which problem it is and what to fix."""
        code = exc.code or ""
        if code == "NoSuchKey" and name:
            return _missing(name, self.label)
        if code == "NoSuchBucket":
            message = _(
                "Kho {endpoint} không có bucket «{bucket}» của đích sao lưu {label}; hãy tạo "
                "bucket đó hoặc sửa tên trong [backup] destinations."
            )
        elif code in _BAD_KEYS:
            message = _(
                "Kho {endpoint} không nhận khóa truy cập dùng cho {label}; hãy kiểm tra "
                "[backup] s3_access_key và s3_secret_key."
            )
        elif code in _DENIED:
            message = _(
                "Kho {endpoint} không cho phép {action} {label} với khóa truy cập này; hãy "
                "cấp quyền đọc, ghi và xóa trên bucket đó cho khóa trong [backup] "
                "s3_access_key."
            )
        elif code in _FULL:
            message = _(
                "Kho {endpoint} đã hết dung lượng cho {label}; hãy xóa bớt, mua thêm dung "
                "lượng hoặc chọn đích sao lưu khác."
            )
        else:
            message = _(
                "Kho {endpoint} từ chối {action} {label} ({code}: {detail}); hãy kiểm tra "
                "cấu hình [backup] hoặc báo nhà cung cấp kho lưu trữ."
            )
        return HocbaError(
            message.format(
                endpoint=self.endpoint,
                bucket=self.bucket,
                label=self.label,
                action=action,
                code=code,
                detail=_short(exc.message or ""),
            )
        )

    def _unreachable(self, exc: urllib3.exceptions.HTTPError) -> HocbaError:
        """The store could not be reached (refused, timed out, a certificate not trusted)."""
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, urllib3.exceptions.SSLError):
            message = _(
                "Không tin được chứng chỉ HTTPS của kho {endpoint} (đích sao lưu {label}); "
                "hãy kiểm tra [backup] s3_endpoint và chứng chỉ của máy chủ đó."
            )
        else:
            message = _(
                "Không kết nối được tới kho {endpoint} (đích sao lưu {label}); hãy kiểm tra "
                "[backup] s3_endpoint và đường mạng từ máy chủ tới kho."
            )
        return HocbaError(message.format(endpoint=self.endpoint, label=self.label))


def _short(detail: object) -> str:
    """A store's own words, cut to what fits in one chat message line."""
    text = " ".join(str(detail).split())
    return text if len(text) <= 160 else text[:157] + "..."
