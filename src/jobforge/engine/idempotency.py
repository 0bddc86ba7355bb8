"""Client request tokens: the same token and parameters return the first result."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from jobforge.engine.db import idempotency_tokens
from jobforge.engine.errors import IdempotencyMismatch


class _Scope(Protocol):
    account_id: str
    region: str


@dataclass(frozen=True)
class ClientToken:
    """An idempotency token and the request parameters it stands for."""

    scope: str  # e.g. "robomaker:CreateWorldGenerationJob"
    token: str
    params: dict[str, Any]


def params_hash(params: dict[str, Any]) -> str:
    raw = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


class IdempotencyTokens:
    """Looks tokens up and records them inside the caller's transaction."""

    def lookup(
        self, conn: Connection, account_id: str, region: str, scope: str, token: str, params: dict[str, Any]
    ) -> str | None:
        """The ARN the token produced before, or None; raises on a parameter mismatch."""
        row = conn.execute(
            select(idempotency_tokens.c.params_hash, idempotency_tokens.c.target_arn).where(
                idempotency_tokens.c.account_id == account_id,
                idempotency_tokens.c.region == region,
                idempotency_tokens.c.scope == scope,
                idempotency_tokens.c.token == token,
            )
        ).first()
        if row is None:
            return None
        if row.params_hash != params_hash(params):
            raise IdempotencyMismatch(
                f"The client token {token} was already used with different request parameters"
            )
        return str(row.target_arn)

    def record(
        self,
        conn: Connection,
        account_id: str,
        region: str,
        scope: str,
        token: str,
        params: dict[str, Any],
        target_arn: str,
    ) -> None:
        conn.execute(
            insert(idempotency_tokens).values(
                account_id=account_id,
                region=region,
                scope=scope,
                token=token,
                params_hash=params_hash(params),
                target_arn=target_arn,
                created_at=datetime.now(UTC),
            )
        )

    def earlier(self, conn: Connection, scope: _Scope, token: ClientToken) -> str | None:
        """:meth:`lookup` for a :class:`ClientToken` in the caller's account and region."""
        return self.lookup(conn, scope.account_id, scope.region, token.scope, token.token, token.params)

    def forget(self, conn: Connection, scope: _Scope, token: ClientToken) -> None:
        """Free a :class:`ClientToken` in the caller's account and region (its resource is gone)."""
        table = idempotency_tokens
        conn.execute(
            delete(table).where(
                table.c.account_id == scope.account_id,
                table.c.region == scope.region,
                table.c.scope == token.scope,
                table.c.token == token.token,
            )
        )

    def remember(self, conn: Connection, scope: _Scope, token: ClientToken, target_arn: str) -> None:
        """:meth:`record` for a :class:`ClientToken` in the caller's account and region."""
        self.record(conn, scope.account_id, scope.region, token.scope, token.token, token.params, target_arn)
