/**
 * The console's JSON API under /api/v1: exactly what the pages show (docs/console.md documents
 * each route). Every tenant route checks the caller's tenant scope first and answers 404 for a
 * tenant outside it, as for one that does not exist. Responses are redacted as a whole before
 * they leave.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import type { AlertStore } from "../alerts/store.js";
import type { CliIo } from "../cli/io.js";
import { addDays, isCalendarDate } from "../contract/calendar.js";
import { globToRegExp } from "../contract/glob.js";
import { RunStatusSchema } from "../ledger/types.js";
import { type Logger, redact } from "../logger.js";
import type { TransformRegistry } from "../transfer/types.js";
import type { EnvSource } from "../values.js";
import {
  type ActionContext,
  ActionError,
  launchRun,
  reexecuteRun,
  startBackfill,
} from "./actions.js";
import { canSee, type Principal } from "./auth.js";
import {
  type AssetDetail,
  type AssetRef,
  BackfillRequestSchema,
  type BackfillsResponse,
  type Job,
  type JobsResponse,
  LaunchRequestSchema,
  type Lineage,
  type Matrix,
  type Me,
  type Overview,
  type PartitionStatus,
  type RunDetail,
  type RunLogsResponse,
  type RunsResponse,
  type TenantSummary,
} from "./dto.js";
import {
  type ConsoleTenant,
  dayNumber,
  failingChecks,
  type HealthView,
  healthCounts,
  healthView,
  materializationPoint,
  nextRuns,
  partitionBounds,
  partitionStrip,
  runningPartitions,
  runSteps,
} from "./model.js";

export interface ServedTenant {
  tenant: ConsoleTenant;
  transforms: TransformRegistry;
  /** Its alert deliveries (for /metrics); null when its settings do not resolve. */
  alerts: AlertStore | null;
  /** Why runs cannot be launched for it (its variables do not resolve), or null. */
  actionsBlocked: string | null;
}

export interface ConsoleEnv {
  Variables: {
    principal: Principal;
    refuse: (status: 401 | 403 | 404, reason: string) => Response;
  };
}

export interface ApiOptions {
  authRequired: boolean;
  /** Replaces resolved connection values (hosts, endpoints, key ids) in a response's text. */
  scrub: (text: string) => string;
  env: EnvSource;
  io: CliIo;
  logger: Logger;
  signal: AbortSignal;
  now: () => Date;
}

/** Most days one partition request may span (100,000 days is 274 years). */
export const MAX_MATRIX_DAYS = 200_000;
const MAX_MATRIX_ROWS = 500;

function laterDate(a: string, b: string): string {
  return a > b ? a : b;
}

function intParam(c: Context, name: string, dflt: number, min: number, max: number): number | null {
  const text = c.req.query(name);
  if (text === undefined || text === "") return dflt;
  if (!/^-?\d+$/.test(text)) return null;
  const n = Number(text);
  return n < min || n > max ? null : n;
}

