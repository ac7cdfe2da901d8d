/**
 * Delivers alerts to a tenant's webhooks. `notify` returns at once: delivery runs in the
 * background with retries and backoff (a refused connection, a timeout, HTTP 408/425/429/5xx),
 * bounded per attempt by a timeout, and never throws into the caller, so an alert can neither
 * block nor fail a run. Each (destination, event) is claimed in the ledger before the first
 * attempt (store.ts), which is what sends it once however many processes see the event, and its
 * outcome is recorded there. `drain` waits for what is in flight (the CLI calls it before exiting)
 * and records whatever did not finish in time as failed.
 *
 * A destination's URL is resolved from the environment when the dispatcher is made and registered
 * as a secret: it is never logged, recorded or sent anywhere but to itself.
 */

import { BackgroundDeliveries } from "../http/background.js";
import { PostError, postJson } from "../http/post.js";
import { type Logger, redact, registerSecret, registerUrlSecrets } from "../logger.js";
import type { AlertDestinationPlan, AlertEvent } from "../plan.js";
import { RetryError, type RetryPolicy, withRetry } from "../retry/index.js";
import { type EnvSource, resolveValue } from "../values.js";
import { type Alert, jsonPayload, slackPayload } from "./payload.js";
import type { AlertRecord, AlertStore } from "./store.js";

export interface AlertDeliveryPolicy {
  retry: RetryPolicy;
  /** Per attempt: a receiver that does not answer within this is given up on (and retried). */
  timeoutMs: number;
}

/** 4 attempts over ~7 s plus up to 10 s per attempt: under a minute even for a hung receiver. */
export const DEFAULT_ALERT_DELIVERY: AlertDeliveryPolicy = {
  retry: { attempts: 4, baseDelayMs: 1000, maxDelayMs: 8000 },
  timeoutMs: 10_000,
};

/** The delivery policy with ETL_ALERT_ATTEMPTS / ETL_ALERT_BACKOFF_MS / ETL_ALERT_TIMEOUT_MS. */
export function alertDeliveryPolicy(env: EnvSource): AlertDeliveryPolicy {
  const num = (v: string | undefined, fallback: number, min: number): number =>
    v === undefined || !/^\d+$/.test(v) ? fallback : Math.max(min, Number(v));
  const d = DEFAULT_ALERT_DELIVERY;
  const base = num(env.ETL_ALERT_BACKOFF_MS, d.retry.baseDelayMs, 0);
  return {
    retry: {
      attempts: num(env.ETL_ALERT_ATTEMPTS, d.retry.attempts, 1),
      baseDelayMs: base,
      maxDelayMs: Math.max(base, d.retry.maxDelayMs),
    },
    timeoutMs: num(env.ETL_ALERT_TIMEOUT_MS, d.timeoutMs, 1),
  };
}

interface Destination {
  plan: AlertDestinationPlan;
  url: string;
}

export interface AlertDispatcherOptions {
  tenant: string;
  destinations: readonly AlertDestinationPlan[];
  /** The tenant's environment (tenantEnv): the destinations' URL references are read from it. */
  env: EnvSource;
  store: AlertStore;
  logger: Logger;
  policy?: AlertDeliveryPolicy;
}

/** Whether a destination wants an alert: its event, and for checks the severity. */
export function wants(plan: AlertDestinationPlan, alert: Pick<Alert, "event" | "check">): boolean {
  if (!plan.events.includes(alert.event)) return false;
  if (alert.event !== "check_failed") return true;
  return plan.checkSeverity === "warn" || alert.check?.severity === "error";
}

export class AlertDispatcher {
  private readonly destinations: Destination[];
  private readonly deliveries = new BackgroundDeliveries();
  private readonly policy: AlertDeliveryPolicy;

