"""The console's token and session cookie, pure."""

from __future__ import annotations

import pytest

from fapiao.console.auth import COOKIE, SESSION_S, Guard, safe_next

NOW = 1_700_000_000.0


def test_bearer_token_or_nothing() -> None:
    guard = Guard("s3cret-token")
    assert guard.allows({"Authorization": "Bearer s3cret-token"}, {}, NOW)
    assert guard.allows({"Authorization": "bearer  s3cret-token "}, {}, NOW)
    for header in ("Bearer s3cret-tokeN", "Bearer ", "Basic s3cret-token", "s3cret-token", ""):
        assert not guard.allows({"Authorization": header}, {}, NOW), header
    assert not guard.allows({}, {}, NOW)


def test_a_wrong_bearer_is_not_rescued_by_a_cookie() -> None:
    guard = Guard("s3cret-token")
    assert not guard.allows({"Authorization": "Bearer nope"}, {COOKIE: guard.session(NOW)}, NOW)


def test_session_cookie_lives_its_time_and_no_longer() -> None:
    guard = Guard("s3cret-token")
    cookie = guard.session(NOW)
    assert "s3cret-token" not in cookie
    assert guard.allows({}, {COOKIE: cookie}, NOW + SESSION_S - 1)
    assert not guard.allows({}, {COOKIE: cookie}, NOW + SESSION_S)


@pytest.mark.parametrize("tamper", [
    lambda c: c.replace(c.split(".")[0], str(int(c.split(".")[0]) + 3600)),  # a later expiry, the old MAC
    lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),
    lambda c: c.split(".")[0],
    lambda c: "." + c.split(".")[1],
    lambda c: "",
])
def test_a_tampered_cookie_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    guard = Guard("s3cret-token")
    assert not guard.allows({}, {COOKIE: tamper(guard.session(NOW))}, NOW)


def test_a_new_token_ends_old_sessions() -> None:
    cookie = Guard("old-token").session(NOW)
    assert not Guard("new-token").allows({}, {COOKIE: cookie}, NOW)


def test_no_token_no_guard() -> None:
    with pytest.raises(ValueError):
        Guard("")


@pytest.mark.parametrize(("given", "goes"), [
    ("/serials/A-1", "/serials/A-1"), ("/", "/"), (None, "/"), ("", "/"),
    ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/a?b=c", "/"), ("/\\evil", "/"),
    ("javascript:alert(1)", "/"),
    ("/serials/a%3Fb", "/serials/a%3Fb"), ("/serials/..%2Fx%0D%0A", "/serials/..%2Fx%0D%0A"),
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),  # a path here, not a host: only `//` names one
    ("/serials/%", "/"), ("/serials/%zz", "/"), ("/serials/a%3F?b", "/"),
])
def test_after_login_only_paths_here(given: str | None, goes: str) -> None:
    assert safe_next(given) == goes

