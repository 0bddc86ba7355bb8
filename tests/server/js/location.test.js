// @aws-sdk/client-location against jobforge: a ValidateAddress job on the repository's sample input
// (the server has its fictional reference imported), its manifest read back through S3, ListJobs,
// CancelJob on an ended job, tags, modeled errors and another account's view. The model's host
// prefix is turned off (disableHostPrefix), as any custom endpoint needs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  LocationClient,
  StartJobCommand,
  GetJobCommand,
  ListJobsCommand,
  CancelJobCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-location";
import { CreateBucketCommand, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { client, failure, poll, s3 } from "./common.js";

const location = client(LocationClient, 0, { disableHostPrefix: true });
const sample = new URL("../../../examples/location/sample_input.parquet", import.meta.url);

test("a ValidateAddress job", async () => {
  await s3().send(new CreateBucketCommand({ Bucket: "js-addresses" }));
  await s3().send(new PutObjectCommand({ Bucket: "js-addresses", Key: "in/sample.parquet", Body: readFileSync(sample) }));
  const started = await location.send(new StartJobCommand({
    Action: "ValidateAddress",
    ExecutionRoleArn: "arn:aws:iam::123456789012:role/LocationServiceJobExecutionRole",
    InputOptions: { Location: "s3://js-addresses/in/", Format: "Parquet" },
    OutputOptions: { Location: "s3://js-addresses/validated/", Format: "Parquet" },
    ActionOptions: { ValidateAddress: { AdditionalFeatures: ["Position"] } },
    Name: "customers",
    Tags: { team: "js" },
  }));
  assert.equal(started.Status, "Pending");
  assert.match(started.JobArn, /^arn:aws:geo:us-east-1:\d{12}:job\//);
  const job = await poll(
    () => location.send(new GetJobCommand({ JobId: started.JobId })),
    (job) => !["Pending", "Running"].includes(job.Status),
  );
  assert.equal(job.Status, "Completed", JSON.stringify(job.Error));
  assert.ok(job.EndedAt instanceof Date);
  assert.deepEqual(job.ActionOptions, { ValidateAddress: { AdditionalFeatures: ["Position"] } });
  assert.deepEqual(job.Tags, { team: "js" });

  const manifest = await s3().send(new GetObjectCommand({
    Bucket: "js-addresses", Key: `validated/${started.JobId}/manifest.json`,
  }));
  const { rows, files } = JSON.parse(await manifest.Body.transformToString());
  assert.equal(rows, 13);
  assert.deepEqual(files.map((file) => file.output), [
    `s3://js-addresses/validated/${started.JobId}/part-00000.parquet`,
  ]);

  const { Entries } = await location.send(new ListJobsCommand({ Filter: { JobStatus: "Completed" } }));
  assert.deepEqual(Entries.map((entry) => entry.JobId), [started.JobId]);
  const cancelled = await location.send(new CancelJobCommand({ JobId: started.JobId }));
  assert.equal(cancelled.Status, "Completed", "cancelling an ended job leaves its status");
  const tags = await location.send(new ListTagsForResourceCommand({ ResourceArn: job.JobArn }));
  assert.deepEqual(tags.Tags, { team: "js" });

  const other = client(LocationClient, 1, { disableHostPrefix: true });
  const hidden = await failure(other.send(new GetJobCommand({ JobId: started.JobId })));
  assert.equal(hidden.name, "ResourceNotFoundException");
  assert.deepEqual((await other.send(new ListJobsCommand({}))).Entries, []);
});

test("modeled errors", async () => {
  const missing = await failure(location.send(new GetJobCommand({ JobId: "none" })));
  assert.equal(missing.name, "ResourceNotFoundException");
  assert.equal(missing.$metadata.httpStatusCode, 404);
  const invalid = await failure(location.send(new StartJobCommand({
    Action: "ValidateAddress",
    ExecutionRoleArn: "not-a-role",
    InputOptions: { Location: "s3://js-addresses/in/", Format: "Parquet" },
    OutputOptions: { Location: "s3://js-addresses/validated/", Format: "Parquet" },
  })));
  assert.equal(invalid.name, "ValidationException");
  assert.equal(invalid.$metadata.httpStatusCode, 400);
});
