/**
 * Pipelines: each old pipeline (or the old built-in ones) written out in this tool's terms, with
 * the extract query the old code really ran, and a transform stub for each transfer.
 */
import { camel, checkId, checkTsExport } from "../model/translate.js";
import { suggest } from "../problems.js";
import { type ConvertContext, ENVIRONMENTS, type Env, type PipelineOut } from "./context.js";
import { BUILTIN_QUERIES, defaultPipelines, type PortColumn } from "./legacy-facts.js";
import type { LegacyPipeline } from "./legacy-schema.js";
import { intendedTransform } from "./lookup.js";
import { stubModule } from "./stubs.js";

/** Every pipeline the old factories built for this tenant, written out, and the lookup table. */
export function convertPipelines(ctx: ConvertContext): PipelineOut[] {
  const declared = Object.keys(ctx.cfg.tenant.assets.pipelines).length > 0;
  const entries: [string, LegacyPipeline][] = declared
    ? Object.entries(ctx.cfg.tenant.assets.pipelines)
    : defaultPipelines();
  if (!declared) {
    ctx.converted.push({
      where: ctx.at(["assets"]),
      text: `no pipelines declared: the old factories used the three built-in default pipelines (get_default_assets_config), written out here in their order (${entries.map(([n]) => n).join(", ")}), each with its transfer and load, as the old system ran them; they are the APS defaults, so the tenant gets preset: aps (docs/config-reference.md#presets), whose pipelines these replace`,
    });
  }
  const names = entries.map(([n]) => n);
  const modules = new Set<string>();
  const out = entries.map(([name, legacy]) =>
    pipeline(ctx, name, legacy, declared, names, modules),
  );
  transferLookups(ctx, out);
  return out;
}

/**
 * One pipeline: extract query, partitioning, per-environment flags, transfer and load. Its
 * save_to_s3 is the old one here; convertSaveToS3 (stage-files.ts) turns it on where Trino reads it.
 */
