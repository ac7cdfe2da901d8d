/**
 * The conversion itself, pure: an old tenant (its parsed config, its Python package, its dbt
 * project files) becomes the files of tenants/<id>/ and the report. Everything the old system
 * did implicitly (default pipelines, built-in extract queries, the per-pipeline jobs, partitions)
 * is written out, so the migrated config keeps its graph whatever this tool's built-ins become.
 * The steps: identity, connections, pipelines, dbt, save_to_s3 where Trino reads the files, jobs,
 * what the old loader ignored, the YAML.
 */
import { suggest } from "../problems.js";
import { configYaml } from "./config-yaml.js";
import { ConvertContext, ENVIRONMENTS, type LegacyTenantInput } from "./context.js";
import { convertDbtProject, type DbtConversion } from "./dbt-project.js";
import { connectionValue, legacyRefs } from "./env-refs.js";
import { convertJobs } from "./jobs.js";
import { LEGACY_PARTITIONS } from "./legacy-facts.js";
import { ignoredKeys, LegacyTenantSchema } from "./legacy-schema.js";
import { convertPipelines } from "./pipelines.js";
import type { MigrationReport } from "./report.js";
import { convertSaveToS3 } from "./save-to-s3.js";

export type { LegacyTenantInput } from "./context.js";

export interface Conversion {
  /** Files of the new tenant folder, by path relative to it. */
  files: Map<string, string>;
  report: MigrationReport;
}

export interface ConvertOptions {
  /** The new tenant id; default the old one. */
  id?: string;
  /**
   * The manifest dbt produced from this conversion's dbt project: which models read which
   * extract (save_to_s3). Without it the project's source definitions say.
   */
  manifest?: string | null;
}

/** Converts one old tenant into the files of tenants/<id>/ and the report. */
export function convertTenant(input: LegacyTenantInput, options: ConvertOptions): Conversion {
  const ctx = new ConvertContext(input, options.id ?? input.config.tenant.id);
  const t = ctx.cfg.tenant;
  const tenant: Record<string, unknown> = {};
  identity(ctx, tenant);
  tenant.name = ctx.plainString(["name"], t.name);
  tenant.enabled = t.enabled;
  preset(ctx, tenant);
  tenant.environments = Object.fromEntries(
    ENVIRONMENTS.map((e) => [e, { enabled: t.environments[e].enabled }]),
  );
  connections(ctx, tenant);
  tenant.partitions = { ...LEGACY_PARTITIONS };
  ctx.converted.push({
    where: "",
    text: `partitions: {start_date: ${LEGACY_PARTITIONS.start_date}, timezone: ${LEGACY_PARTITIONS.timezone}} written out: the one daily partitions definition every old tenant shared (etl/partitions/daily.py)`,
  });
  const pipelines = convertPipelines(ctx);
  const names = pipelines.map((p) => p.name);
  const dbt = convertDbt(ctx, names);
  if (dbt !== null) {
    tenant.dbt = dbt.config;
  }
  convertSaveToS3(
    ctx,
    pipelines,
    dbt === null ? null : { conversion: dbt.conversion, manifest: options.manifest ?? null },
  );
  tenant.assets = {
    pipelines: Object.fromEntries(pipelines.map((p) => [p.name, p.node])),
  };
  tenant.jobs = convertJobs(ctx, pipelines, dbt !== null);
  tenant.tags = Object.fromEntries(
    Object.entries(t.tags).map(([k, v]) => [k, ctx.plainString(["tags", k], v)]),
  );
  ignored(ctx);
  packageNotes(ctx, names);
  alwaysDecisions(ctx);
  ctx.files.set("config.yaml", configYaml(ctx, tenant));
  const report: MigrationReport = {
    source: ctx.input.singleFile ? ctx.input.configFile : `${ctx.input.source}/`,
    oldId: ctx.oldId,
    id: ctx.id,
    converted: ctx.converted,
    todo: ctx.todo,
    ports: ctx.ports,
    lookups: ctx.lookups,
    decisions: [...ctx.decisions],
    dbt: dbt !== null,
  };
  return { files: ctx.files, report };
}

/**
 * `preset: aps` for an old tenant that declared no pipelines: it ran the old system's APS
 * defaults, which are the aps preset here. Its pipelines and jobs are written out all the same
 * (as the old system ran them), replacing the preset's of the same names; convertPipelines
 * reports it.
 */
