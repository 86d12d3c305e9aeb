"""The operator's files in deploy/: the Grafana dashboard and the Prometheus rules, checked against the code.

Every `fapiao_*` series a panel or a rule names must be one the worker or the gateway exports, so that a
renamed metric breaks this test rather than a dashboard in production.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy_support import ROOT

from fapiao.connectors.gateway.metrics import Metrics
from fapiao.metrics import Registry
from fapiao.streams.metrics import WorkerMetrics

DEPLOY = ROOT / "deploy"
DASHBOARDS = sorted((DEPLOY / "grafana").glob("*.json"))
RULES = sorted((DEPLOY / "prometheus").glob("*.yml"))
SERIES = re.compile(r"\bfapiao_[a-z0-9_]+")
# What the issue asks an operator to see, each a word that must be in some panel's title.
PANELS = ("throughput", "status and provider", "provider latency", "in flight", "in-doubt", "lag", "dead-letter",
          "gateway answers", "broker-ack")
ALERTS = {"FapiaoPartitionStalled", "FapiaoInDoubtNotFalling", "FapiaoDeadLettersGrowing",
          "FapiaoProviderFailureShareRising", "FapiaoGateway5xx", "FapiaoConsumerLagGrowing"}


def exported(registry: Registry) -> set[str]:
    """Every sample name a scrape of this registry can hold: counters end in _total, histograms have three."""
    names = set()
    for family in registry.collectors.collect():
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names |= {f"{family.name}_{suffix}" for suffix in ("bucket", "sum", "count")}
        else:
            names.add(family.name)
    return names


EXPORTED = exported(WorkerMetrics().registry) | exported(Metrics().registry)


def panel_expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def rule_expressions(rules: dict[str, Any]) -> list[str]:
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_there_are_operator_files() -> None:
    assert DASHBOARDS and RULES


def test_the_code_exports_what_the_docs_promise() -> None:
    assert {"fapiao_results_total", "fapiao_provider_call_seconds_bucket", "fapiao_consumer_lag",
            "fapiao_gateway_broker_ack_seconds_bucket", "fapiao_stalled_partitions"} <= EXPORTED


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_the_dashboard_loads_with_its_panels(path: Path) -> None:
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    titles = " | ".join(panel["title"].lower() for panel in dashboard["panels"])
    assert [word for word in PANELS if word not in titles] == []
    assert all(panel.get("targets") and all(t["expr"].strip() for t in panel["targets"]) for panel in dashboard["panels"])
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])


@pytest.mark.parametrize("path", DASHBOARDS + RULES, ids=lambda p: p.name)
def test_every_series_named_is_one_the_code_exports(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expressions = (panel_expressions(json.loads(text)) if path.suffix == ".json"
                   else rule_expressions(yaml.safe_load(text)))
    named = {name for expr in expressions for name in SERIES.findall(expr)}
    assert named and named - EXPORTED == set()


def test_the_alerts_the_operator_needs() -> None:
    alerts = {rule["alert"]: rule for path in RULES for group in yaml.safe_load(path.read_text())["groups"]
              for rule in group["rules"] if "alert" in rule}
    assert set(alerts) >= ALERTS
    assert all(rule["annotations"]["summary"] and rule["labels"]["severity"] for rule in alerts.values())


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool is not installed (Debian package `prometheus`; .ci/run installs it)")
@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_promtool_accepts_the_rules(path: Path) -> None:
    checked = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
