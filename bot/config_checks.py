"""What the configuration's values point at, checked before anything starts.

bot.config checks each value's shape; these rules look at what a value names (a key backend,
a library, a folder, a certificate file) and at what the values say together, so that a
configuration that cannot work stops at start with one Vietnamese line per problem, saying what
to write instead, rather than with a traceback in the middle of the school year (or worse,
working in a way the regulations forbid). Nothing here writes: a folder that exists is tested
with the permission bits, and the bootstrap's first use (bot.bootstrap) tries the real thing.

Keys (regulation 001 Điều 8.3, 11.1: a private key stays under its owner's control; Điều 11.2:
the organisation's token is kept by the clerk): outside demo mode, people sign through a remote
service or their own token, and the school's seal lives on a token or HSM; server-held PKCS#12
files are the demo's only (core.signing.backends).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import HocbaError
from core.signing.backends import DEMO_ONLY, SEAL_BACKENDS, SEAL_CODE
from core.signing.trust import load_crls, load_roots

Label = Callable[[str, str], str]
MAX_ROOT_FILE = 1 << 20  # a CA certificate is a few KiB; more is not a trust root
MAX_CRL_FILE = 64 << 20  # a large public CA's revocation list is a few MiB
# The signing service is called over HTTPS; plain HTTP only on this machine (a local proxy).
_SERVICE_URL = re.compile(
    r"https://[^\s/?#]+\S*|http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/\S*"
)


def _quote(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def check_signing(settings: dict[str, dict[str, Any]], label: Label, problems: list[str]) -> None:
    """Who holds which key: server-held key files only in demo mode, the seal on a token."""
    signing, demo = settings["signing"], settings["demo"]["enabled"]
    people = signing["people"]
    if SEAL_CODE in people:
        problems.append(
            f"[signing.people] {_quote(SEAL_CODE)}: con dấu của trường được cấu hình bằng khóa "
            "seal trong mục [signing], không nằm trong [signing.people]."
        )
    personal = [label("signing", "backend")] if signing["backend"] == DEMO_ONLY else []
    personal += [
        f"[signing.people] {_quote(code)}"
        for code, backend in people.items()
        if backend == DEMO_ONLY and code != SEAL_CODE
    ]
    if personal and not demo:
        problems.append(
            f"{', '.join(personal)} = {_quote(DEMO_ONLY)}: tệp khóa PKCS#12 trên máy chủ chỉ "
            "dùng cho chế độ trình diễn ([demo] enabled = true), vì khóa bí mật của mỗi người "
            'phải do chính họ giữ (Quy chế 001, Điều 8.3, 11.1); hãy đặt "csc" (dịch vụ ký số '
            'từ xa, người ký phê duyệt trên ứng dụng của mình) hoặc "pkcs11" (token của chính '
            "người ký)."
        )
    seal = signing["seal"]
    if seal not in SEAL_BACKENDS:
        problems.append(
            f'{label("signing", "seal")} = {_quote(seal)}: cần "pkcs11" (token hoặc HSM giữ '
            'con dấu số của trường; "pkcs12" chỉ ở chế độ trình diễn).'
        )
    elif seal == DEMO_ONLY and not demo:
        problems.append(
            f"{label('signing', 'seal')} = {_quote(seal)}: con dấu số của trường phải nằm trên "
            'token hoặc HSM do văn thư giữ (Quy chế 001, Điều 11.2); hãy đặt seal = "pkcs11" '
            "cùng pkcs11_module, pkcs11_token_label và pkcs11_pin. Tệp PKCS#12 chỉ dùng cho chế "
            "độ trình diễn ([demo] enabled = true)."
        )
    url = signing["csc_url"]
    if url and not _SERVICE_URL.fullmatch(url):
        problems.append(
            f"{label('signing', 'csc_url')} = {_quote(url)}: cần địa chỉ https:// của dịch vụ "
            'ký số từ xa (CSC API v1), ví dụ "https://ky-so.example.vn/csc/v1".'
        )
    module = signing["pkcs11_module"]
    if module and not Path(module).is_file():
        what = "là một thư mục" if Path(module).is_dir() else "không có tệp này"
        problems.append(
            f"{label('signing', 'pkcs11_module')} = {_quote(module)}: {what}; cần đường dẫn "
            "tệp thư viện PKCS#11 (.so) của token, cài kèm phần mềm của token, ví dụ "
            '"/usr/lib/softhsm/libsofthsm2.so".'
        )


CODE_CHANNELS = ("clerk", "telegram", "sms")


def check_families(settings: dict[str, dict[str, Any]], label: Label, problems: list[str]) -> None:
    """How a parent on the web gets their one-time code: a known channel, and the SMS
    gateway's https address when it is SMS."""
    families = settings["families"]
    channel = families["code_channel"]
    if channel not in CODE_CHANNELS:
        problems.append(
            f"{label('families', 'code_channel')} = {_quote(channel)}: cần một trong "
            + ", ".join(_quote(c) for c in CODE_CHANNELS)
            + " (mã một lần gửi cho phụ huynh lấy lại học bạ trên web)."
        )
    url = families["sms_url"]
    if (channel == "sms" or url) and not _SERVICE_URL.fullmatch(url):
        problems.append(
            f"{label('families', 'sms_url')} = {_quote(url)}: cần địa chỉ https:// của cổng gửi "
            'tin nhắn SMS, ví dụ "https://sms.example.vn/api/send".'
        )