/** The routes, mounted under /api/v1 by the server. */
export function apiRoutes(served: readonly ServedTenant[], options: ApiOptions): Hono<ConsoleEnv> {
  const api = new Hono<ConsoleEnv>();
  const reply = (body: unknown, status: number) =>
    new Response(options.scrub(redact(JSON.stringify(body))), {
      status,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    });
  const send = (body: unknown, status: 200 | 202 = 200): Response => reply(body, status);
  const fail = (status: 400 | 404 | 409 | 503, message: string): Response =>
    reply({ error: message }, status);
  /**
   * The matrix, redacted with its strips left out and spliced in after: a strip holds status
   * codes only (PARTITION_CODES), and at 100,000 days redacting it would cost more than the rest.
   */
  const sendMatrix = (body: Matrix): Response => {
    const strips = body.rows.map((r) => r.statuses);
    const skeleton = {
      ...body,
      rows: body.rows.map((r, i) => ({ ...r, statuses: `\u0001${i}\u0001` })),
    };
    const text = options
      .scrub(redact(JSON.stringify(skeleton)))
      .replace(/\\u0001(\d+)\\u0001/g, (_, i: string) => strips[Number(i)] ?? "");
    return new Response(text, {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    });
  };
  const byId = new Map(served.map((s) => [s.tenant.plan.tenant.id, s]));

  const visible = (c: Context<ConsoleEnv>) =>
    served.filter((s) => canSee(c.get("principal"), s.tenant.plan.tenant.id));

  /** The tenant of the route if the caller may see it; else the refusal response. */
  const tenantOf = (c: Context<ConsoleEnv>): ServedTenant | Response => {
    const id = c.req.param("tenant") ?? "";
    const s = byId.get(id);
    if (s === undefined) return fail(404, `unknown tenant "${id}"`);
    if (!canSee(c.get("principal"), id)) {
      return c.get("refuse")(404, `tenant ${id} is outside the token's scope`);
    }
    return s;
  };

  const summary = async (s: ServedTenant, view: HealthView): Promise<TenantSummary> => {
    const t = s.tenant;
    const id = t.plan.tenant.id;
    const [latest, checks, running] = await Promise.all([
      t.ledger.findRuns(id, { limit: 1 }),
      t.ledger.latestChecks(id),
      t.ledger.findRuns(id, { status: "running", limit: 200 }),
    ]);
    return {
      id,
      name: t.plan.tenant.name,
      environment: t.environment,
      ledger: t.ledger.description,
      partitions: { ...view.bounds, timezone: t.envPlan.partitions.timezone },
      health: healthCounts(view.refs.values()),
      failingChecks: failingChecks(checks).length,
      running: running.length,
      latestRun: latest[0] ?? null,
      actions: { available: s.actionsBlocked === null, reason: s.actionsBlocked },
    };
  };

  const jobsOf = (s: ServedTenant): Job[] =>
    s.tenant.envPlan.jobs.map((j) => ({
      name: j.name,
      description: j.description,
      partitioned: j.partitioned,
      assets: j.assets,
      schedule: j.schedule,
    }));

  const actionContext = (c: Context<ConsoleEnv>, s: ServedTenant): ActionContext => ({
    tenant: s.tenant,
    transforms: s.transforms,
    env: options.env,
    io: options.io,
    signal: options.signal,
    logger: options.logger,
    actor: c.get("principal").name ?? "loopback",
  });

  const act = async (s: ServedTenant, work: () => Promise<unknown>) => {
    if (s.actionsBlocked !== null) {
      return fail(
        503,
        `runs cannot be launched for ${s.tenant.plan.tenant.id}: ${s.actionsBlocked}`,
      );
    }
    try {
      return send(await work(), 202);
    } catch (e) {
      if (e instanceof ActionError) return fail(e.status, e.message);
      throw e;
    }
  };

  api.get("/me", (c) => {
    const p = c.get("principal");
    const me: Me = {
      name: p.name,
      role: p.role,
      tenants: visible(c).map((s) => s.tenant.plan.tenant.id),
      authRequired: options.authRequired,
    };
    return send(me);
  });

  api.get("/tenants", async (c) => {
    const now = options.now();
    const tenants = await Promise.all(
      visible(c).map(async (s) => summary(s, await healthView(s.tenant, now))),
    );
    return send({ tenants });
  });

  api.get("/tenants/:tenant/overview", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const t = s.tenant;
    const id = t.plan.tenant.id;
    const now = options.now();
    const view = await healthView(t, now);
    const [latestRuns, checks] = await Promise.all([
      t.ledger.findRuns(id, { limit: 12 }),
      t.ledger.latestChecks(id),
    ]);
    const body: Overview = {
      tenant: await summary(s, view),
      assets: [...view.refs.values()],
      failingChecks: failingChecks(checks),
      latestRuns,
      nextRuns: nextRuns(t.envPlan.jobs, now),
      jobs: jobsOf(s),
    };
    return send(body);
  });

  api.get("/tenants/:tenant/jobs", (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const body: JobsResponse = {
      jobs: jobsOf(s),
      partitions: {
        ...partitionBounds(s.tenant.envPlan, options.now()),
        timezone: s.tenant.envPlan.partitions.timezone,
      },
      actions: { available: s.actionsBlocked === null, reason: s.actionsBlocked },
    };
    return send(body);
  });

  api.get("/tenants/:tenant/lineage", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const view = await healthView(s.tenant, options.now());
    const keys = new Set(view.refs.keys());
    const body: Lineage = {
      nodes: [...view.refs.values()],
      edges: s.tenant.envPlan.assets.flatMap((a) =>
        a.deps.filter((d) => keys.has(d)).map((d) => ({ from: d, to: a.key })),
      ),
    };
    return send(body);
  });

  api.get("/tenants/:tenant/assets/:stage/:name", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const t = s.tenant;
    const id = t.plan.tenant.id;
    const key = `${id}/${c.req.param("stage")}/${c.req.param("name")}`;
    const asset = t.envPlan.assets.find((a) => a.key === key);
    if (asset === undefined) return fail(404, `unknown asset "${key}"`);
    const view = await healthView(t, options.now());
    const ref = (k: string): AssetRef[] => {
      const r = view.refs.get(k);
      return r === undefined ? [] : [r];
    };
    const [mats, checkHistory] = await Promise.all([
      t.ledger.assetMaterializations(id, key, 300),
      t.ledger.assetChecks(id, key, 100),
    ]);
    const pipeline =
      asset.pipeline === null
        ? null
        : (t.envPlan.pipelines.find((p) => p.name === asset.pipeline) ?? null);
    const output = pipeline?.trinoOutput ?? null;
    let columns: AssetDetail["columns"] = null;
    if (pipeline !== null) {
      const transformed = asset.stage !== "extract" && pipeline.transfer !== null;
      if (transformed && pipeline.transfer !== null) {
        columns = {
          origin: `declared output of transform ${pipeline.transfer.module}`,
          list: pipeline.transfer.output,
        };
      } else if (pipeline.columns !== null) {
        columns = {
          origin: "source schema snapshot (npm run introspect)",
          list: pipeline.columns.map((col) => ({
            name: col.name,
            type: col.pgType,
            nullable: col.nullable,
          })),
        };
      }
    }
    const bounds = view.bounds;
    let strip: AssetDetail["strip"] = null;
    if (asset.partitioned && bounds.start <= bounds.end) {
      const from = laterDate(bounds.start, addDays(bounds.end, -364));
      const states = await t.ledger.latestStates(id, { assetKeys: [key], from, to: bounds.end });
      strip = {
        from,
        to: bounds.end,
        statuses: partitionStrip(states, view.running.get(key) ?? new Set(), from, bounds.end)
          .statuses,
      };
    }
    const selfRef = view.refs.get(key);
    if (selfRef === undefined) return fail(404, `unknown asset "${key}"`);
    const body: AssetDetail = {
      asset: selfRef,
      description: asset.description,
      pipeline: asset.pipeline,
      source:
        pipeline === null || asset.stage === "dbt"
          ? null
          : pipeline.sourceTable !== null
            ? `PostgreSQL table ${pipeline.sourceTable}`
            : "custom query",
      target:
        asset.stage === "load" && output !== null ? `Trino ${output.schema}.${output.table}` : null,
      writeMode: asset.stage === "load" && output !== null ? output.writeMode : null,
      dbt:
        asset.dbt === null
          ? null
          : {
              uniqueId: asset.dbt.uniqueId,
              resourceType: asset.dbt.resourceType,
              tests: asset.dbt.tests.map((x) => x.name),
            },
      columns,
      checks: (asset.stage === "extract" || asset.stage === "transfer"
        ? (pipeline?.checks ?? [])
        : []
      ).map((ch) => ({ name: ch.name, type: ch.type, severity: ch.severity })),
      upstream: asset.deps.flatMap(ref),
      downstream: t.envPlan.assets.filter((a) => a.deps.includes(key)).flatMap((a) => ref(a.key)),
      jobs: t.envPlan.jobs.filter((j) => j.assets.includes(key)).map((j) => j.name),
      materializations: mats.map(materializationPoint).reverse(),
      checkHistory,
      strip,
    };
    return send(body);
  });

  api.get("/tenants/:tenant/partitions", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const t = s.tenant;
    const id = t.plan.tenant.id;
    const bounds = partitionBounds(t.envPlan, options.now());
    const to = c.req.query("to") ?? bounds.end;
    const defaultFrom = isCalendarDate(to)
      ? laterDate(bounds.start, addDays(to, -364))
      : bounds.start;
    const from = c.req.query("from") ?? defaultFrom;
    const problems: string[] = [];
    if (!isCalendarDate(from)) problems.push(`from must be a date YYYY-MM-DD, got "${from}"`);
    if (!isCalendarDate(to)) problems.push(`to must be a date YYYY-MM-DD, got "${to}"`);
    if (problems.length === 0 && from > to) problems.push(`from ${from} is after to ${to}`);
    if (problems.length === 0 && dayNumber(to) - dayNumber(from) + 1 > MAX_MATRIX_DAYS) {
      problems.push(`at most ${MAX_MATRIX_DAYS} days per request`);
    }
    const status = c.req.query("status") ?? "";
    const statuses: readonly string[] = ["succeeded", "failed", "skipped", "running", "missing"];
    if (status !== "" && !statuses.includes(status)) {
      problems.push(`status must be one of ${statuses.join(", ")}, got "${status}"`);
    }
    const offset = intParam(c, "offset", 0, 0, 1_000_000);
    const limit = intParam(c, "limit", 100, 1, MAX_MATRIX_ROWS);
    if (offset === null) problems.push("offset must be a non-negative integer");
    if (limit === null) problems.push(`limit must be an integer from 1 to ${MAX_MATRIX_ROWS}`);
    if (problems.length > 0 || offset === null || limit === null)
      return fail(400, problems.join("; "));
    const glob = c.req.query("assets");
    const patterns =
      glob === undefined || glob === "" ? null : glob.split(",").map((g) => globToRegExp(g.trim()));
    const candidates = t.envPlan.assets.filter(
      (a) => a.partitioned && (patterns === null || patterns.some((p) => p.test(a.key))),
    );
    const [states, runningRuns] = await Promise.all([
      t.ledger.latestStates(id, { assetKeys: candidates.map((a) => a.key), from, to }),
      t.ledger.findRuns(id, { status: "running", limit: 200 }),
    ]);
    const byAsset = new Map<string, typeof states>();
    for (const st of states) {
      const list = byAsset.get(st.assetKey) ?? [];
      byAsset.set(st.assetKey, list);
      list.push(st);
    }
    const running = runningPartitions(t.envPlan, runningRuns);
    const rows = candidates
      .map((a) => ({
        key: a.key,
        stage: a.stage,
        ...partitionStrip(byAsset.get(a.key) ?? [], running.get(a.key) ?? new Set(), from, to),
      }))
      .filter((r) => status === "" || r.counts[status as PartitionStatus] > 0);
    const body: Matrix = {
      from,
      to,
      days: dayNumber(to) - dayNumber(from) + 1,
      range: bounds,
      totalAssets: rows.length,
      offset,
      rows: rows.slice(offset, offset + limit),
    };
    return sendMatrix(body);
  });

  api.get("/tenants/:tenant/backfills", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const limit = intParam(c, "limit", 20, 1, 200);
    if (limit === null) return fail(400, "limit must be an integer from 1 to 200");
    const queue = s.tenant.ledger.backfills;
    const body: BackfillsResponse = {
      queue: queue !== null,
      backfills: queue === null ? [] : await queue.list(s.tenant.plan.tenant.id, limit),
    };
    return send(body);
  });

  api.get("/tenants/:tenant/runs", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const limit = intParam(c, "limit", 50, 1, 500);
    if (limit === null) return fail(400, "limit must be an integer from 1 to 500");
    const statusText = c.req.query("status");
    const status =
      statusText === undefined || statusText === "" ? null : RunStatusSchema.safeParse(statusText);
    if (status !== null && !status.success) {
      return fail(400, `status must be one of ${RunStatusSchema.options.join(", ")}`);
    }
    const q = (name: string) => {
      const v = c.req.query(name);
      return v === undefined || v === "" ? null : v;
    };
    const runs = await s.tenant.ledger.findRuns(s.tenant.plan.tenant.id, {
      job: q("job"),
      status: status?.data ?? null,
      partition: q("partition"),
      trigger: q("trigger"),
      before: q("before"),
      limit: limit + 1,
    });
    const page = runs.slice(0, limit);
    const body: RunsResponse = {
      runs: page,
      next: runs.length > limit ? (page[page.length - 1]?.runId ?? null) : null,
    };
    return send(body);
  });

  api.get("/tenants/:tenant/runs/:runId", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const detail = await s.tenant.ledger.getRun(s.tenant.plan.tenant.id, c.req.param("runId"));
    if (detail === null) return fail(404, `unknown run "${c.req.param("runId")}"`);
    const steps = runSteps(s.tenant.envPlan, detail.run, detail.materializations);
    const body: RunDetail = {
      run: detail.run,
      steps,
      checks: detail.checks,
      failedAssets: steps
        .filter((x) => x.status === "failed" || x.status === "skipped")
        .map((x) => x.key),
    };
    return send(body);
  });

  api.get("/tenants/:tenant/runs/:runId/logs", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const after = intParam(c, "after", -1, -1, Number.MAX_SAFE_INTEGER);
    const limit = intParam(c, "limit", 1000, 1, 5000);
    if (after === null || limit === null) return fail(400, "after and limit must be integers");
    const lines = await s.tenant.ledger.runLogs(
      s.tenant.plan.tenant.id,
      c.req.param("runId"),
      after,
      limit,
    );
    const body: RunLogsResponse = { lines, last: lines[lines.length - 1]?.seq ?? after };
    return send(body);
  });

  api.post("/tenants/:tenant/runs", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const parsed = LaunchRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success)
      return fail(
        400,
        `expected {"job", "partition"?, "select"?}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    return act(s, () => launchRun(actionContext(c, s), parsed.data));
  });

  api.post("/tenants/:tenant/runs/:runId/reexecute", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const runId = c.req.param("runId");
    const detail = await s.tenant.ledger.getRun(s.tenant.plan.tenant.id, runId);
    if (detail === null) return fail(404, `unknown run "${runId}"`);
    const failed = runSteps(s.tenant.envPlan, detail.run, detail.materializations)
      .filter((x) => x.status === "failed" || x.status === "skipped")
      .map((x) => x.key);
    return act(s, () => reexecuteRun(actionContext(c, s), runId, failed, detail.run));
  });

  api.post("/tenants/:tenant/backfills", async (c) => {
    const s = tenantOf(c);
    if (s instanceof Response) return s;
    const parsed = BackfillRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success)
      return fail(
        400,
        `expected {"job", "from", "to", "concurrency"?, "force"?}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    return act(s, () => startBackfill(actionContext(c, s), parsed.data));
  });

  return api;
}
