/**
 * The bench's source tables: lot_history-shaped, deterministic (generate_series only), with NULLs
 * in the nullable columns, created once per row count in the `bench` database, and the truth the
 * outputs are verified against.
 */
import { execFileSync } from "node:child_process";
import pg from "pg";
import type { BenchContext, PgSettings } from "./context.js";
import { round } from "./context.js";

/** The database the bench's source tables live in. */
export const DATABASE = "bench";
/** Scale of the `amount numeric(18,4)` column the outputs are summed over. */
export const SCALE = 4;

const COLUMNS = [
  "id bigint PRIMARY KEY",
  "lot_id text NOT NULL",
  "product_code text",
  "amount numeric(18,4) NOT NULL",
  "is_rework boolean",
  "updated_at timestamptz",
  "created_at timestamp NOT NULL",
  "work_date date",
  "attributes jsonb",
];
const COLUMN_NAMES = COLUMNS.map((c) => c.split(" ")[0] ?? "");

/** `oneDay` puts every created_at inside 2024-01-01 (one load partition). */
function fillSql(table: string, rows: number, oneDay: boolean): string {
  const created = oneDay
    ? `timestamp '2024-01-01' + (i * (86399.0 / ${rows})) * interval '1 second'`
    : "timestamp '2024-01-01' + i * interval '1 second'";
  return `INSERT INTO ${table} SELECT i, 'LOT-' || lpad(i::text, 10, '0'),
    CASE WHEN i % 50 = 0 THEN NULL ELSE 'PROD-' || (i % 97) END,
    round(((i * 7919) % 100000000)::numeric / 10000 * CASE WHEN i % 11 = 0 THEN -1 ELSE 1 END, 4),
    CASE WHEN i % 13 = 0 THEN NULL ELSE i % 7 = 0 END,
    CASE WHEN i % 17 = 0 THEN NULL ELSE timestamptz '2024-01-01 00:00:00+00' + i * interval '997 milliseconds' END,
    ${created},
    CASE WHEN i % 19 = 0 THEN NULL ELSE date '2024-01-01' + (i % 365)::int END,
    jsonb_build_object('site', 'FAB' || (i % 3), 'seq', i, 'ok', i % 5 <> 0, 'tags', jsonb_build_array('a', i % 4))
    FROM generate_series(1::bigint, ${rows}::bigint) AS i`;
}

/** What PostgreSQL says the table holds: every output is checked against it. */
export interface Truth {
  rows: number;
  sum: string;
  copyBytes: number;
}

/** Creates `table` with `rows` rows unless it already holds exactly that many; returns its truth. */
export async function ensureTable(
  ctx: BenchContext,
  table: string,
  rows: number,
  oneDay: boolean,
): Promise<Truth> {
  const admin = new pg.Client({ ...ctx.pg, database: "postgres" });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  const c = new pg.Client({ ...ctx.pg, database: DATABASE });
  await c.connect();
  try {
    const t = await c.query("SELECT 1 FROM pg_class WHERE relname = $1 AND relkind = 'r'", [table]);
    const count =
      t.rowCount === 0
        ? -1
        : Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
    if (count !== rows) {
      ctx.log(`creating ${DATABASE}.public.${table} (${rows} rows)`);
      const started = performance.now();
      await c.query(`DROP TABLE IF EXISTS ${table}`);
      await c.query(`CREATE TABLE ${table} (${COLUMNS.join(", ")})`);
      await c.query(fillSql(table, rows, oneDay)).catch((error: unknown) => {
        throw new Error(`filling ${DATABASE}.public.${table}: ${(error as Error).message}`, {
          cause: error,
        });
      });
      await c.query(`VACUUM ANALYZE ${table}`);
      ctx.log(`  created in ${round((performance.now() - started) / 1000, 1)} s`);
    }
    const r = await c.query<{ n: string; s: string }>(
      `SELECT count(*)::text AS n, sum(amount)::text AS s FROM ${table}`,
    );
    const row = r.rows[0];
    if (row === undefined) throw new Error(`no aggregate row from ${table}`);
    const copyBytes = Number(
      execFileSync("bash", ["-c", `${floorCommand(ctx.pg, table)} | wc -c`], {
        env: ctx.env,
        encoding: "utf8",
      }).trim(),
    );
    return { rows: Number(row.n), sum: row.s, copyBytes };
  } finally {
    await c.end();
  }
}

/** The floor: psql's binary COPY of the same columns (the caller redirects it). */
export function floorCommand(settings: PgSettings, table: string): string {
  const select = `SELECT ${COLUMN_NAMES.join(", ")} FROM public.${table}`;
  return `psql -X -q -h ${settings.host} -p ${settings.port} -U ${settings.user} -d ${DATABASE} -c "COPY (${select}) TO STDOUT (FORMAT binary)"`;
}
