"""The per-request context handed to providers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    """Who is calling what, where: everything a provider needs besides the request dict."""

    account_id: str
    region: str
    service: str
    operation: str
    request_id: str
    base_url: str = "http://127.0.0.1:4580"  # how the caller reached us; for URLs we hand out
    access_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
