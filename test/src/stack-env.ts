/** The local stack's settings for tests, read from `stack.sh env` (the one source of truth). */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { CreateBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { S3Storage } from "@etl/runtime";
import { z } from "zod";
import { repoRoot } from "./paths.js";

export const StackEnvSchema = z.object({
  ETL_STACK_HOME: z.string().min(1),
  PGHOST: z.string().min(1),
  PGPORT: z.coerce.number().int(),
  PGUSER: z.string().min(1),
  PGPASSWORD: z.string(),
  TRINO_HOST: z.string().min(1),
  TRINO_PORT: z.coerce.number().int(),
  TRINO_USER: z.string().min(1),
  TRINO_HTTP_SCHEME: z.enum(["http", "https"]),
  TRINO_CATALOG: z.string().min(1),
  S3_ENDPOINT_URL: z.string().url(),
  AWS_ACCESS_KEY_ID: z.string().min(1),
  AWS_SECRET_ACCESS_KEY: z.string().min(1),
  AWS_REGION: z.string().min(1),
  S3_BUCKET_NAME: z.string().min(1),
  DBT_BIN: z.string().min(1),
});
export type StackEnv = z.infer<typeof StackEnvSchema>;

export const stackScript = path.join(repoRoot, "test/stack/stack.sh");

/** Parses the `export NAME=value` lines of `stack.sh env`. */
export function parseExports(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) vars[m[1]] = m[2];
  }
  return vars;
}

/** Every `export` line of `stack.sh env`, as printed (per-tenant variables included). */
export function readStackVars(): Record<string, string> {
  return parseExports(execFileSync("bash", [stackScript, "env"], { encoding: "utf8" }));
}

/** The shared variables of `stack.sh env` that the tests rely on, validated. */
export function readStackEnv(): StackEnv {
  const parsed = StackEnvSchema.safeParse(readStackVars());
  if (!parsed.success) {
    throw new Error(`stack.sh env printed unusable values: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** The stack's S3 server as our storage, rooted at `basePath` ("" for the whole bucket). */
export function stackStorage(env: StackEnv, basePath: string): S3Storage {
  return new S3Storage({
    bucket: env.S3_BUCKET_NAME,
    basePath,
    endpoint: env.S3_ENDPOINT_URL,
    region: env.AWS_REGION,
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    sessionToken: null,
    forcePathStyle: true,
  });
}

/**
 * Creates bucket `name` on the stack's S3 server unless it exists, for a test that must know every
 * object in its bucket is its own (other tests write into the shared one while it runs).
 */
export async function ensureStackBucket(env: StackEnv, name: string): Promise<void> {
  const client = new S3Client({
    endpoint: env.S3_ENDPOINT_URL,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    forcePathStyle: true,
  });
  try {
    const exists = await client.send(new HeadBucketCommand({ Bucket: name })).then(
      () => true,
      (e: unknown) => {
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404) return false;
        throw new Error(`cannot look bucket ${name} up on the stack's S3 server`, { cause: e });
      },
    );
    if (!exists) await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
}

const TrinoPageSchema = z.object({
  nextUri: z.string().optional(),
  data: z.array(z.array(z.unknown())).optional(),
  error: z.object({ message: z.string(), errorName: z.string().optional() }).optional(),
});

/**
 * Runs one statement over Trino's HTTP protocol and returns every row. Asks for parametric
 * datetimes, else Trino rounds timestamps to milliseconds for old clients.
 */
export async function trinoQuery(env: StackEnv, sql: string): Promise<unknown[][]> {
  const base = `${env.TRINO_HTTP_SCHEME}://${env.TRINO_HOST}:${env.TRINO_PORT}`;
  const headers = {
    "X-Trino-User": env.TRINO_USER,
    "X-Trino-Client-Capabilities": "PARAMETRIC_DATETIME",
  };
  let response = await fetch(`${base}/v1/statement`, { method: "POST", headers, body: sql });
  const rows: unknown[][] = [];
  for (;;) {
    if (!response.ok) {
      throw new Error(`Trino HTTP ${response.status} for: ${sql}\n${await response.text()}`);
    }
    const page = TrinoPageSchema.parse(await response.json());
    if (page.error)
      throw new Error(
        `Trino ${page.error.errorName ?? "error"}: ${page.error.message} (SQL: ${sql})`,
      );
    rows.push(...(page.data ?? []));
    if (!page.nextUri) return rows;
    response = await fetch(page.nextUri, { headers });
  }
}
