/**
 * Secrets and tenant isolation on the real stack. A dedicated PostgreSQL role gets a canary
 * password; a run with ETL_LOG_LEVEL=debug must not leak it into stdout/stderr, the ledger, any
 * object it wrote to S3 (Parquet data and metadata, manifests, run history) or generated/. Wrong
 * canary passwords and a canary in an endpoint URL must not appear in the error either. Every
 * generated package reads only its own tenant's variables (plus the shared stack ones), and the
 * run writes only under its own storage prefix.
 */

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import {
  type CliIo,
  type ConfigValue,
  referencedVars,
  runCli,
  S3Storage,
  type TenantPlan,
} from "@etl/runtime";
import { checkEnvReference } from "@etl/runtime/contract";
import { transforms } from "@etl/tenant-project_01";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/paths.js";
import { hardeningPlan, RAW_JOB, TENANT } from "./plan.js";

const exec = promisify(execFile);
const SCHEMA = "hardening_secrets";
const ROLE = "hardening_canary";
const BASE = "hardening-secrets/project_id=project_01";
const CANARY = `Canary-${randomBytes(8).toString("hex")}`;
const WRONG = `WrongCanary-${randomBytes(8).toString("hex")}`;
const URL_CANARY = `UrlCanary-${randomBytes(8).toString("hex")}`;
/** Password parts that old redaction let through: after an "@" in the userinfo, in ?password=. */
const AT_CANARY = `AtCanary-${randomBytes(8).toString("hex")}`;
const PARAM_CANARY = `ParamCanary-${randomBytes(8).toString("hex")}`;
const DAY = "2026-02-02";

let env: Record<string, string | undefined> = {};
let etlHome = "";
const bucket = new S3Storage({
  bucket: "data-lake",
  basePath: "",
  endpoint: "http://127.0.0.1:59000",
  region: "us-east-1",
  accessKeyId: "etl-access-key",
  secretAccessKey: "etl-secret-key",
  sessionToken: null,
  forcePathStyle: true,
});

