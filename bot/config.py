"""The bot's configuration: one place where the file, the environment and validation meet.

No other module reads config.toml or os.environ; they receive a `Config`. The rules therefore live
here once: built-in defaults (the values of config.example.toml, so a fresh clone runs with no
file at all), then the TOML file, then HOCBA_<SECTION>_<KEY> environment variables, which win.
Relative paths are made absolute against the file's directory, so the bot finds the same database
whatever directory it is started from. Validation reports every problem at once, in Vietnamese:
the person fixing config.toml is usually a school's IT teacher, and one restart per typo is a
poor way to find them all.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from datetime import datetime, time
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config_checks import check_families, check_paths, check_signing, check_web
from bot.config_values import PARSERS, Invalid
from core.logs import FORMATS
from core.signing.backends import PEOPLE_BACKENDS

ENV_PREFIX = "HOCBA_"
SIGNING_BACKENDS = PEOPLE_BACKENDS  # how people sign: remote service, own token, demo key file
TELEGRAM_MODES = ("polling", "webhook")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg")

TOKEN_HELP = (
    "Chưa có token của bot Telegram: mở Telegram, nhắn cho @BotFather, gửi /newbot và làm theo "
    "hướng dẫn để nhận token, rồi đặt biến môi trường HOCBA_TELEGRAM_TOKEN=<token> (hoặc "
    'token = "<token>" trong mục [telegram] của config.toml) và chạy lại.'
)

_SECRET = {"redact": "secret"}  # field metadata: never logged nor echoed in an error message
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token
# Telegram posts only to HTTPS; plain HTTP is accepted for a loopback address, where a local
# reverse proxy (or a self-hosted Bot API server, or the tests' fake server) does the posting.
_HTTPS_URL = re.compile(r"https://[^\s/?#]+\S*|http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/\S*")
# How a moment may be written: ISO as in TOML, or the Vietnamese day-first form of the bot.
_URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*):[^@/]*@")
_TOML_LOCATION = re.compile(r"(.*) \(at line (\d+), column (\d+)\)")
MAX_CONFIG_FILE = 1 << 20


class ConfigError(Exception):
    """Everything wrong with the configuration; `str()` is one Vietnamese line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


@dataclass(frozen=True)
class SchoolConfig:
    code: str = ""  # "" = the only school in the database
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = field(default="sqlite://var/hocba.sqlite3", metadata={"redact": "url"})


@dataclass(frozen=True)
class StorageConfig:
    dir: Path = Path("var/files")


@dataclass(frozen=True)
class TelegramConfig:
    token: str = field(default="", metadata=_SECRET)
    base_url: str = ""
    base_file_url: str = ""
    mode: str = "polling"
    webhook_url: str = ""
    webhook_secret: str = field(default="", metadata=_SECRET)


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = field(default=8080, metadata={"between": (1, 65535)})
    public_url: str = ""  # where the portal is reached from outside; "": http://host:port
    # /metrics asks for it (Authorization: Bearer); "": /metrics is off (config.example.toml)
    metrics_token: str = field(default="", metadata=_SECRET)
    # the reverse proxies in front (addresses or networks) whose X-Forwarded-For is believed
    trusted_proxies: tuple[str, ...] = field(
        default=(), metadata={"may_be_empty": True, "example": '["127.0.0.1", "::1"]'}
    )

    @property
    def portal_url(self) -> str:
        """The address records' QR codes lead to (core.services.record_lookup)."""
        return self.public_url or f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class SigningConfig:
    # who holds which key: core.signing.backends; the rules at start: bot.config_checks
    backend: str = "csc"  # people without an entry in `people` ("pkcs12" in demo mode)
    seal: str = "pkcs11"  # the school's seal: a token or HSM ("pkcs12" in demo mode)
    csc_url: str = ""
    csc_client_id: str = ""
    csc_client_secret: str = field(default="", metadata=_SECRET)
    pkcs11_module: str = ""
    pkcs11_token_label: str = ""
    pkcs11_pin: str = field(default="", metadata=_SECRET)
    pkcs12_dir: Path = Path("var/keys")
    pkcs12_password: str = field(default="", metadata=_SECRET)
    people: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class TrustConfig:
    roots: tuple[Path, ...] = ()
    crls: tuple[Path, ...] = ()  # revocation lists checked by the verifier (001 Điều 15c)


@dataclass(frozen=True)
class WorkersConfig:
    # worker processes for signing, rendering and spreadsheets; 0 = one per CPU core
    processes: int = field(default=0, metadata={"between": (0, 256)})


@dataclass(frozen=True)
class RemindersConfig:
    quiet_start: time = time(21, 0)
    quiet_end: time = time(6, 30)


