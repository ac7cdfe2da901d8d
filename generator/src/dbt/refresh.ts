/**
 * Refreshing a tenant's committed dbt manifest with the real dbt CLI: `dbt parse` against a profile
 * written from the TRINO_* environment into a private temporary folder (nothing secret on disk),
 * then the volatile fields normalised so an unchanged project gives a byte-identical manifest.
 * Used by `npm run dbt -- parse` and by `npm run migrate`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createDbtWorkDir } from "@etl/runtime";

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

export interface RefreshManifestOptions {
  /** Repository root holding tenants/. */
  root: string;
  tenant: string;
  /** The dbt executable (the stack's DBT_BIN). */
  bin: string;
  target?: string;
  /** Schema named in the parse profile; default `<tenant>_dbt`. */
  targetSchema?: string;
  /** Environment for the TRINO_* settings and dbt itself; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where dbt's own output goes; default inherited. */
  stdio?: "inherit" | "pipe";
}

export type RefreshManifestResult =
  | { ok: true; manifestPath: string }
  | { ok: false; message: string; output: string };

/** Runs `dbt parse` on tenants/<tenant>/dbt and writes its normalised target/manifest.json. */
export async function refreshManifest(
  options: RefreshManifestOptions,
): Promise<RefreshManifestResult> {
  const projectDir = path.join(options.root, "tenants", options.tenant, "dbt");
  const rel = (p: string) => path.relative(options.root, p).split(path.sep).join("/");
  if (!existsSync(path.join(projectDir, "dbt_project.yml"))) {
    return {
      ok: false,
      message: `no dbt project at ${rel(projectDir)}/dbt_project.yml`,
      output: "",
    };
  }
  const env = options.env ?? process.env;
  const target = options.target ?? "dev";
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
    targetSchema: options.targetSchema ?? `${options.tenant}_dbt`,
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
    const run = (args: string[]) =>
      spawnSync(options.bin, args, {
        stdio: options.stdio ?? "inherit",
        encoding: "utf8",
        env: { ...env, ...work.env },
        cwd: projectDir,
      });
    const outputOf = (r: ReturnType<typeof run>) => `${r.stdout ?? ""}${r.stderr ?? ""}`;
    if (
      existsSync(path.join(projectDir, "packages.yml")) ||
      existsSync(path.join(projectDir, "dependencies.yml"))
    ) {
      const deps = run(["deps", ...common]);
      if (deps.error !== undefined || deps.status !== 0) {
        return {
          ok: false,
          message: `dbt deps failed (${deps.error?.message ?? `exit ${deps.status}`})`,
          output: outputOf(deps),
        };
      }
    }
    const parse = run(["parse", ...common]);
    if (parse.error !== undefined) {
      return {
        ok: false,
        message: `could not run ${options.bin}: ${parse.error.message}`,
        output: "",
      };
    }
    if (parse.status !== 0) {
      return {
        ok: false,
        message: `dbt parse failed (exit ${parse.status})`,
        output: outputOf(parse),
      };
    }
    const produced = path.join(work.targetPath, "manifest.json");
    const manifest = normaliseManifest(JSON.parse(readFileSync(produced, "utf8")), projectDir);
    const dest = path.join(projectDir, "target", "manifest.json");
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, `${JSON.stringify(manifest, null, 1)}\n`);
    return { ok: true, manifestPath: rel(dest) };
  } finally {
    await work.dispose();
  }
}