function preset(ctx: ConvertContext, tenant: Record<string, unknown>): void {
  if (Object.keys(ctx.cfg.tenant.assets.pipelines).length > 0) {
    return;
  }
  tenant.preset = "aps";
  ctx.comments.push({
    path: ["preset"],
    text: " The old system's APS defaults (docs/config-reference.md#presets). Its pipelines and per-pipeline jobs are written out below as the old system ran them, and replace the preset's own.",
  });
}

/** The id, and what the folder's name or shape says about how the old loader saw it. */
function identity(ctx: ConvertContext, tenant: Record<string, unknown>): void {
  tenant.id = ctx.id;
  if (ctx.id !== ctx.oldId) {
    ctx.converted.push({
      where: ctx.at(["id"]),
      text: `id ${ctx.oldId} -> ${ctx.id} (--id); the tenant's variables follow (${ctx.oldId.toUpperCase()}_* -> ${ctx.id.toUpperCase()}_*)`,
    });
    ctx.todo.push({
      where: ctx.at(["id"]),
      text: `a new id changes every asset key (${ctx.oldId}/... -> ${ctx.id}/...) and the value loads write into the tenant column project_id: rows the old loads wrote (project_id = '${ctx.oldId}') are not replaced by the new ones. Migrate with the old id to keep both`,
    });
  }
  if (ctx.input.singleFile && ctx.input.shadowed) {
    ctx.todo.push({
      where: ctx.input.configFile,
      text: `the old loader never used this file: the folder etl/tenants/${ctx.input.source.replace(/^tenant_/, "")}/ beside it has a config.yaml and shadowed it; migrate that folder instead, unless this file is what you mean`,
    });
  } else if (ctx.input.singleFile) {
    ctx.converted.push({
      where: ctx.input.configFile,
      text: `a single-file tenant: the old loader found no custom code for it (it looked in etl/tenants/${ctx.oldId}/, which does not exist)`,
    });
  } else if (ctx.input.source !== ctx.oldId && !ctx.input.source.startsWith("_")) {
    ctx.todo.push({
      where: ctx.at(["id"]),
      text: `the folder is named ${ctx.input.source} but the tenant id is ${ctx.oldId}: the old system read custom code from etl/tenants/${ctx.oldId}/, not from this folder; this migration read this folder's Python`,
    });
  }
  if (ctx.input.source.startsWith("_")) {
    ctx.todo.push({
      where: "",
      text: `the old loader never loaded ${ctx.input.source}/ (folder names starting with _ were templates); it is migrated as the tenant ${ctx.id}, disabled where it was`,
    });
  }
}

/** source_database, storage and target_database, with references renamed to the tenant's own. */
function connections(ctx: ConvertContext, tenant: Record<string, unknown>): void {
  const t = ctx.cfg.tenant;
  const renamed = (group: string, key: string, raw: string | number, path: string[]) => {
    const text = typeof raw === "number" ? String(raw) : raw;
    const out = connectionValue(text, `${group}.${key}`, { id: ctx.id, oldId: ctx.oldId });
    for (const r of out.renames) {
      ctx.converted.push({
        where: ctx.at(path),
        text: `\${${r.from}} -> \${${r.to}} (${r.why}); set ${r.to} where ${r.from} was set`,
      });
    }
    for (const ref of legacyRefs(text)) {
      if (ref.fallback === null) {
        ctx.decisions.add(
          `A reference without a default (\${VAR}) is now required when the package runs (validate names it); the old loader silently used an empty string.`,
        );
      }
    }
    return out.value;
  };
  const s = t.source_database;
  const schemaKey =
    s.schema !== undefined ? "schema" : s.schema_name !== undefined ? "schema_name" : "schema";
  if (s.schema === undefined && s.schema_name !== undefined) {
    ctx.converted.push({
      where: ctx.at(["source_database", "schema_name"]),
      text: "schema_name -> schema (the old model accepted both spellings)",
    });
  }
  const schema = s.schema ?? s.schema_name ?? "public";
  tenant.source_database = {
    host: renamed("source_database", "host", s.host, ["source_database", "host"]),
    port: renamed("source_database", "port", s.port, ["source_database", "port"]),
    database: renamed("source_database", "database", s.database, ["source_database", "database"]),
    username: renamed("source_database", "username", s.username, ["source_database", "username"]),
    password: renamed("source_database", "password", s.password, ["source_database", "password"]),
    schema: renamed("source_database", "schema", schema, ["source_database", schemaKey]),
  };
  ctx.todo.push({
    where: ctx.at(["source_database", schemaKey]),
    text: `the old extract never used source_database.schema (queries ran unqualified on the connection's search_path); here the extract reads tables of schema ${JSON.stringify(schema)}: check it is where the tables are`,
  });
  let basePath = t.storage.base_path;
  if (basePath.trim() === "") {
    basePath = `project_id=${ctx.oldId}`;
    ctx.converted.push({
      where: ctx.at(["storage", "base_path"]),
      text: `base_path "" -> "${basePath}" (the old S3 paths fell back to project_id=<tenant> for an empty base_path)`,
    });
  } else {
    const refs = legacyRefs(basePath);
    const only = refs[0];
    if (
      refs.length === 1 &&
      only !== undefined &&
      only.text === basePath &&
      only.fallback === null
    ) {
      basePath = `\${${only.name}:project_id=${ctx.oldId}}`;
      ctx.converted.push({
        where: ctx.at(["storage", "base_path"]),
        text: `base_path ${only.text} -> ${basePath}: unset, the old code used project_id=<tenant>; a base path needs a default to be compared with the other tenants'`,
      });
    }
  }
  tenant.storage = {
    bucket: renamed("storage", "bucket", t.storage.bucket, ["storage", "bucket"]),
    base_path: renamed("storage", "base_path", basePath, ["storage", "base_path"]),
  };
  const d = t.target_database;
  const trino = (key: keyof typeof d) =>
    renamed("target_database", key, d[key], ["target_database", key]);
  tenant.target_database = {
    trino_host: trino("trino_host"),
    trino_port: trino("trino_port"),
    trino_user: trino("trino_user"),
    trino_password: trino("trino_password"),
    trino_http_scheme: trino("trino_http_scheme"),
    target_catalog: trino("target_catalog"),
    target_schema: trino("target_schema"),
  };
}

