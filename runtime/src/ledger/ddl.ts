/**
 * The PostgreSQL ledger's tables (runs, materialisations, checks, locks, queues, alerts) are
 * created by whichever process needs them first. CREATE ... IF NOT EXISTS alone races on the
 * catalogs when first runs start together, so every creator serialises on one advisory lock.
 */
import type pg from "pg";

/** Runs `ddl` on one connection of `pool` under the ledger's DDL lock. */
export async function runLedgerDdl(pool: pg.Pool, ddl: string): Promise<void> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    await c.query("SELECT pg_advisory_lock(hashtext('etl_ledger_ddl'))");
    try {
      await c.query(ddl);
    } finally {
      // A session-level lock outlives a failed statement: release it, or the pooled connection
      // would hold it and every other process's first run would wait on it forever.
      await c.query("SELECT pg_advisory_unlock(hashtext('etl_ledger_ddl'))").catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
    }
  } finally {
    // A connection whose unlock failed is destroyed rather than returned to the pool.
    c.release(broken);
  }
}
