/**
 * `npm run introspect -- --tenant <id>`: snapshots the tenant's source schema into
 * tenants/<id>/introspection.json, using the tenant's own connection settings resolved from the
 * environment (e.g. after `eval "$(npm run -s stack -- env)"`).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { type ConfigValue, resolveValue } from "@etl/runtime";
import { parseConfigValue } from "@etl/runtime/contract";
import pg from "pg";
import { INTROSPECTION_FILE } from "./config/introspection.js";
import { loadTenants } from "./config/load.js";
import { introspectTenant } from "./introspect.js";
import { tenantPipelines } from "./presets/preset.js";
import { formatProblems } from "./problems.js";
import { findRoot } from "./root.js";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { tenant: { type: "string" }, root: { type: "string" }, debug: { type: "boolean" } },
    strict: true,
  });
  const root = values.root ?? findRoot(process.cwd());
  if (root === null || values.tenant === undefined) {
    console.error("usage: npm run introspect -- --tenant <id>   (inside the repository)");
    return 2;
  }
  const loaded = loadTenants(root, [values.tenant]);
  const tenant = loaded.tenants[0];
  if (loaded.problems.length > 0 || tenant === undefined) {
    process.stderr.write(formatProblems(loaded.problems));
    return 1;
  }
  const db = tenant.config.source_database;
  const missing: string[] = [];
  const resolve = (raw: string): string => {
    const parsed = parseConfigValue(raw);
    const value: ConfigValue = parsed.ok ? parsed.value : raw;
    const r = resolveValue(value, process.env);
    if (!r.ok) {
      missing.push(...r.missing);
      return "";
    }
    return r.value;
  };
  const settings = {
    host: resolve(db.host),
    port: Number(resolve(db.port)),
    database: resolve(db.database),
    user: resolve(db.username),
    password: resolve(db.password),
  };
  const schema = resolve(db.schema);
  if (missing.length > 0) {
    console.error(
      `error: missing environment variable(s): ${[...new Set(missing)].join(", ")} (try: eval "$(npm run -s stack -- env)")`,
    );
    return 1;
  }
  const pipelines = tenantPipelines(tenant.config).configs;
  const client = new pg.Client({
    ...settings,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
  });
  await client.connect();
  try {
    // Introspection only reads the catalog and describes custom queries (never runs them); a READ
    // ONLY transaction makes that a guarantee of the session, not only of the code.
    await client.query("BEGIN READ ONLY");
    const snapshot = await introspectTenant(client, schema, pipelines);
    await client.query("ROLLBACK");
    const file = path.join(root, "tenants", tenant.dir, INTROSPECTION_FILE);
    writeFileSync(file, `${JSON.stringify(snapshot, null, 2)}\n`);
    const n = Object.values(snapshot.pipelines).reduce((a, p) => a + p.columns.length, 0);
    console.log(
      `wrote tenants/${tenant.dir}/${INTROSPECTION_FILE}: ${Object.keys(snapshot.pipelines).length} pipelines, ${n} columns`,
    );
    console.log(`next: npm run generate -- --tenant ${tenant.dir}`);
  } finally {
    await client.end();
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    console.error(`error: introspection failed: ${err.message}`);
    if (process.argv.includes("--debug") && err.stack !== undefined) {
      console.error(err.stack);
    }
    process.exitCode = 1;
  },
);
