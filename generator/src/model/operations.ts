/**
 * The operations part of a tenant's model: `alerts:` (webhooks), `lineage:` (OpenLineage),
 * `freshness:` of pipelines and dbt models, and the `maintenance` job with its Iceberg retention.
 * A phase of its own: it reads only these keys of the config (and the assets the other phases
 * built), reports its problems at their YAML paths, and returns the plan parts per environment.
 */
import { parseConfigValue, parseCron, parseDuration, referencedVars } from "@etl/runtime/contract";
import {
  type AlertsPlan,
  type AssetPlan,
  type EnvironmentName,
  type FreshnessPlan,
  type JobPlan,
  type LineagePlan,
  type MaintenancePlan,
  MIN_RETENTION_SECONDS,
} from "@etl/runtime/plan";
import type { FreshnessConfig, TenantConfig } from "../config/schema.js";
import type { YamlPath } from "../config/yaml-locate.js";
import { suggest } from "../problems.js";
import { hasUnsafeChar, showText } from "../text.js";
import type { ModelContext } from "./context.js";
import { cronHint } from "./contract-hints.js";
import { canonicalZone } from "./partitions.js";

/** The name of the maintenance job every package gets. */
export const MAINTENANCE_JOB = "maintenance";
/** Sunday 03:00 in the partitions' zone: after the week's last daily load, before Monday's. */
export const DEFAULT_MAINTENANCE_CRON = "0 3 * * 0";
/** 100 years: a longer lag or retention is a typo. */
const MAX_SECONDS = 36_500 * 86_400;

/** What one environment's plan gets from this phase. */
export interface EnvironmentOperations {
  alerts: AlertsPlan;
  lineage: LineagePlan | null;
  maintenance: MaintenancePlan | null;
  /** The maintenance job, when enabled. */
  jobs: JobPlan[];
  /** The environment's assets with their freshness policies set. */
  assets: AssetPlan[];
}

export interface OperationsPart {
  forEnvironment(env: EnvironmentName, assets: readonly AssetPlan[]): EnvironmentOperations;
  /** The maintenance settings, the same in every environment; null when the job is off. */
  maintenance: MaintenancePlan | null;
  /** The jobs of this part (the maintenance job, when enabled), the same in every environment. */
  jobs: JobPlan[];
  /** Names of the variables these parts reference (webhook URLs, lineage endpoint and key). */
  envVars: string[];
  /** Checks that need every environment's assets: freshness of a dbt asset no environment has. */
  checkAssets(allAssets: readonly AssetPlan[]): void;
}

const T = ["tenant"] as const;

const STAGE_RANK = { extract: 0, transfer: 1, load: 2, dbt: 3 } as const;

/**
 * Builds the operations part of one tenant, reporting every problem through the context;
 * `partitionZone` (canonical) is the default zone of freshness deadlines and the maintenance
 * schedule.
 */
