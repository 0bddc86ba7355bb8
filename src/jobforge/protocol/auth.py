"""Who is calling: SigV4 credential scope -> access key, account, region, signing service.

Mode ``none`` (default) trusts whatever credentials the client signs with, like local emulators;
mode ``sigv4`` recomputes the signature with the configured secret and answers AWS's 403 errors.
A 12-digit access key *is* the account id; other unknown keys map to the default account.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote, unquote

from jobforge.protocol.errors import ServiceError, SignatureTimeError

DEFAULT_ACCOUNT_ID = "000000000000"
DEFAULT_REGION = "us-east-1"
ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_TWELVE_DIGITS = re.compile(r"\d{12}")
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
_AUTH_FIELDS = re.compile(r"(Credential|SignedHeaders|Signature)\s*=\s*([^,\s]+)")
_ASCII_DIGITS = re.compile(r"[0-9]{1,20}")
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+){1,3}-[0-9]{1,2}")  # us-east-1, us-gov-west-1, us-isob-east-1
S3_SIGNING_NAME = "s3"
MAX_PRESIGNED_EXPIRES = 604800  # seconds: a week, as AWS allows


@dataclass(frozen=True)
class AccountCredentials:
    """A configured access key's secret, the account it belongs to, and whether it may use
    jobforge's control API (``/_jobforge/control/...``) under ``--auth sigv4``."""

    secret_key: str
    account_id: str
    admin: bool = False


@dataclass(frozen=True)
class Identity:
    """The caller as far as the protocol layer knows it."""

    access_key: str | None
    account_id: str
    region: str
    signing_service: str | None  # the credential scope's service, e.g. "geo"; None when unsigned
    signed: bool


@dataclass(frozen=True)
class _Signature:
    access_key: str
    date: str  # yyyymmdd of the scope
    region: str
    service: str
    signed_headers: list[str]
    signature: str
    amz_date: str | None
    presigned: bool
    expires: int | None  # seconds a query signature is valid; None for header signatures


def _auth_error(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, status=403)


_SKEWED = "The difference between the request time and the current time is too large."


def missing_token() -> ServiceError:
    return _auth_error("MissingAuthenticationTokenException", "Missing Authentication Token")


def _unrecognized_client() -> ServiceError:
    return _auth_error(
        "UnrecognizedClientException", "The security token included in the request is invalid."
    )


def _parse_credential(credential: str, *, check_region: bool = True) -> tuple[str, str, str, str]:
    """(access key, day, region, service) of a credential scope; the region must look like one
    (``us-east-1``, ``us-gov-west-1``...): resources and ARNs are made in it."""
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or (check_region and not _REGION.fullmatch(parts[2])):
        raise _auth_error(
            "IncompleteSignatureException",
            f"Credential should be scoped to a valid region, not '{credential}'.",
        )
    return parts[0], parts[1], parts[2], parts[3]


def _read_signature(headers: Mapping[str, str], query: Mapping[str, list[str]]) -> _Signature | None:
    authorization = headers.get("authorization")
    if authorization:
        if not authorization.startswith(ALGORITHM):
            raise _auth_error(
                "IncompleteSignatureException",
                "Authorization header requires the AWS4-HMAC-SHA256 signature algorithm.",
            )
        fields = dict(_AUTH_FIELDS.findall(authorization))
        missing = [name for name in ("Credential", "SignedHeaders", "Signature") if name not in fields]
        if missing:
            raise _auth_error(
                "IncompleteSignatureException",
                f"Authorization header requires '{missing[0]}' parameter.",
            )
        access_key, day, region, service = _parse_credential(fields["Credential"])
        return _Signature(
            access_key,
            day,
            region,
            service,
            fields["SignedHeaders"].split(";"),
            fields["Signature"],
            headers.get("x-amz-date"),
            presigned=False,
            expires=None,
        )
    credential = query.get("X-Amz-Credential")
    if credential:
        access_key, day, region, service = _parse_credential(credential[-1])
        return _Signature(
            access_key,
            day,
            region,
            service,
            (query.get("X-Amz-SignedHeaders") or ["host"])[-1].split(";"),
            (query.get("X-Amz-Signature") or [""])[-1],
            (query.get("X-Amz-Date") or [None])[-1],
            presigned=True,
            expires=_presigned_expires(query.get("X-Amz-Expires")),
        )
    return None