function pipeline(
  ctx: ConvertContext,
  name: string,
  p: LegacyPipeline,
  declared: boolean,
  names: readonly string[],
  modules: Set<string>,
): PipelineOut {
  const path = (...rest: string[]) =>
    declared ? ["assets", "pipelines", name, ...rest] : ["assets"];
  const node: Record<string, unknown> = {};
  if (!checkId("pipeline name", name).ok) {
    ctx.todo.push({
      where: ctx.at(path()),
      text: `pipeline name "${name}" is not a valid id here (^[a-z][a-z0-9_]*$, at most 63 characters); renaming it changes its asset keys: rename it in config.yaml and in every reference`,
    });
  }
  // Extract: the query the old code really ran, whichever table of queries it came from.
  const custom = ctx.code.queries.get(name);
  const builtin = Object.hasOwn(BUILTIN_QUERIES, name) ? BUILTIN_QUERIES[name] : undefined;
  let query: string | null = null;
  if (p.query !== null) {
    query = ctx.plainString(path("query"), p.query);
    if (custom !== undefined) {
      ctx.converted.push({
        where: ctx.py("__init__.py", custom.line),
        text: `CUSTOM_EXTRACT_QUERIES["${name}"] was not used: the pipeline's own query: wins, as in the old code`,
      });
    }
    ctx.converted.push({
      where: ctx.at(path("source_table")),
      text: `source_table ${p.source_table} dropped: the old model required it even with a query (it only named a tag); here query: replaces it`,
    });
  } else if (custom !== undefined) {
    query = custom.sql;
    ctx.converted.push({
      where: ctx.py("__init__.py", custom.line),
      text: `CUSTOM_EXTRACT_QUERIES["${name}"] -> assets.pipelines.${name}.query (the old extract ran it instead of SELECT * FROM ${p.source_table})`,
    });
  } else if (builtin !== undefined) {
    query = builtin.sql;
    ctx.converted.push({
      where: ctx.at(path()),
      text: `the old code extracted a pipeline named ${name} with its built-in query (DEFAULT_EXTRACT_QUERIES, etl/common/assets/extract.py), not from source_table ${p.source_table}: written out as query:`,
    });
    if (builtin.warning !== null) {
      ctx.todo.push({ where: `${ctx.at(path())}.query`, text: builtin.warning });
      ctx.comments.push({
        path: ["assets", "pipelines", name, "query"],
        text: ` ${builtin.warning}`,
      });
    }
  }
  if (query !== null) {
    const cleaned = dedent(query).replace(/;\s*$/, "");
    if (cleaned !== dedent(query)) {
      ctx.converted.push({
        where: ctx.at(path("query")),
        text: "trailing ; removed from the query (the runtime wraps it as a subquery)",
      });
    }
    node.query = cleaned;
    if (p.date_column !== null) {
      ctx.decisions.add(
        "A query is wrapped as a subquery and filtered on the partition's day outside it; the old code appended `WHERE <date_column> = :partition_date` to the SQL text, which broke queries with their own WHERE.",
      );
    }
  } else {
    node.source_table = p.source_table;
  }
  if (p.date_column !== null) {
    node.date_column = ctx.plainString(path("date_column"), p.date_column);
    ctx.decisions.add(
      "A daily partition selects the half-open day [D 00:00, D+1 00:00) of date_column in Asia/Seoul; the old filter `date_column = 'YYYY-MM-DD'` matched only rows stamped exactly at midnight of a timestamp column.",
    );
  }
  // Per-environment flags, with only dev/staging/prod kept.
  const overrides: Record<string, Record<string, boolean>> = {};
  for (const [env, o] of Object.entries(p.environments ?? {})) {
    if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
      ctx.converted.push({
        where: ctx.at(path("environments", env)),
        text: `environment ${env} dropped: environments are dev, staging and prod here (ETL_ENVIRONMENT); the old override applied only when DAGSTER_ENVIRONMENT=${env}`,
      });
      continue;
    }
    const flags: Record<string, boolean> = {};
    if (o.save_to_s3 !== null) flags.save_to_s3 = o.save_to_s3;
    if (o.save_to_trino !== null) flags.save_to_trino = o.save_to_trino;
    if (Object.keys(flags).length > 0) overrides[env] = flags;
  }
  const flag = (env: Env, key: "save_to_s3" | "save_to_trino") =>
    overrides[env]?.[key] ?? (key === "save_to_s3" ? p.save_to_s3 : p.save_to_trino);
  const wantsTrino = ENVIRONMENTS.some((e) => flag(e, "save_to_trino"));
  let saveToTrino = p.save_to_trino;
  if (wantsTrino && p.trino_output === null) {
    ctx.converted.push({
      where: ctx.at(path("save_to_trino")),
      text: "save_to_trino without trino_output: the old factory silently created no load asset; written as save_to_trino: false (in every environment) so the graph stays the same",
    });
    saveToTrino = false;
    for (const o of Object.values(overrides)) {
      if (o.save_to_trino !== undefined) o.save_to_trino = false;
    }
  }
  node.save_to_s3 = p.save_to_s3;
  // Transfer.
  if (p.has_transfer) {
    node.has_transfer = true;
    if (p.transfer_inputs !== null) {
      node.transfer_inputs = [...p.transfer_inputs];
      for (const i of p.transfer_inputs) {
        if (!names.includes(i)) {
          ctx.todo.push({
            where: ctx.at(path("transfer_inputs")),
            text: `transfer input "${i}" names no pipeline (the old code location failed to load on it): ${suggest(i, names) === undefined ? "remove it" : `did you mean "${suggest(i, names)}"?`}`,
          });
        }
      }
    }
    transfer(ctx, name, p, node, modules);
  } else if (p.transfer_inputs !== null) {
    ctx.converted.push({
      where: ctx.at(path("transfer_inputs")),
      text: "transfer_inputs dropped: the pipeline has no transfer (the old code ignored them)",
    });
  }
  if (p.has_dbt_transform || p.dbt_transform !== null) {
    const sel = p.dbt_transform?.dbt_select ?? "";
    ctx.converted.push({
      where: ctx.at(path(p.has_dbt_transform ? "has_dbt_transform" : "dbt_transform")),
      text: `has_dbt_transform / dbt_transform dropped: in the old system they only chose which dbt models became assets${sel === "" ? "" : ` (select "${sel}")`} and never added them to daily_etl or master_sync; here every model of the project is an asset, run by the dbt_transform job, and keeping them would add the models to this pipeline's jobs`,
    });
  }
  node.save_to_trino = saveToTrino;
  if (p.trino_output !== null) {
    const o = p.trino_output;
    node.trino_output = {
      target_table: ctx.plainString(path("trino_output", "target_table"), o.target_table),
      target_schema: ctx.plainString(path("trino_output", "target_schema"), o.target_schema),
      key_columns: [...o.key_columns],
    };
    if (
      !p.has_transfer &&
      query !== null &&
      /\bproject_id\b/.test(query.split(/\bfrom\b/i)[0] ?? "")
    ) {
      ctx.todo.push({
        where: `${ctx.at(path())}.query`,
        text: "the extract selects project_id, and the load fills the tenant column project_id with the tenant id (the old load overwrote the source's value): once the pipeline is introspected the generator refuses the clash; drop project_id from the query (check what reads it, e.g. dbt models) or set trino_output.tenant_column to another name",
      });
    }
    if (o.key_columns.length === 0 && wantsTrino) {
      ctx.decisions.add(
        "A load without key_columns replaces the partition (or the whole table when unpartitioned); the old load issued a DELETE with an empty WHERE for it and failed.",
      );
    }
  }
  if (Object.keys(overrides).length > 0) {
    node.environments = overrides;
  }
  const loads = Object.fromEntries(
    ENVIRONMENTS.map((e) => [e, p.trino_output !== null && flag(e, "save_to_trino")]),
  ) as Record<Env, boolean>;
  const saveToS3 = Object.fromEntries(
    ENVIRONMENTS.map((e) => [e, flag(e, "save_to_s3")]),
  ) as Record<Env, boolean>;
  if (wantsTrino && p.trino_output !== null) {
    ctx.decisions.add(
      "Loads merge rows by key_columns in one statement (replace_partition or full_refresh without keys) and create missing schemas and tables; the old load deleted row by row and inserted VALUES into tables that had to exist. The tenant column project_id is filled with the tenant id, as before.",
    );
  }
  return { name, legacy: p, node, overrides, loads, saveToS3 };
}

