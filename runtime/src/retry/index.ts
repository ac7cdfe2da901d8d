/**
 * Retry policy for stage work: exponential backoff with jitter, and only for failures that can heal
 * by waiting (connection resets, S3 5xx/SlowDown, Trino busy, PostgreSQL restarts). Bad SQL, type
 * errors, schema drift and failed checks are never retried: repeating them only hides the cause.
 */
import type { Stage } from "../plan.js";

export type ErrorClass = "transient" | "permanent";

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTCONN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

const TRANSIENT_S3_NAMES = new Set([
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ThrottlingException",
  "TimeoutError",
  "XMinioServerNotInitialized",
]);

/** PostgreSQL SQLSTATEs worth retrying: admin shutdown, connection exceptions, too many connections. */
function transientSqlState(code: string): boolean {
  return (
    code === "57P01" ||
    code === "57P02" ||
    code === "57P03" ||
    code === "53300" ||
    code === "40001" ||
    code === "40P01" ||
    /^08[0-9A-Z]{3}$/.test(code)
  );
}

const TRANSIENT_MESSAGES = [
  /server (is )?busy/i,
  /HTTP (502|503|504)\b/,
  /\b(502|503|504) (Bad Gateway|Service Unavailable|Gateway Time-?out)/i,
  /socket hang up/i,
  /Connection terminated unexpectedly/i,
  /the database system is (starting up|shutting down)/i,
  /TOO_MANY_REQUESTS_FAILED|NO_NODES_AVAILABLE|SERVER_STARTING_UP/,
];

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  transient?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

/** Marks an error as permanent or transient explicitly, overriding classification. */
export class StageError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StageError";
  }
}

/** Decides whether an error (or anything in its cause chain) is worth retrying. */
export function classifyError(error: unknown): ErrorClass {
  return isTransient(error, 0) ? "transient" : "permanent";
}

function isTransient(error: unknown, depth: number): boolean {
  if (depth > 8 || typeof error !== "object" || error === null) {
    return false;
  }
  const e = error as ErrorLike;
  if (typeof e.transient === "boolean") {
    return e.transient;
  }
  if (typeof e.code === "string") {
    if (TRANSIENT_CODES.has(e.code)) return true;
    if (/^[0-9A-Z]{5}$/.test(e.code)) {
      // A SQLSTATE decides on its own: 42601 (syntax) must not be rescued by a message match.
      return transientSqlState(e.code);
    }
  }
  if (typeof e.name === "string" && TRANSIENT_S3_NAMES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === "number" && (status >= 500 || status === 429)) return true;
  if (
    typeof e.message === "string" &&
    TRANSIENT_MESSAGES.some((re) => re.test(e.message as string))
  ) {
    return true;
  }
  if (Array.isArray(e.errors) && e.errors.some((x) => isTransient(x, depth + 1))) return true;
  return isTransient(e.cause, depth + 1);
}

export interface RetryPolicy {
  /** Total attempts including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Defaults per stage; a restarted S3 or PostgreSQL takes seconds, so the window spans ~30 s. */
export const DEFAULT_RETRY: Readonly<Record<Stage, RetryPolicy>> = {
  extract: { attempts: 5, baseDelayMs: 1000, maxDelayMs: 20_000 },
  transfer: { attempts: 5, baseDelayMs: 1000, maxDelayMs: 20_000 },
  load: { attempts: 5, baseDelayMs: 1000, maxDelayMs: 20_000 },
  dbt: { attempts: 3, baseDelayMs: 2000, maxDelayMs: 30_000 },
};

/** Policy for a stage with ETL_RETRY_ATTEMPTS / ETL_RETRY_BASE_MS / ETL_RETRY_MAX_MS overrides. */
export function retryPolicyFor(
  stage: Stage,
  env: Readonly<Record<string, string | undefined>>,
): RetryPolicy {
  const base = DEFAULT_RETRY[stage];
  const num = (v: string | undefined, fallback: number, min: number): number => {
    if (v === undefined || !/^\d+$/.test(v)) return fallback;
    return Math.max(min, Number(v));
  };
  return {
    attempts: num(env.ETL_RETRY_ATTEMPTS, base.attempts, 1),
    baseDelayMs: num(env.ETL_RETRY_BASE_MS, base.baseDelayMs, 0),
    maxDelayMs: num(env.ETL_RETRY_MAX_MS, base.maxDelayMs, 0),
  };
}

/** Delay before attempt `attempt + 1` (attempt counts from 1): exponential, with equal jitter. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export interface RetryHooks {
  signal?: AbortSignal;
  /** Called before waiting for the next attempt. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  classify?: (error: unknown) => ErrorClass;
}

/** Error thrown when retries are exhausted or the error is permanent; carries the attempt count. */
export class RetryError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly errorClass: ErrorClass,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = "RetryError";
  }
}

/** Runs `fn` until it succeeds, a permanent error occurs, or attempts run out. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<{ value: T; attempts: number }> {
  const classify = hooks.classify ?? classifyError;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { value: await fn(attempt), attempts: attempt };
    } catch (error) {
      const cls = classify(error);
      const msg = error instanceof Error ? error.message : String(error);
      if (cls === "permanent" || attempt >= policy.attempts || hooks.signal?.aborted === true) {
        throw new RetryError(
          cls === "permanent"
            ? msg
            : `${msg} (transient, gave up after ${attempt} attempt${attempt > 1 ? "s" : ""})`,
          attempt,
          cls,
          { cause: error },
        );
      }
      const delayMs = backoffDelay(policy, attempt);
      hooks.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, hooks.signal);
    }
  }
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
