"""The console's session cookie and CSRF tokens.

A session is ``<account>.<access key>.<expiry>.<nonce>`` with an HMAC-SHA256 of it under a secret
kept in the database (the same on every node); signing out revokes its nonce there (every node
then refuses it), the cookie is HttpOnly and SameSite=Strict, and
Secure when the request came over HTTPS (directly or, per ``X-Forwarded-Proto``, through a proxy). Every
POST form carries a CSRF token: an HMAC of the session, which another site can neither read nor make.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

COOKIE = "jobforge_console"
LOGIN_COOKIE = "jobforge_console_login"  # a random nonce the sign-in form's CSRF token signs
LIFETIME_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Session:
    account_id: str
    access_key: str
    expires: int
    token: str  # the cookie's value
    nonce: str  # the session's id: signing out revokes it (engine/revocations.py)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Sessions:
    """Makes and checks session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _sign(self, purpose: str, text: str) -> str:
        return _b64(hmac.new(self.secret, f"{purpose}:{text}".encode(), hashlib.sha256).digest())

    def create(self, account_id: str, access_key: str) -> Session:
        expires = int(time.time()) + LIFETIME_SECONDS
        nonce = secrets.token_hex(16)
        payload = f"{account_id}.{_b64(access_key.encode())}.{expires}.{nonce}"
        token = f"{payload}.{self._sign('session', payload)}"
        return Session(account_id, access_key, expires, token, nonce)

    def read(self, token: str | None) -> Session | None:
        """The session a cookie holds, if its signature is ours and it has not expired."""
        if not token or token.count(".") != 4:
            return None
        payload, signature = token.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign("session", payload)):
            return None
        account_id, key, expires, nonce = payload.split(".")
        if not expires.isdigit() or int(expires) < time.time():
            return None
        padded = key + "=" * (-len(key) % 4)
        return Session(account_id, base64.urlsafe_b64decode(padded).decode(), int(expires), token, nonce)

    def csrf_token(self, session: Session) -> str:
        return self._sign("csrf", session.token)

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token or "", self.csrf_token(session))

    def login_token(self, nonce: str) -> str:
        return self._sign("login", nonce)

    def login_ok(self, nonce: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token or "", self.login_token(nonce))

    def login_cookie(self, nonce: str, secure: bool = False) -> str:
        flag = "; Secure" if secure else ""
        return f"{LOGIN_COOKIE}={nonce}; Path=/console/login; HttpOnly; SameSite=Strict{flag}"

    def cookie(self, session: Session | None, secure: bool = False) -> str:
        """The Set-Cookie value: the session, or (None) one that clears it; ``secure`` over HTTPS."""
        value, age = (session.token, LIFETIME_SECONDS) if session else ("", 0)
        flag = "; Secure" if secure else ""
        return f"{COOKIE}={value}; Path=/console; Max-Age={age}; HttpOnly; SameSite=Strict{flag}"
