/**
 * The shared ledger in PostgreSQL (ETL_LEDGER_URL), for production where runs happen in pods that
 * come and go. Tables are created if missing. The run lock is a session-level advisory lock held on a
 * dedicated connection: if the process dies, PostgreSQL drops the connection and the lock with it, so
 * no stale lock can outlive its holder; the etl_locks row only tells others who holds it.
 */
import pg from "pg";
import { type Logger, rootLogger } from "../logger.js";
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
CREATE TABLE IF NOT EXISTS etl_locks (
  lock_name text PRIMARY KEY,
  run_id text NOT NULL,
  pid integer NOT NULL,
  host text NOT NULL,
  heartbeat_at timestamptz NOT NULL
);
`;

export class PostgresLedger implements Ledger {
  readonly description: string;
  private ready: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    where: string,
  ) {
    this.description = `PostgreSQL ledger ${where}`;
  }

  static fromUrl(url: string): PostgresLedger {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const u = new URL(url);
    return new PostgresLedger(pool, `${u.hostname}:${u.port || "5432"}${u.pathname}`);
  }

  private init(): Promise<void> {
    if (this.ready === null) {
      this.ready = (async () => {
        const c = await this.pool.connect();
        try {
          // Serialise DDL of concurrent first runs: CREATE IF NOT EXISTS alone can race on catalogs.
          await c.query("SELECT pg_advisory_lock(hashtext('etl_ledger_ddl'))");
          await c.query(DDL);
          await c.query("SELECT pg_advisory_unlock(hashtext('etl_ledger_ddl'))");
        } finally {
          c.release();
        }
      })().catch((e: unknown) => {
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
    const client = await this.pool.connect();
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
            client.release(true);
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
            client.release();
          }
        },
      };
    } finally {
      if (!keep) {
        client.release();
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
