"""Binary artifacts owned by a resource, stored in the engine's database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from jobforge.engine.db import Database, artifacts


@dataclass(frozen=True)
class Artifact:
    content_type: str
    data: bytes


class ArtifactStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, conn: Connection, owner_arn: str, name: str, data: bytes, content_type: str) -> None:
        conn.execute(delete(artifacts).where(artifacts.c.owner_arn == owner_arn, artifacts.c.name == name))
        conn.execute(
            insert(artifacts).values(
                owner_arn=owner_arn,
                name=name,
                content_type=content_type,
                data=data,
                created_at=datetime.now(UTC),
            )
        )

    def get(self, owner_arn: str, name: str) -> Artifact | None:
        with self.db.read() as conn:
            row = conn.execute(
                select(artifacts.c.content_type, artifacts.c.data).where(
                    artifacts.c.owner_arn == owner_arn, artifacts.c.name == name
                )
            ).first()
        return None if row is None else Artifact(row.content_type, bytes(row.data))

    def drop(self, conn: Connection, owner_arn: str) -> None:
        conn.execute(delete(artifacts).where(artifacts.c.owner_arn == owner_arn))
