// The JavaScript SDK v3 (@aws-sdk/client-s3) against a jobforge server at JOBFORGE_URL, path style
// and virtual-hosted; run by tests/s3/test_js_sdk.py with `node --test`.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";

const url = new URL(process.env.JOBFORGE_URL ?? "http://127.0.0.1:4580");

// <bucket>.localhost does not resolve everywhere: connect every name to the server's address.
const agent = new http.Agent({
  lookup: (hostname, options, callback) => {
    if (options.all) callback(null, [{ address: url.hostname, family: 4 }]);
    else callback(null, url.hostname, 4);
  },
});

function s3(forcePathStyle) {
  const endpoint = forcePathStyle ? url.origin : `http://localhost:${url.port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    requestHandler: { httpAgent: agent },
  });
  const sent = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      sent.push({ host: args.request.headers.host ?? args.request.hostname, headers: { ...args.request.headers } });
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "recordRequests" },
  );
  return { client, sent };
}

for (const forcePathStyle of [true, false]) {
  const style = forcePathStyle ? "path" : "virtual";
  const bucket = `js-sdk-${style}`;

  test(`${style} style: put (default checksums, streamed trailer), get, list`, async () => {
    const { client, sent } = s3(forcePathStyle);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));

    const text = "hello from the JavaScript SDK\n".repeat(1000);
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: "dir/hello.txt", Body: text }));
    assert.equal(put.ETag, `"${createHash("md5").update(text).digest("hex")}"`);
    assert.ok(Object.keys(sent.at(-1).headers).some((name) => name.startsWith("x-amz-checksum-")));

    const bytes = Buffer.alloc(300 * 1024, 7);
    await client.send(
      new PutObjectCommand({
        Bucket: bucket, Key: "dir/stream.bin", Body: Readable.from([bytes]), ContentLength: bytes.length,
      }),
    );
    const headers = sent.at(-1).headers;
    assert.equal(headers["x-amz-content-sha256"], "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    assert.match(headers["x-amz-trailer"], /^x-amz-checksum-/);
    if (!forcePathStyle) assert.equal(sent.at(-1).host.split(":")[0], `${bucket}.localhost`);

    // the SDK asks for the checksum (x-amz-checksum-mode: ENABLED) and validates the body against it
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/hello.txt" }));
    assert.equal(got.ChecksumCRC32, put.ChecksumCRC32);
    assert.equal(got.ChecksumType, "FULL_OBJECT");
    assert.equal(await got.Body.transformToString(), text);
    const streamed = await client.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/stream.bin" }));
    assert.ok(streamed.ChecksumCRC32 || streamed.ChecksumCRC64NVME || streamed.ChecksumCRC32C);
    assert.ok(Buffer.from(await streamed.Body.transformToByteArray()).equals(bytes));
    assert.equal(streamed.ContentEncoding, undefined);

    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "dir/" }));
    assert.deepEqual(listed.Contents.map((item) => item.Key), ["dir/hello.txt", "dir/stream.bin"]);
    assert.equal(listed.KeyCount, 2);
  });
}
