"""Log formatters: JSON with the serial as a field, and no secret value in any line, text or JSON."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest

from fapiao.logs import JsonFormatter, logging_config, secret_values
from fapiao.settings import load

ENV = {"FAPIAO_KINGDEE_APP_SECRET": "kd-secret-1", "FAPIAO_YIPIAOYUN_APP_SECRET": 'yp"secret\\2',
       "FAPIAO_GATEWAY_SHARED_SECRET": "gw-token-3", "FAPIAO_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
       "FAPIAO_KAFKA_SASL_USERNAME": "fapiao", "FAPIAO_KAFKA_SASL_PASSWORD": "sasl-pw-4",
       "FAPIAO_KINGDEE_USER": "13912345678"}
SECRETS = ["kd-secret-1", 'yp"secret\\2', "gw-token-3", "sasl-pw-4", "13912345678"]


def emit(log_format: str, *args: object, exc: bool = False, **extra: object) -> str:
    settings = load({**ENV, "FAPIAO_LOG_FORMAT": log_format})
    config = logging_config(settings)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(config["formatters"]["fapiao"]["()"](secrets=secret_values(settings)))
    logger = logging.getLogger(f"fapiao.test.{log_format}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        if exc:
            try:
                raise RuntimeError(f"connect failed with password {ENV['FAPIAO_KAFKA_SASL_PASSWORD']}")
            except RuntimeError:
                logger.exception(*args, extra=extra)  # type: ignore[arg-type]
        else:
            logger.warning(*args, extra=extra)  # type: ignore[arg-type]
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_every_secret_setting_is_known_to_the_formatter() -> None:
    assert set(secret_values(load(ENV))) == set(SECRETS)


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize("secret", SECRETS)
def test_no_secret_is_printed(log_format: str, secret: str) -> None:
    lines = emit(log_format, "calling with %s and %r", secret, {"secret": secret}, exc=True, serial="S-1",
                 password=secret)
    assert secret not in lines and json.dumps(secret)[1:-1] not in lines
    assert "***" in lines


def test_json_lines_carry_the_serial_and_only_known_fields() -> None:
    line = json.loads(emit("json", "provider %s call failed", "kingdee", serial="SN-42", password="pw", buyer="张三"))
    assert line["serial"] == "SN-42" and line["message"] == "provider kingdee call failed"
    assert set(line) == {"time", "level", "logger", "message", "serial"}


def test_the_config_installs_the_json_formatter_on_the_root_logger() -> None:
    config = logging_config(load({"FAPIAO_LOG_FORMAT": "json"}), "DEBUG")
    assert config["formatters"]["fapiao"]["()"] is JsonFormatter and config["root"]["level"] == "DEBUG"
    logging.config.dictConfig({**config, "root": {"level": "WARNING", "handlers": []}})  # accepted as a dictConfig
