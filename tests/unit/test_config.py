"""The configuration loader: defaults, file, environment, paths, and every validation message."""

from __future__ import annotations

import json
import shutil
import tomllib
from dataclasses import fields
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, FamiliesConfig, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
MODULE = Path(__file__)  # an existing file where a PKCS#11 library's path is expected


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real trust root file: a CA certificate in PEM."""
    from demo.pki import make_ca, pem

    path = tmp_path_factory.mktemp("roots") / "root-ca.pem"
    path.write_bytes(pem(make_ca().certificate))
    return path


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test from an empty directory, so a developer's ./config.toml never leaks in."""
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path | None = None, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={} if environ is None else environ)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_defaults_without_any_file(tmp_path: Path) -> None:
    config = load_config(environ={})

    assert config.school.code == ""
    assert config.school.timezone == "Asia/Ho_Chi_Minh"
    assert config.school.language == "vi"
    assert config.database.url == f"sqlite://{tmp_path}/var/hocba.sqlite3"
    assert config.storage.dir == tmp_path / "var" / "files"
    assert config.telegram.token == ""
    assert config.telegram.mode == "polling"
    assert (config.web.host, config.web.port) == ("127.0.0.1", 8080)
    assert config.signing.backend == "csc"  # people approve their own signatures
    assert config.signing.seal == "pkcs11"  # the school's seal on a token or HSM
    assert config.signing.pkcs12_dir == tmp_path / "var" / "keys"
    assert config.demo.enabled is False
    assert dict(config.signing.people) == {}
    assert config.trust.roots == ()
    assert config.reminders.quiet_start == time(21, 0)
    assert config.reminders.quiet_end == time(6, 30)
    assert config.staging.now is None


def test_values_from_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[school]
code = "THCS-DA"
timezone = "Asia/Bangkok"
[database]
url = "postgres://hocba:pw@db.local:5432/hocba"
[telegram]
token = "123:abc"
base_url = "http://127.0.0.1:8081/bot"
[web]
host = "0.0.0.0"
port = 9000
[signing]
backend = "pkcs11"
pkcs11_module = "{module}"
[signing.people]
"GV001" = "csc"
[reminders]
quiet_start = "22:15"
quiet_end = 05:45:00
""".replace("{module}", str(MODULE)),
    )

    config = load_config(path, environ={})

    assert config.school.code == "THCS-DA"
    assert config.school.timezone == "Asia/Bangkok"
    assert config.database.url == "postgres://hocba:pw@db.local:5432/hocba"
    assert config.telegram.token == "123:abc"
    assert config.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert (config.web.host, config.web.port) == ("0.0.0.0", 9000)
    assert config.signing.backend == "pkcs11"
    assert config.signing.pkcs11_module == str(MODULE)
    assert dict(config.signing.people) == {"GV001": "csc"}
    assert config.reminders.quiet_start == time(22, 15)
    assert config.reminders.quiet_end == time(5, 45)
    assert config.require_token() == "123:abc"


def test_file_found_through_hocba_config_and_in_the_current_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    write(elsewhere, "[web]\nport = 8001\n")
    write(tmp_path, "[web]\nport = 8002\n")

    assert load_config(environ={"HOCBA_CONFIG": str(elsewhere / "config.toml")}).web.port == 8001
    assert load_config(environ={}).web.port == 8002


def test_environment_wins_over_the_file_and_is_converted(tmp_path: Path, root: Path) -> None:
    path = write(tmp_path, '[web]\nport = 9000\n[telegram]\nbase_url = "http://file"\n')
    environ = {
        "HOCBA_WEB_PORT": " 8443 ",
        "HOCBA_TELEGRAM_BASE_URL": "http://env",
        "HOCBA_TELEGRAM_TOKEN": "42:from-env",
        "HOCBA_DATABASE_URL": "postgres://db/hocba",
        "HOCBA_TRUST_ROOTS": f"{root}, {root},",
        "HOCBA_REMINDERS_QUIET_START": "20:30",
        "HOCBA_SCHOOL_CODE": "",  # empty = not set: the file's (here the default) value stays
    }

    config = load_config(path, environ=environ)

    assert config.web.port == 8443
    assert config.telegram.base_url == "http://env"
    assert config.telegram.token == "42:from-env"
    assert config.database.url == "postgres://db/hocba"
    assert config.trust.roots == (root, root)
    assert config.reminders.quiet_start == time(20, 30)
    assert config.school.code == ""


def test_relative_paths_are_resolved_against_the_file_directory(tmp_path: Path, root: Path) -> None:
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    path = write(
        conf_dir,
        """
