/**
 * The backfill queue of the PostgreSQL ledger: `backfill --workers` turns a range into one row per
 * partition, and worker processes on any machine (`worker <backfill-id>`) claim them. A claim is a
 * lease: `FOR UPDATE SKIP LOCKED` lets many workers claim at once without waiting on each other,
 * the holder renews the lease while its run goes on, and a partition whose lease ran out (its
 * worker died or lost the database) is claimable again. Finishing needs the lease: a worker that
 * lost it cannot overwrite the outcome of the one that took the partition over.
 *
 * The queue decides who works on a partition; the run lock (one run per job and partition, shared
 * with `run`, schedules and the console) still decides who writes it, and the ledger's runs and
 * materialisations still record every partition as any run does.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { z } from "zod";

export const BackfillPartitionStatusSchema = z.enum(["pending", "claimed", "succeeded", "failed"]);
export type BackfillPartitionStatus = z.infer<typeof BackfillPartitionStatusSchema>;

/** A backfill as `backfill --workers` created it. */
export const BackfillSpecSchema = z.strictObject({
  backfillId: z.string(),
  tenant: z.string(),
  environment: z.string(),
  job: z.string(),
  from: z.string(),
  to: z.string(),
  force: z.boolean(),
  createdAt: z.string(),
});
export type BackfillSpec = z.infer<typeof BackfillSpecSchema>;

/** A backfill and how far its partitions have come. */
export const BackfillProgressSchema = BackfillSpecSchema.extend({
  total: z.number().int(),
  pending: z.number().int(),
  claimed: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  /** Partitions whose run failed, sorted. */
  failedPartitions: z.array(z.string()),
  /** Workers holding a claim right now. */
  workers: z.array(z.string()),
});
export type BackfillProgress = z.infer<typeof BackfillProgressSchema>;

/** A partition a worker holds the lease of; `attempt` counts claims, so 2+ is a takeover. */
export interface BackfillClaim {
  partition: string;
  attempt: number;
}

export const QUEUE_DDL = `
CREATE TABLE IF NOT EXISTS etl_backfills (
  backfill_id text PRIMARY KEY,
  tenant text NOT NULL,
  record jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS etl_backfills_tenant ON etl_backfills (tenant, created_at DESC);
CREATE TABLE IF NOT EXISTS etl_backfill_partitions (
  backfill_id text NOT NULL REFERENCES etl_backfills (backfill_id) ON DELETE CASCADE,
  partition_key text NOT NULL,
  status text NOT NULL,
  worker text,
  lease_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  run_id text,
  error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (backfill_id, partition_key)
);
`;

/** A new backfill id: sortable by creation, unique across machines. */
export function newBackfillId(now: Date = new Date()): string {
  return `bf-${now.toISOString().replace(/[-:.]/g, "").slice(0, 15)}Z-${randomUUID().slice(0, 8)}`;
}

const CountsRow = z.object({ status: BackfillPartitionStatusSchema, n: z.coerce.number() });