@dataclass(frozen=True)
class LogConfig:
    # how `hocba serve` and `hocba web` log (core.logs): "text" or "json", one object a line
    format: str = "text"
    level: str = "INFO"


@dataclass(frozen=True)
class StagingConfig:
    # A fixed clock for a rehearsal: every "now" of the bot and of `hocba` is this moment, on
    # the school's wall clock (core.clock.set_time); None = the real time.
    now: datetime | None = None


@dataclass(frozen=True)
class FamiliesConfig:
    # How a parent on the web (/lay-lai-hoc-ba) receives the one-time code
    # (core.services.family_web): "clerk" (the school's clerks are sent it in the bot, to read
    # out or print for the parent), "telegram" (the chat of a guardian linked in the bot), or
    # "sms" (an SMS gateway: sms_url, with sms_token as its bearer token).
    code_channel: str = "clerk"
    sms_url: str = ""
    sms_token: str = field(default="", metadata=_SECRET)


@dataclass(frozen=True)
class BackupConfig:
    # Backups of the database and the file store (001 Điều 20.4: in several places, off-site
    # and in the cloud too): every destination gets each archive; core.services.backups.
    destinations: tuple[str, ...] = ("var/backups",)  # folders, or s3://bucket/prefix
    at: time = time(2, 30)  # every day, on the school's clock
    keep_daily: int = field(default=7, metadata={"between": (1, 366)})
    keep_weekly: int = field(default=5, metadata={"between": (0, 520)})
    overdue_hours: int = field(default=36, metadata={"between": (1, 24 * 31)})
    s3_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = field(default="", metadata=_SECRET)
    s3_region: str = ""


@dataclass(frozen=True)
class DemoConfig:
    # Demonstration mode: people's and the seal's keys may be PKCS#12 files on the server (the
    # test PKI of `hocba demo`), and `hocba issue` signs the whole chain with them. Never on a
    # school's real data: a private key stays with its owner (001 Điều 8.3, 11.1).
    enabled: bool = False


