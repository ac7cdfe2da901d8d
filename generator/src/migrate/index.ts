/**
 * `migrate`: an old Dagster tenant folder becomes tenants/<id>/ of this repository. A short list of
 * named steps: read the folder -> parse its config -> read its dbt project -> convert (pure) ->
 * parse the converted dbt project with the stack's dbt when there is one, in a temporary folder,
 * and convert again with its manifest (which models read which extract decides save_to_s3) ->
 * plan the write -> write, the manifest last.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { refreshManifest } from "../dbt/refresh.js";
import { checkId, RESERVED_TENANT_IDS } from "../model/translate.js";
import { fileProblem, type Problem } from "../problems.js";
import { convertTenant, type LegacyTenantInput } from "./convert.js";
import { parseLegacyConfig } from "./legacy-config.js";
import { readDbtProject, readLegacyFolder } from "./read.js";
import { formatReport, type MigrationReport } from "./report.js";
import { applyWrite, planWrite } from "./write.js";

export { convertTenant } from "./convert.js";
export { parseLegacyConfig } from "./legacy-config.js";
export { legacyKeyPaths } from "./legacy-schema.js";
export { formatReport, type MigrationReport } from "./report.js";

/** The report's own file in the migrated tenant folder. */
export const REPORT_FILE = "MIGRATION.md";

export interface MigrateOptions {
  /** Absolute path of the old tenant folder (or legacy tenant_<id>.yaml). */
  from: string;
  /** How problems name `from` (the path as the person typed it). */
  display?: string;
  /** The new tenant id; default the old one. */
  id?: string;
  /** Repository root holding tenants/. */
  root: string;
  /** The stack's dbt, to refresh the manifest; null when there is none. */
  dbt: { bin: string; env?: NodeJS.ProcessEnv } | null;
  /** Report and plan only; write nothing. */
  dryRun?: boolean;
}

/** What became of the dbt manifest. */
export type DbtStep =
  | { kind: "none" }
  | { kind: "dry-run" }
  | { kind: "unavailable" }
  | { kind: "refreshed"; manifestPath: string }
  | { kind: "failed"; message: string; output: string };

export type MigrateResult =
  | { ok: false; problems: Problem[] }
  | {
      ok: true;
      id: string;
      report: MigrationReport;
      /** Root-relative files written (or, with dryRun, that would be). */
      written: string[];
      unchanged: string[];
      dbt: DbtStep;
    };

/** Migrates one old tenant; never writes anything when it reports problems. */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const display = options.display ?? options.from;
  const read = readLegacyFolder(options.from, display);
  if (!read.ok) {
    return read;
  }
  const folder = read.folder;
  const configLabel = folder.singleFile ? display : `${display}/${folder.configFile}`;
  const parsed = parseLegacyConfig(configLabel, folder.configText);
  if (!parsed.ok) {
    return parsed;
  }
  const id = options.id ?? parsed.config.tenant.id;
  const idProblem = checkNewId(id, options, display);
  if (idProblem !== null) {
    return { ok: false, problems: [idProblem] };
  }
  const dbt = locateDbtProject(folder.dir, folder.singleFile, parsed.config.tenant.dbt.project_dir);
  const dbtFiles = dbt.dir === null ? null : readDbtProject(dbt.dir, `${display}/${dbt.where}`);
  const input: LegacyTenantInput = {
    source: folder.source,
    configFile: folder.configFile,
    config: parsed.config,
    python: folder.python,
    dbt:
      dbtFiles === null ? null : { where: `${folder.source}/${dbt.where}/`, files: dbtFiles.files },
    dbtMissing: dbt.missing,
    singleFile: folder.singleFile,
    shadowed:
      folder.singleFile &&
      // The old loader skipped tenant_<x>.yaml when a folder <x>/ with a config.yaml existed.
      existsSync(
        path.join(path.dirname(folder.dir), folder.source.replace(/^tenant_/, ""), "config.yaml"),
      ),
  };
  const withoutDbt = convertTenant(input, { id });
  const dbtRun = await parseDbt(withoutDbt, options, id);
  const conversion =
    dbtRun.manifest === null ? withoutDbt : convertTenant(input, { id, manifest: dbtRun.manifest });
  for (const p of dbtFiles?.problems ?? []) {
    conversion.report.todo.push({
      where: p.file,
      text: `not copied: ${p.message}; ${p.hint ?? ""}`,
    });
  }
  const files = new Map<string, string>();
  for (const [rel, text] of conversion.files) {
    files.set(`tenants/${id}/${rel}`, text);
  }
  files.set(`tenants/${id}/${REPORT_FILE}`, formatReport(conversion.report));
  const plan = planWrite(options.root, files);
  if (plan.conflicts.length > 0) {
    return {
      ok: false,
      problems: plan.conflicts.map((rel) =>
        fileProblem({
          file: rel,
          path: "",
          message: `exists with other content than this migration writes (edited since, or another tenant)`,
          hint: `keep your version: nothing was written. To migrate again from scratch, move tenants/${id}/ away first`,
        }),
      ),
    };
  }
  if (options.dryRun === true) {
    return {
      ok: true,
      id,
      report: conversion.report,
      written: plan.add,
      unchanged: plan.same,
      dbt: { kind: "dry-run" },
    };
  }
  applyWrite(options.root, files, plan);
  if (dbtRun.manifest !== null && dbtRun.step.kind === "refreshed") {
    // Like npm run dbt -- parse, the manifest is dbt's output and replaces the one there.
    const dest = path.join(options.root, dbtRun.step.manifestPath);
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, dbtRun.manifest);
  }
  return {
    ok: true,
    id,
    report: conversion.report,
    written: plan.add,
    unchanged: plan.same,
    dbt: dbtRun.step,
  };
}