/** The dbt settings and the converted project, or null when the old tenant had no dbt assets. */
function convertDbt(
  ctx: ConvertContext,
  pipelines: readonly string[],
): { config: Record<string, unknown>; conversion: DbtConversion } | null {
  const d = ctx.cfg.tenant.dbt;
  if (!d.enabled) {
    if (ctx.input.dbt !== null) {
      ctx.converted.push({
        where: `${ctx.input.dbt.where}`,
        text: "not copied: dbt was disabled for this tenant, so the old system never used this project; copy it and set dbt.enabled when you want it",
      });
    }
    return null;
  }
  if (ctx.input.dbt === null) {
    ctx.converted.push({
      where: ctx.at(["dbt", "enabled"]),
      text: `dbt.enabled: true -> dbt left out: ${ctx.input.dbtMissing ?? "the project was not found"}, so the old system had no dbt assets for this tenant`,
    });
    return null;
  }
  const conv = convertDbtProject(ctx.input.dbt.files, {
    tenant: ctx.id,
    pipelines,
    where: ctx.input.dbt.where,
  });
  for (const [file, text] of conv.files) {
    ctx.files.set(`dbt/${file}`, text);
  }
  ctx.converted.push(...conv.converted);
  ctx.todo.push(...conv.todo);
  const out: Record<string, unknown> = {
    enabled: true,
    target: ctx.plainString(["dbt", "target"], d.target),
    target_schema: `analytics_${ctx.id}`,
  };
  ctx.converted.push({
    where: ctx.at(["dbt", "target_schema"]),
    text: `dbt.target_schema ${JSON.stringify(d.target_schema)} -> "analytics_${ctx.id}": the old value was never read (models went to the schemas of profiles.yml); here it is where dbt builds, and no two tenants may share it`,
  });
  if (d.project_dir !== null) {
    ctx.converted.push({
      where: ctx.at(["dbt", "project_dir"]),
      text: `project_dir ${d.project_dir} -> the default tenants/${ctx.id}/dbt (the project was copied there)`,
    });
  }
  if (conv.externalSources.length > 0) {
    out.external_sources = conv.externalSources;
  }
  const selects = Object.values(ctx.cfg.tenant.assets.pipelines)
    .filter((p) => p.has_dbt_transform && p.dbt_transform !== null)
    .flatMap((p) => [p.dbt_transform?.dbt_select ?? "", p.dbt_transform?.dbt_exclude ?? ""])
    .filter((s) => s.trim() !== "");
  if (selects.length > 0) {
    ctx.todo.push({
      where: ctx.at(["assets", "pipelines"]),
      text: `the old dbt assets were only the models selected by the pipelines' dbt_select/dbt_exclude; here every enabled model of the project is an asset: if that selection left models out, disable them in dbt (+enabled: false) to keep the old graph`,
    });
  }
  ctx.decisions.add(
    "dbt runs on Trino (dbt-trino, the runtime's own profile) and reads each source from the partition's extracted data; the old system ran dbt-postgres on the tenant's source database with the project's profiles.yml. The dbt assets exist once the manifest is refreshed (the old ones only when a manifest happened to be on disk).",
  );
  return { config: out, conversion: conv };
}

