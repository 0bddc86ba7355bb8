// What the service tests share: the server (JOBFORGE_URL), two accounts' keys (JOBFORGE_KEYS, JSON
// [[accessKeyId, secretAccessKey], ...]: the first is the tests' own, the second another account's),
// a client factory and a poll.
import { S3Client } from "@aws-sdk/client-s3";

export const url = process.env.JOBFORGE_URL ?? "http://127.0.0.1:4580";
const keys = JSON.parse(process.env.JOBFORGE_KEYS ?? '[["test", "test"], ["other", "other"]]');

/** A client of `Client` for account `account` (0: the tests' own, 1: another one). */
export function client(Client, account = 0, options = {}) {
  const [accessKeyId, secretAccessKey] = keys[account];
  return new Client({ endpoint: url, region: "us-east-1", credentials: { accessKeyId, secretAccessKey }, ...options });
}

export function s3(account = 0) {
  return client(S3Client, account, { forcePathStyle: true });
}

/** Call `read` until `done(result)` holds (at most `seconds`); the last result. */
export async function poll(read, done, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const result = await read();
    if (done(result) || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The error `promise` rejects with (fails when it resolves). */
export async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("the call succeeded; an error was expected");
}
