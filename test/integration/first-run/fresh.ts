/**
 * Never-used state for the first-run suites: one random tag per test run names every schema,
 * table, bucket prefix and source schema the suite touches, so each run meets the stack the way a
 * fresh machine's first run does (nothing it needs exists yet), while other engineers' tests keep
 * using the same stack. Cleanup removes only what carries the tag.
 */
import { randomBytes } from "node:crypto";
import { S3Storage, TrinoClient } from "@etl/runtime";
import pg from "pg";
import { loadSampleData, type SampleDataInput } from "../../src/sample-data.js";
import { readStackEnv } from "../../src/stack-env.js";

export const stack = readStackEnv();

/** A fresh lower-case tag, valid in Trino, PostgreSQL and S3 names. */
export function freshTag(): string {
  return `fr${randomBytes(5).toString("hex")}`;
}

export function trinoClient(): TrinoClient {
  return TrinoClient.create({
    host: stack.TRINO_HOST,
    port: stack.TRINO_PORT,
    user: stack.TRINO_USER,
    password: null,
    scheme: stack.TRINO_HTTP_SCHEME,
  });
}

export function s3Storage(basePath: string): S3Storage {
  return new S3Storage({
    bucket: stack.S3_BUCKET_NAME,
    basePath,
    endpoint: stack.S3_ENDPOINT_URL,
    region: stack.AWS_REGION,
    accessKeyId: stack.AWS_ACCESS_KEY_ID,
    secretAccessKey: stack.AWS_SECRET_ACCESS_KEY,
    sessionToken: null,
    forcePathStyle: true,
  });
}

/** A client of the stack's PostgreSQL database `database`. */
export async function pgClient(database: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: stack.PGHOST,
    port: stack.PGPORT,
    user: stack.PGUSER,
    password: stack.PGPASSWORD,
    database,
  });
  await client.connect();
  return client;
}

/**
 * Loads the demo's sample data (the same generator and options as `npm run sample-data`) into a
 * private schema of `database`, so the suite reads exactly what the demo reads without touching
 * the tenant's own tables.
 */
export async function loadPrivateSampleData(
  database: string,
  schema: string,
  options: SampleDataInput,
): Promise<void> {
  const client = await pgClient(database);
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    await loadSampleData(client, options);
  } finally {
    await client.end();
  }
}

export async function dropPrivateSchema(database: string, schema: string): Promise<void> {
  const client = await pgClient(database);
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Drops every schema of `catalog` whose name contains `tag` (tables and views first): what the
 * suite created, and nothing else.
 */
export async function dropTaggedSchemas(
  client: TrinoClient,
  catalog: string,
  tag: string,
): Promise<void> {
  const schemas = await client.rows(
    `SELECT schema_name FROM ${catalog}.information_schema.schemata WHERE schema_name LIKE '%${tag}%'`,
  );
  for (const { schema_name: schema } of schemas) {
    const objects = await client.rows(
      `SELECT table_name, table_type FROM ${catalog}.information_schema.tables WHERE table_schema = '${String(schema)}'`,
    );
    for (const { table_name: name, table_type: type } of objects) {
      const what = type === "VIEW" ? "VIEW" : "TABLE";
      await client.execute(
        `DROP ${what} IF EXISTS ${catalog}."${String(schema)}"."${String(name)}"`,
      );
    }
    await client.execute(`DROP SCHEMA IF EXISTS ${catalog}."${String(schema)}"`);
  }
}