/** The queue over the ledger's pool; `ready` creates the ledger's tables first. */
export class BackfillQueue {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ready: () => Promise<void>,
  ) {}

  /** Records the backfill and queues its partitions (all pending), in one transaction. */
  async create(spec: BackfillSpec, partitions: readonly string[]): Promise<void> {
    await this.ready();
    const client = await this.pool.connect();
    let failure: unknown = null;
    try {
      await client.query("BEGIN");
      await client.query(
        "INSERT INTO etl_backfills (backfill_id, tenant, record, created_at) VALUES ($1, $2, $3, $4)",
        [
          spec.backfillId,
          spec.tenant,
          JSON.stringify(BackfillSpecSchema.parse(spec)),
          spec.createdAt,
        ],
      );
      await client.query(
        `INSERT INTO etl_backfill_partitions (backfill_id, partition_key, status)
         SELECT $1, p, 'pending' FROM unnest($2::text[]) AS p`,
        [spec.backfillId, [...partitions]],
      );
      await client.query("COMMIT");
    } catch (error) {
      failure = error;
    } finally {
      // A failed transaction's connection is closed, not reused: the server rolls it back.
      client.release(failure === null ? undefined : true);
    }
    if (failure !== null) {
      throw new Error(`cannot queue backfill ${spec.backfillId}`, { cause: failure });
    }
  }

  /** The backfill's spec, or null when no backfill has this id. */
  async spec(backfillId: string): Promise<BackfillSpec | null> {
    await this.ready();
    const r = await this.pool.query<{ record: unknown }>(
      "SELECT record FROM etl_backfills WHERE backfill_id = $1",
      [backfillId],
    );
    const row = r.rows[0];
    return row === undefined ? null : BackfillSpecSchema.parse(row.record);
  }

  /**
   * Claims the earliest partition nobody holds (pending, or claimed under a lease that ran out)
   * for `leaseMs`; null when there is none right now.
   */
  async claim(backfillId: string, worker: string, leaseMs: number): Promise<BackfillClaim | null> {
    await this.ready();
    const r = await this.pool.query<{ partition_key: string; attempts: number }>(
      `UPDATE etl_backfill_partitions AS q
          SET status = 'claimed', worker = $2, attempts = q.attempts + 1,
              lease_until = now() + $3 * interval '1 millisecond', updated_at = now()
        WHERE (q.backfill_id, q.partition_key) = (
          SELECT backfill_id, partition_key FROM etl_backfill_partitions
           WHERE backfill_id = $1
             AND (status = 'pending' OR (status = 'claimed' AND lease_until < now()))
           ORDER BY partition_key
           LIMIT 1
           FOR UPDATE SKIP LOCKED)
        RETURNING q.partition_key, q.attempts`,
      [backfillId, worker, leaseMs],
    );
    const row = r.rows[0];
    return row === undefined ? null : { partition: row.partition_key, attempt: row.attempts };
  }

  /** Extends the lease; false when `worker` no longer holds it (taken over, or finished). */
  async renew(
    backfillId: string,
    partition: string,
    worker: string,
    leaseMs: number,
  ): Promise<boolean> {
    await this.ready();
    const r = await this.pool.query(
      `UPDATE etl_backfill_partitions
          SET lease_until = now() + $4 * interval '1 millisecond', updated_at = now()
        WHERE backfill_id = $1 AND partition_key = $2 AND worker = $3 AND status = 'claimed'`,
      [backfillId, partition, worker, leaseMs],
    );
    return r.rowCount === 1;
  }

  /**
   * Records the partition's outcome, or hands it back (`pending`, on shutdown); false when
   * `worker` no longer holds its claim, and then nothing is changed.
   */
  async finish(
    backfillId: string,
    partition: string,
    worker: string,
    outcome:
      | { status: "succeeded" | "failed"; runId: string | null; error: string | null }
      | { status: "pending" },
  ): Promise<boolean> {
    await this.ready();
    const r = await this.pool.query(
      `UPDATE etl_backfill_partitions
          SET status = $4, run_id = $5, error = $6, lease_until = NULL, updated_at = now(),
              worker = CASE WHEN $4 = 'pending' THEN NULL ELSE worker END
        WHERE backfill_id = $1 AND partition_key = $2 AND worker = $3 AND status = 'claimed'`,
      [
        backfillId,
        partition,
        worker,
        outcome.status,
        outcome.status === "pending" ? null : outcome.runId,
        outcome.status === "pending" ? null : outcome.error,
      ],
    );
    return r.rowCount === 1;
  }

  /** The backfill's progress, or null when no backfill has this id. */
  async progress(backfillId: string): Promise<BackfillProgress | null> {
    const spec = await this.spec(backfillId);
    return spec === null ? null : this.progressOf(spec);
  }

  /** The tenant's latest backfills, newest first, with their progress. */
  async list(tenant: string, limit: number): Promise<BackfillProgress[]> {
    await this.ready();
    const r = await this.pool.query<{ record: unknown }>(
      "SELECT record FROM etl_backfills WHERE tenant = $1 ORDER BY created_at DESC LIMIT $2",
      [tenant, limit],
    );
    return Promise.all(r.rows.map((row) => this.progressOf(BackfillSpecSchema.parse(row.record))));
  }

  private async progressOf(spec: BackfillSpec): Promise<BackfillProgress> {
    const counts = await this.pool.query(
      "SELECT status, count(*) AS n FROM etl_backfill_partitions WHERE backfill_id = $1 GROUP BY status",
      [spec.backfillId],
    );
    const by = new Map(counts.rows.map((row) => CountsRow.parse(row)).map((c) => [c.status, c.n]));
    const failed = await this.pool.query<{ partition_key: string }>(
      "SELECT partition_key FROM etl_backfill_partitions WHERE backfill_id = $1 AND status = 'failed' ORDER BY partition_key",
      [spec.backfillId],
    );
    const workers = await this.pool.query<{ worker: string }>(
      "SELECT DISTINCT worker FROM etl_backfill_partitions WHERE backfill_id = $1 AND status = 'claimed' AND lease_until >= now() ORDER BY worker",
      [spec.backfillId],
    );
    const count = (status: BackfillPartitionStatus) => by.get(status) ?? 0;
    return {
      ...spec,
      total: count("pending") + count("claimed") + count("succeeded") + count("failed"),
      pending: count("pending"),
      claimed: count("claimed"),
      succeeded: count("succeeded"),
      failed: count("failed"),
      failedPartitions: failed.rows.map((row) => row.partition_key),
      workers: workers.rows.map((row) => row.worker),
    };
  }
}