export function operationsPart(ctx: ModelContext, partitionZone: string): OperationsPart {
  const { config: cfg, report } = ctx;
  const zone = (path: YamlPath, text: string) => canonicalZone(ctx, path, text);
  const envVars = new Set<string>();
  const prefix = cfg.id.toUpperCase();
  /** A value that may name variables; `secret` names the variable to suggest for a written-out one. */
  const reference = (p: YamlPath, raw: string, what: string, secret: string | null) => {
    const parsed = parseConfigValue(raw);
    if (!parsed.ok) {
      report(p, parsed.message, "write $" + "{NAME} or $" + "{NAME:default}");
      return null;
    }
    if (typeof parsed.value === "string" && secret !== null) {
      report(
        p,
        `${what} is written out; it usually carries a token, and the plan (generated/) must hold no secret`,
        `read it from the environment: "\${${prefix}_${secret}}"`,
      );
      return null;
    }
    for (const name of referencedVars(parsed.value)) envVars.add(name);
    return parsed.value;
  };
  const oneLine = (p: YamlPath, what: string, text: string) => {
    if (hasUnsafeChar(text)) {
      report(
        p,
        `${what} "${showText(text)}" holds a line break or another control character`,
        "write it on one line",
      );
      return false;
    }
    return true;
  };

  // Alerts.
  const A = [...T, "alerts", "webhooks"] as const;
  const webhooks: {
    env: readonly EnvironmentName[] | null;
    plan: AlertsPlan["destinations"][number];
  }[] = [];
  const names = new Set<string>();
  for (const [i, hook] of cfg.alerts.webhooks.entries()) {
    const at = (...rest: string[]): YamlPath => [...A, i, ...rest];
    if (!/^[a-z][a-z0-9_-]*$/.test(hook.name)) {
      report(
        at("name"),
        `webhook name "${showText(hook.name)}" is not a plain name (lower-case letters, digits, _ and -, starting with a letter)`,
        'name it like "ops-slack"; it appears in logs, the ledger and metric labels',
      );
    } else if (names.has(hook.name)) {
      report(at("name"), `two webhooks are named "${hook.name}"`, "give each webhook its own name");
    }
    names.add(hook.name);
    const url = reference(
      at("url"),
      hook.url,
      `the url of webhook ${hook.name}`,
      "ALERT_WEBHOOK_URL",
    );
    oneLine(at("url"), "url", hook.url);
    const events = [...new Set(hook.events)];
    if (events.length !== hook.events.length) {
      report(at("events"), "events lists an event twice", "list each event once");
    }
    if (url !== null) {
      webhooks.push({
        env: hook.environments ?? null,
        plan: {
          name: hook.name,
          url,
          format: hook.format,
          events,
          checkSeverity: hook.check_severity,
        },
      });
    }
  }

  // Lineage.
  let lineage: { env: readonly EnvironmentName[] | null; plan: LineagePlan } | null = null;
  if (cfg.lineage !== undefined) {
    const L = [...T, "lineage"];
    const url = reference([...L, "url"], cfg.lineage.url, "lineage.url", null);
    oneLine([...L, "url"], "lineage url", cfg.lineage.url);
    const key =
      cfg.lineage.api_key === undefined
        ? null
        : reference(
            [...L, "api_key"],
            cfg.lineage.api_key,
            "lineage.api_key",
            "OPENLINEAGE_API_KEY",
          );
    const namespace = cfg.lineage.namespace ?? "etl-build";
    const nsOk = oneLine([...L, "namespace"], "lineage namespace", namespace);
    if (url !== null && (cfg.lineage.api_key === undefined || key !== null) && nsOk) {
      lineage = {
        env: cfg.lineage.environments ?? null,
        plan: { url, apiKey: key, namespace },
      };
    }
  }

  // Freshness: each pipeline's policy applies to its final asset; dbt policies by asset name.
  const policy = (p: YamlPath, f: FreshnessConfig): FreshnessPlan | null => {
    let ok = true;
    let maxLagSeconds: number | null = null;
    if (f.max_lag !== undefined) {
      const lag = parseDuration(f.max_lag);
      if (!lag.ok) {
        report([...p, "max_lag"], lag.message, 'write e.g. "26h" (a daily load plus its slack)');
        ok = false;
      } else if (lag.seconds === 0 || lag.seconds > MAX_SECONDS) {
        report(
          [...p, "max_lag"],
          `max_lag "${String(f.max_lag)}" must be longer than 0 and at most ${MAX_SECONDS / 86_400} days`,
          'write e.g. "26h"',
        );
        ok = false;
      } else {
        maxLagSeconds = lag.seconds;
      }
    }
    let deadline: FreshnessPlan["deadline"] = null;
    if (f.deadline !== undefined) {
      const cron = parseCron(f.deadline);
      const timezone = zone([...p, "timezone"], f.timezone ?? partitionZone);
      if (!cron.ok) {
        report([...p, "deadline"], cron.error, cronHint(cron.kind));
        ok = false;
      } else {
        deadline = { cron: cron.cron.text, timezone };
      }
    } else if (f.timezone !== undefined) {
      report(
        [...p, "timezone"],
        "timezone is the zone of deadline, and there is none",
        "add deadline: or remove timezone:",
      );
      ok = false;
    }
    if (f.max_lag === undefined && f.deadline === undefined) {
      report(
        p,
        "freshness needs max_lag, deadline or both",
        'add max_lag: "26h" or deadline: "0 9 * * *"',
        true,
      );
      ok = false;
    }
    return ok ? { maxLagSeconds, deadline } : null;
  };
  const pipelinePolicies = new Map<string, FreshnessPlan>();
  for (const [pname, pc] of Object.entries(cfg.assets.pipelines)) {
    if (pc.freshness === undefined) continue;
    const plan = policy([...T, "assets", "pipelines", pname, "freshness"], pc.freshness);
    if (plan !== null) pipelinePolicies.set(pname, plan);
  }
  const dbtPolicies = new Map<string, FreshnessPlan>();
  for (const [name, f] of Object.entries(cfg.dbt.freshness)) {
    const plan = policy([...T, "dbt", "freshness", name], f);
    if (plan !== null) dbtPolicies.set(name, plan);
  }

  // Maintenance.
  const M = [...T, "maintenance"];
  const retention = (key: "snapshot_retention" | "orphan_file_retention"): number | null => {
    const raw = cfg.maintenance[key];
    const parsed = parseDuration(raw);
    if (!parsed.ok) {
      report([...M, key], parsed.message, 'write e.g. "7d" or "30d"');
      return null;
    }
    if (parsed.seconds < MIN_RETENTION_SECONDS || parsed.seconds > MAX_SECONDS) {
      report(
        [...M, key],
        `${key} "${String(raw)}" is ${parsed.seconds < MIN_RETENTION_SECONDS ? "shorter than Trino's safety minimum" : "longer than 100 years"} (${MIN_RETENTION_SECONDS / 86_400}d, the default of iceberg.expire-snapshots.min-retention and iceberg.remove-orphan-files.min-retention): a shorter one could remove files a running load or a reader still needs`,
        `write "${MIN_RETENTION_SECONDS / 86_400}d" or longer`,
      );
      return null;
    }
    return parsed.seconds;
  };
  const snapshots = retention("snapshot_retention");
  const orphans = retention("orphan_file_retention");
  const jobConf = cfg.jobs[MAINTENANCE_JOB];
  const maintenanceEnabled = jobConf?.enabled ?? true;
  const maintenance: MaintenancePlan | null =
    maintenanceEnabled && snapshots !== null && orphans !== null
      ? {
          job: MAINTENANCE_JOB,
          snapshotRetentionSeconds: snapshots,
          orphanRetentionSeconds: orphans,
          fileSizeThresholdMb: cfg.maintenance.file_size_threshold_mb,
        }
      : null;
  const schedule = (): JobPlan["schedule"] => {
    const s = jobConf?.schedule;
    if (s === null) return null;
    if (s === undefined) {
      return { cron: DEFAULT_MAINTENANCE_CRON, timezone: partitionZone, autoStart: true };
    }
    // Cron and zone were checked with the other jobs' schedules; the plan holds them canonical.
    const cron = parseCron(s.cron);
    return {
      cron: cron.ok ? cron.cron.text : s.cron,
      timezone: zone([...T, "jobs", MAINTENANCE_JOB, "schedule", "timezone"], s.timezone),
      autoStart: s.auto_start,
    };
  };
  const maintenanceJob: JobPlan | null =
    maintenance === null
      ? null
      : {
          name: MAINTENANCE_JOB,
          description: `[${cfg.name}] Iceberg upkeep of the tenant's tables: optimize, expire_snapshots, remove_orphan_files`,
          assets: [],
          partitioned: false,
          schedule: schedule(),
          concurrency: jobConf?.concurrency ?? 1,
          kind: "maintenance",
        };

  const inEnv = (envs: readonly EnvironmentName[] | null, env: EnvironmentName) =>
    envs === null || envs.includes(env);

  const jobs = maintenanceJob === null ? [] : [maintenanceJob];
  return {
    envVars: [...envVars].sort(),
    maintenance,
    jobs,
    forEnvironment(env, assets) {
      const finals = new Map<string, AssetPlan>();
      for (const a of assets) {
        if (a.pipeline === null) continue;
        const prev = finals.get(a.pipeline);
        if (prev === undefined || STAGE_RANK[a.stage] > STAGE_RANK[prev.stage]) {
          finals.set(a.pipeline, a);
        }
      }
      const withPolicies = assets.map((a): AssetPlan => {
        const own =
          a.dbt !== null
            ? dbtPolicies.get(a.key.split("/").at(-1) ?? "")
            : a.pipeline !== null && finals.get(a.pipeline)?.key === a.key
              ? pipelinePolicies.get(a.pipeline)
              : undefined;
        return own === undefined ? a : { ...a, freshness: own };
      });
      return {
        alerts: {
          destinations: webhooks.filter((w) => inEnv(w.env, env)).map((w) => w.plan),
        },
        lineage: lineage !== null && inEnv(lineage.env, env) ? lineage.plan : null,
        maintenance,
        jobs,
        assets: withPolicies,
      };
    },
    checkAssets(allAssets) {
      const dbtNames = [
        ...new Set(
          allAssets.filter((a) => a.dbt !== null).map((a) => a.key.split("/").at(-1) ?? ""),
        ),
      ];
      for (const name of Object.keys(cfg.dbt.freshness)) {
        if (!dbtNames.includes(name)) {
          const near = suggest(name, dbtNames);
          report(
            [...T, "dbt", "freshness", name],
            `freshness names "${showText(name)}", which is no dbt model, seed or snapshot of tenant ${cfg.id}`,
            near === undefined
              ? `dbt assets are: ${dbtNames.sort().join(", ") || "none"}`
              : `did you mean "${near}"?`,
            true,
          );
        }
      }
    },
  };
}

/** The values of the operations keys that may name variables, with their YAML paths (boundary.ts). */
export function operationsValues(
  cfg: TenantConfig,
): { field: string; path: YamlPath; raw: string }[] {
  const out: { field: string; path: YamlPath; raw: string }[] = [];
  for (const [i, hook] of cfg.alerts.webhooks.entries()) {
    out.push({
      field: "alerts.webhooks.url",
      path: [...T, "alerts", "webhooks", i, "url"],
      raw: hook.url,
    });
  }
  if (cfg.lineage !== undefined) {
    out.push({ field: "lineage.url", path: [...T, "lineage", "url"], raw: cfg.lineage.url });
    if (cfg.lineage.api_key !== undefined) {
      out.push({
        field: "lineage.api_key",
        path: [...T, "lineage", "api_key"],
        raw: cfg.lineage.api_key,
      });
    }
  }
  return out;
}
