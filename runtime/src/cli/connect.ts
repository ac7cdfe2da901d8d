/** Real connectivity probes used by `validate --connect`: PostgreSQL, S3, Trino, dbt. */
import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import path from "node:path";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import pg from "pg";
import type {
  DbtSettings,
  PostgresSettings,
  ResolvedResources,
  StorageSettings,
  TrinoSettings,
} from "../resources.js";

export interface ProbeResult {
  target: string;
  ok: boolean;
  detail: string;
}

const TIMEOUT_MS = 10_000;

function message(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as Error & { code?: unknown }).code;
    return typeof code === "string" && !e.message.includes(code)
      ? `${code}: ${e.message}`
      : e.message || e.name;
  }
  return String(e);
}

/** Opens a session and checks the source schema exists. */
export async function probePostgres(s: PostgresSettings): Promise<ProbeResult> {
  const target = `postgresql ${s.user}@${s.host}:${s.port}/${s.database}`;
  const client = new pg.Client({
    host: s.host,
    port: s.port,
    database: s.database,
    user: s.user,
    password: s.password,
    connectionTimeoutMillis: TIMEOUT_MS,
  });
  try {
    await client.connect();
    const r = await client.query<{ found: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS found",
      [s.schema],
    );
    const found = r.rows[0]?.found === true;
    return found
      ? { target, ok: true, detail: `connected, schema "${s.schema}" exists` }
      : { target, ok: false, detail: `connected, but schema "${s.schema}" does not exist` };
  } catch (e) {
    return { target, ok: false, detail: message(e) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Checks the bucket is reachable with the configured credentials (or the local directory). */
export async function probeStorage(s: StorageSettings): Promise<ProbeResult> {
  if (s.kind === "local") {
    return {
      target: `local storage ${path.join(s.root, s.basePath)}`,
      ok: true,
      detail: "no bucket configured: files are written under ETL_HOME",
    };
  }
  const target = `s3://${s.bucket}/${s.basePath}${s.endpoint === null ? "" : ` at ${s.endpoint}`}`;
  const client = new S3Client({
    region: s.region,
    ...(s.endpoint === null ? {} : { endpoint: s.endpoint }),
    forcePathStyle: s.forcePathStyle,
    ...(s.accessKeyId !== null && s.secretAccessKey !== null
      ? {
          credentials: {
            accessKeyId: s.accessKeyId,
            secretAccessKey: s.secretAccessKey,
            ...(s.sessionToken === null ? {} : { sessionToken: s.sessionToken }),
          },
        }
      : {}),
    maxAttempts: 1,
  });
  try {
    await client.send(new HeadBucketCommand({ Bucket: s.bucket }), {
      abortSignal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { target, ok: true, detail: "bucket reachable" };
  } catch (e) {
    return { target, ok: false, detail: message(e) };
  } finally {
    client.destroy();
  }
}

/** Runs `SELECT 1` through the Trino REST protocol and checks the catalog exists. */
export async function probeTrino(s: TrinoSettings): Promise<ProbeResult> {
  const target = `trino ${s.scheme}://${s.user}@${s.host}:${s.port} catalog ${s.catalog}`;
  const headers: Record<string, string> = { "X-Trino-User": s.user };
  if (s.password !== null) {
    headers.Authorization = `Basic ${Buffer.from(`${s.user}:${s.password}`).toString("base64")}`;
  }
  try {
    const rows = await trinoQuery(
      `${s.scheme}://${s.host}:${s.port}`,
      headers,
      `SHOW CATALOGS LIKE '${s.catalog.replace(/'/g, "''")}'`,
    );
    return rows.length > 0
      ? { target, ok: true, detail: "query ran, catalog exists" }
      : { target, ok: false, detail: `connected, but catalog "${s.catalog}" does not exist` };
  } catch (e) {
    return { target, ok: false, detail: message(e) };
  }
}

async function trinoQuery(
  base: string,
  headers: Record<string, string>,
  sql: string,
): Promise<unknown[][]> {
  const deadline = Date.now() + TIMEOUT_MS * 3;
  let res = await fetch(`${base}/v1/statement`, {
    method: "POST",
    headers,
    body: sql,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const rows: unknown[][] = [];
  for (;;) {
    if (!res.ok) {
      throw new Error(`HTTP ${res.status} ${res.statusText} from ${base}`);
    }
    const body = (await res.json()) as {
      nextUri?: string;
      data?: unknown[][];
      error?: { message?: string };
    };
    if (body.error !== undefined) {
      throw new Error(`Trino: ${body.error.message ?? "query failed"}`);
    }
    rows.push(...(body.data ?? []));
    if (body.nextUri === undefined) {
      return rows;
    }
    if (Date.now() > deadline) {
      throw new Error("Trino did not finish SELECT within 30 s");
    }
    res = await fetch(body.nextUri, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  }
}

/** Checks the dbt executable runs and the project directory has a dbt_project.yml. */
export async function probeDbt(s: DbtSettings): Promise<ProbeResult> {
  const target = `dbt ${s.bin} project ${s.projectDir}`;
  const projectFile = path.join(s.projectDir, "dbt_project.yml");
  const hasProject = await access(projectFile).then(
    () => true,
    () => false,
  );
  if (!hasProject) {
    return { target, ok: false, detail: `${projectFile} not found` };
  }
  const version = await new Promise<{ ok: boolean; text: string }>((resolve) => {
    const child = spawn(s.bin, ["--version"], { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    let errors = "";
    child.stdout.on("data", (d: Buffer) => {
      text += d.toString();
    });
    // dbt's adapters log to stderr (e.g. trino's keyring notice); shown only when dbt fails.
    child.stderr.on("data", (d: Buffer) => {
      errors += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS * 3);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({
        ok: false,
        text: `cannot run "${s.bin}": ${message(e)} (set DBT_BIN or put dbt on PATH)`,
      });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, text: code === 0 ? text.trim() : `${text}\n${errors}`.trim() });
    });
  });
  return { target, ok: version.ok, detail: dbtVersionLine(version.text) };
}

/** `dbt-core 1.12.0, dbt-trino 1.10.6` from `dbt --version`, else its first line. */
export function dbtVersionLine(text: string): string {
  const core = /installed:\s*(\S+)/.exec(text)?.[1];
  const trino = /^\s*-\s*trino:\s*(\S+)/m.exec(text)?.[1];
  if (core !== undefined) {
    return `dbt-core ${core}${trino === undefined ? "" : `, dbt-trino ${trino}`}`;
  }
  return (text.split("\n").find((l) => l.trim() !== "") ?? "").trim();
}

/** Probes every configured resource concurrently. */
export async function probeAll(r: ResolvedResources): Promise<ProbeResult[]> {
  const probes: Promise<ProbeResult>[] = [
    probePostgres(r.source),
    probeStorage(r.storage),
    probeTrino(r.trino),
  ];
  if (r.dbt !== null) {
    probes.push(probeDbt(r.dbt));
  }
  return Promise.all(probes);
}
