"""The checks before a callback is stored: token buckets, the allow-list, and configuration from Settings."""

from __future__ import annotations

import ipaddress

import pytest

from fapiao.connectors.gateway import GatewayConfig
from fapiao.connectors.gateway.guards import TokenBuckets, allowed
from fapiao.exceptions import ConfigurationError
from fapiao.settings import KEYS, load


def test_a_source_gets_its_burst_then_the_rate() -> None:
    buckets = TokenBuckets(rate_per_s=2, burst=3)
    assert [buckets.take("10.0.0.1", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert buckets.take("10.0.0.1", now=0.5)  # half a second at 2/s refills one token
    assert not buckets.take("10.0.0.1", now=0.5)


def test_sources_have_their_own_buckets() -> None:
    buckets = TokenBuckets(rate_per_s=1, burst=1)
    assert buckets.take("10.0.0.1", now=0.0)
    assert not buckets.take("10.0.0.1", now=0.0)
    assert buckets.take("10.0.0.2", now=0.0)


def test_a_bucket_never_holds_more_than_the_burst() -> None:
    buckets = TokenBuckets(rate_per_s=100, burst=2)
    assert [buckets.take("a", now=1000.0) for _ in range(3)] == [True, True, False]


def test_many_sources_cost_bounded_memory() -> None:
    buckets = TokenBuckets(rate_per_s=1, burst=1, max_sources=3)
    for n in range(10):
        buckets.take(f"10.0.0.{n}", now=0.0)
    assert len(buckets._buckets) == 3


def test_allow_list() -> None:
    nets = (ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("::1/128"))
    assert allowed("10.1.2.3", nets) and allowed("::1", nets)
    assert not allowed("10.2.0.1", nets)
    assert not allowed("not-an-address", nets)
    assert allowed("203.0.113.9", ())  # no allow-list: everyone


def test_defaults_from_settings() -> None:
    config = GatewayConfig.from_settings(load({}), "fapiao.callbacks", "fapiao.signals")
    assert (config.max_body, config.ack_deadline_s, config.rate_per_s, config.burst) == (1048576, 5.0, 2000.0, 4000)
    assert config.allow == () and config.shared_secret is None and config.signals_topic == "fapiao.signals"
    assert not config.needs_token("kingdee")  # no secret configured: no route needs one


def test_configured_from_settings() -> None:
    settings = load({"FAPIAO_GATEWAY_ALLOW_CIDRS": "10.0.0.0/8, 192.168.1.7", "FAPIAO_GATEWAY_SHARED_SECRET": "t",
                     "FAPIAO_GATEWAY_SECRET_ROUTES": "kingdee,yipiaoyun", "FAPIAO_GATEWAY_RATE_PER_S": "5.5"})
    config = GatewayConfig.from_settings(settings, "x.callbacks", "x.signals")
    assert [str(n) for n in config.allow] == ["10.0.0.0/8", "192.168.1.7/32"]
    assert config.needs_token("kingdee") and config.needs_token("yipiaoyun") and config.rate_per_s == 5.5


def test_a_bad_cidr_names_its_key() -> None:
    with pytest.raises(ConfigurationError, match="FAPIAO_GATEWAY_ALLOW_CIDRS"):
        GatewayConfig.from_settings(load({"FAPIAO_GATEWAY_ALLOW_CIDRS": "10.0.0.0/33"}), "t", "s")


def test_the_shared_secret_is_a_secret_key() -> None:
    assert next(k for k in KEYS if k.name == "FAPIAO_GATEWAY_SHARED_SECRET").secret
