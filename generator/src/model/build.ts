/**
 * Modelling: one validated tenant config (plus its introspection snapshot, transforms and dbt
 * assets) becomes one TenantPlan with dev, staging and prod resolved, and the extra facts the
 * emitters need (row types, transform registry). Every semantic problem is collected, with the
 * YAML position it came from.
 */
import {
  assetKey,
  durationSeconds,
  parseBasePath,
  parseCalendarDate,
  parseConfigValue,
  parseCron,
  parsePort,
  referencedVars,
  resolveZone,
  selectKeys,
} from "@etl/runtime/contract";
import {
  type AssetPlan,
  type CheckPlan,
  type ConfigValue,
  ENVIRONMENTS,
  type EnvironmentName,
  type EnvironmentPlan,
  type JobPlan,
  type OutputColumn,
  type PipelinePlan,
  type SourceColumn,
  schemaHashOf,
  type TenantPlan,
  TenantPlanSchema,
  TRANSFER_DATE_COLUMN,
  type UnmappedTypes,
  type WriteMode,
} from "@etl/runtime/plan";
import {
  dbtManifestPath,
  dbtProjectDir,
  isRefused,
  type LoadedTenant,
  type SourceFile,
} from "../config/load.js";
import { BUILTIN_JOBS, type PipelineConfig, type TenantConfig } from "../config/schema.js";
import type { YamlPath } from "../config/yaml-locate.js";
import { repoPathProblem } from "../fs-guard.js";
import { type Problem, suggest } from "../problems.js";
import { GENERATOR_VERSION } from "../version.js";
import { envBoundary, textProblems } from "./boundary.js";
import { DEFAULT_CONCURRENCY, defaultPipelines, PIPELINE_JOBS } from "./builtins.js";
import { checkGeneratedNames } from "./collisions.js";
import { PipelineColumns, targetOfUnknown } from "./columns.js";
import { basePathHint, cronHint, literalOf, zoneHint } from "./contract-hints.js";
import { type DbtAssets, dbtAssetsFor } from "./dbt-bridge.js";
import { extractSettings } from "./extract-settings.js";
import { operationsPart } from "./operations.js";
import {
  mergeStageFileProblems,
  type StageFilesProblem,
  stageFileProblems,
} from "./stage-files.js";
import {
  checkId,
  checkModuleName,
  checkSourceName,
  checkTrinoName,
  checkTsExport,
  type NameCheck,
  RESERVED_TENANT_IDS,
} from "./translate.js";
import { parseTrinoType } from "./trino-types.js";

/** What the emitters need to know about one pipeline besides its plan. */
export interface PipelineModel {
  name: string;
  columns: SourceColumn[] | null;
  /** Target name of each of `columns` (row properties, Trino columns); null without snapshot. */
  targetNames: string[] | null;
  unmappedTypes: UnmappedTypes;
  transfer: {
    inputs: string[];
    module: string;
    exportName: string;
    output: (OutputColumn & { ts: string })[];
  } | null;
}

export interface TenantModel {
  id: string;
  /** Repository-relative input files, sorted, for headers. */
  inputs: string[];
  plan: TenantPlan;
  pipelines: PipelineModel[];
  /** Transform modules copied into the package, by module name. */
  transforms: Map<string, SourceFile>;
  transformTests: Map<string, SourceFile>;
  /** `allowed_env` variables the config names (shown in the README), sorted. */
  allowedEnv: string[];
}

export interface ModelResult {
  model: TenantModel | null;
  problems: Problem[];
}

const STAGE_ORDER = { extract: 0, transfer: 1, load: 2, dbt: 3 } as const;
/** 100 years: a lookback longer than that is a typo, and the runtime's date arithmetic breaks on it. */
const MAX_LOOKBACK_SECONDS = 36_500 * 86_400;

