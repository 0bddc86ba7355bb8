"""What a service contributes to the web console (``/console/<section>/...``), and what its pages
are handed and return. Nothing here names a service: each service's binding builds its
:class:`ConsoleSection` (see :attr:`jobforge.services.binding.ServiceBinding.console`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# (service, operation, request) -> the operation's output, as the API computes it for the caller
Call = Callable[[str, str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class PageRequest:
    """One console request, as a section's page sees it: the signed-in account (the default
    account without ``--auth sigv4``) and region, the path below the page, query and form fields."""

    path: str
    method: str
    query: Mapping[str, str]
    form: Mapping[str, str]
    account_id: str
    region: str
    call: Call  # runs an API operation as this account (the model's validation included)
    validate: Callable[[str, str, dict[str, Any]], object]  # only the model's validation of a request
    csrf_token: str


@dataclass(frozen=True)
class Rendered:
    """A page: a template (``<section>/<file>.html``, or the console's own) and its variables."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200


@dataclass(frozen=True)
class Raw:
    """Bytes as they are (an image, a download); ``chunks`` streams large bodies instead."""

    body: bytes
    content_type: str
    headers: Sequence[tuple[str, str]] = ()
    chunks: Callable[[], Any] | None = None  # () -> iterator of bytes, read in a worker thread
    length: int | None = None


@dataclass(frozen=True)
class Redirect:
    """See other: ``location`` is below ``/console/`` (e.g. ``robomaker/templates``)."""

    location: str


class PageNotFound(Exception):
    """The page or the thing it shows does not exist for this account: 404."""


Result = Rendered | Raw | Redirect
Page = Callable[[PageRequest], Result]


@dataclass(frozen=True)
class ConsoleSection:
    """A service's part of the console: pages under ``/console/<name>/<page>``, navigation links
    ((page, label) pairs), templates in ``templates`` (a package and folder, for Jinja2's
    PackageLoader) and where the console's job list links each of the service's jobs. ``name`` is
    the API's service name (``location``, not its signing name ``geo``)."""

    name: str
    title: str
    pages: Mapping[str, Page]
    nav: Sequence[tuple[str, str]]
    templates: tuple[str, str]
    # a job's page, from its progress document (engine.progress.describe): "<name>/job?id=..."
    job_link: Callable[[dict[str, Any]], str | None] = lambda progress: None