function plan(): TenantPlan {
  const p = hardeningPlan(BASE);
  const e = p.environments.dev;
  e.resources.source.schema = SCHEMA;
  for (const pipe of e.pipelines) {
    if (pipe.trinoOutput !== null) pipe.trinoOutput = { ...pipe.trinoOutput, schema: SCHEMA };
  }
  return p;
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({
    host: "127.0.0.1",
    port: 55432,
    user: "etl",
    password: "etl",
    database: TENANT,
  });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function cli(argv: string[], extra: Record<string, string>) {
  let out = "";
  const add = (t: string) => {
    out += t;
  };
  const io: CliIo = { isTTY: false, out: add, err: add };
  // The run's log lines go to io; capture the process's own streams too (anything else writing
  // there, e.g. a library), at every level.
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((st) => st.write.bind(st));
  for (const st of streams) {
    st.write = ((chunk: string | Uint8Array) => {
      add(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    }) as typeof st.write;
  }
  try {
    const code = await runCli({ plan: plan(), transforms, argv, env: { ...env, ...extra }, io });
    return { code, out };
  } finally {
    streams.forEach((st, i) => {
      st.write = originals[i] as typeof st.write;
    });
  }
}

/** Every file under `dir` (recursively) with its bytes. */
async function filesUnder(dir: string): Promise<[string, Buffer][]> {
  const out: [string, Buffer][] = [];
  for (const name of await readdir(dir)) {
    const p = path.join(dir, name);
    if ((await stat(p)).isDirectory()) out.push(...(await filesUnder(p)));
    else out.push([p, await readFile(p)]);
  }
  return out;
}

beforeAll(async () => {
  const r = await exec("bash", [path.join(repoRoot, "test/stack/stack.sh"), "env"], {
    cwd: repoRoot,
  });
  const exported = Object.fromEntries(
    r.stdout
      .split("\n")
      .map((l) => /^export ([A-Z0-9_]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], (m[2] ?? "").replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1")]),
  );
  etlHome = await mkdtemp(path.join(tmpdir(), "etl-hardening-secrets-"));
  env = {
    ...process.env,
    ...exported,
    ETL_HOME: etlHome,
    ETL_ENVIRONMENT: "dev",
    ETL_LOG_LEVEL: "debug",
    ETL_RETRY_ATTEMPTS: "2",
    ETL_RETRY_BASE_MS: "100",
    PROJECT_01_DB_USER: ROLE,
    PROJECT_01_DB_PASSWORD: CANARY,
  };
  await admin(`
    DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE;
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}') THEN
        EXECUTE 'DROP OWNED BY ${ROLE}'; EXECUTE 'DROP ROLE ${ROLE}';
      END IF;
    END $$;
    CREATE ROLE ${ROLE} LOGIN PASSWORD '${CANARY}';
    CREATE SCHEMA ${SCHEMA};
    CREATE TABLE ${SCHEMA}.lot_history AS SELECT * FROM public.lot_history LIMIT 0;
    INSERT INTO ${SCHEMA}.lot_history
      SELECT 'S-' || g, 'P', 'STEP', NULL, TIMESTAMP '${DAY} 01:00:00', NULL, g, 'COMPLETED', 'LOW',
             TIMESTAMP '${DAY} 01:00:00' + g * INTERVAL '1 minute', now()
      FROM generate_series(1, 200) AS g;
    GRANT USAGE ON SCHEMA ${SCHEMA} TO ${ROLE};
    GRANT SELECT ON ALL TABLES IN SCHEMA ${SCHEMA} TO ${ROLE};
  `);
  await bucket.deletePrefix(`${BASE}/`);
}, 120_000);

afterAll(async () => {
  await admin(
    `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; DROP OWNED BY ${ROLE}; DROP ROLE IF EXISTS ${ROLE};`,
  );
});

describe.sequential("secrets never leak; a tenant stays in its lane", () => {
  it("a run with a canary password at debug level leaks it nowhere", async () => {
    const before = new Set((await bucket.list("")).map((o) => o.key));
    const r = await cli(["run", RAW_JOB, "--partition", DAY], {});
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/"level":"debug"/);
    expect(r.out).not.toContain(CANARY);
    for (const [file, bytes] of await filesUnder(etlHome)) {
      expect(bytes.includes(CANARY), file).toBe(false);
    }
    const written = (await bucket.list("")).map((o) => o.key).filter((k) => !before.has(k));
    expect(written.length).toBeGreaterThan(0);
    for (const key of written) {
      // The package writes only under the tenant's own prefix; Trino writes the target table's
      // Iceberg files under its warehouse and the Hive staging metadata under its metastore.
      const byTrino = key.startsWith("warehouse/") || key.startsWith("hive-metastore/");
      expect(byTrino || key.startsWith(`${BASE}/`), key).toBe(true);
      const bytes = await bucket.get(key);
      expect(Buffer.from(bytes ?? new Uint8Array()).includes(CANARY), key).toBe(false);
    }
    for (const [file, bytes] of await filesUnder(path.join(repoRoot, "generated"))) {
      expect(bytes.includes(CANARY), file).toBe(false);
    }
  }, 300_000);

  it("a wrong canary password fails with a clear error that does not repeat it", async () => {
    const r = await cli(["run", RAW_JOB, "--partition", DAY], { PROJECT_01_DB_PASSWORD: WRONG });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/password authentication failed/);
    expect(r.out).not.toContain(WRONG);
    for (const [file, bytes] of await filesUnder(etlHome)) {
      expect(bytes.includes(WRONG), file).toBe(false);
    }
  }, 300_000);

  it("credentials inside an endpoint URL are redacted from errors", async () => {
    const r = await cli(["run", RAW_JOB, "--partition", DAY], {
      S3_ENDPOINT_URL: `http://etl-access-key:${URL_CANARY}@127.0.0.1:1`,
    });
    expect(r.code).toBe(1);
    expect(r.out).not.toContain(URL_CANARY);
    for (const [file, bytes] of await filesUnder(etlHome)) {
      expect(bytes.includes(URL_CANARY), file).toBe(false);
    }
  }, 300_000);

  it("a URL password holding an @, and a ?password= parameter, are redacted from errors", async () => {
    const r = await cli(["run", RAW_JOB, "--partition", DAY], {
      S3_ENDPOINT_URL: `http://etl-access-key:${URL_CANARY}@${AT_CANARY}@127.0.0.1:1/?password=${PARAM_CANARY}`,
    });
    expect(r.code).toBe(1);
    for (const canary of [URL_CANARY, AT_CANARY, PARAM_CANARY]) {
      expect(r.out).not.toContain(canary);
      for (const [file, bytes] of await filesUnder(etlHome)) {
        expect(bytes.includes(canary), file).toBe(false);
      }
    }
  }, 300_000);

  it("every generated package names only its own variables and the shared ones in their fields", async () => {
    // The generator's rule (@etl/runtime/contract's tenancy), checked on what was actually generated.
    const tenants = ["project_01", "project_02", "default"];
    const fields: Record<string, Record<string, string>> = {
      source: {
        host: "source_database.host",
        port: "source_database.port",
        database: "source_database.database",
        user: "source_database.username",
        password: "source_database.password",
        schema: "source_database.schema",
      },
      storage: { bucket: "storage.bucket", basePath: "storage.base_path" },
      trino: {
        host: "target_database.trino_host",
        port: "target_database.trino_port",
        user: "target_database.trino_user",
        password: "target_database.trino_password",
        httpScheme: "target_database.trino_http_scheme",
        catalog: "target_database.target_catalog",
        schema: "target_database.target_schema",
      },
    };
    for (const tenant of tenants) {
      const mod = (await import(`@etl/tenant-${tenant}`)) as { plan: TenantPlan };
      let named = 0;
      // Every value of a plan that may hold a reference: the connections, the alert webhooks and
      // the lineage endpoint, each with the config field it came from.
      const referencing = (env: (typeof mod.plan.environments)["dev"]) => [
        ...Object.entries(env.resources).flatMap(([group, values]) =>
          Object.entries(values as Record<string, ConfigValue>).map(([key, value]) => ({
            field: fields[group]?.[key] ?? `${group}.${key}`,
            value,
          })),
        ),
        ...(env.alerts?.destinations ?? []).map((d) => ({
          field: "alerts.webhooks.url",
          value: d.url,
        })),
        ...(env.lineage === null || env.lineage === undefined
          ? []
          : [{ field: "lineage.url", value: env.lineage.url }]),
      ];
      const everyName = new Set<string>();
      for (const env of Object.values(mod.plan.environments)) {
        for (const { field, value } of referencing(env)) {
          for (const name of referencedVars(value)) {
            named += 1;
            everyName.add(name);
            const verdict = checkEnvReference({ tenant, tenants, field, name, allowed: [] });
            expect(verdict, `${tenant} ${field}: ${name}`).toEqual({ ok: true });
          }
        }
      }
      expect(named).toBeGreaterThan(0);
      expect([...mod.plan.envVars].sort()).toEqual([...everyName].sort());
    }
  });
});