  constructor(private readonly options: AlertDispatcherOptions) {
    this.policy = options.policy ?? DEFAULT_ALERT_DELIVERY;
    this.destinations = [];
    for (const plan of options.destinations) {
      const resolved = resolveValue(plan.url, options.env);
      if (!resolved.ok) {
        options.logger.warn("alert destination disabled: its URL's variable is not set", {
          destination: plan.name,
          missing: resolved.missing,
        });
        continue;
      }
      if (resolved.value.trim() === "") {
        options.logger.debug("alert destination disabled: its URL is empty", {
          destination: plan.name,
        });
        continue;
      }
      registerSecret(resolved.value);
      registerUrlSecrets(resolved.value);
      if (!URL.canParse(resolved.value) || !/^https?:$/.test(new URL(resolved.value).protocol)) {
        options.logger.warn("alert destination disabled: its URL is not an http(s) URL", {
          destination: plan.name,
        });
        continue;
      }
      // The path often is the token (Slack: /services/T…/B…/secret): redact it on its own too.
      const parsed = new URL(resolved.value);
      if (parsed.pathname.length >= 8) registerSecret(parsed.pathname + parsed.search);
      this.destinations.push({ plan, url: resolved.value });
    }
  }

  /** The destinations that will be tried (their URLs resolved), by name. */
  get active(): string[] {
    return this.destinations.map((d) => d.plan.name);
  }

  /** Whether any destination wants events of `event`. */
  subscribed(event: AlertEvent): boolean {
    return this.destinations.some((d) => d.plan.events.includes(event));
  }

  /** Starts delivering `alert` to every destination that wants it; returns at once. */
  notify(alert: Alert): void {
    for (const destination of this.destinations) {
      if (!wants(destination.plan, alert)) continue;
      this.deliveries.track(
        this.deliver(destination, alert).catch((e: unknown) =>
          this.options.logger.error("alert delivery could not be recorded", {
            destination: destination.plan.name,
            event: alert.event,
            error: e instanceof Error ? e.message : String(e),
          }),
        ),
      );
    }
  }

  /**
   * Waits until every started delivery has ended, at most `timeoutMs`; what is still running then
   * is stopped and recorded as failed (the process is about to end).
   */
  async drain(timeoutMs: number): Promise<void> {
    await this.deliveries.drain(timeoutMs);
  }

  private async deliver(destination: Destination, alert: Alert): Promise<void> {
    const { store, tenant, logger } = this.options;
    const name = destination.plan.name;
    const now = () => new Date().toISOString();
    let record: AlertRecord = {
      tenant,
      destination: name,
      dedupKey: alert.dedupKey,
      event: alert.event,
      status: "pending",
      attempts: 0,
      summary: redact(alert.summary),
      createdAt: now(),
      updatedAt: now(),
      httpStatus: null,
      error: null,
    };
    if (!(await store.claim(record))) {
      logger.debug("alert already delivered (or being delivered) by another run", {
        destination: name,
        event: alert.event,
        dedupKey: alert.dedupKey,
      });
      return;
    }
    const body = JSON.stringify(
      destination.plan.format === "slack" ? slackPayload(alert) : jsonPayload(alert),
    );
    try {
      const sent = await withRetry(
        async (attempt) => {
          record = { ...record, attempts: attempt, updatedAt: now() };
          return postJson(destination.url, body, {
            timeoutMs: this.policy.timeoutMs,
            stop: this.deliveries.stop,
          });
        },
        this.policy.retry,
        {
          signal: this.deliveries.stop,
          classify: (e) => (e instanceof PostError && e.transient ? "transient" : "permanent"),
          onRetry: ({ attempt, delayMs, error }) =>
            logger.warn("alert delivery failed, retrying", {
              destination: name,
              event: alert.event,
              attempt,
              delayMs,
              error: error instanceof Error ? error.message : String(error),
            }),
        },
      );
      record = { ...record, status: "sent", httpStatus: sent.value, error: null, updatedAt: now() };
      logger.info("alert sent", {
        destination: name,
        event: alert.event,
        attempts: record.attempts,
        httpStatus: sent.value,
      });
    } catch (e) {
      const cause = e instanceof RetryError ? e.cause : e;
      const status = cause instanceof PostError ? cause.httpStatus : null;
      const why = redact(e instanceof Error ? e.message : String(e));
      record = { ...record, status: "failed", httpStatus: status, error: why, updatedAt: now() };
      logger.error("alert not delivered", {
        destination: name,
        event: alert.event,
        attempts: record.attempts,
        error: why,
      });
    }
    await store.update(record);
  }
}