# The portal's address as a phone opens it from a QR code: a scheme and a host, maybe a path.
_PUBLIC_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")


def check_web(settings: dict[str, dict[str, Any]], label: Label, problems: list[str]) -> None:
    """The portal's public address, printed in every record's QR code, must be one a phone can
    open: once records carry it, it cannot be changed on them."""
    url = settings["web"]["public_url"]
    if url and not _PUBLIC_URL.fullmatch(url):
        problems.append(
            f"{label('web', 'public_url')} = {_quote(url)}: cần địa chỉ của cổng tra cứu mà người "
            'ngoài trường mở được, ví dụ "https://hocba.thcs-abc.edu.vn" (không có ? hay #).'
        )
    for proxy in settings["web"]["trusted_proxies"]:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            problems.append(
                f"{label('web', 'trusted_proxies')}: {_quote(proxy)} không phải địa chỉ IP hay "
                'dải mạng; ví dụ ["127.0.0.1", "::1"] hoặc "10.0.0.0/8".'
            )


def check_paths(settings: dict[str, dict[str, Any]], label: Label, problems: list[str]) -> None:
    """The database file, the file store, the trust roots and revocation lists: each must be
    what it is for."""
    url = settings["database"]["url"]
    if url.startswith("sqlite://") and ":memory:" not in url:
        file = Path(url.removeprefix("sqlite://").partition("?")[0])
        if file.is_dir():
            problems.append(
                f"{label('database', 'url')} = {_quote(url)}: {file} là một thư mục; cần "
                f"đường dẫn tới một tệp, ví dụ sqlite://{file / 'hocba.sqlite3'}."
            )
        elif problem := _folder_problem(file.parent):
            problems.append(
                f"{label('database', 'url')} = {_quote(url)}: không tạo được tệp cơ sở dữ liệu "
                f"ở đó, vì {problem}; chọn thư mục khác hoặc cấp quyền ghi."
            )
    storage = settings["storage"]["dir"]
    if storage.exists() and not storage.is_dir():
        problems.append(
            f"{label('storage', 'dir')} = {_quote(storage)}: đây là một tệp, không phải thư "
            "mục; chọn một thư mục để lưu minh chứng và học bạ."
        )
    elif problem := _folder_problem(storage):
        problems.append(
            f"{label('storage', 'dir')} = {_quote(storage)}: không lưu được tệp vào đó, vì "
            f"{problem}; chọn thư mục khác hoặc cấp quyền ghi."
        )
    for key in ("roots", "crls"):
        for path in settings["trust"][key]:
            if problem := _trust_problem(path, key):
                problems.append(f"{label('trust', key)}: tệp {path} {problem}.")


def _folder_problem(folder: Path) -> str | None:
    """Why files cannot be created in `folder` (or, when it does not exist yet, in the folder
    it will be created in); None when they can, as far as permissions tell."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} là một tệp, không phải thư mục"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"thư mục {existing} chỉ đọc với tài khoản chạy trợ lý"
    return None


def _trust_problem(path: Path, key: str) -> str | None:
    """Why `path` is not a file of [trust] `key` ("roots": certificates, "crls": revocation
    lists, PEM or DER); None when it is. Its size is looked at before it is read."""
    where = f"kiểm tra đường dẫn trong [trust] {key}"
    crl = key == "crls"
    if not path.is_file():
        return f"không tồn tại (hoặc không phải tệp); {where}"
    if path.stat().st_size > (MAX_CRL_FILE if crl else MAX_ROOT_FILE):
        return f"quá lớn để là {'danh sách thu hồi' if crl else 'chứng thư gốc'}; {where}"
    try:
        found = load_crls([path]) if crl else load_roots([path])
    except (HocbaError, ValueError, OSError):
        found = []
    if found:
        return None
    if crl:
        return (
            "không phải danh sách thu hồi chứng thư (cần tệp CRL dạng PEM, -----BEGIN X509 "
            f"CRL-----, hoặc DER, do nhà cung cấp chứng thư số công bố); {where}"
        )
    return (
        "không phải chứng thư số (cần chứng thư gốc dạng PEM, -----BEGIN CERTIFICATE-----, "
        f"hoặc DER, do nhà cung cấp chứng thư số gửi); {where}"
    )