/** Builds the model of one loaded tenant. */
export function buildTenantModel(t: LoadedTenant): ModelResult {
  const problems: Problem[] = [];
  const cfg = t.config;
  const report = (p: YamlPath, message: string, hint: string, key = false) => {
    problems.push({
      file: t.configFile,
      ...t.locate(p, key),
      path: p.map(String).join("."),
      message,
      hint,
    });
  };
  const name = (p: YamlPath, check: NameCheck) => {
    if (!check.ok) {
      report(p, check.message, check.hint);
    }
    return check.ok;
  };
  const T = ["tenant"] as const;

  // Identity.
  let identified = false;
  if (name([...T, "id"], checkId("tenant id", cfg.id))) {
    if ((RESERVED_TENANT_IDS as readonly string[]).includes(cfg.id)) {
      report(
        [...T, "id"],
        `tenant id "${cfg.id}" is reserved (generated/all/ serves every tenant)`,
        "choose another id",
      );
    } else if (cfg.id !== t.dir) {
      report(
        [...T, "id"],
        `tenant id "${cfg.id}" does not match its folder tenants/${t.dir}/`,
        `set id: "${t.dir}" or rename the folder to tenants/${cfg.id}/`,
      );
    } else {
      identified = true;
    }
  }
  // The tenant boundary needs the tenant's own id (its variable prefix); texts need nothing.
  const boundary = identified ? envBoundary(cfg, t.otherTenants) : { problems: [], allowedEnv: [] };
  for (const p of [...boundary.problems, ...textProblems(cfg)]) {
    report(p.path, p.message, p.hint);
  }

  // Resources: every string becomes a literal or a reference, never a resolved value.
  const value = (p: YamlPath, raw: string): ConfigValue => {
    const parsed = parseConfigValue(raw);
    if (!parsed.ok) {
      report(p, parsed.message, "write $" + "{NAME} or $" + "{NAME:default}");
      return raw;
    }
    return parsed.value;
  };
  const S = [...T, "source_database"];
  const source = {
    host: value([...S, "host"], cfg.source_database.host),
    port: value([...S, "port"], cfg.source_database.port),
    database: value([...S, "database"], cfg.source_database.database),
    user: value([...S, "username"], cfg.source_database.username),
    password: value([...S, "password"], cfg.source_database.password),
    schema: value([...S, "schema"], cfg.source_database.schema),
  };
  // Literal ports (and the defaults of references) must be TCP ports: caught here, not at run time.
  const checkPort = (p: YamlPath, v: ConfigValue) => {
    const literal = literalOf(v);
    const port = literal === undefined ? null : parsePort(literal);
    if (port !== null && !port.ok) {
      report(p, port.message, "write a number such as 5432");
    }
  };
  checkPort([...S, "port"], source.port);
  if (typeof source.schema === "string") {
    name([...S, "schema"], checkSourceName("source_database.schema", source.schema));
  }
  const ST = [...T, "storage"];
  const storage = {
    bucket: value([...ST, "bucket"], cfg.storage.bucket),
    basePath: value([...ST, "base_path"], cfg.storage.base_path),
  };
  const basePathLiteral = literalOf(storage.basePath);
  const basePath = basePathLiteral === undefined ? null : parseBasePath(basePathLiteral);
  if (basePath !== null && !basePath.ok) {
    report([...ST, "base_path"], basePath.message, basePathHint(basePath.kind, cfg.id));
  }
  const TD = [...T, "target_database"];
  const td = cfg.target_database;
  const trino = {
    host: value([...TD, "trino_host"], td.trino_host),
    port: value([...TD, "trino_port"], td.trino_port),
    user: value([...TD, "trino_user"], td.trino_user),
    password: value([...TD, "trino_password"], td.trino_password),
    httpScheme: value([...TD, "trino_http_scheme"], td.trino_http_scheme),
    catalog: value([...TD, "target_catalog"], td.target_catalog),
    schema: value([...TD, "target_schema"], td.target_schema),
  };
  checkPort([...TD, "trino_port"], trino.port);
  if (typeof trino.schema === "string") {
    name([...TD, "target_schema"], checkTrinoName("target_schema", trino.schema));
  }
  const resources = { source, storage, trino };
  // dbt paths are read by the generator and the runtime: they must stay inside the repository.
  // They also land in the Dockerfile and headers: plain relative paths only.
  for (const key of ["project_dir", "manifest_path"] as const) {
    const p = cfg.dbt[key];
    const wrong = typeof p === "string" ? repoPathProblem(p) : null;
    if (wrong !== null) {
      report(
        [...T, "dbt", key],
        `dbt.${key} "${p}" ${wrong}`,
        `use a path relative to the repository root, e.g. "tenants/${cfg.id}/dbt"`,
      );
    }
  }

  // Partitions.
  const P = [...T, "partitions"];
  const zone = (p: YamlPath, text: string): string => {
    const resolved = resolveZone(text);
    if (!resolved.ok) {
      report(p, resolved.message, zoneHint(text));
    }
    // The plan holds the canonical spelling (docs/config-reference.md), the same for every Node.js.
    return resolved.ok ? resolved.zone : text;
  };
  const partitionZone = zone([...P, "timezone"], cfg.partitions.timezone);
  const startDate = parseCalendarDate(cfg.partitions.start_date);
  if (!startDate.ok) {
    report(
      [...P, "start_date"],
      `start_date "${cfg.partitions.start_date}" is not a calendar date: ${startDate.problem}`,
      "write a real date, YYYY-MM-DD",
    );
  }

  // Pipelines.
  const declared = Object.keys(cfg.assets.pipelines).length > 0;
  const pipelineConfigs = declared ? cfg.assets.pipelines : defaultPipelines();
  const pipelineNames = Object.keys(pipelineConfigs).sort();
  const snapshot = t.introspection?.data.pipelines ?? {};
  const models: PipelineModel[] = [];
  const basePipelines: PipelinePlan[] = [];
  const targets = new Map<string, string>();
  for (const pname of pipelineNames) {
    const pc = pipelineConfigs[pname];
    if (pc === undefined) {
      continue;
    }
    const at = (...rest: (string | number)[]): YamlPath =>
      declared ? [...T, "assets", "pipelines", pname, ...rest] : [...T, "assets"];
    const built = buildPipeline(
      pname,
      pc,
      at,
      pipelineNames,
      t,
      cfg,
      snapshot[pname]?.columns ?? null,
      report,
      name,
    );
    // Kept even when it has problems: the checks over all pipelines and environments below
    // (save_to_trino without trino_output, job selections, dbt sources) must see it too.
    models.push(built.model);
    basePipelines.push(built.plan);
    const out = built.plan.trinoOutput;
    if (out !== null) {
      const fq = `${out.schema}.${out.table}`;
      const other = targets.get(fq);
      if (other !== undefined) {
        report(
          at("trino_output", "target_table"),
          `pipelines "${other}" and "${pname}" both load into Trino table ${fq}`,
          "give each pipeline its own target_table",
        );
      } else {
        targets.set(fq, pname);
      }
    }
  }
  for (const snap of Object.keys(snapshot)) {
    if (!pipelineNames.includes(snap) && t.introspection !== null) {
      problems.push({
        file: t.introspection.file,
        line: 0,
        col: 0,
        path: `pipelines.${snap}`,
        message: `snapshot of pipeline "${snap}", which the config does not declare`,
        hint: `re-run npm run introspect -- --tenant ${t.dir}`,
      });
    }
  }
  // Every module is copied (tests may import helpers no pipeline names).
  const transforms = new Map<string, SourceFile>(t.transforms);

  // dbt.
  const dbtRel = `tenants/${t.dir}`;
  let dbt: EnvironmentPlan["dbt"] = null;
  let dbtAssets: DbtAssets = { assets: [], externalSources: [], problems: [] };
  if (cfg.dbt.enabled) {
    const projectDir = dbtProjectDir(dbtRel, cfg);
    dbt = {
      projectDir,
      target: cfg.dbt.target,
      targetSchema: cfg.dbt.target_schema,
      externalSources:
        cfg.dbt.external_sources === "all" ? [] : [...cfg.dbt.external_sources].sort(),
    };
    name(
      [...T, "dbt", "target_schema"],
      checkTrinoName("dbt.target_schema", cfg.dbt.target_schema),
    );
    dbtAssets = dbtAssetsFor({
      tenant: cfg.id,
      configFile: t.configFile,
      manifest: t.dbtManifest,
      manifestPath: dbtManifestPath(dbtRel, cfg),
      manifestRefused: isRefused(t, dbtManifestPath(dbtRel, cfg)),
      pipelines: basePipelines,
      externalSources: cfg.dbt.external_sources,
    });
    problems.push(...dbtAssets.problems);
    if (cfg.dbt.external_sources === "all") {
      // The plan names what "all" covers (the runtime's plan holds names, not a wildcard).
      dbt = { ...dbt, externalSources: dbtAssets.externalSources };
    }
  } else {
    for (const p of basePipelines) {
      if (p.hasDbtTransform) {
        report(
          declared ? [...T, "assets", "pipelines", p.name, "has_dbt_transform"] : [...T, "assets"],
          `pipeline "${p.name}" has has_dbt_transform: true but dbt is not enabled for the tenant`,
          "set dbt: {enabled: true} or remove has_dbt_transform",
        );
      }
    }
  }

  // Jobs, validated once against the union of all environments' assets.
  const J = [...T, "jobs"];
  for (const [jname, job] of Object.entries(cfg.jobs)) {
    const builtin = (BUILTIN_JOBS as readonly string[]).includes(jname);
    // The per-pipeline jobs may name their assets (a migrated tenant writes them out explicitly).
    if (builtin && job.selection !== undefined && !Object.hasOwn(PIPELINE_JOBS, jname)) {
      report(
        [...J, jname, "selection"],
        `built-in job "${jname}" has a fixed selection`,
        "remove selection:, or define a job under another name",
      );
    }
    if (!builtin) {
      name([...J, jname], checkId("job name", jname));
      if (job.selection === undefined) {
        const guess = suggest(jname, BUILTIN_JOBS);
        report(
          [...J, jname],
          `job "${jname}" is not a built-in job (${BUILTIN_JOBS.join(", ")}) and has no selection`,
          guess === undefined
            ? "add selection: [asset key globs]"
            : `did you mean the built-in job "${guess}"? otherwise add selection: [asset key globs]`,
          true,
        );
      }
    }
    if (job.schedule !== undefined && job.schedule !== null) {
      const cron = parseCron(job.schedule.cron);
      if (!cron.ok) {
        report([...J, jname, "schedule", "cron"], cron.error, cronHint(cron.kind));
      }
      zone([...J, jname, "schedule", "timezone"], job.schedule.timezone);
    }
  }

  // Operations: alerts, lineage, freshness, the maintenance job (model/operations.ts).
  const operations = operationsPart({ cfg, report, zone, partitionZone });

  // Environments.
  const environments = {} as Record<EnvironmentName, EnvironmentPlan>;
  const allKeys = new Set<string>();
  const trinoWithoutOutput = new Map<string, string[]>();
  const stageFiles: StageFilesProblem[] = [];
  for (const env of ENVIRONMENTS) {
    const pipelines = basePipelines.map((p) => resolvePipeline(p, pipelineConfigs[p.name], env));
    for (const p of pipelines) {
      if (p.saveToTrino && p.trinoOutput === null) {
        trinoWithoutOutput.set(p.name, [...(trinoWithoutOutput.get(p.name) ?? []), env]);
      }
    }
    const assets = [...pipelineAssets(cfg, pipelines), ...dbtAssets.assets].sort(byAssetOrder);
    for (const a of assets) {
      allKeys.add(a.key);
    }
    stageFiles.push(...stageFileProblems(cfg.id, env, pipelines, assets));
    const ops = operations.forEnvironment(env, assets);
    environments[env] = {
      enabled: cfg.enabled && cfg.environments[env].enabled,
      resources,
      partitions: { startDate: cfg.partitions.start_date, timezone: partitionZone },
      pipelines,
      assets: ops.assets,
      jobs: [...buildJobs(cfg, pipelines, assets), ...ops.jobs],
      dbt,
      ...(ops.alerts.destinations.length === 0 ? {} : { alerts: ops.alerts }),
      ...(ops.lineage === null ? {} : { lineage: ops.lineage }),
      ...(ops.maintenance === null ? {} : { maintenance: ops.maintenance }),
    };
  }
  operations.checkAssets(
    environments.prod.assets.concat(environments.dev.assets, environments.staging.assets),
  );
  for (const [pname, envs] of trinoWithoutOutput) {
    report(
      declared ? [...T, "assets", "pipelines", pname, "save_to_trino"] : [...T, "assets"],
      `pipeline "${pname}" saves to Trino (in ${envs.join(", ")}) but has no trino_output`,
      "add trino_output: {target_table, target_schema, key_columns}",
    );
  }
  for (const p of mergeStageFileProblems(stageFiles)) {
    // At the environment's override when the config has one, else at the pipeline's default.
    const env = p.environments.find(
      (e) => pipelineConfigs[p.pipeline]?.environments?.[e]?.save_to_s3 === false,
    );
    report(
      !declared
        ? [...T, "assets"]
        : env === undefined
          ? [...T, "assets", "pipelines", p.pipeline, "save_to_s3"]
          : [...T, "assets", "pipelines", p.pipeline, "environments", env, "save_to_s3"],
      `${p.message} (in ${p.environments.join(", ")})`,
      p.hint,
    );
  }
  for (const [jname, job] of Object.entries(cfg.jobs)) {
    for (const [i, glob] of (job.selection ?? []).entries()) {
      if (selectKeys([...allKeys], [glob]).length === 0) {
        const near = suggest(glob, [...allKeys]);
        report(
          [...J, jname, "selection", i],
          `selection "${glob}" of job "${jname}" matches no asset in any environment`,
          near === undefined
            ? `asset keys look like ${cfg.id}/extract/<pipeline>; "*" matches within a segment, "**" across segments`
            : `did you mean "${near}"?`,
        );
      }
    }
  }

  // Names the emitters derive (TypeScript bindings, Kubernetes objects, copied files) stay distinct.
  const pipelineAt = (pname: string): YamlPath =>
    declared ? [...T, "assets", "pipelines", pname] : [...T, "assets"];
  checkGeneratedNames({
    tenant: cfg.id,
    pipelines: basePipelines.map((p) => ({ name: p.name, at: pipelineAt(p.name) })),
    modules: basePipelines.flatMap((p) =>
      p.transfer === null
        ? []
        : [{ module: p.transfer.module, at: [...pipelineAt(p.name), "transfer", "module"] }],
    ),
    scheduledJobs: environments.prod.jobs
      .filter((j) => j.schedule !== null)
      .map((j) => ({ name: j.name, at: [...J, j.name] })),
    transformFiles: [...t.transforms.values(), ...t.transformTests.values()],
    report,
    problems,
  });

  const envVars = new Set<string>(operations.envVars);
  for (const group of Object.values(resources)) {
    for (const v of Object.values(group) as ConfigValue[]) {
      for (const n of referencedVars(v)) {
        envVars.add(n);
      }
    }
  }
  if (problems.length > 0) {
    return { model: null, problems };
  }
  const plan: TenantPlan = {
    generatorVersion: GENERATOR_VERSION,
    tenant: {
      id: cfg.id,
      name: cfg.name,
      enabled: cfg.enabled,
      tags: Object.fromEntries(Object.entries(cfg.tags).sort(([a], [b]) => (a < b ? -1 : 1))),
    },
    envVars: [...envVars].sort(),
    environments,
  };
  const checked = TenantPlanSchema.safeParse(plan);
  if (!checked.success) {
    // A plan the runtime would refuse means a check above is missing (a generator bug): still a
    // problem of this tenant's file, one line per issue, never a page of JSON.
    for (const issue of checked.error.issues.slice(0, 10)) {
      problems.push({
        file: t.configFile,
        line: 0,
        col: 0,
        path: `(plan) ${issue.path.map(String).join(".")}`,
        message: `the generated plan would break the runtime's contract: ${issue.message}`,
        hint: "a value of this tenant passed every check but the plan's; change it, and report the missing check",
      });
    }
    return { model: null, problems };
  }
  const inputs = [t.configFile];
  if (t.introspection !== null) {
    inputs.push(t.introspection.file);
  }
  if (t.dbtManifest !== null) {
    inputs.push(t.dbtManifest.path);
  }
  for (const f of [...transforms.values(), ...t.transformTests.values()]) {
    inputs.push(f.path);
  }
  return {
    model: {
      id: cfg.id,
      inputs: inputs.sort(),
      plan,
      pipelines: models,
      transforms,
      transformTests: t.transformTests,
      allowedEnv: boundary.allowedEnv,
    },
    problems,
  };
}

