/**
 * The shared ledger in PostgreSQL (ETL_LEDGER_URL), for production where runs happen in pods that
 * come and go. Tables are created if missing. The run lock is a session-level advisory lock held on a
 * dedicated connection: if the process dies, PostgreSQL drops the connection and the lock with it, so
 * no stale lock can outlive its holder; the etl_locks row only tells others who holds it.
 */
import pg from "pg";
import { type Logger, rootLogger } from "../logger.js";
import { runLedgerDdl } from "./ddl.js";
import {
  type AssetStateSummary,
  type LatestStatus,
  type PartitionQuery,
  type RunDetail,
  type RunLogLine,
  RunLogLineSchema,
  type RunQuery,
} from "./queries.js";
import { BackfillQueue, QUEUE_DDL } from "./queue.js";
import {
  type CheckRecord,
  CheckRecordSchema,
  type Ledger,
  type LockKey,
  type LockOwner,
  type LockResult,
  lockName,
  type MaterializationRecord,
  MaterializationRecordSchema,
  MaterializationStatusSchema,
  type RunRecord,
  RunRecordSchema,
} from "./types.js";

const DDL = `
CREATE TABLE IF NOT EXISTS etl_runs (
  run_id text NOT NULL,
  tenant text NOT NULL,
  record jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, run_id)
);
-- One ledger serves every tenant: a run is identified within its tenant. Ledgers created before
-- this key keyed runs by run_id alone; move them to (tenant, run_id).
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_constraint
     WHERE conrelid = 'etl_runs'::regclass AND contype = 'p' AND cardinality(conkey) = 1
  ) THEN
    ALTER TABLE etl_runs DROP CONSTRAINT etl_runs_pkey;
    ALTER TABLE etl_runs ADD PRIMARY KEY (tenant, run_id);
  END IF;
END $$;
CREATE INDEX IF NOT EXISTS etl_runs_tenant ON etl_runs (tenant);
-- The runs running now (every console page and the partition matrix ask): without it the
-- question reads every run's record (110 ms at 100,000 runs; 0.03 ms with it).
CREATE INDEX IF NOT EXISTS etl_runs_running ON etl_runs (tenant, run_id) WHERE record->>'status' = 'running';
CREATE TABLE IF NOT EXISTS etl_materializations (
  run_id text NOT NULL,
  tenant text NOT NULL,
  asset_key text NOT NULL,
  partition_key text NOT NULL,
  status text NOT NULL,
  finished_at timestamptz NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (run_id, asset_key, partition_key)
);
CREATE INDEX IF NOT EXISTS etl_materializations_tenant ON etl_materializations (tenant, asset_key, partition_key);
CREATE TABLE IF NOT EXISTS etl_checks (
  run_id text NOT NULL,
  tenant text NOT NULL,
  asset_key text NOT NULL,
  partition_key text NOT NULL,
  check_name text NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (run_id, asset_key, partition_key, check_name)
);
-- Read queries of the console (queries.ts): the latest record per (asset, partition) from the
-- index alone, an asset's check history, and each run's log lines.
CREATE INDEX IF NOT EXISTS etl_materializations_latest
  ON etl_materializations (tenant, asset_key, partition_key, finished_at DESC) INCLUDE (status, run_id);
CREATE INDEX IF NOT EXISTS etl_checks_tenant_asset ON etl_checks (tenant, asset_key);
CREATE TABLE IF NOT EXISTS etl_run_logs (
  tenant text NOT NULL,
  run_id text NOT NULL,
  seq integer NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (tenant, run_id, seq)
);
CREATE TABLE IF NOT EXISTS etl_locks (
  lock_name text PRIMARY KEY,
  run_id text NOT NULL,
  pid integer NOT NULL,
  host text NOT NULL,
  heartbeat_at timestamptz NOT NULL
);
${QUEUE_DDL}`;

