"""Signing in to the console over HTTP (httpx) against a real ``--auth sigv4`` server: the cookies'
Secure flag behind HTTPS, and failed sign-ins throttled per (address, access key)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from jobforge.console.throttle import LIMIT
from tests.server.test_internal_auth import ALICE, BOB
from tests.support import JobforgeServer


def _login_form(http: httpx.Client) -> str:
    page = http.get("login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and found is not None, page.text
    return found.group(1)


def _sign_in(http: httpx.Client, access_key: str, secret: str) -> httpx.Response:
    form = {"csrf": _login_form(http), "access_key": access_key, "secret_key": secret, "next": ""}
    return http.post("login", data=form)


def test_cookies_are_secure_only_behind_https(console_server: JobforgeServer) -> None:
    base = console_server.url + "/console/"
    with httpx.Client(base_url=base, headers={"x-forwarded-proto": "https"}) as http:
        page = http.get("login")
        assert page.headers["set-cookie"].endswith("; Secure")
        # httpx keeps a Secure cookie off plain http, as a browser would: the proxy's side is https
        nonce = page.headers["set-cookie"].split(";")[0]
        form = {"csrf": re.findall(r'name="csrf" value="([^"]+)"', page.text)[0], "next": ""}
        signed_in = http.post(
            "login", data={**form, "access_key": ALICE[0], "secret_key": ALICE[1]}, headers={"cookie": nonce}
        )
        assert signed_in.status_code == 303 and signed_in.headers["set-cookie"].endswith("; Secure")
    with httpx.Client(base_url=base) as http:
        assert "Secure" not in http.get("login").headers["set-cookie"]
        signed_in = _sign_in(http, ALICE[0], ALICE[1])
        assert signed_in.status_code == 303 and "Secure" not in signed_in.headers["set-cookie"]


def test_failed_sign_ins_are_throttled_per_access_key(console_server: JobforgeServer) -> None:
    with httpx.Client(base_url=console_server.url + "/console/") as http:
        for _ in range(LIMIT):
            refused = _sign_in(http, "AKIDGUESSED", "wrong")
            assert refused.status_code == 401 and "not right" in refused.text
        throttled = _sign_in(http, "AKIDGUESSED", "wrong")
        assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.text
        assert 800 < int(throttled.headers["retry-after"]) <= 900
        # another access key from the same address is not locked out
        assert _sign_in(http, ALICE[0], ALICE[1]).status_code == 303


def test_behind_a_proxy_sign_ins_are_throttled_per_forwarded_address(console_server: JobforgeServer) -> None:
    """Through a proxy the server trusts (FORWARDED_ALLOW_IPS: the test client's 127.0.0.1 by
    default), the address counted is the one the proxy forwards: a stranger failing to sign in
    with a user's key through the same proxy does not lock that user out."""
    base = console_server.url + "/console/"
    with httpx.Client(base_url=base, headers={"x-forwarded-for": "203.0.113.5"}) as stranger:
        for _ in range(LIMIT):
            assert _sign_in(stranger, ALICE[0], "guessed").status_code == 401
        assert _sign_in(stranger, ALICE[0], "guessed").status_code == 429
    with httpx.Client(base_url=base, headers={"x-forwarded-for": "198.51.100.9"}) as alice:
        assert _sign_in(alice, ALICE[0], ALICE[1]).status_code == 303


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def test_signing_out_revokes_the_session_on_the_server(console_server: JobforgeServer) -> None:
    """A copy of the cookie taken before signing out (a stolen one) no longer opens a page; another
    session of the same user stays signed in."""
    base = console_server.url + "/console/"
    with httpx.Client(base_url=base) as http, httpx.Client(base_url=base) as other:
        assert _sign_in(http, ALICE[0], ALICE[1]).status_code == 303
        assert _sign_in(other, ALICE[0], ALICE[1]).status_code == 303
        stolen = http.cookies["jobforge_console"]
        jobs = http.get("jobs")
        assert jobs.status_code == 200
        signed_out = http.post("logout", data={"csrf": _csrf(jobs)})
        assert signed_out.status_code == 303 and signed_out.headers["location"].endswith("login")
        assert "jobforge_console=;" in signed_out.headers["set-cookie"]
        with httpx.Client(base_url=base, cookies={"jobforge_console": stolen}) as thief:
            refused = thief.get("jobs")
            assert refused.status_code == 303 and "/console/login" in refused.headers["location"]
            assert thief.get("static/htmx.min.js").status_code == 303
            assert thief.post("logout", data={"csrf": _csrf(jobs)}).status_code == 303  # to the sign-in
        assert other.get("jobs").status_code == 200


def test_a_key_taken_out_of_the_credentials_ends_its_sessions(tmp_path: Path) -> None:
    """The cookie is signed, but a session is only as good as its key: restarted without that key
    (or with it moved to another account), the server refuses the old cookie at once."""
    credentials = tmp_path / "credentials.json"
    alice = {"secret": ALICE[1], "account": ALICE[2]}
    credentials.write_text(json.dumps({ALICE[0]: alice, BOB[0]: {"secret": BOB[1], "account": BOB[2]}}))
    server = JobforgeServer(tmp_path / "data", "--auth", "sigv4", "--credentials-file", str(credentials))
    base = server.start().url + "/console/"
    try:
        with httpx.Client(base_url=base) as http, httpx.Client(base_url=base) as bob:
            assert _sign_in(http, ALICE[0], ALICE[1]).status_code == 303
            assert _sign_in(bob, BOB[0], BOB[1]).status_code == 303
            assert http.get("jobs").status_code == 200
            server.stop()  # restarted with bob's key gone and alice's moved to another account
            credentials.write_text(json.dumps({ALICE[0]: {**alice, "account": "333333333333"}}))
            server.start()
            for holder in (http, bob):
                refused = holder.get("jobs")
                assert refused.status_code == 303 and "/console/login" in refused.headers["location"]
    finally:
        server.stop()
