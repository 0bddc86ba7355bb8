"""The console's session cookies and CSRF tokens (console/session.py)."""

from __future__ import annotations

import time

import pytest

from jobforge.console.session import Sessions


@pytest.fixture
def sessions() -> Sessions:
    return Sessions(b"k" * 32)


def test_a_session_reads_back_and_a_tampered_one_does_not(sessions: Sessions) -> None:
    session = sessions.create("111111111111", "AKIDALICE")
    read = sessions.read(session.token)
    assert read is not None and (read.account_id, read.access_key) == ("111111111111", "AKIDALICE")
    forged = session.token.replace("111111111111", "222222222222", 1)
    assert sessions.read(forged) is None
    assert Sessions(b"x" * 32).read(session.token) is None  # another server's secret
    for junk in ("", "a.b", "a.b.c.d.e", session.token + "x"):
        assert sessions.read(junk) is None


def test_an_expired_session_is_refused(sessions: Sessions, monkeypatch: pytest.MonkeyPatch) -> None:
    session = sessions.create("111111111111", "AKIDALICE")
    monkeypatch.setattr(time, "time", lambda: session.expires + 1)
    assert sessions.read(session.token) is None


def test_csrf_tokens_belong_to_one_session(sessions: Sessions) -> None:
    first, second = sessions.create("111111111111", "A"), sessions.create("111111111111", "A")
    token = sessions.csrf_token(first)
    assert sessions.csrf_ok(first, token)
    assert not sessions.csrf_ok(second, token) and not sessions.csrf_ok(first, None)
    assert sessions.login_ok("nonce", sessions.login_token("nonce"))
    assert not sessions.login_ok("other", sessions.login_token("nonce"))


def test_cookie_flags(sessions: Sessions) -> None:
    cookie = sessions.cookie(sessions.create("111111111111", "A"))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Max-Age=0" in sessions.cookie(None)
    assert "Secure" not in cookie and "Secure" not in sessions.login_cookie("n")
    assert sessions.cookie(None, secure=True).endswith("; Secure")
    assert sessions.login_cookie("n", secure=True).endswith("; Secure")