def _presigned_expires(values: list[str] | None) -> int:
    """The ``X-Amz-Expires`` of a query signature: required, ASCII digits, 1..604800 seconds."""
    if not values:
        raise _auth_error(
            "AuthorizationQueryParametersError",
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        )
    raw = values[-1]
    if not _ASCII_DIGITS.fullmatch(raw):
        raise _auth_error("AuthorizationQueryParametersError", "X-Amz-Expires should be a number")
    seconds = int(raw)
    if seconds < 1:
        raise _auth_error("AuthorizationQueryParametersError", "X-Amz-Expires must be at least 1 second")
    if seconds > MAX_PRESIGNED_EXPIRES:
        raise _auth_error(
            "AuthorizationQueryParametersError",
            f"X-Amz-Expires must be less than a week (in seconds) that is; {MAX_PRESIGNED_EXPIRES}",
        )
    return seconds


@lru_cache(maxsize=256)
def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), day.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def canonical_uri(raw_path: str) -> str:
    """SigV4 canonical URI for non-S3 services: dot segments and empty segments removed, then
    URI-encoded once more (the path on the wire is already encoded, as SDKs sign it)."""
    if not raw_path:
        return "/"
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    path = "/" + "/".join(segments)
    if raw_path.endswith("/") and segments:
        path += "/"
    return quote(path, safe="/~")


def canonical_query(query_string: str, presigned: bool) -> str:
    """Sorted, uniformly percent-encoded query pairs (without X-Amz-Signature when presigned)."""
    pairs = []
    for part in query_string.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        key, value = unquote(key), unquote(value)
        if presigned and key == "X-Amz-Signature":
            continue
        pairs.append((quote(key, safe="-_.~"), quote(value, safe="-_.~")))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def string_to_sign(
    method: str,
    raw_path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    sig: _Signature,
    payload_hash: str | None = None,
) -> str:
    """The SigV4 string to sign, rebuilt from the request as received."""
    canonical_headers = "".join(
        f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in sig.signed_headers
    )
    if payload_hash is None:
        payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    # S3 signs the path exactly as sent (no dot-segment removal, no second encoding).
    path = (raw_path or "/") if sig.service == S3_SIGNING_NAME else canonical_uri(raw_path)
    canonical_request = "\n".join(
        [
            method.upper(),
            path,
            canonical_query(query_string, sig.presigned),
            canonical_headers,
            ";".join(sig.signed_headers),
            payload_hash,
        ]
    )
    scope = f"{sig.date}/{sig.region}/{sig.service}/aws4_request"
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sig.amz_date}\n{scope}\n{digest}"


