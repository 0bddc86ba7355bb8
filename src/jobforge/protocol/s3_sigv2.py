"""S3's query-string signature version 2 (``?AWSAccessKeyId=&Expires=&Signature=``).

boto3's ``generate_presigned_url`` for S3 still produces these URLs unless the client is
configured with ``signature_version="s3v4"``, so presigned GETs from unchanged clients need them.
Only S3 accepts them; :class:`~jobforge.protocol.auth.Authenticator` handles every SigV4 form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from urllib.parse import unquote

from jobforge.protocol.auth import S3_SIGNING_NAME, Authenticator, Identity
from jobforge.protocol.rest_xml import s3_error

# Query parameters that are part of the signed resource (botocore's auth.HmacV1Auth.QSAOfInterest).
_EXPIRES = re.compile(r"[0-9]{1,12}")  # Unix seconds: up to the year 33658
_SUBRESOURCES = frozenset(
    (
        "accelerate acl cors defaultObjectAcl location logging partNumber policy requestPayment "
        "torrent versioning versionId versions website uploads uploadId response-content-type "
        "response-content-language response-expires response-cache-control "
        "response-content-disposition response-content-encoding delete lifecycle tagging restore "
        "storageClass notification replication requestPayment analytics metrics inventory select "
        "select-type object-lock"
    ).split()
)


def is_sigv2_query(query: Mapping[str, list[str]]) -> bool:
    """Whether a request is presigned with signature version 2."""
    return "AWSAccessKeyId" in query and "Signature" in query and "X-Amz-Credential" not in query


def _string_to_sign(
    method: str, resource_path: str, query_string: str, headers: Mapping[str, str], expires: str
) -> str:
    amz = sorted(
        (name, " ".join(value.split()))
        for name, value in headers.items()
        if name.startswith("x-amz-") and name != "x-amz-date"
    )
    subresources = []
    for part in query_string.split("&"):
        name, equals, value = part.partition("=")
        name = unquote(name)
        if name in _SUBRESOURCES:
            subresources.append(f"{name}={unquote(value)}" if equals else name)
    resource = resource_path + ("?" + "&".join(sorted(subresources)) if subresources else "")
    return "\n".join(
        [
            method.upper(),
            headers.get("content-md5", ""),
            headers.get("content-type", ""),
            expires,
            *(f"{name}:{value}" for name, value in amz),
            resource,
        ]
    )


def authenticate_sigv2(
    authenticator: Authenticator,
    method: str,
    resource_path: str,
    query_string: str,
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    now: float | None = None,
) -> Identity:
    """The caller of a SigV2-presigned request; in ``sigv4`` mode the signature and expiry are
    verified (403 ``SignatureDoesNotMatch`` / ``AccessDenied``). ``resource_path``: the path-style
    path as sent (``/bucket/key``, still percent-encoded)."""
    access_key = query["AWSAccessKeyId"][-1]
    expires = (query.get("Expires") or [""])[-1]
    if authenticator.mode == "sigv4":
        if not _EXPIRES.fullmatch(expires):  # ASCII digits only, and few enough for int()
            raise s3_error("AccessDenied", "Query-string authentication requires the Expires parameter")
        if int(expires) < (time.time() if now is None else now):
            raise s3_error("AccessDenied", "Request has expired")
        known = authenticator.accounts.get(access_key)
        secret = known.secret_key if known is not None else authenticator.default_secret
        if secret is None:
            raise s3_error(
                "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
            )
        text = _string_to_sign(method, resource_path, query_string, headers, expires)
        expected = base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(expected, query["Signature"][-1]):
            raise s3_error(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
    return Identity(
        access_key,
        authenticator.account_for(access_key),
        authenticator.default_region,
        S3_SIGNING_NAME,
        signed=True,
    )
