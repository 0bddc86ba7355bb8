"""The web console at ``/console``: server-rendered pages (Jinja2) with htmx for live updates.

The console's own pages are the login form and the job list of every service; the services'
pages come from their :class:`~jobforge.console.section.ConsoleSection`. Under ``--auth sigv4``
every page and asset except the login page and its style sheet needs a session (see
:mod:`.session`), and pages see only the session's account; otherwise the default account's.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape

from jobforge.console.jobs import MAX_PAGE_SIZE, PAGE_SIZE, job_row
from jobforge.console.section import (
    ConsoleSection,
    Page,
    PageNotFound,
    PageRequest,
    Raw,
    Redirect,
    Rendered,
    Result,
)
from jobforge.console.session import COOKIE, LOGIN_COOKIE, Session, Sessions
from jobforge.console.throttle import LoginThrottle
from jobforge.engine import JobEngine, JobState
from jobforge.internal import Receive, Send, read_body, respond
from jobforge.protocol.auth import Authenticator
from jobforge.protocol.context import RequestContext
from jobforge.protocol.errors import ServiceError
from jobforge.protocol.gateway import AwsGateway

log = logging.getLogger("jobforge.console")

PREFIX = "/console"
PUBLIC = frozenset({"login", "static/console.css"})
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
SECURITY_HEADERS = [
    ("content-security-policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-store"),
]


def claims(scope: dict[str, Any]) -> bool:
    """Whether a request is the console's: below ``/console`` and not AWS-signed (a signed
    request there is S3's, for a bucket named ``console``)."""
    path = scope["path"]
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return False
    signed_query = b"X-Amz-Credential=" in scope.get("query_string", b"")
    return not signed_query and not any(name == b"authorization" for name, _ in scope["headers"])