@dataclass(frozen=True)
class Config:
    school: SchoolConfig = field(default_factory=SchoolConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    web: WebConfig = field(default_factory=WebConfig)
    signing: SigningConfig = field(default_factory=SigningConfig)
    trust: TrustConfig = field(default_factory=TrustConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    workers: WorkersConfig = field(default_factory=WorkersConfig)
    log: LogConfig = field(default_factory=LogConfig)
    staging: StagingConfig = field(default_factory=StagingConfig)
    families: FamiliesConfig = field(default_factory=FamiliesConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)

    def require_token(self) -> str:
        """The bot token, or a ConfigError telling a school admin how to get one."""
        if not self.telegram.token:
            raise ConfigError([TOKEN_HELP])
        return self.telegram.token

    def redacted(self) -> dict[str, dict[str, object]]:
        """Every setting as plain JSON-friendly values, secrets replaced by "***", for logs."""
        return {
            name: {f.name: _plain(_redact(getattr(section, f.name), f)) for f in fields(section)}
            for name, section in vars(self).items()
        }


_SECTIONS: dict[str, type] = typing.get_type_hints(Config)
_HINTS = {name: typing.get_type_hints(cls) for name, cls in _SECTIONS.items()}
_FIELDS = {name: {f.name: f for f in fields(cls)} for name, cls in _SECTIONS.items()}
_KEY_HOME = {key: name for name, hints in _HINTS.items() for key in hints}


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the TOML file, then HOCBA_<SECTION>_<KEY>; ConfigError lists all problems.

    The file is `path`, else $HOCBA_CONFIG, else ./config.toml when it exists, else none at all.
    """
    env = os.environ if environ is None else environ
    if path is None:
        path = env.get("HOCBA_CONFIG") or None
    if path is None and Path("config.toml").is_file():
        path = "config.toml"
    file = None if path is None else Path(path)

    problems: list[str] = []
    settings = {
        name: {key: getattr(cls(), key) for key in _HINTS[name]} for name, cls in _SECTIONS.items()
    }
    labels: dict[tuple[str, str], str] = {}

    def take(section: str, key: str, value: object, label: str) -> None:
        f = _FIELDS[section][key]
        try:
            settings[section][key] = PARSERS[_HINTS[section][key]](value, f)
        except Invalid as exc:
            problems.append(f"{label} = {_show(value, f)}: {exc}.")
        else:
            labels[section, key] = label

    for section, table in (_read_toml(file, problems) if file else {}).items():
        if section not in _SECTIONS:
            problems.append(_unknown_section(section, table))
        elif not isinstance(table, dict):
            problems.append(
                f"{section}: phải là một mục [{section}] chứa các khóa, không phải một giá trị."
            )
        else:
            for key, value in table.items():
                if key in _HINTS[section]:
                    take(section, key, value, f"[{section}] {key}")
                else:
                    problems.append(_unknown_key(section, key))

    for section, hints in _HINTS.items():
        for key, hint in hints.items():
            name = f"{ENV_PREFIX}{section}_{key}".upper()
            raw = env.get(name, "")
            if raw and hint != Mapping[str, str]:  # [signing.people] is a table: file only
                take(section, key, _from_env(raw, hint), name)

    base = file.resolve().parent if file else Path.cwd()
    for section, hints in _HINTS.items():
        for key, hint in hints.items():
            if hint is Path:
                settings[section][key] = _absolute(settings[section][key], base)
            elif hint == tuple[Path, ...]:
                settings[section][key] = tuple(_absolute(p, base) for p in settings[section][key])
    settings["backup"]["destinations"] = tuple(
        place if place.startswith("s3://") else str(_absolute(Path(place), base))
        for place in settings["backup"]["destinations"]
    )
    settings["database"]["url"] = _absolute_sqlite(settings["database"]["url"], base)
    if settings["demo"]["enabled"]:  # the demo's keys, unless a backend is named
        for key in ("backend", "seal"):
            if ("signing", key) not in labels:
                settings["signing"][key] = "pkcs12"

    def label(section: str, key: str) -> str:
        return labels.get((section, key), f"[{section}] {key}")

    _check(settings, label, problems)
    if not problems:  # a value of the wrong type has no path or module to look at
        check_signing(settings, label, problems)
        check_families(settings, label, problems)
        check_web(settings, label, problems)
        check_paths(settings, label, problems)
    if problems:
        raise ConfigError(problems)
    return Config(**{name: cls(**settings[name]) for name, cls in _SECTIONS.items()})


def _read_toml(file: Path, problems: list[str]) -> dict[str, object]:
    if file.exists() and (not file.is_file() or file.stat().st_size > MAX_CONFIG_FILE):
        problems.append(  # a folder, a device or a huge file: never read it whole
            f"Tệp cấu hình {file} không phải một tệp văn bản nhỏ (tệp cấu hình chỉ vài KB): "
            "kiểm tra đường dẫn (hoặc biến HOCBA_CONFIG)."
        )
        return {}
    try:
        text = file.read_text(encoding="utf-8-sig")  # Notepad may add a byte-order mark
    except FileNotFoundError:
        problems.append(
            f"Không tìm thấy tệp cấu hình {file}: kiểm tra đường dẫn (hoặc biến HOCBA_CONFIG), "
            "hoặc chép config.example.toml thành config.toml."
        )
        return {}
    except UnicodeDecodeError:
        problems.append(f"Tệp cấu hình {file} không phải văn bản UTF-8: hãy lưu lại với mã UTF-8.")
        return {}
    except OSError as exc:
        problems.append(f"Không đọc được tệp cấu hình {file}: {exc.strerror}.")
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if match := _TOML_LOCATION.fullmatch(str(exc)):
            reason, line, column = match.groups()
            problems.append(
                f"Tệp cấu hình {file} sai cú pháp TOML ở dòng {line}, cột {column}: {reason}."
            )
        else:
            problems.append(f"Tệp cấu hình {file} sai cú pháp TOML: {exc}.")
        return {}


def _unknown_section(name: str, value: object) -> str:
    if isinstance(value, dict):
        guess = difflib.get_close_matches(name, _SECTIONS, n=1)
        hint = (
            f"có phải ý bạn là [{guess[0]}]?"
            if guess
            else "các mục hợp lệ: " + ", ".join(f"[{s}]" for s in _SECTIONS) + "."
        )
        return f"[{name}]: không có mục này — {hint}"
    guess = difflib.get_close_matches(name, _KEY_HOME, n=1)
    hint = (
        f"có phải ý bạn là {guess[0]} trong mục [{_KEY_HOME[guess[0]]}]?"
        if guess
        else "mỗi khóa phải nằm dưới một mục như [telegram]."
    )
    return f"{name}: khóa nằm ngoài mọi mục — {hint}"


def _unknown_key(section: str, key: str) -> str:
    valid = list(_HINTS[section])
    guess = difflib.get_close_matches(key, valid, n=1)
    hint = (
        f'có phải ý bạn là "{guess[0]}"?'
        if guess
        else f"các khóa hợp lệ trong [{section}]: " + ", ".join(valid) + "."
    )
    return f"[{section}] {key}: không có khóa này — {hint}"


def _from_env(raw: str, hint: object) -> object:
    """An environment string as the key's type; left as is when it does not convert."""
    if hint is int:
        try:
            return int(raw)
        except ValueError:
            return raw
    if hint in (tuple[Path, ...], tuple[str, ...]):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def _absolute(path: Path, base: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else base / path


def _absolute_sqlite(url: str, base: Path) -> str:
    """sqlite://var/x.sqlite3 → sqlite:///abs/var/x.sqlite3, keeping any ?options."""
    if not url.startswith("sqlite://"):
        return url
    file, sep, query = url.removeprefix("sqlite://").partition("?")
    if file in ("", ":memory:"):
        return url
    return f"sqlite://{_absolute(Path(file), base)}{sep}{query}"


def _check(
    settings: dict[str, dict[str, typing.Any]],
    label: Callable[[str, str], str],
    problems: list[str],
) -> None:
    """Rules on values of the right type (a value of the wrong type kept its valid default)."""

    def bad(section: str, key: str, need: str) -> None:
        value = settings[section][key]
        problems.append(f"{label(section, key)} = {_show(value, _FIELDS[section][key])}: {need}.")

    try:
        ZoneInfo(settings["school"]["timezone"])
    except (ValueError, ZoneInfoNotFoundError, OSError):
        bad("school", "timezone", 'múi giờ không tồn tại; dùng tên dạng "Asia/Ho_Chi_Minh"')

    url = settings["database"]["url"]
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in DATABASE_SCHEMES:
        bad(
            "database",
            "url",
            "cần địa chỉ bắt đầu bằng sqlite://, postgres://, postgresql:// hoặc asyncpg://",
        )
    elif scheme == "sqlite" and not rest.partition("?")[0]:
        bad(
            "database", "url", "thiếu đường dẫn tệp sau sqlite://, ví dụ sqlite://var/hocba.sqlite3"
        )

    telegram = settings["telegram"]
    webhook = telegram["mode"] == "webhook"
    if telegram["mode"] not in TELEGRAM_MODES:
        bad("telegram", "mode", 'cần "polling" hoặc "webhook"')
    if telegram["webhook_url"] and not _HTTPS_URL.fullmatch(telegram["webhook_url"]):
        bad(
            "telegram",
            "webhook_url",
            "cần một địa chỉ HTTPS công khai, ví dụ https://hocba.example.edu.vn/telegram",
        )
    elif webhook and not telegram["webhook_url"]:
        problems.append(
            f'{label("telegram", "webhook_url")} đang trống: bắt buộc khi mode = "webhook" '
            "(địa chỉ HTTPS công khai mà Telegram gửi cập nhật tới)."
        )
    if telegram["webhook_secret"] and not _WEBHOOK_SECRET.fullmatch(telegram["webhook_secret"]):
        bad("telegram", "webhook_secret", "cần 1–256 ký tự, chỉ gồm A-Z, a-z, 0-9, _ và -")
    elif webhook and not telegram["webhook_secret"]:
        problems.append(
            f'{label("telegram", "webhook_secret")} đang trống: bắt buộc khi mode = "webhook"; '
            "đặt 1–256 ký tự A-Z a-z 0-9 _ -, ví dụ tạo bằng lệnh "
            'python3 -c "import secrets; print(secrets.token_urlsafe(32))".'
        )

    if settings["log"]["format"] not in FORMATS:
        bad("log", "format", 'cần "text" hoặc "json"')
    if settings["log"]["level"] not in LEVELS:
        bad("log", "level", "cần một trong " + ", ".join(f'"{name}"' for name in LEVELS))

    backends = ", ".join(f'"{name}"' for name in SIGNING_BACKENDS)
    if settings["signing"]["backend"] not in SIGNING_BACKENDS:
        bad("signing", "backend", f"cần một trong {backends}")
    for code, backend in settings["signing"]["people"].items():
        if backend not in SIGNING_BACKENDS:
            problems.append(
                f"[signing.people] {_show(code)} = {_show(backend)}: cần một trong {backends}."
            )


def _redact(value: object, f: Field | None) -> object:
    """Secrets become "***" (empty stays empty, which says "not set"); URLs lose their password."""
    redact = f.metadata.get("redact") if f else None
    if redact == "secret" and value != "":
        return "***"
    if redact == "url" and isinstance(value, str):
        return _URL_PASSWORD.sub(r"\1:***@", value)
    return value


def _show(value: object, f: Field | None = None) -> str:
    """A value as it would be written in TOML, for an error message (secrets hidden)."""
    return json.dumps(_redact(value, f), ensure_ascii=False, default=str)


def _plain(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, time | datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, Mapping):
        return dict(value)
    return value