/** The transfer of one pipeline: its stub module, declared output, and what the report says. */
function transfer(
  ctx: ConvertContext,
  name: string,
  legacy: LegacyPipeline,
  node: Record<string, unknown>,
  modules: Set<string>,
): void {
  const p = { legacy, node };
  const ran = ctx.lookup(name);
  const meant = intendedTransform(ctx.code, name);
  const intended = meant.fn;
  const intendedUnresolved = meant.unresolved;
  const overrides = meant.overrides;
  const common = meant.common;
  // Module and export: the names of this repository's ports where there is one.
  let module = common?.module ?? name;
  let exportName = common?.exportName ?? camel(name);
  if (!checkTsExport("export", exportName).ok) {
    exportName = `${exportName}Transform`;
  }
  if (modules.has(module)) {
    module = modules.has(name) ? `${name}_transform` : name;
    exportName = camel(module);
  }
  modules.add(module);
  const inputs = p.legacy.transfer_inputs ?? [name];
  // Output columns: the port's, plus every key column the load needs.
  const columns: Record<string, PortColumn> = { ...(common?.columns ?? {}) };
  const notes: string[] = [];
  const keys = (p.legacy.trino_output?.key_columns ?? []).filter((k) => k !== "project_id");
  const added = keys.filter((k) => !Object.hasOwn(columns, k));
  for (const k of added) {
    columns[k] = k === "snapshot_date" ? "date" : "varchar";
  }
  if (added.length > 0) {
    notes.push(
      `output columns ${added.join(", ")} were added as ${added.map((k) => columns[k]).join("/")} because trino_output.key_columns names them: give them their real types`,
    );
  }
  if (common === null && Object.keys(columns).length > 0) {
    notes.push(
      `the migration cannot know which columns ${intended?.name ?? "the function"} yields: declare all of them under transfer.output.columns (only the key columns are there now)`,
    );
  }
  if (Object.keys(columns).length === 0) {
    columns[p.legacy.date_column === null ? "value" : "snapshot_date"] =
      p.legacy.date_column === null ? "varchar" : "date";
    notes.push(
      "its output columns are unknown: transfer.output.columns holds a placeholder; declare every column the function yields, with its Trino type",
    );
    ctx.comments.push({
      path: ["assets", "pipelines", name, "transfer", "output", "columns"],
      text: " TODO(migrate): a placeholder; declare the columns the transform yields",
    });
  }
  p.node.transfer = { module, export: exportName, output: { columns } };
  if (overrides !== null) {
    notes.push(
      `its output columns were taken from the common ${overrides.python} it overrides; compare them with ${ctx.display(intended, intendedUnresolved)} and add any column it adds`,
    );
  }
  if (intended === null && intendedUnresolved !== null) {
    notes.push(
      `the registration names \`${intendedUnresolved}\`, which this migration could not follow to its definition: find it by hand`,
    );
  }
  if (intended === null && intendedUnresolved === null) {
    notes.push(
      `no function was registered for "${name}": the old system ran ${ctx.display(ran.fn, ran.unresolved)} for it by fallback; decide what this pipeline should compute`,
    );
  }
  const missing = (intended?.reads ?? []).filter((k) => !inputs.includes(k));
  if (missing.length > 0) {
    notes.push(
      `it read ${missing.map((k) => `input_dfs["${k}"]`).join(", ")}, which ${missing.length === 1 ? "is not an input" : "are not inputs"} of this pipeline (transfer_inputs: ${inputs.join(", ")}); add ${missing.join(", ")} to transfer_inputs when you port it (a new dependency of ${ctx.id}/transfer/${name})`,
    );
  }
  if (common !== null) {
    notes.push(
      `a worked example of porting ${common.python}: docs/migrating.md#${common.docsAnchor}`,
    );
  }
  const replaces =
    intended === null
      ? intendedUnresolved === null
        ? null
        : `\`${intendedUnresolved}\``
      : ctx.display(intended, null);
  const differs = ran.fn?.name !== intended?.name || ran.fn?.file !== intended?.file;
  ctx.files.set(
    `transforms/${module}.ts`,
    stubModule({
      tenant: ctx.id,
      pipeline: name,
      module,
      exportName,
      inputs,
      replaces,
      summary:
        intended?.common?.summary ??
        (overrides === null
          ? null
          : `It overrode the common ${overrides.python}, which ${overrides.summary}`),
      ranInstead: differs ? ctx.display(ran.fn, ran.unresolved) : null,
      columns: Object.keys(columns),
      docsAnchor: common?.docsAnchor ?? null,
    }),
  );
  ctx.ports.push({
    pipeline: name,
    module: `transforms/${module}.ts`,
    exportName,
    replaces,
    notes,
  });
  ctx.decisions.add(
    "Every transfer runs the transform its pipeline was meant to run (the lookup names fixed, the tenant's own override where it registered one), as a typed stub that throws until it is ported; the old lookup gave every pipeline the common WIP function (see the lookup table).",
  );
}