type Report = (p: YamlPath, message: string, hint: string, key?: boolean) => void;
type NameFn = (p: YamlPath, check: NameCheck) => boolean;

function buildPipeline(
  pname: string,
  pc: PipelineConfig,
  at: (...rest: (string | number)[]) => YamlPath,
  pipelineNames: readonly string[],
  t: LoadedTenant,
  cfg: TenantConfig,
  columns: SourceColumn[] | null,
  report: Report,
  name: NameFn,
): { plan: PipelinePlan; model: PipelineModel; ok: boolean } {
  let ok = name(at(), checkId("pipeline name", pname));
  // Types and target names of the snapshot's columns (model/columns.ts): the generator, not the
  // extract or the load, refuses what the target cannot hold.
  const naming = pc.target_naming ?? cfg.target_naming;
  const unmapped = pc.unmapped_types ?? cfg.unmapped_types;
  let cols: PipelineColumns | null = null;
  if (columns !== null) {
    const modelled = PipelineColumns.of(columns, naming, unmapped);
    if (modelled.ok) {
      cols = modelled.value;
    } else {
      for (const problem of modelled.problems) {
        report(
          pc.query !== undefined ? at("query") : at("source_table"),
          `pipeline "${pname}": ${problem.message}; the columns are from ${t.introspection?.file ?? "the snapshot"}`,
          problem.hint,
        );
      }
      ok = false;
    }
  }
  const colNames = cols === null ? null : new Set(cols.targets);
  /** A column the config names, by its source or target name: its source name, or null. */
  const sourceColumn = (p: YamlPath, kind: string, col: string): string | null => {
    if (!name(p, checkSourceName(kind, col))) {
      return null;
    }
    if (columns !== null && cols === null) {
      return null;
    }
    const source = cols === null ? col : cols.sourceOf(col);
    if (source === null) {
      const known = (columns ?? []).map((c) => c.name);
      const near = suggest(col, known);
      report(
        p,
        `${kind} "${col}" is not a column of the source of pipeline "${pname}" (introspection.json)`,
        near === undefined
          ? `columns are: ${[...known].sort().join(", ")}`
          : `did you mean "${near}"?`,
      );
    }
    return source;
  };
  /** ` (source column "X")` when a target name was derived from another source name. */
  const derivedFrom = (target: string): string => {
    const source = transferModel === null ? cols?.sourceOf(target) : undefined;
    return source === undefined || source === null || source === target
      ? ""
      : ` (the target name of source column ${JSON.stringify(source)})`;
  };
  /** A column of the loaded output the config names: its target name, or null (reported). */
  const targetColumn = (p: YamlPath, kind: string, col: string): string | null => {
    if (cols !== null) {
      return cols.targetOf(col);
    }
    const derived = targetOfUnknown(col, naming);
    if (!derived.ok) {
      report(p, `${kind} ${JSON.stringify(col)} ${derived.reason}`, derived.hint);
      return null;
    }
    return derived.name;
  };

  // Source.
  if (pc.source_table === undefined && pc.query === undefined) {
    report(
      at(),
      `pipeline "${pname}" has neither source_table nor query`,
      "add source_table: <table> (or query: SELECT ...)",
      true,
    );
    ok = false;
  } else if (pc.source_table !== undefined && pc.query !== undefined) {
    report(
      at("query"),
      `pipeline "${pname}" has both source_table and query`,
      "keep one: query replaces source_table",
    );
    ok = false;
  }
  if (pc.source_table !== undefined) {
    ok = name(at("source_table"), checkSourceName("source_table", pc.source_table)) && ok;
  }
  if (pc.query !== undefined && /;\s*$/.test(pc.query)) {
    report(
      at("query"),
      "query ends with a semicolon; the runtime wraps it as a subquery",
      "remove the trailing ;",
    );
    ok = false;
  }
  const dateColumn =
    pc.date_column === undefined || pc.date_column === null
      ? null
      : sourceColumn(at("date_column"), "date_column", pc.date_column);
  if (pc.date_column !== undefined && pc.date_column !== null && dateColumn === null) {
    ok = false;
  }
  if (dateColumn !== null && cols !== null) {
    const kind = cols.typeOf(dateColumn)?.kind;
    if (kind !== "date" && kind !== "timestamp" && kind !== "timestamptz") {
      const col = columns?.find((c) => c.name === dateColumn);
      report(
        at("date_column"),
        `date_column "${dateColumn}" has type ${col?.domainBase ?? col?.pgType}; expected a date or timestamp column`,
        "partition by a date/timestamp column",
      );
      ok = false;
    }
  }

  // Incremental.
  let incremental: PipelinePlan["incremental"] = null;
  if (pc.incremental !== undefined) {
    const cursor = sourceColumn(
      at("incremental", "cursor_column"),
      "incremental.cursor_column",
      pc.incremental.cursor_column,
    );
    ok = cursor !== null && ok;
    const secs = durationSeconds(pc.incremental.lookback);
    const kind = cursor === null ? null : (cols?.typeOf(cursor)?.kind ?? null);
    const integer = kind === "int16" || kind === "int32" || kind === "int64";
    if (
      cursor !== null &&
      kind !== null &&
      !integer &&
      kind !== "date" &&
      kind !== "timestamp" &&
      kind !== "timestamptz"
    ) {
      report(
        at("incremental", "cursor_column"),
        `incremental.cursor_column "${cursor}" has type ${columns?.find((c) => c.name === cursor)?.pgType ?? kind}; a cursor must be a date, timestamp, timestamptz or integer column`,
        "choose a column that only grows, such as updated_at or an id",
      );
      ok = false;
    }
    if (secs !== null && secs > MAX_LOOKBACK_SECONDS) {
      report(
        at("incremental", "lookback"),
        `lookback "${String(pc.incremental.lookback)}" is longer than ${MAX_LOOKBACK_SECONDS / 86_400} days`,
        'write a lookback of at most "36500d"; it is how far back each run re-reads the cursor',
      );
      ok = false;
    } else if (secs === null) {
      report(
        at("incremental", "lookback"),
        `lookback "${String(pc.incremental.lookback)}" is not a duration`,
        'write e.g. "90s", "15m", "2h", "1d" or a number of seconds',
      );
      ok = false;
    } else if (integer && secs !== 0) {
      report(
        at("incremental", "lookback"),
        `incremental.cursor_column "${cursor}" is an integer, so lookback must be 0 (it is ${secs} seconds)`,
        "remove lookback, or use a temporal cursor column",
      );
      ok = false;
    } else if (cursor !== null) {
      incremental = { cursorColumn: cursor, lookbackSeconds: secs };
    }
  }

  // Transfer.
  let transfer: PipelinePlan["transfer"] = null;
  let transferModel: PipelineModel["transfer"] = null;
  if (pc.has_transfer && pc.transfer === undefined) {
    report(
      at("has_transfer"),
      `pipeline "${pname}" has has_transfer: true but no transfer: block`,
      "add transfer: {module: <file in transforms/>, export: <function>, output: {columns: {name: trino_type}}}",
    );
    ok = false;
  }
  if (!pc.has_transfer && pc.transfer !== undefined) {
    report(
      at("transfer"),
      `pipeline "${pname}" has a transfer: block but has_transfer is false`,
      "set has_transfer: true or remove transfer:",
    );
    ok = false;
  }
  if (!pc.has_transfer && pc.transfer_inputs !== undefined && pc.transfer_inputs !== null) {
    report(
      at("transfer_inputs"),
      `pipeline "${pname}" has transfer_inputs but has_transfer is false`,
      "set has_transfer: true or remove transfer_inputs",
    );
    ok = false;
  }
  const inputs = pc.transfer_inputs ?? [pname];
  const seen = new Set<string>();
  for (const [i, input] of inputs.entries()) {
    if (!pipelineNames.includes(input)) {
      const near = suggest(input, pipelineNames);
      report(
        at("transfer_inputs", i),
        `transfer_inputs entry "${input}" names no pipeline of tenant ${cfg.id}`,
        near === undefined
          ? `pipelines are: ${pipelineNames.join(", ")}`
          : `did you mean "${near}"?`,
      );
      ok = false;
    } else if (seen.has(input)) {
      report(
        at("transfer_inputs", i),
        `transfer_inputs lists "${input}" twice`,
        "list each input pipeline once",
      );
      ok = false;
    }
    seen.add(input);
  }
  if (pc.has_transfer && pc.transfer !== undefined) {
    const tr = pc.transfer;
    const modOk = name(at("transfer", "module"), checkModuleName(tr.module));
    const file = t.transforms.get(tr.module);
    // A module file the loader refused (a link out of the repository, a FIFO) is reported there.
    const refused = isRefused(t, `tenants/${t.dir}/transforms/${tr.module}.ts`);
    if (modOk && file === undefined && !refused) {
      const near = suggest(tr.module, [...t.transforms.keys()]);
      report(
        at("transfer", "module"),
        `transform module "${tr.module}" not found: expected tenants/${t.dir}/transforms/${tr.module}.ts`,
        near === undefined
          ? `create tenants/${t.dir}/transforms/${tr.module}.ts`
          : `did you mean "${near}"?`,
      );
      ok = false;
    }
    const expOk = name(at("transfer", "export"), checkTsExport("transfer.export", tr.export));
    if (expOk && file !== undefined && !exportsName(file.text, tr.export)) {
      report(
        at("transfer", "export"),
        `${file.path} does not export "${tr.export}"`,
        `add export async function* ${tr.export}(inputs, ctx) { ... } to ${file.path}`,
      );
      ok = false;
    }
    const output: (OutputColumn & { ts: string })[] = [];
    for (const [col, spec] of Object.entries(tr.output.columns)) {
      const p = at("transfer", "output", "columns", col);
      ok = name(p, checkTrinoName("output column", col)) && ok;
      const typeText = typeof spec === "string" ? spec : spec.type;
      const parsed = parseTrinoType(typeText);
      if (!parsed.ok) {
        report(
          p,
          `output column "${col}" has unsupported type "${typeText}"`,
          "use a Trino type: boolean, integer, bigint, double, decimal(p,s), varchar, date, timestamp(6), timestamp(6) with time zone, varbinary, array(T)",
        );
        ok = false;
        continue;
      }
      output.push({
        name: col,
        type: parsed.canonical,
        nullable: typeof spec === "string" ? false : spec.nullable,
        ts: parsed.ts,
      });
    }
    if (Object.keys(tr.output.columns).length === 0) {
      report(
        at("transfer", "output", "columns"),
        "a transform must declare at least one output column",
        "list the columns the transform yields: {name: trino_type}",
      );
      ok = false;
    }
    transfer = {
      inputs: [...inputs],
      module: tr.module,
      exportName: tr.export,
      output: output.map(({ ts: _ts, ...c }) => c),
    };
    transferModel = { inputs: [...inputs], module: tr.module, exportName: tr.export, output };
  }

  // dbt.
  if (pc.has_dbt_transform && (pc.dbt_transform?.dbt_select ?? "").trim() === "") {
    report(
      at("has_dbt_transform"),
      `pipeline "${pname}" has has_dbt_transform: true but no dbt_transform.dbt_select`,
      'add dbt_transform: {dbt_select: "model_a model_b"}',
    );
    ok = false;
  }
  if (!pc.has_dbt_transform && pc.dbt_transform !== undefined && pc.dbt_transform !== null) {
    report(
      at("dbt_transform"),
      `pipeline "${pname}" has dbt_transform but has_dbt_transform is false`,
      "set has_dbt_transform: true or remove dbt_transform",
    );
    ok = false;
  }

  // Trino output.
  let trinoOutput: PipelinePlan["trinoOutput"] = null;
  const to = pc.trino_output ?? null;
  if (to !== null) {
    const O = (...r: (string | number)[]) => at("trino_output", ...r);
    ok = name(O("target_table"), checkTrinoName("target_table", to.target_table)) && ok;
    ok = name(O("target_schema"), checkTrinoName("target_schema", to.target_schema)) && ok;
    ok = name(O("tenant_column"), checkTrinoName("tenant_column", to.tenant_column)) && ok;
    const available =
      transferModel !== null ? new Set(transferModel.output.map((c) => c.name)) : colNames;
    const keySeen = new Set<string>();
    const keys: string[] = [];
    for (const [i, k] of to.key_columns.entries()) {
      const p = O("key_columns", i);
      // Transform outputs and the tenant column are names the config chose; source columns may be
      // named by their source or target name and are keyed by the target name.
      const chosen = transferModel !== null || k === to.tenant_column;
      if (chosen && !name(p, checkTrinoName("key column", k))) {
        ok = false;
        continue;
      }
      const key = chosen ? k : targetColumn(p, "key column", k);
      if (key === null && cols === null) {
        ok = false;
        continue;
      }
      if (key === null || (k !== to.tenant_column && available !== null && !available.has(key))) {
        const near = suggest(k, [...(available ?? [])]);
        const from =
          transferModel !== null
            ? "transfer.output.columns"
            : "the source columns (introspection.json)";
        report(
          p,
          `key column "${k}" is not among ${from} of pipeline "${pname}"`,
          near === undefined
            ? `use one of: ${[...(available ?? [])].sort().join(", ")}`
            : `did you mean "${near}"?`,
        );
        ok = false;
        continue;
      }
      if (keySeen.has(key)) {
        report(p, `key column "${k}" is listed twice`, "list each key column once");
        ok = false;
      }
      keySeen.add(key);
      keys.push(key);
    }
    if (available?.has(to.tenant_column)) {
      report(
        O("tenant_column"),
        `tenant column "${to.tenant_column}" is also an output column of pipeline "${pname}"${derivedFrom(to.tenant_column)}; the loader fills it with the tenant id`,
        "drop that column from the output or set trino_output.tenant_column to another name",
      );
      ok = false;
    }
    if (transferModel !== null && dateColumn !== null) {
      // The load partitions a transform's output by this column: known now, not after a run.
      const partition = transferModel.output.find((c) => c.name === TRANSFER_DATE_COLUMN);
      if (
        partition === undefined ||
        !/^(date|timestamp\(\d\)( with time zone)?)$/.test(partition.type)
      ) {
        report(
          at("transfer", "output", "columns"),
          `pipeline "${pname}" is partitioned and loads its transform's output, which must have a ${TRANSFER_DATE_COLUMN} column of type date or timestamp (the load partitions by it)${partition === undefined ? "" : `; it is ${partition.type}`}`,
          `declare ${TRANSFER_DATE_COLUMN}: date and yield ctx.partitionDate in it`,
        );
        ok = false;
      }
    }
    const defaultMode: WriteMode =
      to.key_columns.length > 0
        ? "merge"
        : dateColumn !== null
          ? "replace_partition"
          : "full_refresh";
    const mode = to.write_mode ?? defaultMode;
    if (mode === "merge" && to.key_columns.filter((k) => k !== to.tenant_column).length === 0) {
      report(
        O("write_mode"),
        "write_mode merge needs key_columns (besides the tenant column)",
        "add key_columns or choose replace_partition / full_refresh / append",
      );
      ok = false;
    }
    if (mode === "replace_partition" && dateColumn === null) {
      report(
        O("write_mode"),
        `write_mode replace_partition needs a partitioned pipeline, and "${pname}" has no date_column`,
        "use full_refresh or merge, or add date_column",
      );
      ok = false;
    }
    trinoOutput = {
      catalog: parseConfigValue(cfg.target_database.target_catalog).ok
        ? valueOrRaw(cfg.target_database.target_catalog)
        : cfg.target_database.target_catalog,
      schema: to.target_schema,
      table: to.target_table,
      keyColumns: keys,
      writeMode: mode,
      tenantColumn: to.tenant_column,
    };
  }

  // Checks run on the final output: the transform's columns, else the source's.
  const finalCols =
    transferModel !== null ? new Set(transferModel.output.map((c) => c.name)) : colNames;
  const checks: CheckPlan[] = [];
  const checkNames = new Set<string>();
  for (const [i, c] of pc.checks.entries()) {
    const named = c.type === "unique" ? c.columns : c.type === "row_count" ? [] : [c.column];
    // Columns named by their source or target name; the plan holds target names.
    const resolved: string[] = [];
    for (const col of named) {
      const target =
        transferModel !== null ? col : targetColumn(at("checks", i), `check ${c.type} column`, col);
      if (target === null && transferModel === null && cols === null) {
        ok = false;
        continue;
      }
      if (target === null || (finalCols !== null && !finalCols.has(target))) {
        const near = suggest(col, [...(finalCols ?? [])]);
        report(
          at("checks", i),
          `check ${c.type} names column "${col}", which pipeline "${pname}" does not produce`,
          near === undefined
            ? `columns are: ${[...(finalCols ?? [])].sort().join(", ")}`
            : `did you mean "${near}"?`,
        );
        ok = false;
        continue;
      }
      resolved.push(target);
    }
    if (c.type === "regex" && !isValidRegex(c.pattern)) {
      report(
        at("checks", i, "pattern"),
        `pattern "${c.pattern}" is not a valid regular expression`,
        "fix the pattern",
      );
      ok = false;
    }
    if (
      (c.type === "range" || c.type === "row_count") &&
      c.min !== null &&
      c.max !== null &&
      c.min > c.max
    ) {
      report(
        at("checks", i),
        `check ${c.type} has min ${c.min} greater than max ${c.max}`,
        "swap min and max",
      );
      ok = false;
    }
    const cname =
      c.name ?? [c.type, ...(resolved.length === named.length ? resolved : named)].join("_");
    if (checkNames.has(cname)) {
      report(
        at("checks", i),
        `two checks of pipeline "${pname}" are named "${cname}"`,
        "give one of them name: <unique name>",
      );
      ok = false;
    }
    checkNames.add(cname);
    const { name: _n, ...rest } = c;
    const withTargets =
      rest.type === "unique"
        ? { ...rest, columns: resolved }
        : rest.type === "row_count"
          ? rest
          : { ...rest, column: resolved[0] ?? rest.column };
    checks.push({ ...withTargets, name: cname } as CheckPlan);
  }

  const extract = extractSettings(pname, pc, columns, at, report);
  if (extract === null) {
    ok = false;
  }
  const plan: PipelinePlan = {
    name: pname,
    sourceTable: pc.query === undefined ? (pc.source_table ?? null) : null,
    query: pc.query ?? null,
    dateColumn,
    incremental,
    saveToS3: pc.save_to_s3,
    hasTransfer: pc.has_transfer,
    transfer,
    hasDbtTransform: pc.has_dbt_transform,
    dbtTransform:
      pc.has_dbt_transform && pc.dbt_transform
        ? { select: pc.dbt_transform.dbt_select, exclude: pc.dbt_transform.dbt_exclude }
        : null,
    saveToTrino: pc.save_to_trino,
    trinoOutput,
    columns,
    schemaHash: columns === null ? null : schemaHashOf(columns),
    targetColumns: {
      naming,
      unmappedTypes: unmapped,
      names: cols === null ? null : [...cols.targets],
    },
    checks,
    extract: extract ?? {
      compression: pc.extract.compression,
      rowGroupRows: pc.extract.row_group_rows,
      maxFileRows: pc.extract.max_file_rows,
    },
  };
  return {
    plan,
    model: {
      name: pname,
      columns,
      targetNames: plan.targetColumns?.names ?? null,
      unmappedTypes: unmapped,
      transfer: transferModel,
    },
    ok,
  };
}

