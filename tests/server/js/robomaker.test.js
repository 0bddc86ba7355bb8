// @aws-sdk/client-robomaker against jobforge: a template, a world generation job, the world, an
// export job whose zip lands in a bucket, tags, modeled errors and another account's view.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  RoboMakerClient,
  CreateWorldTemplateCommand,
  DescribeWorldTemplateCommand,
  GetWorldTemplateBodyCommand,
  CreateWorldGenerationJobCommand,
  DescribeWorldGenerationJobCommand,
  ListWorldGenerationJobsCommand,
  ListWorldsCommand,
  DescribeWorldCommand,
  CreateWorldExportJobCommand,
  DescribeWorldExportJobCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-robomaker";
import { CreateBucketCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { client, failure, poll, s3 } from "./common.js";

const robomaker = client(RoboMakerClient);
const body = {
  Version: "2",
  Buildings: [{ Floors: [{ Floorplan: { Rooms: [
    { Type: "Bedroom", Name: "Bedroom", DesiredShape: { Area: 20, AspectRatio: { x: 1, y: 1.2 } } },
  ] }, Interior: {} }] }],
};
const running = (job) => !["Pending", "Running"].includes(job.status);

test("template, generation, world, export", async () => {
  const template = await robomaker.send(
    new CreateWorldTemplateCommand({ name: "js", templateBody: JSON.stringify(body), tags: { team: "js" } }),
  );
  assert.match(template.arn, /^arn:aws:robomaker:us-east-1:\d{12}:world-template\//);
  assert.ok(template.createdAt instanceof Date);
  const described = await robomaker.send(new DescribeWorldTemplateCommand({ template: template.arn }));
  assert.equal(described.name, "js");
  assert.deepEqual(described.tags, { team: "js" });
  const stored = await robomaker.send(new GetWorldTemplateBodyCommand({ template: template.arn }));
  assert.deepEqual(JSON.parse(stored.templateBody), body);

  const started = await robomaker.send(new CreateWorldGenerationJobCommand({
    template: template.arn,
    worldCount: { floorplanCount: 1, interiorCountPerFloorplan: 1 },
    clientRequestToken: "js-generation-1",
  }));
  assert.equal(started.status, "Pending");
  const job = await poll(() => robomaker.send(new DescribeWorldGenerationJobCommand({ job: started.arn })), running);
  assert.equal(job.status, "Completed");
  assert.equal(job.finishedWorldsSummary.finishedCount, 1);
  assert.equal(job.finishedWorldsSummary.failureSummary.totalFailureCount, 0);
  const [worldArn] = job.finishedWorldsSummary.succeededWorlds;
  const again = await robomaker.send(new CreateWorldGenerationJobCommand({
    template: template.arn,
    worldCount: { floorplanCount: 1, interiorCountPerFloorplan: 1 },
    clientRequestToken: "js-generation-1",
  }));
  assert.equal(again.arn, started.arn, "the same clientRequestToken returns the first job");
  const jobs = await robomaker.send(new ListWorldGenerationJobsCommand({}));
  assert.deepEqual(jobs.worldGenerationJobSummaries.map((summary) => summary.arn), [started.arn]);

  const worlds = await robomaker.send(new ListWorldsCommand({ maxResults: 5 }));
  assert.deepEqual(worlds.worldSummaries.map((summary) => summary.arn), [worldArn]);
  const world = await robomaker.send(new DescribeWorldCommand({ world: worldArn }));
  assert.equal(world.generationJob, started.arn);
  assert.deepEqual(JSON.parse(world.worldDescriptionBody).rooms.map((room) => room.name), ["Bedroom"]);

  await s3().send(new CreateBucketCommand({ Bucket: "js-worlds" }));
  const exportStarted = await robomaker.send(new CreateWorldExportJobCommand({
    worlds: [worldArn],
    outputLocation: { s3Bucket: "js-worlds", s3Prefix: "flat" },
    iamRole: "arn:aws:iam::123456789012:role/export",
  }));
  const exported = await poll(
    () => robomaker.send(new DescribeWorldExportJobCommand({ job: exportStarted.arn })), running,
  );
  assert.equal(exported.status, "Completed");
  assert.deepEqual(exported.outputLocation, { s3Bucket: "js-worlds", s3Prefix: "flat" });
  const id = exportStarted.arn.split("/export-")[1]; // the ARN ends in world-export-job/export-<id>
  const zip = await s3().send(new GetObjectCommand({
    Bucket: "js-worlds", Key: `flat/aws-robomaker-worldforge-export-${id}.zip`,
  }));
  const bytes = await zip.Body.transformToByteArray();
  assert.deepEqual([...bytes.slice(0, 4)], [0x50, 0x4b, 0x03, 0x04], "a zip archive");

  const tags = await robomaker.send(new ListTagsForResourceCommand({ resourceArn: template.arn }));
  assert.deepEqual(tags.tags, { team: "js" });
  const other = client(RoboMakerClient, 1);
  const hidden = await failure(other.send(new DescribeWorldCommand({ world: worldArn })));
  assert.equal(hidden.name, "ResourceNotFoundException");
  assert.deepEqual((await other.send(new ListWorldsCommand({}))).worldSummaries, []);
});

test("modeled errors", async () => {
  const missing = await failure(robomaker.send(new DescribeWorldCommand({
    world: "arn:aws:robomaker:us-east-1:123456789012:world/none",
  })));
  assert.equal(missing.name, "ResourceNotFoundException");
  assert.equal(missing.$metadata.httpStatusCode, 400);
  const invalid = await failure(robomaker.send(new CreateWorldTemplateCommand({ templateBody: "{" })));
  assert.equal(invalid.name, "InvalidParameterException");
  assert.match(invalid.message, /template/i);
});
