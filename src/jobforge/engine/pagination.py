"""Opaque, tamper-safe pagination tokens for keyset pagination.

A token carries the sort key of the last item served and a fingerprint of the listing it
belongs to (operation, account, filters), signed with a server secret: a token that was
altered, or replayed against another listing, is rejected with :class:`InvalidToken`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from jobforge.engine.errors import InvalidToken


class PageTokens:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @staticmethod
    def fingerprint(scope: Any) -> str:
        raw = json.dumps(scope, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def encode(self, scope: Any, position: list[Any]) -> str:
        payload = json.dumps({"f": self.fingerprint(scope), "p": position}, separators=(",", ":"))
        body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def decode(self, scope: Any, token: str) -> list[Any]:
        body, _, signature = token.partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)):
            raise InvalidToken("The nextToken is not valid")
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError as exc:
            raise InvalidToken("The nextToken is not valid") from exc
        if payload.get("f") != self.fingerprint(scope):
            raise InvalidToken("The nextToken does not belong to this request's parameters")
        return list(payload["p"])

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()
