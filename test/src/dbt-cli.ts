/**
 * `npm run dbt -- parse --tenant <id> [--target dev] [--target-schema <schema>]`
 *
 * Refreshes tenants/<id>/dbt/target/manifest.json with the stack's real dbt (DBT_BIN), using a
 * profile written from the TRINO_* environment into a temporary folder (nothing secret on disk).
 * Volatile fields (generation time, invocation id, per-node creation times, absolute paths) are
 * normalised so that an unchanged project gives a byte-identical manifest to review.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createDbtWorkDir } from "@etl/runtime";
import { repoRoot } from "./paths.js";

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run dbt -- parse --tenant <id> [--target dev] [--target-schema <schema>]\n`,
  );
  process.exit(2);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) usage(`${name} needs a value`);
  return v;
}

/** Replaces values that change on every parse, or name this machine, by fixed ones. */
export function normaliseManifest(manifest: unknown, projectDir: string): unknown {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      return v.split(projectDir).join(".");
    }
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        out[k] = k === "created_at" && typeof x === "number" ? 0 : walk(x);
      }
      return out;
    }
    return v;
  };
  const out = walk(manifest) as { metadata?: Record<string, unknown> };
  if (out.metadata !== undefined) {
    out.metadata.generated_at = "1970-01-01T00:00:00Z";
    out.metadata.invocation_id = "00000000-0000-0000-0000-000000000000";
    if ("invocation_started_at" in out.metadata) out.metadata.invocation_started_at = null;
    if ("run_started_at" in out.metadata) out.metadata.run_started_at = "1970-01-01T00:00:00Z";
    out.metadata.env = {};
  }
  return out;
}

async function parse(args: string[]): Promise<number> {
  const tenant = option(args, "--tenant") ?? usage("--tenant is required");
  if (!/^[a-z][a-z0-9_]*$/.test(tenant)) usage(`invalid tenant id "${tenant}"`);
  const projectDir = path.join(repoRoot, "tenants", tenant, "dbt");
  if (!existsSync(path.join(projectDir, "dbt_project.yml"))) {
    process.stderr.write(
      `no dbt project at ${path.relative(repoRoot, projectDir)}/dbt_project.yml\n`,
    );
    return 1;
  }
  const bin = process.env.DBT_BIN;
  if (bin === undefined || bin === "") {
    process.stderr.write(
      'DBT_BIN is not set: run `eval "$(npm run -s stack -- env)"` first (the stack installs dbt)\n',
    );
    return 1;
  }
  const target = option(args, "--target") ?? "dev";
  const targetSchema = option(args, "--target-schema") ?? `${tenant}_dbt`;
  const env = process.env;
  const work = await createDbtWorkDir({
    trino: {
      host: env.TRINO_HOST ?? "127.0.0.1",
      port: Number(env.TRINO_PORT ?? "58080"),
      user: env.TRINO_USER ?? "etl",
      password:
        env.TRINO_PASSWORD === undefined || env.TRINO_PASSWORD === "" ? null : env.TRINO_PASSWORD,
      scheme: env.TRINO_HTTP_SCHEME === "https" ? "https" : "http",
      catalog: env.TRINO_CATALOG ?? "iceberg",
    },
    target,
    targetSchema,
  });
  try {
    const common = [
      "--profiles-dir",
      work.dir,
      "--profile",
      "etl",
      "--project-dir",
      projectDir,
      "--target",
      target,
      "--target-path",
      work.targetPath,
      "--log-path",
      work.logPath,
      "--no-send-anonymous-usage-stats",
    ];
    const childEnv = { ...process.env, ...work.env };
    if (
      existsSync(path.join(projectDir, "packages.yml")) ||
      existsSync(path.join(projectDir, "dependencies.yml"))
    ) {
      const deps = spawnSync(bin, ["deps", ...common], {
        stdio: "inherit",
        env: childEnv,
        cwd: projectDir,
      });
      if (deps.status !== 0) {
        process.stderr.write(`dbt deps failed (exit ${deps.status})\n`);
        return 1;
      }
    }
    const run = spawnSync(bin, ["parse", ...common], {
      stdio: "inherit",
      env: childEnv,
      cwd: projectDir,
    });
    if (run.error !== undefined) {
      process.stderr.write(`could not run ${bin}: ${run.error.message}\n`);
      return 1;
    }
    if (run.status !== 0) {
      process.stderr.write(`dbt parse failed (exit ${run.status})\n`);
      return 1;
    }
    const produced = path.join(work.targetPath, "manifest.json");
    const manifest = normaliseManifest(JSON.parse(readFileSync(produced, "utf8")), projectDir);
    const dest = path.join(projectDir, "target", "manifest.json");
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, `${JSON.stringify(manifest, null, 1)}\n`);
    process.stdout.write(`wrote ${path.relative(repoRoot, dest)}\n`);
    return 0;
  } finally {
    await work.dispose();
  }
}

const [command, ...rest] = process.argv.slice(2);
if (command !== "parse") {
  usage(command === undefined ? "missing command" : `unknown command "${command}"`);
}
process.exitCode = await parse(rest);
