/**
 * OpenLineage as a run observer: START when an asset starts, COMPLETE or FAIL when it ends, posted
 * to `<url>/api/v1/lineage` (OpenLineage's HTTP transport) in the background with retries, so a
 * slow or absent lineage backend never holds or fails a run. `drain` waits for what is in flight
 * (the CLI calls it before exiting); an event still undelivered then is logged as lost.
 */
import { randomUUID } from "node:crypto";
import type { AssetFinishedEvent, AssetStartedEvent, RunObserver } from "../executor/observer.js";
import { BackgroundDeliveries } from "../http/background.js";
import { PostError, postJson } from "../http/post.js";
import type { RunRecord } from "../ledger/types.js";
import { type Logger, registerSecret, registerUrlSecrets } from "../logger.js";
import type { LineagePlan } from "../plan.js";
import { type RetryPolicy, withRetry } from "../retry/index.js";
import { type EnvSource, resolveValue } from "../values.js";
import { assetInputs, assetOutput, type LineageContext, openLineageEvent } from "./events.js";

export interface LineageObserverOptions {
  context: LineageContext;
  plan: LineagePlan;
  env: EnvSource;
  logger: Logger;
  retry?: RetryPolicy;
  timeoutMs?: number;
}

/** The endpoint OpenLineage's HTTP transport posts to under its base URL. */
export function lineageEndpoint(base: string): string {
  return `${base.replace(/\/+$/, "")}/api/v1/lineage`;
}

export class LineageObserver implements RunObserver {
  readonly name = "openlineage";
  private readonly endpoint: string | null;
  private readonly headers: Record<string, string> = {};
  private readonly runs = new Map<string, string>();
  private readonly assetRuns = new Map<string, string>();
  /** dbt relations built in this process's runs, for the inputs of downstream models. */
  private readonly relations = new Map<string, string>();
  private readonly deliveries = new BackgroundDeliveries();

  constructor(private readonly options: LineageObserverOptions) {
    const url = resolveValue(options.plan.url, options.env);
    const key =
      options.plan.apiKey === null ? null : resolveValue(options.plan.apiKey, options.env);
    if (!url.ok || (key !== null && !key.ok)) {
      options.logger.warn("lineage events disabled: a variable is not set", {
        missing: [...(url.ok ? [] : url.missing), ...(key === null || key.ok ? [] : key.missing)],
      });
      this.endpoint = null;
      return;
    }
    registerUrlSecrets(url.value);
    if (url.value.trim() === "" || !URL.canParse(url.value)) {
      if (url.value.trim() !== "")
        options.logger.warn("lineage events disabled: the url is not a URL");
      this.endpoint = null;
      return;
    }
    if (key?.ok && key.value !== "") {
      registerSecret(key.value);
      this.headers.authorization = `Bearer ${key.value}`;
    }
    this.endpoint = lineageEndpoint(url.value);
  }

  /** Whether events are sent (the endpoint resolved). */
  get enabled(): boolean {
    return this.endpoint !== null;
  }

  private parentId(run: RunRecord): string {
    let id = this.runs.get(run.runId);
    if (id === undefined) {
      id = randomUUID();
      this.runs.set(run.runId, id);
    }
    return id;
  }

  async assetStarted(event: AssetStartedEvent): Promise<void> {
    if (this.endpoint === null) return;
    const id = randomUUID();
    this.assetRuns.set(`${event.run.runId}|${event.asset.key}`, id);
    const { context } = this.options;
    const output = assetOutput(context, event.asset, this.relations);
    this.send(
      openLineageEvent(context, {
        eventType: "START",
        eventTime: new Date().toISOString(),
        runId: id,
        asset: event.asset,
        parent: { runId: this.parentId(event.run), job: event.run.job },
        inputs: assetInputs(context, event.asset, this.relations),
        outputs: output === null ? [] : [output],
      }),
    );
  }

  async assetFinished(event: AssetFinishedEvent): Promise<void> {
    const m = event.materialization;
    const relation = m.metadata.relation;
    if (typeof relation === "string") this.relations.set(event.asset.key, relation);
    const id = this.assetRuns.get(`${event.run.runId}|${event.asset.key}`);
    // A skipped asset never started: it has no lineage run.
    if (this.endpoint === null || id === undefined || m.status === "skipped") return;
    this.assetRuns.delete(`${event.run.runId}|${event.asset.key}`);
    const { context } = this.options;
    const output = assetOutput(context, event.asset, this.relations);
    this.send(
      openLineageEvent(context, {
        eventType: m.status === "succeeded" ? "COMPLETE" : "FAIL",
        eventTime: m.finishedAt,
        runId: id,
        asset: event.asset,
        parent: { runId: this.parentId(event.run), job: event.run.job },
        inputs: assetInputs(context, event.asset, this.relations),
        outputs: output === null ? [] : [output],
        metadata: m.metadata,
        error: m.error,
      }),
    );
  }

  async runFinished(run: RunRecord): Promise<void> {
    this.runs.delete(run.runId);
  }

  private send(event: Record<string, unknown>): void {
    const endpoint = this.endpoint;
    if (endpoint === null) return;
    const body = JSON.stringify(event);
    const { logger } = this.options;
    const delivery = withRetry(
      () =>
        postJson(endpoint, body, {
          timeoutMs: this.options.timeoutMs ?? 10_000,
          stop: this.deliveries.stop,
          headers: this.headers,
        }),
      this.options.retry ?? { attempts: 4, baseDelayMs: 1000, maxDelayMs: 8000 },
      {
        signal: this.deliveries.stop,
        classify: (e) => (e instanceof PostError && e.transient ? "transient" : "permanent"),
      },
    ).then(
      () => undefined,
      (e: unknown) =>
        logger.error("lineage event not delivered", {
          eventType: event.eventType,
          error: e instanceof Error ? e.message : String(e),
        }),
    );
    this.deliveries.track(delivery);
  }

  /** Waits for the events in flight, at most `timeoutMs`; the rest are given up (and logged). */
  async drain(timeoutMs: number): Promise<void> {
    await this.deliveries.drain(timeoutMs);
  }
}
