/**
 * One JSON POST to a receiver the tenant configured (an alert webhook, an OpenLineage endpoint):
 * bounded by a timeout, never following redirects, and failing with whether another attempt may
 * succeed. Messages never hold the URL (it often carries a token).
 */
import { redact } from "../logger.js";

/** A failed POST: whether another attempt may succeed, and the HTTP status when one came. */
export class PostError extends Error {
  override readonly name = "PostError";
  constructor(
    message: string,
    readonly transient: boolean,
    readonly httpStatus: number | null,
  ) {
    super(message);
  }
}

/** Statuses worth another attempt besides 5xx. */
const RETRYABLE_STATUS = new Set([408, 425, 429]);

/** fetch's "fetch failed" with its cause (ECONNREFUSED, ECONNRESET, ...), never the URL. */
function describeFetchError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause;
  if (typeof cause === "object" && cause !== null && "code" in cause) {
    return `${e.message} (${String(cause.code)})`;
  }
  return e.message;
}

/**
 * POSTs `body` (JSON text) to `url`; resolves with the 2xx status, throws PostError otherwise.
 * `stop` aborts the attempt for good (its reason is the message, and it is not transient).
 */
export async function postJson(
  url: string,
  body: string,
  options: { timeoutMs: number; stop: AbortSignal; headers?: Record<string, string> },
): Promise<number> {
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.stop]);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "etl-build",
        ...options.headers,
      },
      body,
      signal,
      redirect: "error",
    });
  } catch (e) {
    if (options.stop.aborted) {
      const why = options.stop.reason;
      throw new PostError(redact(why instanceof Error ? why.message : "stopped"), false, null);
    }
    const reason =
      e instanceof Error && e.name === "TimeoutError"
        ? `no answer within ${options.timeoutMs} ms`
        : describeFetchError(e);
    throw new PostError(redact(reason), true, null);
  }
  // Released unread: a receiver's answer carries nothing we use.
  await response.body?.cancel();
  if (response.ok) return response.status;
  const transient = response.status >= 500 || RETRYABLE_STATUS.has(response.status);
  throw new PostError(
    `HTTP ${response.status} ${response.statusText}`.trim(),
    transient,
    response.status,
  );
}