export class PostgresLedger implements Ledger {
  readonly description: string;
  /** The worker queue of `backfill --workers` (queue.ts). */
  readonly backfills: BackfillQueue;
  private ready: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    where: string,
  ) {
    this.description = `PostgreSQL ledger ${where}`;
    this.backfills = new BackfillQueue(pool, () => this.init());
  }

  static fromUrl(url: string): PostgresLedger {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const u = new URL(url);
    return new PostgresLedger(pool, `${u.hostname}:${u.port || "5432"}${u.pathname}`);
  }

  private init(): Promise<void> {
    if (this.ready === null) {
      this.ready = runLedgerDdl(this.pool, DDL).catch((e: unknown) => {
        this.ready = null;
        throw new Error(`cannot create ledger tables (${this.description})`, { cause: e });
      });
    }
    return this.ready;
  }

  async putRun(run: RunRecord): Promise<void> {
    await this.init();
    await this.pool.query(
      `INSERT INTO etl_runs (run_id, tenant, record, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (tenant, run_id) DO UPDATE SET record = EXCLUDED.record, updated_at = now()`,
      [run.runId, run.tenant, JSON.stringify(RunRecordSchema.parse(run))],
    );
  }

  async putMaterialization(m: MaterializationRecord): Promise<void> {
    await this.init();
    await this.pool.query(
      `INSERT INTO etl_materializations (run_id, tenant, asset_key, partition_key, status, finished_at, record)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (run_id, asset_key, partition_key) DO UPDATE
       SET status = EXCLUDED.status, finished_at = EXCLUDED.finished_at, record = EXCLUDED.record`,
      [
        m.runId,
        m.tenant,
        m.assetKey,
        m.partition ?? "",
        m.status,
        m.finishedAt,
        JSON.stringify(MaterializationRecordSchema.parse(m)),
      ],
    );
  }

  async putCheck(c: CheckRecord): Promise<void> {
    await this.init();
    await this.pool.query(
      `INSERT INTO etl_checks (run_id, tenant, asset_key, partition_key, check_name, record)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (run_id, asset_key, partition_key, check_name) DO UPDATE SET record = EXCLUDED.record`,
      [
        c.runId,
        c.tenant,
        c.assetKey,
        c.partition ?? "",
        c.checkName,
        JSON.stringify(CheckRecordSchema.parse(c)),
      ],
    );
  }

  async runs(tenant: string): Promise<RunRecord[]> {
    await this.init();
    const r = await this.pool.query<{ record: unknown }>(
      "SELECT record FROM etl_runs WHERE tenant = $1 ORDER BY run_id",
      [tenant],
    );
    return r.rows.map((row) => RunRecordSchema.parse(row.record));
  }

  async materializations(tenant: string): Promise<MaterializationRecord[]> {
    await this.init();
    const r = await this.pool.query<{ record: unknown }>(
      "SELECT record FROM etl_materializations WHERE tenant = $1 ORDER BY finished_at, run_id, asset_key",
      [tenant],
    );
    return r.rows.map((row) => MaterializationRecordSchema.parse(row.record));
  }

  async checks(tenant: string): Promise<CheckRecord[]> {
    await this.init();
    const r = await this.pool.query<{ record: unknown }>(
      "SELECT record FROM etl_checks WHERE tenant = $1 ORDER BY run_id, asset_key, check_name",
      [tenant],
    );
    return r.rows.map((row) => CheckRecordSchema.parse(row.record));
  }

  async tryLock(key: LockKey, owner: LockOwner, logger: Logger = rootLogger): Promise<LockResult> {
    await this.init();
    const name = lockName(key);
    // Its own connection, outside the pool: a held lock keeps its connection for the whole run,
    // and runs at once (backfill --concurrency, --workers) would otherwise take every pooled
    // connection and leave none for their own records and heartbeats.
    const client = new pg.Client(this.pool.options);
    await client.connect();
    let keep = false;
    try {
      const got = await client.query<{ ok: boolean }>(
        "SELECT pg_try_advisory_lock(hashtext('etl_run_lock'), hashtext($1)) AS ok",
        [name],
      );
      if (got.rows[0]?.ok !== true) {
        const h = await client.query<{ run_id: string; pid: number; host: string; hb: Date }>(
          "SELECT run_id, pid, host, heartbeat_at AS hb FROM etl_locks WHERE lock_name = $1",
          [name],
        );
        const row = h.rows[0];
        return {
          ok: false,
          holder: {
            runId: row?.run_id ?? "?",
            pid: row?.pid ?? 0,
            host: row?.host ?? "?",
            heartbeatAt: (row?.hb ?? new Date(0)).toISOString(),
          },
        };
      }
      await client.query(
        `INSERT INTO etl_locks (lock_name, run_id, pid, host, heartbeat_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (lock_name) DO UPDATE SET run_id = $2, pid = $3, host = $4, heartbeat_at = now()`,
        [name, owner.runId, owner.pid, owner.host],
      );
      keep = true;
      const lost = new AbortController();
      // The advisory lock lives as long as this connection: if the connection breaks, the
      // server has released the lock and someone else may take it, so the run must stop.
      const onConnError = (e: Error) => {
        logger.error("run lock connection failed", {
          lock: name,
          runId: owner.runId,
          error: e.message,
        });
        lost.abort(new Error(`run lock ${name}: its PostgreSQL connection failed`, { cause: e }));
      };
      client.on("error", onConnError);
      const timer = setInterval(() => {
        if (lost.signal.aborted) return;
        client
          .query("UPDATE etl_locks SET heartbeat_at = now() WHERE lock_name = $1 AND run_id = $2", [
            name,
            owner.runId,
          ])
          .catch((e: unknown) => {
            // A failing query on the lock's own connection means the session (and with it the
            // advisory lock) can no longer be trusted.
            logger.error("run lock heartbeat failed", {
              lock: name,
              runId: owner.runId,
              error: e instanceof Error ? e.message : String(e),
            });
            lost.abort(new Error(`run lock ${name}: heartbeat failed`, { cause: e }));
          });
      }, 10_000);
      timer.unref();
      return {
        ok: true,
        lost: lost.signal,
        release: async () => {
          clearInterval(timer);
          if (lost.signal.aborted) {
            // The session is gone or broken: the server already dropped the advisory lock, and
            // the etl_locks row only names a holder (it is overwritten by the next one).
            client.off("error", onConnError);
            await client.end().catch((e: unknown) => {
              logger.warn("closing a broken run lock connection failed", {
                lock: name,
                error: e instanceof Error ? e.message : String(e),
              });
            });
            return;
          }
          try {
            await client.query("DELETE FROM etl_locks WHERE lock_name = $1 AND run_id = $2", [
              name,
              owner.runId,
            ]);
            await client.query(
              "SELECT pg_advisory_unlock(hashtext('etl_run_lock'), hashtext($1))",
              [name],
            );
          } finally {
            client.off("error", onConnError);
            await client.end();
          }
        },
      };
    } finally {
      if (!keep) {
        await client.end();
      }
    }
  }

  async latestStates(tenant: string, query: PartitionQuery): Promise<LatestStatus[]> {
    await this.init();
    // One row per asset: its daily partitions as "YYYY-MM-DD" + a status letter, concatenated in
    // the database, and the status of its unpartitioned record. At 100,000 partitions one string
    // costs Node a split, where 100,000 rows cost it more than the query does. The string is in
    // no particular order (LedgerQueries.latestStates promises none): an ordered string_agg
    // sorts every asset's partitions again and, at 100,000 of them, spills that sort to disk
    // (median 188 ms against 99 ms server time here, EXPLAIN ANALYZE, docs/performance.md).
    const r = await this.pool.query<[string, string | null, string | null]>({
      rowMode: "array",
      text: `SELECT asset_key,
                    string_agg(partition_key || CASE status WHEN 'succeeded' THEN 's' WHEN 'failed' THEN 'f' WHEN 'skipped' THEN 'k' ELSE '?' END, '') FILTER (WHERE partition_key <> ''),
                    max(status) FILTER (WHERE partition_key = '')
               FROM (SELECT DISTINCT ON (asset_key, partition_key) asset_key, partition_key, status
                       FROM etl_materializations
                      WHERE tenant = $1
                        AND ($2::text[] IS NULL OR asset_key = ANY($2::text[]))
                        AND (partition_key = '' OR (($3::text IS NULL OR partition_key >= $3) AND ($4::text IS NULL OR partition_key <= $4)))
                      ORDER BY asset_key, partition_key, finished_at DESC) AS latest
              GROUP BY asset_key`,
      values: [
        tenant,
        query.assetKeys === null ? null : [...query.assetKeys],
        query.from,
        query.to,
      ],
    });
    const letters: Record<string, LatestStatus["status"]> = {
      s: "succeeded",
      f: "failed",
      k: "skipped",
    };
    const out: LatestStatus[] = [];
    for (const [assetKey, daily, unpartitioned] of r.rows) {
      const text = daily ?? "";
      for (let i = 0; i + 11 <= text.length; i += 11) {
        const status = letters[text.charAt(i + 10)];
        if (status === undefined) {
          throw new Error(
            `${this.description}: etl_materializations holds a status other than succeeded, failed or skipped for ${assetKey} ${text.slice(i, i + 10)}`,
          );
        }
        out.push({ assetKey, partition: text.slice(i, i + 10), status });
      }
      if (unpartitioned !== null) {
        const status = MaterializationStatusSchema.safeParse(unpartitioned);
        if (!status.success) {
          throw new Error(
            `${this.description}: etl_materializations holds status "${unpartitioned}" for ${assetKey}`,
          );
        }
        out.push({ assetKey, partition: null, status: status.data });
      }
    }
    return out;
  }

  async assetMaterializations(
    tenant: string,
    assetKey: string,
    limit: number,
  ): Promise<MaterializationRecord[]> {
    await this.init();
    const r = await this.pool.query<{ record: unknown }>(
      `SELECT record FROM etl_materializations WHERE tenant = $1 AND asset_key = $2
        ORDER BY finished_at DESC, run_id DESC LIMIT $3`,
      [tenant, assetKey, limit],
    );
    return r.rows.map((row) => MaterializationRecordSchema.parse(row.record));
  }

  async assetChecks(tenant: string, assetKey: string, limit: number): Promise<CheckRecord[]> {
    await this.init();
    const r = await this.pool.query<{ record: unknown }>(
      `SELECT record FROM etl_checks WHERE tenant = $1 AND asset_key = $2
        ORDER BY record->>'checkedAt' DESC, run_id DESC, check_name LIMIT $3`,
      [tenant, assetKey, limit],
    );
    return r.rows.map((row) => CheckRecordSchema.parse(row.record));
  }

  async assetSummaries(
    tenant: string,
    range: { from: string; to: string },
  ): Promise<AssetStateSummary[]> {
    await this.init();
    const iso = (col: string) =>
      `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    // Summed in the database: the overview needs a row per asset, not a row per partition.
    const r = await this.pool.query<
      [
        string,
        string,
        string,
        string,
        string,
        string | null,
        string | null,
        string,
        string,
        string,
        string | null,
      ]
    >({
      rowMode: "array",
      text: `WITH latest AS (
               SELECT DISTINCT ON (asset_key, partition_key) asset_key, partition_key, status, finished_at, run_id
                 FROM etl_materializations WHERE tenant = $1
                ORDER BY asset_key, partition_key, finished_at DESC)
             SELECT asset_key,
                    (array_agg(partition_key ORDER BY finished_at DESC))[1],
                    (array_agg(status ORDER BY finished_at DESC))[1],
                    ${iso("max(finished_at)")},
                    (array_agg(run_id ORDER BY finished_at DESC))[1],
                    ${iso("max(finished_at) FILTER (WHERE status = 'succeeded')")},
                    max(partition_key) FILTER (WHERE status = 'succeeded' AND partition_key <> ''),
                    count(*) FILTER (WHERE partition_key BETWEEN $2 AND $3 AND partition_key <> '' AND status = 'succeeded')::text,
                    count(*) FILTER (WHERE partition_key BETWEEN $2 AND $3 AND partition_key <> '' AND status = 'failed')::text,
                    count(*) FILTER (WHERE partition_key BETWEEN $2 AND $3 AND partition_key <> '' AND status = 'skipped')::text,
                    max(status) FILTER (WHERE partition_key = $3)
               FROM latest GROUP BY asset_key`,
      values: [tenant, range.from, range.to],
    });
    const status = (value: string, where: string) => {
      const parsed = MaterializationStatusSchema.safeParse(value);
      if (!parsed.success) {
        throw new Error(
          `${this.description}: etl_materializations holds status "${value}" for ${where}`,
        );
      }
      return parsed.data;
    };
    return r.rows.map(
      ([
        assetKey,
        partition,
        latestStatus,
        finishedAt,
        runId,
        lastSuccessAt,
        newestSucceeded,
        ok,
        failed,
        skipped,
        atEnd,
      ]) => ({
        assetKey,
        latest: {
          assetKey,
          partition: partition === "" ? null : partition,
          status: status(latestStatus, assetKey),
          finishedAt,
          runId,
        },
        lastSuccessAt,
        newestSucceeded,
        counts: { succeeded: Number(ok), failed: Number(failed), skipped: Number(skipped) },
        atEnd: atEnd === null ? null : status(atEnd, `${assetKey} ${range.to}`),
      }),
    );
  }

  async latestChecks(tenant: string): Promise<CheckRecord[]> {
    await this.init();
    const r = await this.pool.query<{ record: unknown }>(
      `SELECT DISTINCT ON (asset_key, check_name) record FROM etl_checks WHERE tenant = $1
        ORDER BY asset_key, check_name, record->>'checkedAt' DESC`,
      [tenant],
    );
    return r.rows.map((row) => CheckRecordSchema.parse(row.record));
  }

  async findRuns(tenant: string, query: RunQuery): Promise<RunRecord[]> {
    await this.init();
    const r = await this.pool.query<{ record: unknown }>(
      `SELECT record FROM etl_runs
        WHERE tenant = $1
          AND ($2::text IS NULL OR record->>'job' = $2)
          AND ($3::text IS NULL OR record->>'status' = $3)
          AND ($4::text IS NULL OR record->>'partition' = $4)
          AND ($5::text IS NULL OR record->>'trigger' = $5)
          AND ($6::text IS NULL OR run_id < $6)
        ORDER BY run_id DESC LIMIT $7`,
      [
        tenant,
        query.job ?? null,
        query.status ?? null,
        query.partition ?? null,
        query.trigger ?? null,
        query.before ?? null,
        query.limit,
      ],
    );
    return r.rows.map((row) => RunRecordSchema.parse(row.record));
  }

  async getRun(tenant: string, runId: string): Promise<RunDetail | null> {
    await this.init();
    const run = await this.pool.query<{ record: unknown }>(
      "SELECT record FROM etl_runs WHERE tenant = $1 AND run_id = $2",
      [tenant, runId],
    );
    const row = run.rows[0];
    if (row === undefined) return null;
    const mats = await this.pool.query<{ record: unknown }>(
      `SELECT record FROM etl_materializations WHERE run_id = $1 AND tenant = $2
        ORDER BY record->>'startedAt', asset_key`,
      [runId, tenant],
    );
    const checks = await this.pool.query<{ record: unknown }>(
      `SELECT record FROM etl_checks WHERE run_id = $1 AND tenant = $2
        ORDER BY record->>'checkedAt', asset_key, check_name`,
      [runId, tenant],
    );
    return {
      run: RunRecordSchema.parse(row.record),
      materializations: mats.rows.map((m) => MaterializationRecordSchema.parse(m.record)),
      checks: checks.rows.map((c) => CheckRecordSchema.parse(c.record)),
    };
  }

  async appendLogs(tenant: string, runId: string, lines: readonly RunLogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.init();
    await this.pool.query(
      `INSERT INTO etl_run_logs (tenant, run_id, seq, record)
       SELECT $1, $2, t.seq, t.record FROM unnest($3::integer[], $4::jsonb[]) AS t(seq, record)
       ON CONFLICT (tenant, run_id, seq) DO NOTHING`,
      [
        tenant,
        runId,
        lines.map((l) => l.seq),
        lines.map((l) => JSON.stringify(RunLogLineSchema.parse(l))),
      ],
    );
  }

  async runLogs(
    tenant: string,
    runId: string,
    afterSeq: number,
    limit: number,
  ): Promise<RunLogLine[]> {
    await this.init();
    const r = await this.pool.query<{ record: unknown }>(
      `SELECT record FROM etl_run_logs WHERE tenant = $1 AND run_id = $2 AND seq > $3
        ORDER BY seq LIMIT $4`,
      [tenant, runId, afterSeq, limit],
    );
    return r.rows.map((row) => RunLogLineSchema.parse(row.record));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