[database]
url = "sqlite://data/hocba.sqlite3?journal_mode=wal"
[storage]
dir = "files"
[signing]
pkcs12_dir = "/srv/keys"
[trust]
roots = ["certs/root.pem", "{root}"]
""".replace("{root}", str(root)),
    )
    (conf_dir / "certs").mkdir()
    shutil.copy(root, conf_dir / "certs" / "root.pem")

    config = load_config(path, environ={})

    assert config.database.url == f"sqlite://{conf_dir}/data/hocba.sqlite3?journal_mode=wal"
    assert config.storage.dir == conf_dir / "files"
    assert config.signing.pkcs12_dir == Path("/srv/keys")
    assert config.trust.roots == (conf_dir / "certs" / "root.pem", root)


def test_a_home_relative_path_is_expanded(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(root, tmp_path / "ca.pem")

    assert load_config(environ={"HOCBA_TRUST_ROOTS": "~/ca.pem"}).trust.roots == (
        tmp_path / "ca.pem",
    )


@pytest.mark.parametrize("url", ["sqlite://:memory:", "sqlite:///abs/hocba.sqlite3"])
def test_memory_and_absolute_sqlite_urls_stay_as_they_are(url: str) -> None:
    assert load_config(environ={"HOCBA_DATABASE_URL": url}).database.url == url


def test_wrong_types_are_reported_with_the_value_and_what_is_needed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[school]
code = 12
[web]
port = "abc"
[trust]
roots = "ca.pem"
[reminders]
quiet_start = "25:00"
[signing]
people = 3
""",
    )

    assert problems(path) == [
        "[school] code = 12: cần một chuỗi trong dấu nháy kép.",
        '[web] port = "abc": cần một số nguyên từ 1 đến 65535.',
        '[trust] roots = "ca.pem": cần một danh sách đường dẫn, ví dụ ["certs/root-ca.pem"].',
        '[reminders] quiet_start = "25:00": cần giờ dạng "HH:MM", ví dụ "21:00".',
        '[signing] people = 3: cần một bảng [signing.people] dạng "mã cán bộ" = "cách ký".',
    ]


@pytest.mark.parametrize("port", ["0", "65536", "true"])
def test_port_out_of_range_or_boolean(tmp_path: Path, port: str) -> None:
    assert problems(write(tmp_path, f"[web]\nport = {port}\n")) == [
        f"[web] port = {port}: cần một số nguyên từ 1 đến 65535."
    ]


def test_environment_values_that_do_not_convert_name_the_variable() -> None:
    assert problems(environ={"HOCBA_WEB_PORT": "abc", "HOCBA_WEB_HOST": "::"}) == [
        'HOCBA_WEB_PORT = "abc": cần một số nguyên từ 1 đến 65535.'
    ]


