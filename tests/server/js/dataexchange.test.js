// @aws-sdk/client-dataexchange against jobforge: a data set and revision, an import from S3, a
// revision export by key pattern, a signed-URL export fetched over plain HTTP, modeled errors and
// another account's view.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DataExchangeClient,
  CreateDataSetCommand,
  CreateRevisionCommand,
  CreateJobCommand,
  StartJobCommand,
  GetJobCommand,
  ListJobsCommand,
  ListRevisionAssetsCommand,
  UpdateRevisionCommand,
  GetDataSetCommand,
  GetAssetCommand,
} from "@aws-sdk/client-dataexchange";
import { CreateBucketCommand, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { client, failure, poll, s3 } from "./common.js";

const dataexchange = client(DataExchangeClient);
const content = "id,name\n1,Quillberry\n";

async function run(Type, Details) {
  const created = await dataexchange.send(new CreateJobCommand({ Type, Details }));
  assert.equal(created.State, "WAITING");
  await dataexchange.send(new StartJobCommand({ JobId: created.Id }));
  const job = await poll(
    () => dataexchange.send(new GetJobCommand({ JobId: created.Id })),
    (job) => !["WAITING", "IN_PROGRESS"].includes(job.State),
  );
  assert.equal(job.State, "COMPLETED", JSON.stringify(job.Errors));
  return job;
}

test("import from S3, export a revision and an asset", async () => {
  await s3().send(new CreateBucketCommand({ Bucket: "js-data" }));
  await s3().send(new PutObjectCommand({ Bucket: "js-data", Key: "in/streets.csv", Body: content }));
  const dataSet = await dataexchange.send(new CreateDataSetCommand({
    AssetType: "S3_SNAPSHOT", Name: "streets", Description: "fictional streets", Tags: { team: "js" },
  }));
  assert.ok(dataSet.CreatedAt instanceof Date);
  assert.deepEqual(dataSet.Tags, { team: "js" });
  const revision = await dataexchange.send(new CreateRevisionCommand({ DataSetId: dataSet.Id, Comment: "first" }));

  await run("IMPORT_ASSETS_FROM_S3", { ImportAssetsFromS3: {
    DataSetId: dataSet.Id, RevisionId: revision.Id, AssetSources: [{ Bucket: "js-data", Key: "in/streets.csv" }],
  } });
  const { Assets } = await dataexchange.send(
    new ListRevisionAssetsCommand({ DataSetId: dataSet.Id, RevisionId: revision.Id }),
  );
  assert.deepEqual(Assets.map((asset) => [asset.Name, asset.AssetDetails.S3SnapshotAsset.Size]), [
    ["in/streets.csv", content.length],
  ]);
  await dataexchange.send(new UpdateRevisionCommand({ DataSetId: dataSet.Id, RevisionId: revision.Id, Finalized: true }));

  await run("EXPORT_REVISIONS_TO_S3", { ExportRevisionsToS3: {
    DataSetId: dataSet.Id,
    RevisionDestinations: [{ RevisionId: revision.Id, Bucket: "js-data", KeyPattern: "out/${Revision.Id}/${Asset.Name}" }],
  } });
  const exported = await s3().send(new GetObjectCommand({ Bucket: "js-data", Key: `out/${revision.Id}/in/streets.csv` }));
  assert.equal(await exported.Body.transformToString(), content);

  const signed = await run("EXPORT_ASSET_TO_SIGNED_URL", { ExportAssetToSignedUrl: {
    DataSetId: dataSet.Id, RevisionId: revision.Id, AssetId: Assets[0].Id,
  } });
  const response = await fetch(signed.Details.ExportAssetToSignedUrl.SignedUrl);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), content);
  const { Jobs } = await dataexchange.send(new ListJobsCommand({ DataSetId: dataSet.Id }));
  assert.equal(Jobs.length, 3);

  const other = client(DataExchangeClient, 1);
  const hidden = await failure(other.send(new GetDataSetCommand({ DataSetId: dataSet.Id })));
  assert.equal(hidden.name, "ResourceNotFoundException");
  assert.deepEqual((await other.send(new ListJobsCommand({}))).Jobs, []);
});

test("modeled errors", async () => {
  const missing = await failure(dataexchange.send(new GetDataSetCommand({ DataSetId: "0".repeat(32) })));
  assert.equal(missing.name, "ResourceNotFoundException");
  assert.equal(missing.$metadata.httpStatusCode, 404);
  const invalid = await failure(dataexchange.send(new GetAssetCommand({ DataSetId: "x", RevisionId: "y", AssetId: "z" })));
  assert.equal(invalid.name, "ValidationException");
  assert.equal(invalid.$metadata.httpStatusCode, 400);
});
