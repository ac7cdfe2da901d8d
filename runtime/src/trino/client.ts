/**
 * A thin Trino client over trino-client: one call runs one statement to completion and returns its
 * rows, update count and query id. Failures become `TrinoQueryError` carrying the query id, Trino's
 * error name and a `transient` flag the executor's retry policy reads (`isTransient`).
 */
import { BasicAuth, type QueryResult, Trino } from "trino-client";
import { z } from "zod";
import { type Logger, redact, rootLogger } from "../logger.js";
import { lostCreateRace } from "./ensure.js";

export const TrinoConnectionSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().positive(),
  user: z.string().min(1),
  password: z.string().nullable(),
  scheme: z.enum(["http", "https"]),
});
export type TrinoConnection = z.infer<typeof TrinoConnectionSchema>;

export interface TrinoColumn {
  name: string;
  type: string;
}

export interface QueryOutcome {
  queryId: string;
  columns: TrinoColumn[];
  rows: unknown[][];
  /** e.g. "INSERT", "MERGE", "DELETE", "CREATE TABLE"; null for plain SELECTs. */
  updateType: string | null;
  /** Rows written by DML as Trino counts them; null when Trino reports none. */
  updateCount: number | null;
  elapsedMs: number;
}

/** Trino error names that go away on retry (server restarting, overloaded, commit conflicts). */
const TRANSIENT_ERROR_NAMES = new Set([
  "SERVER_STARTING_UP",
  "SERVER_SHUTTING_DOWN",
  "NO_NODES_AVAILABLE",
  "REMOTE_TASK_ERROR",
  "REMOTE_HOST_GONE",
  "REMOTE_TASK_MISMATCH",
  "PAGE_TRANSPORT_ERROR",
  "PAGE_TRANSPORT_TIMEOUT",
  "TOO_MANY_REQUESTS_FAILED",
  "ABANDONED_TASK",
  "CLUSTER_OUT_OF_MEMORY",
  "EXCEEDED_GLOBAL_MEMORY_LIMIT",
  // Iceberg optimistic commit lost to a concurrent writer: the statement can simply run again.
  "ICEBERG_COMMIT_ERROR",
]);
const TRANSIENT_HTTP = new Set([429, 502, 503, 504]);
const TRANSIENT_NET = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
]);

/**
 * Whether a failed MERGE lost a race with a concurrent schema change of its target: when another
 * load adds a column between this MERGE's planning and its writing, Trino's merge writer fails its
 * own consistency check ("inputPage channelCount (10) == dataColumns size (8) + 3", an
 * INTERNAL_ERROR). Nothing was committed and the statement is idempotent: run again, it plans
 * against the new schema. Seen with two tenants evolving one shared table at once.
 */
export function lostSchemaRace(sql: string, errorName: string | null, message: string): boolean {
  return (
    errorName === "GENERIC_INTERNAL_ERROR" &&
    /^\s*MERGE\s/i.test(sql) &&
    /channelCount \(\d+\) == dataColumns size \(\d+\)/.test(message)
  );
}

/** A failed Trino statement (or a failed HTTP exchange with Trino). */
export class TrinoQueryError extends Error {
  override readonly name = "TrinoQueryError";
  constructor(
    message: string,
    readonly details: {
      queryId: string | null;
      errorName: string | null;
      errorType: string | null;
      httpStatus: number | null;
      transient: boolean;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get transient(): boolean {
    return this.details.transient;
  }
  get queryId(): string | null {
    return this.details.queryId;
  }
}

/**
 * True when retrying the same operation may succeed: the error (or one of its causes) carries
 * `transient: true`. Every load statement is idempotent, so the executor may retry on this.
 */
export function isTransient(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 10 && typeof e === "object" && e !== null; depth++) {
    if ("transient" in e && e.transient === true) {
      return true;
    }
    e = "cause" in e ? e.cause : undefined;
  }
  return false;
}

const HttpErrorShape = z.object({
  code: z.string().optional(),
  message: z.string().optional(),
  response: z.object({ status: z.number() }).optional(),
});

function firstLine(sql: string): string {
  const one = sql.replace(/\s+/g, " ").trim();
  return one.length > 160 ? `${one.slice(0, 157)}...` : one;
}

function httpError(err: unknown, sql: string, queryId: string | null): TrinoQueryError {
  const parsed = HttpErrorShape.safeParse(err);
  const status = parsed.success ? (parsed.data.response?.status ?? null) : null;
  const code = parsed.success ? (parsed.data.code ?? null) : null;
  const transient =
    (status !== null && TRANSIENT_HTTP.has(status)) || (code !== null && TRANSIENT_NET.has(code));
  const what = status !== null ? `HTTP ${status}` : (code ?? "request failed");
  const msg = err instanceof Error ? err.message : String(err);
  return new TrinoQueryError(
    redact(
      `Trino request failed (${what}${queryId === null ? "" : `, query ${queryId}`}): ${msg} -- statement: ${firstLine(sql)}`,
    ),
    { queryId, errorName: null, errorType: null, httpStatus: status, transient },
    { cause: err },
  );
}

/** A statement runner bound to one Trino server and user. */
export class TrinoClient {
  private constructor(
    private readonly trino: Trino,
    private readonly user: string,
    private readonly logger: Logger,
  ) {}

