"""The baseline: a bare ASGI endpoint answering a small JSON document, served by the same
uvicorn set-up as jobforge. What jobforge adds on top of it is what bench/api.py measures."""

BODY = b'{"arn": "arn:aws:robomaker:us-east-1:000000000000:world-template/template-bench", "version": "1"}'


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": BODY})