function checkNewId(id: string, options: MigrateOptions, display: string): Problem | null {
  const check = checkId("tenant id", id);
  const at = (message: string, hint: string): Problem =>
    fileProblem({
      file: options.id === undefined ? display : "--id",
      path: options.id === undefined ? "tenant.id" : "",
      message,
      hint,
    });
  if (!check.ok) {
    return at(check.message, `pass --id ${check.hint.replace(/^rename it, e\.g\. /, "")}`);
  }
  if ((RESERVED_TENANT_IDS as readonly string[]).includes(id)) {
    return at(
      `tenant id "${id}" is reserved (generated/all/ serves every tenant)`,
      "pass --id <another id>",
    );
  }
  const target = path.resolve(options.root, "tenants", id);
  const from = path.resolve(options.from);
  if (target === from || from.startsWith(`${target}${path.sep}`)) {
    return at(
      `the old folder is tenants/${id}/ itself, where the migrated tenant goes`,
      `move it out of the repository first (e.g. mv tenants/${id} ../dagster-tenants/${id}), then npm run migrate -- --from ../dagster-tenants/${id}`,
    );
  }
  return null;
}

/**
 * Where the old config's dbt project is: `<folder>/dbt`, or a custom project_dir, which the old
 * code resolved against its working directory (the old repository's root, three levels above
 * etl/tenants/<id>/).
 */
function locateDbtProject(
  dir: string,
  singleFile: boolean,
  projectDir: string | null,
): { dir: string | null; where: string; missing: string | null } {
  const folder = singleFile ? path.dirname(dir) : dir;
  const candidates =
    projectDir === null
      ? singleFile
        ? []
        : [path.join(folder, "dbt")]
      : [path.resolve(folder, "..", "..", "..", projectDir), path.resolve(folder, projectDir)];
  for (const c of candidates) {
    if (existsSync(path.join(c, "dbt_project.yml")) && statSync(c).isDirectory()) {
      const rel = path.relative(folder, c).split(path.sep).join("/");
      return { dir: c, where: rel === "" ? "." : rel, missing: null };
    }
  }
  return {
    dir: null,
    where: "dbt",
    missing:
      projectDir === null
        ? "the folder has no dbt/dbt_project.yml"
        : `dbt.project_dir ${projectDir} holds no dbt_project.yml (looked relative to the old repository root and to the folder)`,
  };
}

/**
 * The manifest of the converted dbt project, made by the stack's dbt (dbt parse) in a temporary
 * copy of it, so the conversion can use it before anything is written.
 */
async function parseDbt(
  conversion: { files: ReadonlyMap<string, string>; report: MigrationReport },
  options: MigrateOptions,
  id: string,
): Promise<{ step: DbtStep; manifest: string | null }> {
  if (!conversion.report.dbt) {
    return { step: { kind: "none" }, manifest: null };
  }
  if (options.dryRun === true) {
    return { step: { kind: "dry-run" }, manifest: null };
  }
  if (options.dbt === null) {
    return { step: { kind: "unavailable" }, manifest: null };
  }
  const work = mkdtempSync(path.join(tmpdir(), "etl-migrate-dbt-"));
  try {
    for (const [rel, text] of conversion.files) {
      if (rel.startsWith("dbt/")) {
        const abs = path.join(work, "tenants", id, rel);
        mkdirSync(path.dirname(abs), { recursive: true });
        writeFileSync(abs, text);
      }
    }
    const result = await refreshManifest({
      root: work,
      tenant: id,
      bin: options.dbt.bin,
      env: options.dbt.env,
      stdio: "pipe",
    });
    if (!result.ok) {
      return {
        step: { kind: "failed", message: result.message, output: result.output },
        manifest: null,
      };
    }
    // Root-relative: the same path under the repository as under the temporary copy.
    return {
      step: { kind: "refreshed", manifestPath: result.manifestPath },
      manifest: readFileSync(path.join(work, result.manifestPath), "utf8"),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