function valueOrRaw(raw: string): ConfigValue {
  const p = parseConfigValue(raw);
  return p.ok ? p.value : raw;
}

function isValidRegex(pattern: string): boolean {
  // The RegExp constructor is the only complete validator of JavaScript pattern syntax.
  try {
    new RegExp(pattern, "u");
    return true;
  } catch (e) {
    if (e instanceof SyntaxError) {
      return false;
    }
    throw e;
  }
}

function exportsName(text: string, exportName: string): boolean {
  const n = exportName.replace(/\$/g, "\\$");
  return new RegExp(
    `export\\s+(?:async\\s+)?function\\s*\\*?\\s*${n}\\b|export\\s+(?:const|let|var)\\s+${n}\\b|export\\s*\\{[^}]*\\b${n}\\b[^}]*\\}`,
  ).test(text);
}

function resolvePipeline(
  base: PipelinePlan,
  pc: PipelineConfig | undefined,
  env: EnvironmentName,
): PipelinePlan {
  const o = pc?.environments?.[env];
  return {
    ...base,
    saveToS3: o?.save_to_s3 ?? base.saveToS3,
    saveToTrino: o?.save_to_trino ?? base.saveToTrino,
  };
}

function pipelineAssets(cfg: TenantConfig, pipelines: readonly PipelinePlan[]): AssetPlan[] {
  const out: AssetPlan[] = [];
  const label = `[${cfg.name}]`;
  for (const p of pipelines) {
    const partitioned = p.dateColumn !== null;
    const extract = assetKey(cfg.id, "extract", p.name);
    const from = p.query !== null ? "a custom query" : `table ${p.sourceTable ?? ""}`;
    out.push({
      key: extract,
      stage: "extract",
      pipeline: p.name,
      deps: [],
      partitioned,
      description: `${label} Extract ${p.name} from PostgreSQL ${from}`,
      dbt: null,
    });
    let last = extract;
    if (p.hasTransfer && p.transfer !== null) {
      const key = assetKey(cfg.id, "transfer", p.name);
      out.push({
        key,
        stage: "transfer",
        pipeline: p.name,
        deps: p.transfer.inputs.map((i) => assetKey(cfg.id, "extract", i)).sort(),
        partitioned,
        description: `${label} Transfer ${p.name} with ${p.transfer.module}.${p.transfer.exportName}`,
        dbt: null,
      });
      last = key;
    }
    if (p.saveToTrino && p.trinoOutput !== null) {
      out.push({
        key: assetKey(cfg.id, "load", p.name),
        stage: "load",
        pipeline: p.name,
        deps: [last],
        partitioned,
        description: `${label} Load ${p.name} into Trino ${p.trinoOutput.schema}.${p.trinoOutput.table} (${p.trinoOutput.writeMode})`,
        dbt: null,
      });
    }
  }
  return out;
}