class Authenticator:
    """Resolves (and in ``sigv4`` mode verifies) the caller of each request."""

    def __init__(
        self,
        mode: str = "none",
        accounts: Mapping[str, AccountCredentials | tuple[str, str] | tuple[str, str, bool]] | None = None,
        default_account_id: str = DEFAULT_ACCOUNT_ID,
        default_region: str = DEFAULT_REGION,
        max_clock_skew: timedelta = timedelta(minutes=15),
        default_secret: str | None = None,
    ) -> None:
        """``accounts``: access key -> (secret, account id[, admin]). ``default_secret``: in sigv4
        mode, the secret assumed for keys not in ``accounts`` (e.g. "test"); None rejects them."""
        if mode not in ("none", "sigv4"):
            raise ValueError(f"unknown auth mode {mode!r} (expected 'none' or 'sigv4')")
        self.mode = mode
        self.accounts: dict[str, AccountCredentials] = {
            key: value if isinstance(value, AccountCredentials) else AccountCredentials(*value)
            for key, value in (accounts or {}).items()
        }
        self.default_account_id = default_account_id
        self.default_region = default_region
        self.max_clock_skew = max_clock_skew
        self.default_secret = default_secret
        self._anonymous = Identity(None, default_account_id, default_region, None, signed=False)
        self._identities: dict[str, Identity] = {}

    def account_for(self, access_key: str | None) -> str:
        """Configured account of a key; a 12-digit key is itself the account; else the default."""
        if access_key is None:
            return self.default_account_id
        known = self.accounts.get(access_key)
        if known is not None:
            return known.account_id
        if _TWELVE_DIGITS.fullmatch(access_key):
            return access_key
        return self.default_account_id

    def knows(self, access_key: str) -> bool:
        """Whether sigv4 mode has a secret to verify ``access_key``'s signatures with."""
        return access_key in self.accounts or self.default_secret is not None

    def check_secret(self, access_key: str, secret_key: str) -> bool:
        """Whether ``secret_key`` is the secret sigv4 mode verifies ``access_key``'s signatures
        with (the configured one, else ``default_secret``); for the console's login form."""
        known = self.accounts.get(access_key)
        expected = known.secret_key if known is not None else self.default_secret
        return expected is not None and hmac.compare_digest(expected.encode(), secret_key.encode())

    def is_admin(self, access_key: str | None) -> bool:
        """Whether a configured key is marked ``admin`` (unknown and unsigned callers never are)."""
        known = self.accounts.get(access_key) if access_key is not None else None
        return known is not None and known.admin

    def authenticate(
        self,
        method: str,
        raw_path: str,
        query_string: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
        now: datetime | None = None,
        *,
        streamed_body: bool = False,
    ) -> Identity:
        """Identify the caller; raises a 403 :class:`ServiceError` when sigv4 mode rejects it.

        ``streamed_body``: the body is not in ``body`` but streamed to the provider afterwards; the
        signature then covers the claimed ``x-amz-content-sha256``, which the caller must check
        against the bytes as they stream (S3 uploads)."""
        if self.mode == "none":
            return self._identify(headers, query)
        sig = _read_signature(headers, query)
        if sig is None:
            if self.mode == "sigv4":
                raise missing_token()
            return Identity(None, self.default_account_id, self.default_region, None, signed=False)
        if self.mode == "sigv4":
            self._verify(
                method, raw_path, query_string, headers, body, sig, now or datetime.now(UTC), streamed_body
            )
        return Identity(
            sig.access_key,
            self.account_for(sig.access_key),
            sig.region or self.default_region,
            sig.service,
            signed=True,
        )

    def precheck(self, headers: Mapping[str, str], query: Mapping[str, list[str]]) -> None:
        """Before the body is read (``sigv4`` mode): refuse a request that has no well-formed
        signature or names an unknown access key (403 :class:`ServiceError`). The signature itself
        covers the body's hash, so :meth:`authenticate` still verifies it once the body is in."""
        if self.mode != "sigv4":
            return
        sig = _read_signature(headers, query)
        if sig is None:
            raise missing_token()
        if not self.knows(sig.access_key):
            raise _unrecognized_client()

    def chunk_signer(self, headers: Mapping[str, str]) -> tuple[bytes, str, str, str] | None:
        """``sigv4`` mode, header signatures: (signing key, X-Amz-Date, credential scope, seed
        signature) that an aws-chunked body's chunk signatures chain from; None otherwise. Call
        after :meth:`authenticate` accepted the request."""
        if self.mode != "sigv4":
            return None
        sig = _read_signature(headers, {})
        if sig is None or sig.presigned or not sig.amz_date:
            return None
        known = self.accounts.get(sig.access_key)
        secret = known.secret_key if known is not None else self.default_secret
        if secret is None:
            return None
        scope = f"{sig.date}/{sig.region}/{sig.service}/aws4_request"
        return _signing_key(secret, sig.date, sig.region, sig.service), sig.amz_date, scope, sig.signature

    def scope_service(self, headers: Mapping[str, str], query: Mapping[str, list[str]]) -> str | None:
        """The credential scope's service as the request names it, not verified (None: unsigned or
        malformed); :meth:`authenticate` returns the same one in its identity."""
        if self.mode == "none":
            return self._identify(headers, query).signing_service
        try:
            sig = _read_signature(headers, query)
        except ServiceError:
            return None
        return sig.service if sig is not None else None

    def _identify(self, headers: Mapping[str, str], query: Mapping[str, list[str]]) -> Identity:
        """Mode ``none``: the credential scope alone, cached per scope string (it repeats all day)."""
        authorization = headers.get("authorization")
        credential = None
        if authorization:
            start = authorization.find("Credential=")
            if start >= 0:
                start += len("Credential=")
                end = authorization.find(",", start)
                credential = authorization[start : end if end >= 0 else None].strip()
        else:
            values = query.get("X-Amz-Credential")
            credential = values[-1] if values else None
        if not credential:
            return self._anonymous
        identity = self._identities.get(credential)
        if identity is None:
            try:
                access_key, _, region, service = _parse_credential(credential, check_region=False)
            except ServiceError:
                return self._anonymous  # anything goes in this mode
            if not _REGION.fullmatch(region):
                region = self.default_region  # but no resource is made in a region like "<b>"
            identity = Identity(access_key, self.account_for(access_key), region, service, signed=True)
            if len(self._identities) < 10_000:
                self._identities[credential] = identity
        return identity

    def _verify(
        self,
        method: str,
        raw_path: str,
        query_string: str,
        headers: Mapping[str, str],
        body: bytes,
        sig: _Signature,
        now: datetime,
        streamed_body: bool = False,
    ) -> None:
        known = self.accounts.get(sig.access_key)
        secret = known.secret_key if known is not None else self.default_secret
        if secret is None:
            raise _unrecognized_client()
        if not sig.amz_date:
            raise _auth_error(
                "IncompleteSignatureException", "Authorization requires the X-Amz-Date header or parameter."
            )
        try:
            signed_at = datetime.strptime(sig.amz_date, _AMZ_DATE).replace(tzinfo=UTC)
        except ValueError:
            raise _auth_error(
                "IncompleteSignatureException", f"Invalid X-Amz-Date value '{sig.amz_date}'."
            ) from None
        self._check_time(signed_at, sig, now)
        if "host" not in sig.signed_headers:
            raise _auth_error(
                "IncompleteSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization."
            )
        claimed = headers.get("x-amz-content-sha256", "")
        if (
            not streamed_body
            and _HEX_SHA256.fullmatch(claimed)
            and claimed != hashlib.sha256(body).hexdigest()
        ):
            raise _auth_error(
                "InvalidSignatureException",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        key = _signing_key(secret, sig.date, sig.region, sig.service)
        # Presigned URLs of non-S3 services sign the (empty) body's hash; S3-style ones sign
        # UNSIGNED-PAYLOAD. Accept either for query signatures.
        payload_hashes: tuple[str | None, ...] = (None, "UNSIGNED-PAYLOAD") if sig.presigned else (None,)
        for payload_hash in payload_hashes:
            text = string_to_sign(method, raw_path, query_string, headers, body, sig, payload_hash)
            expected = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
            if hmac.compare_digest(expected, sig.signature):
                return
        raise _auth_error(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )

    def _check_time(self, signed_at: datetime, sig: _Signature, now: datetime) -> None:
        """Header signatures: within the clock skew of now. Query signatures: not dated beyond the
        skew into the future, and not older than their ``X-Amz-Expires``. Comparisons work on the
        difference (no datetime arithmetic near year 1 or 9999 that could overflow)."""
        fmt = _AMZ_DATE
        age = now - signed_at
        if sig.presigned:
            expires = timedelta(seconds=sig.expires or 0)
            if age > expires:
                raise SignatureTimeError(
                    f"Signature expired: {signed_at.strftime(fmt)} is now earlier than "
                    f"{(now - expires).strftime(fmt)}",
                    "AccessDenied",
                    "Request has expired",
                )
            if -age > self.max_clock_skew:
                raise SignatureTimeError(
                    f"Signature not yet current: {signed_at.strftime(fmt)} is still later than "
                    f"{(now + self.max_clock_skew).strftime(fmt)}",
                    "AccessDenied",
                    "Request is not valid yet",
                )
            return
        minutes = int(self.max_clock_skew.total_seconds() // 60)
        if age > self.max_clock_skew:
            raise SignatureTimeError(
                f"Signature expired: {signed_at.strftime(fmt)} is now earlier than "
                f"{(now - self.max_clock_skew).strftime(fmt)} ({now.strftime(fmt)} - {minutes} min.)",
                "RequestTimeTooSkewed",
                _SKEWED,
            )
        if -age > self.max_clock_skew:
            raise SignatureTimeError(
                f"Signature not yet current: {signed_at.strftime(fmt)} is still later than "
                f"{(now + self.max_clock_skew).strftime(fmt)} ({now.strftime(fmt)} + {minutes} min.)",
                "RequestTimeTooSkewed",
                _SKEWED,
            )
