/**
 * The dbt profile of one run, written from the tenant's resolved Trino settings into a private
 * temporary folder. The password never reaches the file: the profile reads it with env_var() from
 * the dbt process's own environment.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TrinoSettings } from "../resources.js";

/** Profile name the runtime passes with `--profile`, whatever dbt_project.yml says. */
export const DBT_PROFILE_NAME = "etl";
/** Environment variable carrying the Trino password to dbt (read by the profile via env_var). */
export const DBT_PASSWORD_ENV = "ETL_DBT_TRINO_PASSWORD";

export interface DbtProfileOptions {
  trino: Pick<TrinoSettings, "host" | "port" | "user" | "password" | "scheme" | "catalog">;
  /** dbt target name (the tenant's `dbt.target`). */
  target: string;
  /** Schema dbt builds into (`dbt.target_schema`); custom schemas are suffixed to it by dbt. */
  targetSchema: string;
  threads?: number;
  /**
   * Hive catalog where the runtime exposes extracted data as sources; its timestamps are read with
   * microsecond precision so they match the extracted values. Null when no source lives there.
   */
  sourcesCatalog?: string | null;
}

/** The profiles.yml content (JSON, which YAML reads as is) and the environment dbt needs for it. */
export function dbtProfile(opts: DbtProfileOptions): { text: string; env: Record<string, string> } {
  const { trino } = opts;
  const output: Record<string, unknown> = {
    type: "trino",
    method: trino.password === null ? "none" : "ldap",
    user: trino.user,
    host: trino.host,
    port: trino.port,
    http_scheme: trino.scheme,
    database: trino.catalog,
    schema: opts.targetSchema,
    threads: opts.threads ?? 4,
  };
  const env: Record<string, string> = {};
  if (trino.password !== null) {
    output.password = `{{ env_var('${DBT_PASSWORD_ENV}') }}`;
    env[DBT_PASSWORD_ENV] = trino.password;
  }
  if (opts.sourcesCatalog !== undefined && opts.sourcesCatalog !== null) {
    output.session_properties = { [`${opts.sourcesCatalog}.timestamp_precision`]: "MICROSECONDS" };
  }
  const profile = {
    [DBT_PROFILE_NAME]: { target: opts.target, outputs: { [opts.target]: output } },
  };
  return { text: `${JSON.stringify(profile, null, 2)}\n`, env };
}

export interface DbtWorkDir {
  /** Folder holding profiles.yml (for `--profiles-dir`). */
  dir: string;
  /** dbt's target path for this run (`--target-path`): keeps the project's target/ untouched. */
  targetPath: string;
  logPath: string;
  env: Record<string, string>;
  /** Removes the folder. */
  dispose(): Promise<void>;
}

/** Creates a private folder with the run's profiles.yml and target/log paths. */
export async function createDbtWorkDir(
  opts: DbtProfileOptions & { parent?: string },
): Promise<DbtWorkDir> {
  const dir = await mkdtemp(path.join(opts.parent ?? tmpdir(), "etl-dbt-"));
  const { text, env } = dbtProfile(opts);
  await writeFile(path.join(dir, "profiles.yml"), text, { mode: 0o600 });
  return {
    dir,
    targetPath: path.join(dir, "target"),
    logPath: path.join(dir, "logs"),
    env,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