def test_unknown_sections_and_keys_suggest_the_nearest_valid_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
tokn = "123:secret"
zzz = 1
[telegarm]
mode = "polling"
[cache]
size = 1
[web]
prot = 8080
[database]
qqq = 1
""",
    )

    assert problems(path) == [
        "tokn: khóa nằm ngoài mọi mục — có phải ý bạn là token trong mục [telegram]?",
        "zzz: khóa nằm ngoài mọi mục — mỗi khóa phải nằm dưới một mục như [telegram].",
        "[telegarm]: không có mục này — có phải ý bạn là [telegram]?",
        "[cache]: không có mục này — các mục hợp lệ: [school], [database], [storage], "
        "[telegram], [web], [signing], [trust], [reminders], [workers], [log], [staging], "
        "[families], [backup], [demo].",
        '[web] prot: không có khóa này — có phải ý bạn là "port"?',
        "[database] qqq: không có khóa này — các khóa hợp lệ trong [database]: url.",
    ]


def test_a_section_given_as_a_value(tmp_path: Path) -> None:
    assert problems(write(tmp_path, "web = 8080\n")) == [
        "web: phải là một mục [web] chứa các khóa, không phải một giá trị."
    ]


@pytest.mark.parametrize("mode", ["Polling", "push"])
def test_mode_must_be_polling_or_webhook(mode: str) -> None:
    assert problems(environ={"HOCBA_TELEGRAM_MODE": mode}) == [
        f'HOCBA_TELEGRAM_MODE = "{mode}": cần "polling" hoặc "webhook".'
    ]


def test_webhook_mode_requires_url_and_secret(tmp_path: Path) -> None:
    found = problems(write(tmp_path, '[telegram]\nmode = "webhook"\n'))

    assert len(found) == 2
    assert found[0].startswith('[telegram] webhook_url đang trống: bắt buộc khi mode = "webhook"')
    assert found[1].startswith(
        '[telegram] webhook_secret đang trống: bắt buộc khi mode = "webhook"'
    )


def test_webhook_url_must_be_https_and_secret_well_formed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[telegram]\nmode = "webhook"\nwebhook_url = "http://bot.example.vn/tg"\n'
        'webhook_secret = "has space"\n',
    )

    assert problems(path) == [
        '[telegram] webhook_url = "http://bot.example.vn/tg": cần một địa chỉ HTTPS công khai, '
        "ví dụ https://hocba.example.edu.vn/telegram.",
        '[telegram] webhook_secret = "***": cần 1–256 ký tự, chỉ gồm A-Z, a-z, 0-9, _ và -.',
    ]


def test_a_valid_webhook_configuration() -> None:
    config = load_config(
        environ={
            "HOCBA_TELEGRAM_MODE": "webhook",
            "HOCBA_TELEGRAM_WEBHOOK_URL": "https://bot.example.vn/tg",
            "HOCBA_TELEGRAM_WEBHOOK_SECRET": "A-z_09" * 40,
        }
    )

    assert config.telegram.webhook_url == "https://bot.example.vn/tg"
    assert problems(environ={"HOCBA_TELEGRAM_WEBHOOK_SECRET": "x" * 257}) == [
        'HOCBA_TELEGRAM_WEBHOOK_SECRET = "***": cần 1–256 ký tự, chỉ gồm A-Z, a-z, 0-9, _ và -.'
    ]


@pytest.mark.parametrize("zone", ["Asia/Hanoi", "", "../etc/passwd"])
def test_unknown_timezone(tmp_path: Path, zone: str) -> None:
    assert problems(write(tmp_path, f'[school]\ntimezone = "{zone}"\n')) == [
        f'[school] timezone = "{zone}": múi giờ không tồn tại; dùng tên dạng "Asia/Ho_Chi_Minh".'
    ]


@pytest.mark.parametrize(
    "url", ["mysql://db/hocba", "var/hocba.sqlite3", "postgress://u:pw@db/hocba"]
)
def test_database_scheme_must_be_known(url: str) -> None:
    shown = url.replace(":pw@", ":***@")  # a password never reaches an error message
    assert problems(environ={"HOCBA_DATABASE_URL": url}) == [
        f'HOCBA_DATABASE_URL = "{shown}": cần địa chỉ bắt đầu bằng sqlite://, postgres://, '
        "postgresql:// hoặc asyncpg://."
    ]


@pytest.mark.parametrize("url", ["postgresql://db/x", "asyncpg://db/x", "postgres://db/x"])
def test_postgres_schemes_are_accepted(url: str) -> None:
    assert load_config(environ={"HOCBA_DATABASE_URL": url}).database.url == url


def test_sqlite_url_needs_a_file() -> None:
    assert problems(environ={"HOCBA_DATABASE_URL": "sqlite://"}) == [
        'HOCBA_DATABASE_URL = "sqlite://": thiếu đường dẫn tệp sau sqlite://, '
        "ví dụ sqlite://var/hocba.sqlite3."
    ]


def test_signing_backends_are_checked_including_per_person(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[signing]\nbackend = "pkcs13"\n[signing.people]\n"GV001" = "csc"\n"GV002" = "usb"\n'
        '"GV003" = 1\n',
    )

    assert problems(path) == [
        '[signing] backend = "pkcs13": cần một trong "csc", "pkcs11", "pkcs12".',
        '[signing.people] "GV002" = "usb": cần một trong "csc", "pkcs11", "pkcs12".',
        '[signing.people] "GV003" = 1: cần một trong "csc", "pkcs11", "pkcs12".',
    ]


def test_malformed_toml_reports_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nport = = 8080\n")

    assert problems(path) == [
        f"Tệp cấu hình {path} sai cú pháp TOML ở dòng 2, cột 8: Invalid value."
    ]
    truncated = write(tmp_path, "[web]\nport =", name="cut.toml")
    assert problems(truncated) == [
        f"Tệp cấu hình {truncated} sai cú pháp TOML: Invalid value (at end of document)."
    ]


def test_file_that_is_not_utf8_or_not_a_file(tmp_path: Path) -> None:
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[school]\ncode = "Trường"\n'.encode("utf-16"))

    assert problems(latin) == [
        f"Tệp cấu hình {latin} không phải văn bản UTF-8: hãy lưu lại với mã UTF-8."
    ]
    assert problems(tmp_path) == [
        f"Tệp cấu hình {tmp_path} không phải một tệp văn bản nhỏ (tệp cấu hình chỉ vài KB): "
        "kiểm tra đường dẫn (hoặc biến HOCBA_CONFIG)."
    ]


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('[school]\ncode = "THCS-ĐA"\n'.encode("utf-8-sig"))

    assert load_config(path, environ={}).school.code == "THCS-ĐA"


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_missing_config_path(tmp_path: Path, how: str) -> None:
    missing = tmp_path / "nope.toml"
    found = (
        problems(missing) if how == "argument" else problems(environ={"HOCBA_CONFIG": str(missing)})
    )

    assert found == [
        f"Không tìm thấy tệp cấu hình {missing}: kiểm tra đường dẫn (hoặc biến HOCBA_CONFIG), "
        "hoặc chép config.example.toml thành config.toml."
    ]


def test_several_problems_are_all_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[web]\nport = "abc"\nhots = "x"\n[telegram]\nmode = "webhook"\n'
        '[database]\nurl = "mysql://x"\n[signing]\nbackend = "usb"\n',
    )

    found = problems(path, environ={"HOCBA_SCHOOL_TIMEZONE": "Moon/Base"})

    assert len(found) == 7
    assert str(ConfigError(found)).count("\n") == 6
    for fragment in ("port", "hots", "webhook_url", "webhook_secret", "mysql", "usb", "Moon"):
        assert any(fragment in line for line in found), fragment


def test_require_token_explains_how_to_get_one() -> None:
    with pytest.raises(ConfigError) as caught:
        Config().require_token()

    (message,) = caught.value.problems
    assert "@BotFather" in message
    assert "/newbot" in message
    assert "HOCBA_TELEGRAM_TOKEN=" in message
    assert "config.toml" in message
    assert "\n" not in message


def test_redacted_hides_secrets_and_is_json(tmp_path: Path, root: Path) -> None:
    path = write(
        tmp_path,
        '[telegram]\ntoken = "123:tok"\nwebhook_secret = "s3cret"\n'
        '[signing]\npkcs11_token_label = "HSM1"\ncsc_client_secret = "cs"\n'
        '[database]\nurl = "postgres://hocba:pw@db:5432/hocba"\n',
    )

    shown = load_config(
        path, environ={"HOCBA_SIGNING_PKCS11_PIN": "1234", "HOCBA_TRUST_ROOTS": str(root)}
    ).redacted()

    assert shown["telegram"]["token"] == "***"
    assert shown["telegram"]["webhook_secret"] == "***"
    assert shown["signing"]["pkcs11_pin"] == "***"
    assert shown["signing"]["csc_client_secret"] == "***"
    assert shown["signing"]["pkcs12_password"] == ""  # not set, and visibly so
    assert shown["signing"]["pkcs11_token_label"] == "HSM1"
    assert shown["database"]["url"] == "postgres://hocba:***@db:5432/hocba"
    assert shown["trust"]["roots"] == [str(root)]
    assert shown["demo"] == {"enabled": False}
    assert shown["reminders"] == {"quiet_start": "21:00", "quiet_end": "06:30"}
    text = json.dumps(shown)
    for secret in ("123:tok", "s3cret", "1234", '"cs"', ":pw@"):
        assert secret not in text


def test_secrets_are_not_echoed_in_error_messages(tmp_path: Path) -> None:
    assert problems(write(tmp_path, "[signing]\npkcs11_pin = 1234\n")) == [
        '[signing] pkcs11_pin = "***": cần một chuỗi trong dấu nháy kép.'
    ]


def test_example_file_loads_and_equals_the_built_in_defaults(tmp_path: Path) -> None:
    copy = shutil.copy(EXAMPLE, tmp_path / "config.example.toml")

    assert (
        load_config(copy, environ={})
        == load_config(environ={})
        == load_config(environ={"HOCBA_CONFIG": str(copy)})
    )


def test_example_file_has_exactly_the_keys_of_the_dataclasses() -> None:
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    defaults = Config()

    assert list(example) == [f.name for f in fields(Config)]
    for name, table in example.items():
        assert list(table) == [f.name for f in fields(getattr(defaults, name))], name


@pytest.mark.parametrize(
    "written",
    ['"2026-05-20 08:00"', '"20/05/2026 08:00"', '"2026-05-20T08:00"', "2026-05-20T08:00:00"],
)
def test_staging_clock_in_the_file(tmp_path: Path, written: str) -> None:
    config = load_config(write(tmp_path, f"[staging]\nnow = {written}\n"), environ={})

    assert config.staging.now == datetime(2026, 5, 20, 8, 0)  # the school's wall clock
    assert config.redacted()["staging"] == {"now": "2026-05-20T08:00"}


def test_staging_clock_from_the_environment_with_an_offset_kept() -> None:
    assert load_config(environ={"HOCBA_STAGING_NOW": "2026-05-20 08:00"}).staging.now == (
        datetime(2026, 5, 20, 8, 0)
    )
    offset = load_config(write(Path.cwd(), "[staging]\nnow = 2026-05-20T08:00:00+07:00\n"))
    assert offset.staging.now == datetime(2026, 5, 20, 8, 0, tzinfo=timezone(timedelta(hours=7)))


@pytest.mark.parametrize("value", ["2026-13-45 08:00", "tomorrow", "20/05/2026", "8:00"])
def test_a_malformed_staging_clock_is_refused_with_the_form_expected(value: str) -> None:
    assert problems(environ={"HOCBA_STAGING_NOW": value}) == [
        f'HOCBA_STAGING_NOW = "{value}": cần ngày giờ theo giờ của trường, dạng '
        '"2026-05-20 08:00" (hoặc "20/05/2026 08:00"); "" để dùng giờ thật.'
    ]


def test_a_staging_date_without_a_time_is_refused(tmp_path: Path) -> None:
    assert problems(write(tmp_path, "[staging]\nnow = 2026-05-20\n")) == [
        '[staging] now = "2026-05-20": cần ngày giờ theo giờ của trường, dạng '
        '"2026-05-20 08:00" (hoặc "20/05/2026 08:00"); "" để dùng giờ thật.'
    ]


# --------------------------------------------------- keys stay with their owners (001 Điều 8.3)


def test_demo_mode_signs_with_the_demo_key_files_unless_told_otherwise() -> None:
    config = load_config(environ={"HOCBA_DEMO_ENABLED": "true"})
    assert config.demo.enabled is True
    assert (config.signing.backend, config.signing.seal) == ("pkcs12", "pkcs12")

    named = load_config(environ={"HOCBA_DEMO_ENABLED": "yes", "HOCBA_SIGNING_BACKEND": "csc"})
    assert (named.signing.backend, named.signing.seal) == ("csc", "pkcs12")


@pytest.mark.parametrize(
    ("written", "enabled"),
    [("true", True), ("1", True), ("YES", True), ("false", False), ("0", False), ("no", False)],
)
def test_the_demo_switch_from_the_environment(written: str, enabled: bool) -> None:
    assert load_config(environ={"HOCBA_DEMO_ENABLED": written}).demo.enabled is enabled


def test_the_demo_switch_in_the_file(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[demo]\nenabled = true\n"), environ={}).demo.enabled
    assert problems(write(tmp_path, '[demo]\nenabled = "oui"\n')) == [
        '[demo] enabled = "oui": cần true hoặc false.'
    ]


def test_personal_key_files_outside_demo_mode_are_one_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[signing]\nbackend = "pkcs12"\n[signing.people]\n"GV001" = "pkcs12"\n"GV002" = "csc"\n',
    )

    (line,) = problems(path)

    assert line.startswith(
        '[signing] backend, [signing.people] "GV001" = "pkcs12": tệp khóa PKCS#12 trên máy chủ '
        "chỉ dùng cho chế độ trình diễn ([demo] enabled = true)"
    )
    assert "Điều 8.3, 11.1" in line and '"csc"' in line and '"pkcs11"' in line
    assert load_config(path, environ={"HOCBA_DEMO_ENABLED": "true"}).signing.backend == "pkcs12"


def test_the_seal_lives_on_a_token_or_hsm() -> None:
    (line,) = problems(environ={"HOCBA_SIGNING_SEAL": "pkcs12"})
    assert line.startswith(
        'HOCBA_SIGNING_SEAL = "pkcs12": con dấu số của trường phải nằm trên token hoặc HSM do '
        "văn thư giữ (Quy chế 001, Điều 11.2)"
    )
    assert problems(environ={"HOCBA_SIGNING_SEAL": "csc"}) == [
        'HOCBA_SIGNING_SEAL = "csc": cần "pkcs11" (token hoặc HSM giữ con dấu số của trường; '
        '"pkcs12" chỉ ở chế độ trình diễn).'
    ]
    demo = {"HOCBA_SIGNING_SEAL": "pkcs12", "HOCBA_DEMO_ENABLED": "true"}
    assert load_config(environ=demo).signing.seal == "pkcs12"


def test_the_seal_is_not_a_person(tmp_path: Path) -> None:
    assert problems(write(tmp_path, '[signing.people]\n"SEAL" = "pkcs11"\n')) == [
        '[signing.people] "SEAL": con dấu của trường được cấu hình bằng khóa seal trong mục '
        "[signing], không nằm trong [signing.people]."
    ]


@pytest.mark.parametrize(
    "url", ["https://ky-so.example.vn/csc/v1", "http://127.0.0.1:8765/csc/v1", ""]
)
def test_a_remote_signing_service_is_called_over_https(url: str) -> None:
    assert load_config(environ={"HOCBA_SIGNING_CSC_URL": url}).signing.csc_url == url


@pytest.mark.parametrize("url", ["http://ky-so.example.vn/csc/v1", "ky-so.example.vn", "ftp://x/"])
def test_a_remote_signing_service_that_is_not_https(url: str) -> None:
    assert problems(environ={"HOCBA_SIGNING_CSC_URL": url}) == [
        f'HOCBA_SIGNING_CSC_URL = "{url}": cần địa chỉ https:// của dịch vụ ký số từ xa '
        '(CSC API v1), ví dụ "https://ky-so.example.vn/csc/v1".'
    ]


def test_paths_that_cannot_work_name_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "afile").write_text("x")
    assert problems(
        environ={
            "HOCBA_DATABASE_URL": f"sqlite://{tmp_path / 'data'}",
            "HOCBA_STORAGE_DIR": str(tmp_path / "afile" / "files"),
            "HOCBA_SIGNING_PKCS11_MODULE": str(tmp_path / "nope.so"),
            "HOCBA_TRUST_ROOTS": str(tmp_path / "afile"),
        }
    ) == [
        f'HOCBA_SIGNING_PKCS11_MODULE = "{tmp_path}/nope.so": không có tệp này; cần đường dẫn '
        "tệp thư viện PKCS#11 (.so) của token, cài kèm phần mềm của token, ví dụ "
        '"/usr/lib/softhsm/libsofthsm2.so".',
        f'HOCBA_DATABASE_URL = "sqlite://{tmp_path}/data": {tmp_path}/data là một thư mục; cần '
        f"đường dẫn tới một tệp, ví dụ sqlite://{tmp_path}/data/hocba.sqlite3.",
        f'HOCBA_STORAGE_DIR = "{tmp_path}/afile/files": không lưu được tệp vào đó, vì '
        f"{tmp_path}/afile là một tệp, không phải thư mục; chọn thư mục khác hoặc cấp quyền ghi.",
        f"HOCBA_TRUST_ROOTS: tệp {tmp_path}/afile không phải chứng thư số (cần chứng thư gốc "
        "dạng PEM, -----BEGIN CERTIFICATE-----, hoặc DER, do nhà cung cấp chứng thư số gửi); "
        "kiểm tra đường dẫn trong [trust] roots.",
    ]


def test_families_code_channel_is_known_and_sms_needs_its_gateway(tmp_path: Path) -> None:
    assert problems(environ={"HOCBA_FAMILIES_CODE_CHANNEL": "email"}) == [
        'HOCBA_FAMILIES_CODE_CHANNEL = "email": cần một trong "clerk", "telegram", "sms" (mã một '
        "lần gửi cho phụ huynh lấy lại học bạ trên web)."
    ]
    (found,) = problems(write(tmp_path, '[families]\ncode_channel = "sms"\n'))
    assert found.startswith('[families] sms_url = "": cần địa chỉ https:// của cổng gửi')
    config = load_config(
        environ={
            "HOCBA_FAMILIES_CODE_CHANNEL": "sms",
            "HOCBA_FAMILIES_SMS_URL": "https://sms.example.vn/api/send",
            "HOCBA_FAMILIES_SMS_TOKEN": "bi-mat",
        }
    )
    assert config.families.code_channel == "sms"
    assert config.redacted()["families"]["sms_token"] == "***"
    assert FamiliesConfig().code_channel == "clerk"  # works with nothing more configured


def test_the_portal_address_in_qr_codes_is_one_a_phone_opens(tmp_path: Path) -> None:
    for bad in ("hocba.thcs-abc.edu.vn", "https://hocba.vn/?x=1", "ftp://hocba.vn", "https://"):
        (found,) = problems(environ={"HOCBA_WEB_PUBLIC_URL": bad})
        assert found.startswith(f'HOCBA_WEB_PUBLIC_URL = "{bad}": cần địa chỉ của cổng tra cứu')
    config = load_config(
        write(tmp_path, '[web]\npublic_url = "https://hocba.thcs-abc.edu.vn"\n', "portal.toml")
    )
    assert config.web.portal_url == "https://hocba.thcs-abc.edu.vn"
    assert load_config(environ={"HOCBA_WEB_PORT": "8090"}).web.portal_url == (
        "http://127.0.0.1:8090"  # unset: the served address, reachable inside the school only
    )


def test_the_log_format_and_level_are_checked() -> None:
    environ = {"HOCBA_LOG_FORMAT": "xml", "HOCBA_LOG_LEVEL": "LOUD"}
    with pytest.raises(ConfigError) as refused:
        load_config(None, environ=environ)
    said = "\n".join(refused.value.problems)
    assert 'HOCBA_LOG_FORMAT = "xml": cần "text" hoặc "json".' in said
    assert 'HOCBA_LOG_LEVEL = "LOUD": cần một trong "DEBUG", "INFO", "WARNING", "ERROR".' in said
    json_log = load_config(None, environ={"HOCBA_LOG_FORMAT": "json"}).log
    assert (json_log.format, json_log.level) == ("json", "INFO")


def test_trusted_proxies_are_addresses_or_networks() -> None:
    given = {"HOCBA_WEB_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8, ::1, proxy.local"}
    with pytest.raises(ConfigError) as refused:
        load_config(None, environ=given)
    (problem,) = refused.value.problems
    assert '"proxy.local" không phải địa chỉ IP hay dải mạng' in problem
    fine = load_config(None, environ={"HOCBA_WEB_TRUSTED_PROXIES": "127.0.0.1,::1"})
    assert fine.web.trusted_proxies == ("127.0.0.1", "::1")