/** One row of the lookup table per transfer asset. */
function transferLookups(ctx: ConvertContext, pipelines: readonly PipelineOut[]): void {
  const t = ctx.cfg.tenant;
  for (const p of pipelines) {
    if (!p.legacy.has_transfer) {
      continue;
    }
    const ran = ctx.lookup(p.name);
    const inputs = p.legacy.transfer_inputs ?? [p.name];
    const missing = (ran.fn?.reads ?? []).filter((k) => !inputs.includes(k));
    const failing = ENVIRONMENTS.filter(
      (e) =>
        t.enabled &&
        t.environments[e].enabled &&
        inputs.some((i) => pipelines.find((x) => x.name === i)?.saveToS3[e] === false),
    );
    const outcome =
      missing.length > 0
        ? `failed: KeyError: '${missing[0]}' (that input was not given)`
        : ran.fn?.common !== null && ran.fn?.common !== undefined
          ? `${ran.fn.common.registration === "aps_wip" ? "WIP-shaped" : ran.fn.common.registration} rows`
          : "its rows";
    const port = ctx.ports.find((x) => x.pipeline === p.name);
    ctx.lookups.push({
      asset: `${ctx.oldId}/transfer/${p.name}`,
      lookedUp: `"${p.name}"`,
      how: ran.how,
      ran: ctx.display(ran.fn, ran.unresolved),
      outcome:
        failing.length > 0
          ? `${outcome}; in ${failing.join(", ")} it failed before that: an input extract had save_to_s3: false, so there was no Parquet to read`
          : outcome,
      now:
        port === undefined
          ? ""
          : `${port.module} (${port.exportName}), replacing ${port.replaces ?? "nothing"}`,
    });
  }
}

/** Removes the common indentation and the blank first/last lines of a SQL text. */
export function dedent(text: string): string {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  while (lines.length > 0 && (lines[0] ?? "").trim() === "") lines.shift();
  while (lines.length > 0 && (lines[lines.length - 1] ?? "").trim() === "") lines.pop();
  const indent = Math.min(
    ...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length),
  );
  return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0).trimEnd()).join("\n");
}