  static create(
    conn: TrinoConnection,
    opts: { source?: string; logger?: Logger } = {},
  ): TrinoClient {
    const trino = Trino.create({
      server: `${conn.scheme}://${conn.host}:${conn.port}`,
      source: opts.source ?? "etl-runtime",
      // Without this capability Trino rounds timestamps in results to milliseconds.
      extraHeaders: { "X-Trino-Client-Capabilities": "PARAMETRIC_DATETIME" },
      ...(conn.password === null ? {} : { auth: new BasicAuth(conn.user, conn.password) }),
    });
    return new TrinoClient(trino, conn.user, opts.logger ?? rootLogger);
  }

  /** Runs one statement to completion; throws TrinoQueryError on any failure. */
  async execute(
    sql: string,
    opts: { session?: Record<string, string> } = {},
  ): Promise<QueryOutcome> {
    const started = performance.now();
    let queryId: string | null = null;
    const columns: TrinoColumn[] = [];
    const rows: unknown[][] = [];
    let updateType: string | null = null;
    let updateCount: number | null = null;
    const absorb = (page: QueryResult): void => {
      queryId = page.id;
      if (page.columns !== undefined && columns.length === 0) {
        columns.push(...page.columns.map((c) => ({ name: c.name, type: c.type })));
      }
      for (const r of page.data ?? []) {
        rows.push(r);
      }
      // updateType/updateCount are in Trino's protocol but not in trino-client's types.
      const extra = z
        .object({ updateType: z.string().optional(), updateCount: z.number().optional() })
        .safeParse(page);
      if (extra.success) {
        updateType = extra.data.updateType ?? updateType;
        updateCount = extra.data.updateCount ?? updateCount;
      }
      if (page.error !== undefined) {
        const e = page.error;
        // An IF NOT EXISTS create that lost a race is not a user error: run again, it succeeds.
        const transient =
          TRANSIENT_ERROR_NAMES.has(e.errorName) ||
          e.errorType === "INSUFFICIENT_RESOURCES" ||
          lostCreateRace(sql, e.errorName, e.message) ||
          lostSchemaRace(sql, e.errorName, e.message);
        throw new TrinoQueryError(
          redact(
            `Trino query ${page.id} failed: ${e.errorName} (${e.errorType}): ${e.message} -- statement: ${firstLine(sql)}`,
          ),
          {
            queryId: page.id,
            errorName: e.errorName,
            errorType: e.errorType,
            httpStatus: null,
            transient,
          },
        );
      }
    };
    try {
      const iter = await this.trino.query({
        query: sql,
        user: this.user,
        ...(opts.session === undefined ? {} : { session: opts.session }),
      });
      // Iterate by hand: trino-client reports the last page as the `done` value, which
      // `for await` would drop together with a possible error or update count.
      for (;;) {
        const step = await iter.next();
        if (step.value !== undefined) {
          absorb(step.value);
        }
        if (step.done === true) {
          break;
        }
      }
    } catch (err) {
      if (err instanceof TrinoQueryError) {
        throw err;
      }
      throw httpError(err, sql, queryId);
    }
    const elapsedMs = performance.now() - started;
    const id: string = queryId ?? "unknown";
    this.logger.debug("trino statement finished", {
      queryId: id,
      updateType,
      updateCount,
      elapsedMs: Math.round(elapsedMs),
    });
    return { queryId: id, columns, rows, updateType, updateCount, elapsedMs };
  }

  /** Runs a query and returns rows as objects keyed by column name. */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const out = await this.execute(sql);
    return out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c.name, r[i]])));
  }
}
