/**
 * README.md of a tenant package: lineage, environments, assets, jobs, schedules, environment
 * variables and columns, printed through the README template with every user text escaped.
 */
import { tenantEnvPrefix } from "@etl/runtime/contract";
import { type AssetPlan, ENVIRONMENTS, type EnvRef, environmentPlan } from "@etl/runtime/plan";
import { mapColumn, trinoTypeOf } from "@etl/runtime/types";
import type { TenantModel } from "../model/build.js";
import { packageName } from "../model/translate.js";
import { byText } from "../order.js";
import { fileInputs, mdHeader } from "./common.js";
import { mdCode, mdText, mermaidLabel } from "./escape.js";
import { tenantReadme } from "./templates.js";

function mermaidId(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, "_");
}

/** The README of the tenant package. */
export function emitReadme(m: TenantModel): string {
  const envs = {
    dev: environmentPlan(m.plan, "dev"),
    staging: environmentPlan(m.plan, "staging"),
    prod: environmentPlan(m.plan, "prod"),
  };
  const all = new Map<string, AssetPlan>();
  for (const env of ENVIRONMENTS) {
    for (const a of envs[env].assets) {
      if (!all.has(a.key)) {
        all.set(a.key, a);
      }
    }
  }
  const assets = [...all.values()].sort(byText((asset) => asset.key));
  const keysIn = Object.fromEntries(
    ENVIRONMENTS.map((e) => [e, new Set(envs[e].assets.map((a) => a.key))]),
  );
  const has = (env: (typeof ENVIRONMENTS)[number], key: string) =>
    keysIn[env]?.has(key) === true ? "yes" : "-";
  const edges = new Set<string>();
  for (const env of ENVIRONMENTS) {
    for (const a of envs[env].assets) {
      for (const d of a.deps) {
        edges.add(`${mermaidId(d)} --> ${mermaidId(a.key)}`);
      }
    }
  }
  const jobNames = [...new Set(ENVIRONMENTS.flatMap((e) => envs[e].jobs.map((j) => j.name)))];
  const jobs = jobNames.map((name) => {
    const first = ENVIRONMENTS.map((e) => envs[e].jobs.find((j) => j.name === name)).find(
      (j) => j !== undefined,
    );
    const inEnv = (e: (typeof ENVIRONMENTS)[number]) => {
      const j = envs[e].jobs.find((x) => x.name === name);
      return j === undefined ? "-" : `${j.assets.length} assets`;
    };
    return {
      name: mdCode(name),
      description: mdText(first?.description ?? ""),
      assetCount: first?.assets.length ?? 0,
      partitioned: first?.partitioned ?? false,
      concurrency: first?.concurrency ?? 1,
      dev: inEnv("dev"),
      staging: inEnv("staging"),
      prod: inEnv("prod"),
    };
  });
  const schedules = jobNames.flatMap((name) => {
    const j = ENVIRONMENTS.map((e) => envs[e].jobs.find((x) => x.name === name)).find(
      (x) => x?.schedule,
    );
    return j?.schedule
      ? [
          {
            job: mdCode(name),
            cron: mdCode(j.schedule.cron),
            timezone: mdText(j.schedule.timezone),
            autoStart: j.schedule.autoStart,
          },
        ]
      : [];
  });
  const refs = new Map<string, EnvRef>();
  const r = envs.dev.resources;
  // Webhook and lineage references may differ per environment (environments: of each).
  const operations = Object.values(envs).flatMap((e) => [
    ...(e.alerts?.destinations.map((d) => d.url) ?? []),
    ...(e.lineage === undefined || e.lineage === null
      ? []
      : [e.lineage.url, ...(e.lineage.apiKey === null ? [] : [e.lineage.apiKey])]),
  ]);
  for (const v of [
    ...Object.values(r.source),
    ...Object.values(r.storage),
    ...Object.values(r.trino),
    ...operations,
  ]) {
    const list =
      typeof v === "string"
        ? []
        : "env" in v
          ? [v]
          : v.template.flatMap((p) => (typeof p === "string" ? [] : [p]));
    for (const ref of list) {
      if (!refs.has(ref.env)) {
        refs.set(ref.env, ref);
      }
    }
  }
  const envVars = [...refs.values()].sort(byText((ref) => ref.env)).map((ref) => ({
    name: mdCode(ref.env),
    hasDefault: ref.default !== undefined,
    default: ref.default === "" ? mdCode('""') : mdCode(ref.default ?? ""),
  }));
  const configFile = m.inputs.config;
  return tenantReadme({
    header: mdHeader(fileInputs(m.inputs.config, m.inputs.introspection, m.inputs.manifest)),
    name: mdText(m.plan.tenant.name),
    // Ids are ^[a-z][a-z0-9_]*$ (checked by the model): plain inside the sh block.
    id: m.id,
    idCode: mdCode(m.id),
    configFile: mdCode(configFile),
    packageName: packageName(m.id),
    packageCode: mdCode(packageName(m.id)),
    binCode: mdCode(`etl-${m.id}`),
    environments: ENVIRONMENTS.map((e) => ({
      name: e,
      enabled: envs[e].enabled,
      assetCount: envs[e].assets.length,
      jobCount: envs[e].jobs.length,
    })),
    nodes: assets.map((a) => ({
      id: mermaidId(a.key),
      label: mermaidLabel(a.key.slice(m.id.length + 1)),
    })),
    edges: [...edges].sort().map((e) => {
      const [from, to] = e.split(" --> ");
      return { from, to };
    }),
    assets: assets.map((a) => ({
      key: mdCode(a.key),
      stage: a.stage,
      partitioned: a.partitioned,
      dev: has("dev", a.key),
      staging: has("staging", a.key),
      prod: has("prod", a.key),
    })),
    jobs,
    schedules,
    partitions: {
      startDate: mdText(envs.dev.partitions.startDate),
      timezone: mdText(envs.dev.partitions.timezone),
    },
    envVars,
    allowedEnv: m.allowedEnv.map(mdCode),
    ownPrefix: mdCode(`${tenantEnvPrefix(m.id)}*`),
    columns: m.pipelines.flatMap((p) => {
      const plan = envs.dev.pipelines.find((x) => x.name === p.name);
      if (p.columns === null || p.targetNames === null || plan === undefined) {
        return [];
      }
      return [
        {
          pipeline: p.name,
          naming: plan.targetColumns?.naming ?? "snake_case",
          columns: p.columns.map((c, i) => {
            const mapped = mapColumn(c, p.unmappedTypes);
            return {
              source: mdCode(c.name),
              target: mdCode(p.targetNames?.[i] ?? c.name),
              type: mapped.ok ? trinoTypeOf(mapped.type) : "?",
            };
          }),
        },
      ];
    }),
  });
}