function byAssetOrder(a: AssetPlan, b: AssetPlan): number {
  if (a.stage === "dbt" || b.stage === "dbt") {
    return (
      STAGE_ORDER[a.stage] - STAGE_ORDER[b.stage] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
    );
  }
  const pa = a.pipeline ?? "";
  const pb = b.pipeline ?? "";
  return pa < pb ? -1 : pa > pb ? 1 : STAGE_ORDER[a.stage] - STAGE_ORDER[b.stage];
}

function buildJobs(
  cfg: TenantConfig,
  pipelines: readonly PipelinePlan[],
  assets: readonly AssetPlan[],
): JobPlan[] {
  const jobs: JobPlan[] = [];
  const label = `[${cfg.name}]`;
  const byPipeline = (names: ReadonlySet<string>) =>
    assets.filter((a) => a.pipeline !== null && names.has(a.pipeline)).map((a) => a.key);
  const dbtFor = (names: ReadonlySet<string>) => {
    const selected = new Set<string>();
    for (const p of pipelines) {
      if (names.has(p.name) && p.dbtTransform !== null) {
        for (const word of p.dbtTransform.select.split(/\s+/)) {
          selected.add(word);
        }
      }
    }
    return assets.filter((a) => a.dbt !== null && selected.has(a.dbt.name)).map((a) => a.key);
  };
  const add = (name: string, description: string, keys: string[]) => {
    const conf = cfg.jobs[name];
    const enabled = conf?.enabled ?? name !== "dbt_transform";
    if (!enabled || keys.length === 0) {
      return;
    }
    const order = new Map(assets.map((a, i) => [a.key, i]));
    const unique = [...new Set(keys)].sort((x, y) => (order.get(x) ?? 0) - (order.get(y) ?? 0));
    const s = conf?.schedule ?? null;
    // Both were checked with the jobs; a plan is only returned when they passed.
    const cron = s === null ? null : parseCron(s.cron);
    const zone = s === null ? null : resolveZone(s.timezone);
    jobs.push({
      name,
      description: `${label} ${description}`,
      assets: unique,
      partitioned: unique.some((k) => assets.find((a) => a.key === k)?.partitioned === true),
      schedule:
        s === null
          ? null
          : {
              cron: cron?.ok ? cron.cron.text : s.cron,
              timezone: zone?.ok ? zone.zone : s.timezone,
              autoStart: s.auto_start,
            },
      concurrency: conf?.concurrency ?? DEFAULT_CONCURRENCY,
    });
  };
  const partitioned = new Set(pipelines.filter((p) => p.dateColumn !== null).map((p) => p.name));
  const unpartitioned = new Set(pipelines.filter((p) => p.dateColumn === null).map((p) => p.name));
  add("daily_etl", "Daily ETL Pipeline (Extract → Transfer → Load)", [
    ...byPipeline(partitioned),
    ...dbtFor(partitioned),
  ]);
  add("master_sync", "Master Data Sync (Non-partitioned)", [
    ...byPipeline(unpartitioned),
    ...dbtFor(unpartitioned),
  ]);
  for (const [jname, spec] of Object.entries(PIPELINE_JOBS)) {
    const p = pipelines.find((x) => x.name === spec.pipeline);
    if (p === undefined || cfg.jobs[jname]?.selection !== undefined) {
      continue;
    }
    const names = new Set([p.name]);
    const extracts = (p.transfer?.inputs ?? []).map((i) => assetKey(cfg.id, "extract", i));
    add(jname, spec.description, [...extracts, ...byPipeline(names), ...dbtFor(names)]);
  }
  add(
    "dbt_transform",
    "dbt Transform Pipeline",
    assets.filter((a) => a.stage === "dbt").map((a) => a.key),
  );
  for (const [jname, conf] of Object.entries(cfg.jobs).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const pipelineJob = Object.hasOwn(PIPELINE_JOBS, jname) ? PIPELINE_JOBS[jname] : undefined;
    const fixed = (BUILTIN_JOBS as readonly string[]).includes(jname) && pipelineJob === undefined;
    if (fixed || conf.selection === undefined) {
      continue;
    }
    add(
      jname,
      conf.description ??
        pipelineJob?.description ??
        `Assets matching ${conf.selection.join(", ")}`,
      selectKeys(
        assets.map((a) => a.key),
        conf.selection,
      ),
    );
  }
  return jobs;
}
