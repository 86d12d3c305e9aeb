"""Topic names come from one function; every topic the worker needs is declared with its config."""

from __future__ import annotations

import pytest

from fapiao.streams.topics import ROLES, TABLE_NAME, all_topics, topic_name

ROLE_NAMES = ("requests", "signals", "events", "calls", "results", "callbacks", "dlq")


@pytest.mark.parametrize("role", ROLE_NAMES)
@pytest.mark.parametrize("prefix", ["fapiao", "acme.prod"])
def test_topic_name_is_prefix_dot_role(prefix: str, role: str) -> None:
    assert topic_name(prefix, role) == f"{prefix}.{role}"


def test_the_roles_are_exactly_the_designed_ones() -> None:
    assert tuple(ROLES) == ROLE_NAMES


@pytest.mark.parametrize("role", ["request", "Events", "", "changelog", "fapiao.events"])
def test_an_unknown_role_is_refused_by_name(role: str) -> None:
    with pytest.raises(KeyError, match=repr(role).replace(".", r"\.")):
        topic_name("fapiao", role)


def test_all_topics_adds_faust_own_topics_named_after_the_app() -> None:
    specs = all_topics("fapiao", "fapiao-stream")
    assert [s.name for s in specs] == [f"fapiao.{r}" for r in ROLE_NAMES] + [
        f"fapiao-stream-{TABLE_NAME}-changelog", "fapiao-stream-__assignor-__leader"]
    assert [s.role for s in specs] == [*ROLE_NAMES, "changelog", "assignor"]
    assert len({s.name for s in specs}) == len(specs)
    assert all(s.help for s in specs)


def test_the_audit_trail_is_kept_forever_and_the_changelog_compacted() -> None:
    config = {s.role: dict(s.config) for s in all_topics("p", "app")}
    forever = {"retention.ms": "-1", "retention.bytes": "-1"}
    for role in ("requests", "events", "results", "callbacks", "dlq"):
        assert config[role] == forever, role
    assert config["signals"] == config["calls"] == {}
    assert config["changelog"] == {"cleanup.policy": "compact"}


def test_prefixes_keep_deployments_apart() -> None:
    one = {s.name for s in all_topics("a", "app-a")}
    two = {s.name for s in all_topics("b", "app-b")}
    assert not one & two
