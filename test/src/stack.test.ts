/**
 * The local real stack as the pipelines use it: every component healthy, an Iceberg table
 * written and read back through Trino with its files in the bucket, the AWS JS SDK against the
 * S3 server (multipart upload, ListObjectsV2, DeleteObjects), and a Hive external Parquet table
 * over an S3 prefix. Fails (never skips) when the stack is not up.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStackEnv, type StackEnv, stackScript, trinoQuery } from "./stack-env.js";

const run = randomBytes(4).toString("hex");
const schema = `stack_test_${run}`;
let env: StackEnv;
let s3: S3Client;

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: env.S3_BUCKET_NAME,
        Prefix: prefix,
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

beforeAll(() => {
  env = readStackEnv();
  s3 = new S3Client({
    endpoint: env.S3_ENDPOINT_URL,
    region: env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  });
});

afterAll(async () => {
  // Clean up even after a failure; a missing schema is not an error here.
  if (env) {
    await trinoQuery(env, `DROP TABLE IF EXISTS iceberg.${schema}.round_trip`);
    await trinoQuery(env, `DROP SCHEMA IF EXISTS iceberg.${schema}`);
    await trinoQuery(env, `DROP TABLE IF EXISTS hive.${schema}.ext`);
    await trinoQuery(env, `DROP SCHEMA IF EXISTS hive.${schema}`);
    const leftovers = await listKeys(`external/${schema}/`);
    if (leftovers.length > 0) {
      await s3.send(
        new DeleteObjectsCommand({
          Bucket: env.S3_BUCKET_NAME,
          Delete: { Objects: leftovers.map((Key) => ({ Key })) },
        }),
      );
    }
  }
  s3?.destroy();
});

describe("local stack", () => {
  it("reports all four components healthy", () => {
    const result = spawnSync("bash", [stackScript, "status"], { encoding: "utf8" });
    expect(result.stdout).toMatch(/^postgres\s+healthy/m);
    expect(result.stdout).toMatch(/^s3\s+healthy/m);
    expect(result.stdout).toMatch(/^trino\s+healthy/m);
    expect(result.stdout).toMatch(/^dbt\s+healthy/m);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it("round-trips a row through an Iceberg table whose files land in the bucket", async () => {
    await trinoQuery(env, `CREATE SCHEMA iceberg.${schema}`);
    await trinoQuery(
      env,
      `CREATE TABLE iceberg.${schema}.round_trip (id bigint, name varchar, amount decimal(18,4), at timestamp(6), day date)`,
    );
    await trinoQuery(
      env,
      `INSERT INTO iceberg.${schema}.round_trip VALUES (42, 'lot ''A''', DECIMAL '12345.6789', TIMESTAMP '2026-01-01 23:59:59.999999', DATE '2026-01-01')`,
    );
    const rows = await trinoQuery(
      env,
      `SELECT id, name, amount, at, day FROM iceberg.${schema}.round_trip`,
    );
    expect(rows).toEqual([
      [42, "lot 'A'", "12345.6789", "2026-01-01 23:59:59.999999", "2026-01-01"],
    ]);

    const keys = await listKeys(`warehouse/${schema}/`);
    expect(keys.some((k) => /\/round_trip-[0-9a-f]+\/data\/.+\.parquet$/.test(k))).toBe(true);
    expect(keys.some((k) => /\/round_trip-[0-9a-f]+\/metadata\/.+\.metadata\.json$/.test(k))).toBe(
      true,
    );

    // The JDBC catalog row points at the metadata file that is in the bucket.
    const [location] = await trinoQuery(
      env,
      `SELECT file_path FROM iceberg.${schema}."round_trip$files"`,
    );
    expect(String(location?.[0])).toMatch(
      new RegExp(`^s3://${env.S3_BUCKET_NAME}/warehouse/${schema}/`),
    );

    await trinoQuery(env, `DROP TABLE iceberg.${schema}.round_trip`);
    expect(await listKeys(`warehouse/${schema}/round_trip-`)).toEqual([]);
  });

  it("serves the AWS JS SDK: put, get, multipart upload, list, delete objects", async () => {
    const prefix = `external/${schema}/sdk/`;
    await s3.send(
      new PutObjectCommand({
        Bucket: env.S3_BUCKET_NAME,
        Key: `${prefix}small.txt`,
        Body: "hello stack",
      }),
    );
    const got = await s3.send(
      new GetObjectCommand({ Bucket: env.S3_BUCKET_NAME, Key: `${prefix}small.txt` }),
    );
    expect(await got.Body?.transformToString()).toBe("hello stack");

    // Two parts: S3's minimum part size (5 MiB) for the first, a short last one.
    const partOne = Buffer.alloc(5 * 1024 * 1024, 0x61);
    const partTwo = Buffer.from("tail");
    const key = `${prefix}multipart.bin`;
    const upload = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: env.S3_BUCKET_NAME, Key: key }),
    );
    const parts = [];
    for (const [i, body] of [partOne, partTwo].entries()) {
      const part = await s3.send(
        new UploadPartCommand({
          Bucket: env.S3_BUCKET_NAME,
          Key: key,
          UploadId: upload.UploadId,
          PartNumber: i + 1,
          Body: body,
        }),
      );
      parts.push({ ETag: part.ETag, PartNumber: i + 1 });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: env.S3_BUCKET_NAME,
        Key: key,
        UploadId: upload.UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const whole = await s3.send(new GetObjectCommand({ Bucket: env.S3_BUCKET_NAME, Key: key }));
    const bytes = await whole.Body?.transformToByteArray();
    expect(bytes?.length).toBe(partOne.length + partTwo.length);
    expect(
      Buffer.from(bytes ?? [])
        .subarray(-4)
        .toString(),
    ).toBe("tail");

    expect((await listKeys(prefix)).sort()).toEqual([
      `${prefix}multipart.bin`,
      `${prefix}small.txt`,
    ]);
    const deleted = await s3.send(
      new DeleteObjectsCommand({
        Bucket: env.S3_BUCKET_NAME,
        Delete: { Objects: [{ Key: `${prefix}small.txt` }, { Key: key }] },
      }),
    );
    expect(deleted.Errors ?? []).toEqual([]);
    expect(await listKeys(prefix)).toEqual([]);
  });

  it("creates, reads and drops a Hive external Parquet table over an S3 prefix", async () => {
    const location = `s3://${env.S3_BUCKET_NAME}/external/${schema}/ext/`;
    await trinoQuery(env, `CREATE SCHEMA hive.${schema}`);
    await trinoQuery(
      env,
      `CREATE TABLE hive.${schema}.ext (id bigint, at timestamp(6)) WITH (external_location = '${location}', format = 'PARQUET')`,
    );
    await trinoQuery(
      env,
      `INSERT INTO hive.${schema}.ext VALUES (1, TIMESTAMP '2026-01-02 00:00:00.000000')`,
    );
    expect(await trinoQuery(env, `SELECT id, at FROM hive.${schema}.ext`)).toEqual([
      [1, "2026-01-02 00:00:00.000000"],
    ]);
    const files = await listKeys(`external/${schema}/ext/`);
    expect(files.length).toBe(1);

    // Dropping an external table forgets it but keeps its files.
    await trinoQuery(env, `DROP TABLE hive.${schema}.ext`);
    expect(await listKeys(`external/${schema}/ext/`)).toEqual(files);
  });
});
