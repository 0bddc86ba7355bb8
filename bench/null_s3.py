"""A do-nothing S3 endpoint for bench/s3.py: reads and discards every body and answers the
multipart calls of boto3's ``upload_file`` with the least XML it accepts. What boto3 reaches
against it is the client's own ceiling on this machine (its hashing, signing and sending)."""

_INITIATE = (
    b'<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>b</Bucket>'
    b"<Key>k</Key><UploadId>null</UploadId></InitiateMultipartUploadResult>"
)
_COMPLETE = (
    b'<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>b</Bucket>'
    b'<Key>k</Key><ETag>"null-1"</ETag></CompleteMultipartUploadResult>'
)


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b""
    if scope["method"] == "POST":
        body = _INITIATE if scope.get("query_string", b"").startswith(b"uploads") else _COMPLETE
    headers = [
        (b"content-type", b"application/xml"),
        (b"etag", b'"00000000000000000000000000000000"'),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