/** Keys the old loader dropped without a word. */
function ignored(ctx: ConvertContext): void {
  for (const k of ignoredKeys(LegacyTenantSchema, ctx.cfg.raw)) {
    const last = k.path[k.path.length - 1] ?? "";
    const where = ctx.at(k.path);
    if (k.path.length === 1 && last === "use_custom_code") {
      ctx.converted.push({
        where,
        text: "use_custom_code removed: no old code read it (custom code came from __init__.py's CUSTOM_* variables either way); each pipeline with has_transfer now names its transform under transfer:",
      });
    } else if (
      k.path[0] === "assets" &&
      k.path.length === 2 &&
      ["extract", "transform", "load"].includes(last)
    ) {
      ctx.converted.push({
        where,
        text: `assets.${last} (the schema of the first version) was ignored by the old loader: it ran ${Object.keys(ctx.cfg.tenant.assets.pipelines).length > 0 ? "assets.pipelines" : "the built-in default pipelines"} instead, and so does this tenant`,
      });
    } else if (k.path[0] === "jobs" && k.path.length === 2) {
      ctx.converted.push({
        where,
        text: `job ${last} dropped: the old system had only its six built-in jobs and ignored any other name`,
      });
    } else {
      const guess = suggest(last, k.known);
      ctx.todo.push({
        where,
        text: `unknown key ${last}: the old loader ignored it, so the old tenant ran without it, and so does the migrated one${guess === undefined ? "" : `; did you mean ${guess}?`}`,
      });
    }
  }
}

/** What the package held that no pipeline took up. */
function packageNotes(ctx: ConvertContext, pipelines: readonly string[]): void {
  for (const n of ctx.code.notes) {
    ctx.todo.push({ where: ctx.py(n.file, n.line), text: n.text });
  }
  for (const [name, q] of ctx.code.queries) {
    if (!pipelines.includes(name)) {
      ctx.converted.push({
        where: ctx.py("__init__.py", q.line),
        text: `CUSTOM_EXTRACT_QUERIES["${name}"] names no pipeline: the old code never ran it; not migrated`,
      });
    }
  }
  const used = new Set<string>();
  for (const p of ctx.ports) {
    if (p.replaces !== null) used.add(p.replaces);
  }
  for (const fn of ctx.code.transforms) {
    if (![...used].some((u) => u.startsWith(`${fn.name} (${ctx.py(fn.file, fn.line)})`))) {
      ctx.todo.push({
        where: ctx.py(fn.file, fn.line),
        text: `${fn.name} is shaped like a transform (first parameter input_dfs) but no pipeline of this tenant was meant to run it${ctx.code.registrations.some((r) => r.fn?.name === fn.name && r.fn.file === fn.file) ? " (it is registered under a name no pipeline looks up)" : " (it is not registered)"}, so the old system never ran it: port it only if you want it`,
      });
    }
  }
  if (!ctx.code.hasPackage && ctx.input.python.size > 0) {
    ctx.todo.push({
      where: `${ctx.input.source}/`,
      text: "there is no __init__.py: the old loader imported no custom code from this folder",
    });
  }
}

/** The differences that apply to every migrated tenant. */
function alwaysDecisions(ctx: ConvertContext): void {
  ctx.decisions.add(
    "The config is strict: an unknown or misspelt key, or a tenant that does not validate, is an error that stops generation; the old loader dropped unknown keys and skipped invalid tenants with a warning.",
  );
  ctx.decisions.add(
    "The environment is ETL_ENVIRONMENT (dev, staging or prod); the old DAGSTER_ENVIRONMENT accepted any name and enabled the tenant for names it did not know.",
  );
  ctx.decisions.add(
    "Run history starts empty: Dagster's runs and materialisations stay in the Dagster instance. The asset keys are the same strings, so a materialisation there matches an asset here; backfill the partitions you need (loads replace by key, so re-running a day is safe).",
  );
  ctx.decisions.add(
    "Every package has one job the old code location did not: `maintenance`, the weekly Iceberg upkeep of the tenant's tables (optimize, expire_snapshots, remove_orphan_files; docs/operations.md). Its schedule and retentions are set under `maintenance:` in the config.",
  );
}
