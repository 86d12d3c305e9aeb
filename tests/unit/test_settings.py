"""Settings: defaults, the environment, one TOML file, the environment over the file, errors naming the key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

from fapiao.exceptions import ConfigurationError
from fapiao.settings import KEYS, Settings, load

# Every key that holds a count, a port, a size or a duration (seconds).
NUMERIC = tuple(k.name for k in KEYS if re.search(r"_(S|PORT|PARTITIONS|BATCH|ATTEMPTS|BURST|BYTES)$", k.name))
SECONDS = tuple(name for name in NUMERIC if name.endswith("_S"))


@pytest.fixture
def config_factory(tmp_path: Path) -> Callable[[str], Path]:
    """`config_factory(toml_text)`: a FAPIAO_CONFIG file holding that text."""

    def make(text: str) -> Path:
        path = tmp_path / "fapiao.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return make


@pytest.fixture
def config(config_factory: Callable[[str], Path]) -> Path:
    return config_factory('FAPIAO_TOPIC_PREFIX = "acme"\nFAPIAO_PARTITIONS = 12\nFAPIAO_RETRY_CAP_S = 30.5\n')


def test_the_numeric_keys_are_found() -> None:
    assert {"FAPIAO_PARTITIONS", "FAPIAO_GATEWAY_PORT", "FAPIAO_WEB_PORT", "FAPIAO_ISSUE_BATCH",
            "FAPIAO_MAX_ATTEMPTS", "FAPIAO_PROVIDER_TIMEOUT_S", "FAPIAO_RETRY_BASE_S"} <= set(NUMERIC)
    assert "FAPIAO_KINGDEE_USER" not in NUMERIC  # a phone number is text


def test_keys_are_unique_documented_and_fapiao_prefixed() -> None:
    names = [k.name for k in KEYS]
    assert len(names) == len(set(names))
    assert all(name.startswith("FAPIAO_") and key.meaning for name, key in zip(names, KEYS))


def test_defaults() -> None:
    settings = load({})
    assert isinstance(settings, Settings)
    assert (settings.kafka_bootstrap, settings.schema_registry_url) == (None, None)
    assert (settings.topic_prefix, settings.partitions, settings.app_id) == ("fapiao", 6, "fapiao-stream")
    assert (settings.gateway_host, settings.gateway_port) == ("127.0.0.1", 8780)
    assert (settings.web_host, settings.web_port, settings.data_dir) == ("127.0.0.1", 8781, Path("var"))
    assert (settings.max_attempts, settings.retry_base_s, settings.retry_cap_s) == (8, 1.0, 60.0)
    assert (settings.in_doubt_grace_s, settings.pending_recheck_s, settings.provider_timeout_s) == (5.0, 60.0, 10.0)
    assert settings.kingdee.base_url is None and settings.kingdee.aes_password is None
    assert (settings.kingdee.app_id, settings.kingdee.business_system_code) == ("sandbox-app", "FAPIAO_STREAM")
    assert (settings.yipiaoyun.base_url, settings.yipiaoyun.sign_type) == (None, "MD5")


def test_every_default_loads() -> None:
    """The defaults in KEYS are themselves valid values."""
    assert load({k.name: k.default for k in KEYS if k.default is not None and k.name != "FAPIAO_CONFIG"}) == load({})


def test_the_environment_overrides_defaults() -> None:
    settings = load({"FAPIAO_KAFKA_BOOTSTRAP": "kafka-1:9092,kafka-2:9092", "FAPIAO_PARTITIONS": "24",
                     "FAPIAO_SCHEMA_REGISTRY_URL": "http://registry:8081", "FAPIAO_RETRY_BASE_S": "0.25",
                     "FAPIAO_KINGDEE_BASE_URL": "https://api.piaozone.com", "FAPIAO_DATA_DIR": "/data"})
    assert settings.kafka_bootstrap == "kafka-1:9092,kafka-2:9092"
    assert (settings.partitions, settings.retry_base_s, settings.data_dir) == (24, 0.25, Path("/data"))
    assert settings.schema_registry_url == "http://registry:8081"
    assert settings.kingdee.base_url == "https://api.piaozone.com"


def test_an_empty_variable_counts_as_unset(config: Path) -> None:
    assert load({"FAPIAO_PARTITIONS": ""}).partitions == 6
    assert load({"FAPIAO_CONFIG": str(config), "FAPIAO_PARTITIONS": ""}).partitions == 12


def test_the_file_overrides_defaults(config: Path) -> None:
    settings = load({"FAPIAO_CONFIG": str(config)})
    assert (settings.topic_prefix, settings.partitions, settings.retry_cap_s) == ("acme", 12, 30.5)


def test_the_environment_wins_over_the_file(config: Path) -> None:
    settings = load({"FAPIAO_CONFIG": str(config), "FAPIAO_PARTITIONS": "3", "FAPIAO_TOPIC_PREFIX": "env"})
    assert (settings.partitions, settings.topic_prefix, settings.retry_cap_s) == (3, "env", 30.5)


def test_load_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch, config: Path) -> None:
    for key in KEYS:
        monkeypatch.delenv(key.name, raising=False)
    monkeypatch.setenv("FAPIAO_CONFIG", str(config))
    monkeypatch.setenv("FAPIAO_WEB_PORT", "9999")
    settings = load()
    assert (settings.web_port, settings.partitions) == (9999, 12)


def test_an_unknown_key_in_the_file_is_an_error_naming_it(config_factory) -> None:
    path = config_factory('FAPIAO_PARTITIONS = 6\nFAPIAO_PARTITION = 7\nkafka = "x"\n')
    with pytest.raises(ConfigurationError, match=r"unknown keys FAPIAO_PARTITION, kafka") as caught:
        load({"FAPIAO_CONFIG": str(path)})
    assert str(path) in str(caught.value)


def test_a_table_in_the_file_is_an_unknown_key(config_factory) -> None:
    with pytest.raises(ConfigurationError, match="unknown keys kingdee"):
        load({"FAPIAO_CONFIG": str(config_factory('[kingdee]\napp_id = "x"\n'))})


@pytest.mark.parametrize("text", ['FAPIAO_PARTITIONS = \n', "= 3\n", 'FAPIAO_TOPIC_PREFIX = "a"\nFAPIAO_TOPIC_PREFIX = "b"\n'])
def test_a_file_that_is_not_toml_names_the_setting(config_factory, text: str) -> None:
    with pytest.raises(ConfigurationError, match="FAPIAO_CONFIG="):
        load({"FAPIAO_CONFIG": str(config_factory(text))})


def test_a_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=f"FAPIAO_CONFIG={tmp_path / 'nope.toml'}"):
        load({"FAPIAO_CONFIG": str(tmp_path / "nope.toml")})


@pytest.mark.parametrize("value", ["abc", "", " ", "1,000", "0x10", "6 partitions", "true"])
@pytest.mark.parametrize("name", NUMERIC)
def test_a_number_that_is_not_one_is_an_error_naming_the_key(name: str, value: str) -> None:
    if not value.strip():
        value = "[]"  # blank means unset; this is the smallest non-number left
    with pytest.raises(ConfigurationError, match=f"^{name}="):
        load({name: value})


@pytest.mark.parametrize("value", ["0", "-1", "-0.5", "-100"])
@pytest.mark.parametrize("name", NUMERIC)
def test_a_number_that_is_not_positive_is_an_error_naming_the_key(name: str, value: str) -> None:
    if name not in SECONDS and "." in value:
        value = value.split(".")[0] or "0"
    with pytest.raises(ConfigurationError, match=f"^{name}=.*(positive|not a)"):
        load({name: value})


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "Infinity", "1e400"])
@pytest.mark.parametrize("name", SECONDS)
def test_a_duration_that_is_not_finite_is_an_error_naming_the_key(name: str, value: str) -> None:
    """nan passes `<= 0`, and timedelta(seconds=inf) raises far from here without naming anything."""
    with pytest.raises(ConfigurationError, match=f"^{name}="):
        load({name: value})


@pytest.mark.parametrize("name", [n for n in NUMERIC if n not in SECONDS])
def test_a_count_is_a_whole_number(name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{name}='2.5' is not a int"):
        load({name: "2.5"})


def test_a_toml_number_of_the_wrong_kind_names_the_key(config_factory) -> None:
    with pytest.raises(ConfigurationError, match="^FAPIAO_PARTITIONS='6.0'"):
        load({"FAPIAO_CONFIG": str(config_factory("FAPIAO_PARTITIONS = 6.0\n"))})


@pytest.mark.parametrize(("written", "read"), [("MD5", "MD5"), ("md5", "MD5"), ("sha1", "SHA1"), ("Sha256", "SHA256")])
def test_sign_types_are_read_in_any_case(written: str, read: str) -> None:
    assert load({"FAPIAO_YIPIAOYUN_SIGN_TYPE": written}).yipiaoyun.sign_type == read


@pytest.mark.parametrize("written", ["SHA512", "RSA", "SHA-256", "none"])
def test_an_unknown_sign_type_is_an_error_naming_the_key(written: str) -> None:
    with pytest.raises(ConfigurationError, match="FAPIAO_YIPIAOYUN_SIGN_TYPE=.*MD5, SHA1 or SHA256"):
        load({"FAPIAO_YIPIAOYUN_SIGN_TYPE": written})


@pytest.mark.parametrize(("written", "read"), [(None, None), ("auto", None), ("ON", True), ("on", True), ("off", False)])
def test_the_consoles_secure_cookie_is_auto_on_or_off(written: str | None, read: bool | None) -> None:
    assert load({"FAPIAO_CONSOLE_SECURE_COOKIE": written} if written else {}).console_secure_cookie is read


@pytest.mark.parametrize("written", ["yes", "true", "1", "secure"])
def test_a_secure_cookie_switch_that_is_not_one_names_the_key(written: str) -> None:
    with pytest.raises(ConfigurationError, match="FAPIAO_CONSOLE_SECURE_COOKIE=.*AUTO, ON, OFF"):
        load({"FAPIAO_CONSOLE_SECURE_COOKIE": written})


def test_secrets_are_not_in_the_settings_repr() -> None:
    """'Secrets are read like any key but never printed': a logged or displayed Settings must not leak them."""
    secrets: dict[str, Any] = {k.name: f"s3cret-{i}-value" for i, k in enumerate(KEYS) if k.secret}
    assert "FAPIAO_KINGDEE_APP_SECRET" in secrets and "FAPIAO_YIPIAOYUN_APP_SECRET" in secrets
    settings = load(secrets)
    assert settings.kingdee.app_secret == secrets["FAPIAO_KINGDEE_APP_SECRET"]
    text = repr(settings)
    assert not [value for value in secrets.values() if value in text]