class _Response(Exception):
    """Answer at once (a redirect, a refusal) from deep inside request handling."""

    def __init__(self, status: int, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, list(headers)


class ConsoleApp:
    """The ``/console`` ASGI app."""

    def __init__(
        self,
        engine: JobEngine,
        gateway: AwsGateway,
        authenticator: Authenticator,
        sections: Sequence[ConsoleSection],
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.authenticator = authenticator
        self.sections = {section.name: section for section in sections}
        self.region = authenticator.default_region
        self._sessions: Sessions | None = None
        self.login_throttle = LoginThrottle(engine.db)
        self.templates = Environment(
            loader=ChoiceLoader(
                [
                    PackageLoader("jobforge.console", "templates"),
                    PrefixLoader({s.name: PackageLoader(*s.templates) for s in sections}),
                ]
            ),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M:%S") if value else ""
        self.templates.globals["qs"] = lambda **fields: urlencode({k: v for k, v in fields.items() if v})

    @property
    def sessions(self) -> Sessions:
        if self._sessions is None:  # the secret lives in the database: read it on first use
            self._sessions = Sessions(self.engine.secret("console-session"))
        return self._sessions

    @property
    def signed_in_only(self) -> bool:
        return self.authenticator.mode == "sigv4"

    # -- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        page = scope["path"].removeprefix(PREFIX).strip("/")
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        out_headers: list[tuple[str, str]] = []
        try:
            form = await self._form(scope, receive, headers)
            session = self._session(scope, headers, out_headers)
            if session is not None and self.signed_in_only:
                if not self._key_current(session) or await asyncio.to_thread(
                    self.engine.revocations.revoked, session.nonce
                ):
                    session = None  # signed out, or its key is gone
            if page == "static/console.css" or (page.startswith("static/") and session is not None):
                return await self._static(page.removeprefix("static/"), send)
            if page == "login":
                query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
                result = await asyncio.to_thread(self._login, scope, {**query, **form}, headers, out_headers)
            elif session is None:
                raise self._to_login(scope, headers)
            else:
                if scope["method"] == "POST" and not self.sessions.csrf_ok(session, form.get("csrf")):
                    raise _Response(403, b"The form's CSRF token is missing or wrong: reload the page.")
                result = await self._page(page, scope, form, session, out_headers)
            await self._send_result(result, send, out_headers, session)
        except _Response as response:
            await _send(send, response.status, response.body, "text/plain; charset=utf-8", response.headers)

    async def _form(self, scope: dict[str, Any], receive: Receive, headers: dict[str, str]) -> dict[str, str]:
        if scope["method"] not in ("GET", "HEAD", "POST"):
            raise _Response(405, b"Method not allowed", [("allow", "GET, POST")])
        if scope["method"] != "POST":
            return {}
        try:
            body = await read_body(receive)
        except ValueError:
            raise _Response(413, b"The form is too large") from None
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise _Response(415, b"Forms are application/x-www-form-urlencoded")
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))

    def _session(
        self, scope: dict[str, Any], headers: dict[str, str], out_headers: list[tuple[str, str]]
    ) -> Session | None:
        """The request's session; without sigv4 one for the default account is made when missing."""
        session = self.sessions.read(_cookies(headers).get(COOKIE))
        if session is None and not self.signed_in_only:
            session = self.sessions.create(self.authenticator.default_account_id, "")
            out_headers.append(("set-cookie", self.sessions.cookie(session, _over_https(scope))))
        return session

    def _key_current(self, session: Session) -> bool:
        """Whether the session's access key still signs in to the session's account: taking a key
        out of the credentials (or moving it to another account) ends its sessions at once."""
        key = session.access_key
        return self.authenticator.knows(key) and self.authenticator.account_for(key) == session.account_id

    def _to_login(self, scope: dict[str, Any], headers: dict[str, str]) -> _Response:
        target = scope["path"] + ("?" + scope["query_string"].decode() if scope.get("query_string") else "")
        location = f"{PREFIX}/login?{urlencode({'next': target})}"
        if headers.get("hx-request"):  # htmx: reload the whole page onto the login form
            return _Response(401, b"Sign in first", [("hx-redirect", location)])
        return _Response(303, b"", [("location", location)])

    # -- pages -------------------------------------------------------------------------------

    def _login(
        self,
        scope: dict[str, Any],
        form: dict[str, str],
        headers: dict[str, str],
        out_headers: list[tuple[str, str]],
    ) -> Result:
        if not self.signed_in_only:
            return Redirect("jobs")
        problem, status = "", 200
        next_page = form.get("next", "")
        nonce = _cookies(headers).get(LOGIN_COOKIE, "")
        secure = _over_https(scope)
        if scope["method"] == "POST":
            if not nonce or not self.sessions.login_ok(nonce, form.get("csrf")):
                raise _Response(403, b"The sign-in form's CSRF token is missing or wrong: reload the page.")
            access_key, secret = form.get("access_key", "").strip(), form.get("secret_key", "")
            client = (scope.get("client") or ("", 0))[0]
            if wait := self.login_throttle.retry_after(client, access_key):
                out_headers.append(("retry-after", str(wait)))
                problem = f"Too many failed sign-ins with this access key: try again in {wait} s."
                status = 429
            elif access_key and self.authenticator.check_secret(access_key, secret):
                self.login_throttle.succeeded(client, access_key)
                session = self.sessions.create(self.authenticator.account_for(access_key), access_key)
                out_headers.append(("set-cookie", self.sessions.cookie(session, secure)))
                safe = next_page.startswith(PREFIX + "/") and not next_page.startswith("//")
                return Redirect(next_page.removeprefix(PREFIX + "/") if safe else "jobs")
            else:
                self.login_throttle.failed(client, access_key)
                problem, status = "The access key or secret is not right.", 401
        if not nonce:
            nonce = secrets.token_hex(16)
            out_headers.append(("set-cookie", self.sessions.login_cookie(nonce, secure)))
        context = {
            "problem": problem,
            "next": next_page,
            "access_key": form.get("access_key", ""),
            "login_token": self.sessions.login_token(nonce),
        }
        return Rendered("login.html", context, status)

    async def _page(
        self,
        page: str,
        scope: dict[str, Any],
        form: dict[str, str],
        session: Session,
        out_headers: list[tuple[str, str]],
    ) -> Result:
        if page == "":
            return Redirect("jobs")
        if page == "logout" and scope["method"] == "POST":
            if self.signed_in_only:
                await asyncio.to_thread(self.engine.revocations.revoke, session.nonce, session.expires)
            out_headers.append(("set-cookie", self.sessions.cookie(None, _over_https(scope))))
            return Redirect("login" if self.signed_in_only else "jobs")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        section_name, _, rest = page.partition("/")
        request = PageRequest(
            path=rest,
            method=scope["method"],
            query=query,
            form=form,
            account_id=session.account_id,
            region=self.region,
            call=lambda service, operation, body: self._call(session, service, operation, body),
            validate=self.gateway.check,
            csrf_token=self.sessions.csrf_token(session),
        )
        if page == "jobs":
            return await asyncio.to_thread(self._jobs, request)
        section = self.sections.get(section_name)
        page_name, _, below = rest.partition("/")
        handler = section.pages.get(page_name) if section is not None else None
        if handler is None:
            raise _Response(404, f"No console page /console/{page}".encode())
        return await asyncio.to_thread(_run, handler, replace(request, path=below))

    def _call(
        self, session: Session, service: str, operation: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        ctx = RequestContext(
            account_id=session.account_id,
            region=self.region,
            service=service,
            operation=operation,
            request_id=str(uuid.uuid4()),
            access_key=session.access_key or None,
        )
        return self.gateway.call(ctx, request)

    def _jobs(self, request: PageRequest) -> Result:
        service, state = request.query.get("service") or None, request.query.get("state") or None
        size = request.query.get("size", "")
        if size and not (size.isdigit() and 1 <= int(size) <= MAX_PAGE_SIZE):
            return Rendered("error.html", {"code": "ValidationException", "message": "size: 1 to 100"}, 400)
        try:
            listed, next_token = self.engine.progress.list(
                request.account_id,
                service=service,
                status=state,
                max_results=int(size) if size else PAGE_SIZE,
                next_token=request.query.get("page") or None,
            )
        except ValueError as exc:
            return Rendered("error.html", {"code": "ValidationException", "message": str(exc)}, 400)
        rows = []
        for progress in listed:
            section = self.sections.get(progress["service"])
            rows.append(job_row(progress, section.job_link if section else None))
        template = "_job_rows.html" if request.query.get("partial") else "jobs.html"
        return Rendered(
            template,
            {
                "rows": rows,
                "next_token": next_token,
                "service": service or "",
                "state": state or "",
                "states": [state.value for state in JobState],
                "page_token": request.query.get("page", ""),
                "size": size,
                "live": any(not row.progress["terminal"] for row in rows),
            },
        )

    # -- responses ---------------------------------------------------------------------------

    async def _send_result(
        self, result: Result, send: Send, headers: list[tuple[str, str]], session: Session | None
    ) -> None:
        if isinstance(result, Redirect):
            location = f"{PREFIX}/{result.location}"
            return await _send(send, 303, b"", "text/plain", [*headers, ("location", location)])
        if isinstance(result, Raw):
            headers = [*headers, *result.headers]
            if result.chunks is None:
                return await _send(send, 200, result.body, result.content_type, headers)
            return await _stream(send, result, headers)
        body = self.render(result, session).encode()
        await _send(send, result.status, body, "text/html; charset=utf-8", headers)

    def render(self, result: Rendered, session: Session | None) -> str:
        context = {
            "sections": list(self.sections.values()),
            "account_id": session.account_id if session else None,
            "signed_in_only": self.signed_in_only,
            "csrf_token": self.sessions.csrf_token(session) if session else "",
            "prefix": PREFIX,
            **result.context,
        }
        return self.templates.get_template(result.template).render(context)

    async def _static(self, name: str, send: Send) -> None:
        suffix = name[name.rfind(".") :]
        folder = resources.files("jobforge.console") / "static"
        if "/" in name or suffix not in STATIC_TYPES or not (folder / name).is_file():
            raise _Response(404, b"No such file")
        body = (folder / name).read_bytes()
        await _send(send, 200, body, STATIC_TYPES[suffix], [("cache-control", "max-age=3600")])


def _over_https(scope: dict[str, Any]) -> bool:
    """Whether the browser reached us over HTTPS: directly, or through a proxy saying so."""
    if scope.get("scheme") == "https":
        return True
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            return value.split(b",")[0].strip().lower() == b"https"
    return False


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    pairs = (part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part)
    return dict(pairs)


def _run(handler: Page, request: PageRequest) -> Result:
    """A section's page; the API's errors shown as pages (404 for what does not exist)."""
    try:
        return handler(request)
    except ServiceError as exc:
        return page_error(exc)
    except PageNotFound as exc:
        return not_found(str(exc))
    except ValueError as exc:
        return Rendered("error.html", {"code": "ValidationException", "message": str(exc)}, 400)


def page_error(exc: ServiceError) -> Rendered:
    """An API error as the console shows it: 404 for what does not exist (for this account)."""
    status = 404 if "NotFound" in exc.code else 400
    return Rendered("error.html", {"code": exc.code, "message": exc.message}, status)


def not_found(what: str) -> Rendered:
    return Rendered("error.html", {"code": "NotFound", "message": f"No {what}"}, 404)


async def _send(
    send: Send, status: int, body: bytes, content_type: str, headers: Sequence[tuple[str, str]]
) -> None:
    names = {name for name, _ in headers}
    merged = [*headers, *((n, v) for n, v in SECURITY_HEADERS if n not in names)]
    await respond(send, status, body, content_type, [(n.encode(), v.encode("latin-1")) for n, v in merged])


async def _stream(send: Send, result: Raw, headers: list[tuple[str, str]]) -> None:
    assert result.chunks is not None
    start = [(b"content-type", result.content_type.encode())]
    if result.length is not None:
        start.append((b"content-length", str(result.length).encode()))
    merged = [*headers, *((n, v) for n, v in SECURITY_HEADERS if n != "cache-control")]
    start.extend((name.encode(), value.encode("latin-1")) for name, value in merged)
    await send({"type": "http.response.start", "status": 200, "headers": start})
    chunks: Iterator[bytes] = await asyncio.to_thread(result.chunks)
    while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
