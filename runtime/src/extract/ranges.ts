/**
 * Parallel extraction: how one extract's rows are cut into disjoint ranges that N connections copy
 * at once from one exported snapshot. A range is a predicate on a split column (the pipeline's
 * `splitColumn`, else the table's single-column integer primary key) or on the physical row
 * address `ctid` (page ranges of a table without one). The first range is unbounded below (and
 * takes the split column's NULLs), the last unbounded above, and neighbours share a bound that one
 * includes and the other excludes: every row of the snapshot is in exactly one range whatever the
 * bounds, which only balance the ranges (docs/decisions/parallel-extract.md).
 */
import type pg from "pg";
import { qualifiedName } from "../pg/sql.js";
import type { PipelinePlan } from "../plan.js";
import { isSplitType } from "../types/pg.js";
import type { ExtractColumn } from "./columns.js";
import { fromItem, type Source } from "./query.js";

/** What the ranges are cut on. */
export type SplitKey =
  | { kind: "column"; column: ExtractColumn; from: "split_column" | "primary key" }
  | { kind: "ctid" };

/** The ranges of one extract: one predicate each (null: the whole result, a single range). */
export interface Ranges {
  split: SplitKey;
  predicates: (string | null)[];
}

/** How the split is described in logs and messages. */
export function describeSplit(split: SplitKey): string {
  return split.kind === "ctid"
    ? "ctid page ranges"
    : `${split.from} ${split.column.source.name} (${split.column.source.pgType})`;
}

/**
 * The split key of a parallel extract: `splitColumn` when set (an integer column of the result),
 * else the table's single-column integer primary key, else ctid for tables (not for custom queries,
 * whose rows have no physical address).
 */
export async function chooseSplit(
  client: pg.Client,
  plan: PipelinePlan,
  source: Source,
  columns: readonly ExtractColumn[],
): Promise<SplitKey> {
  const named = plan.extract.splitColumn;
  const where = `pipeline ${plan.name} (extract.parallelism ${plan.extract.parallelism ?? 1})`;
  if (named !== undefined) {
    const column = columns.find((c) => c.source.name === named);
    if (column === undefined) {
      throw new Error(
        `${where}: extract.split_column "${named}" is not a column of the source (columns: ${columns.map((c) => c.source.name).join(", ")}); name one of them`,
      );
    }
    if (!isSplitType(column.logical)) {
      throw new Error(
        `${where}: extract.split_column "${named}" is ${column.source.pgType}; a split column must be smallint, integer or bigint (or leave it out to split on the integer primary key or on ctid)`,
      );
    }
    return { kind: "column", column, from: "split_column" };
  }
  if (source.query !== null) {
    throw new Error(
      `${where}: a custom query has neither a primary key nor ctid to split on; set extract.split_column to one of its integer columns`,
    );
  }
  const relation = qualifiedName(source.schema, source.table ?? "");
  const pk = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE i.indrelid = pg_catalog.to_regclass($1) AND i.indisprimary AND i.indnatts = 1
        AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)`,
    [relation],
  );
  const pkName = pk.rows[0]?.name;
  const column = columns.find((c) => c.source.name === pkName);
  if (column !== undefined) {
    return { kind: "column", column, from: "primary key" };
  }
  return { kind: "ctid" };
}

/** Cuts the extract into at most `parallelism` ranges, balanced on the snapshot's own bounds. */
export async function planRanges(
  client: pg.Client,
  inputs: { source: Source; split: SplitKey; predicates: readonly string[]; parallelism: number },
): Promise<Ranges> {
  const { split, parallelism } = inputs;
  if (split.kind === "ctid") {
    const pages = await relationPages(client, inputs.source);
    const cuts = cutPoints(0n, pages, parallelism);
    return { split, predicates: rangePredicates("q.ctid", cuts, (c) => `'(${c},0)'::tid`, false) };
  }
  const ref = `q.${split.column.ref}`;
  const where =
    inputs.predicates.length === 0
      ? ""
      : ` WHERE ${inputs.predicates.map((p) => `(${p})`).join(" AND ")}`;
  const bounds = await client.query<{ lo: string | null; hi: string | null }>(
    `SELECT min(${ref})::text AS lo, max(${ref})::text AS hi FROM ${fromItem(inputs.source)}${where}`,
  );
  const lo = bounds.rows[0]?.lo ?? null;
  const hi = bounds.rows[0]?.hi ?? null;
  const cuts =
    lo === null || hi === null ? [] : cutPoints(BigInt(lo), BigInt(hi) + 1n, parallelism);
  return { split, predicates: rangePredicates(ref, cuts, (c) => c.toString(), true) };
}

/**
 * Interior cut points splitting [lo, hi) into `parts` near-equal spans; duplicates dropped (fewer
 * values than parts gives fewer ranges).
 */
export function cutPoints(lo: bigint, hi: bigint, parts: number): bigint[] {
  const cuts: bigint[] = [];
  const span = hi - lo;
  for (let i = 1; i < parts; i++) {
    const cut = lo + (span * BigInt(i)) / BigInt(parts);
    if (cut > lo && cut < hi && cut !== cuts[cuts.length - 1]) {
      cuts.push(cut);
    }
  }
  return cuts;
}

/**
 * One predicate per range from the interior cuts: `< c1` (with NULLs when the key is nullable),
 * `>= c1 AND < c2`, ..., `>= cn`; a single null predicate without cuts.
 */
export function rangePredicates(
  ref: string,
  cuts: readonly bigint[],
  literal: (cut: bigint) => string,
  withNulls: boolean,
): (string | null)[] {
  if (cuts.length === 0) {
    return [null];
  }
  const out: string[] = [];
  for (let i = 0; i <= cuts.length; i++) {
    const lower = i === 0 ? null : `${ref} >= ${literal(cuts[i - 1] ?? 0n)}`;
    const upper = i === cuts.length ? null : `${ref} < ${literal(cuts[i] ?? 0n)}`;
    if (lower === null) {
      out.push(withNulls ? `${upper} OR ${ref} IS NULL` : `${upper}`);
    } else {
      out.push(upper === null ? lower : `${lower} AND ${upper}`);
    }
  }
  return out;
}

/**
 * Pages of the table (of its largest leaf partition for a partitioned table, whose ctid ranges
 * apply to every partition alike). Views and foreign tables have no ctid: refused.
 */
async function relationPages(client: pg.Client, source: Source): Promise<bigint> {
  const relation = qualifiedName(source.schema, source.table ?? "");
  const r = await client.query<{ kind: string; pages: string }>(
    `SELECT c.relkind::text AS kind,
            (greatest(pg_catalog.pg_relation_size(c.oid),
                      coalesce((SELECT max(pg_catalog.pg_relation_size(t.relid))
                                  FROM pg_catalog.pg_partition_tree(c.oid) t WHERE t.isleaf), 0))
             / pg_catalog.current_setting('block_size')::bigint)::text AS pages
       FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)`,
    [relation],
  );
  const row = r.rows[0];
  if (row === undefined || !["r", "p", "m"].includes(row.kind)) {
    throw new Error(
      `${relation} is not a table (relkind ${row?.kind ?? "unknown"}): it has no ctid to split a parallel extract on; set extract.split_column to one of its integer columns`,
    );
  }
  return BigInt(row.pages);
}
