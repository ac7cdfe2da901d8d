/**
 * Reads the live source schema of every pipeline of a tenant from PostgreSQL: the relation's columns
 * for `source_table`, the result columns of a zero-row execution for `query`.
 */
import type { SourceColumn } from "@etl/runtime/plan";
import type pg from "pg";
import type { Introspection, PipelineSnapshot } from "./config/introspection.js";
import type { PipelineConfig } from "./config/schema.js";

/** Type facts for (type oid, typmod) pairs, resolved through domains and arrays. */
const TYPE_SQL = `
SELECT i.ord::int AS ord,
       format_type(i.oid, i.typmod) AS pg_type,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS domain_base,
       CASE WHEN bt.typcategory = 'A' THEN format_type(bt.typelem, NULL) END AS array_element,
       (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
          FROM pg_enum e
         WHERE e.enumtypid = CASE WHEN bt.typcategory = 'A' THEN bt.typelem ELSE bt.oid END) AS enum_labels,
       t.typnotnull AS domain_not_null
  FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS i(oid, typmod, ord)
  JOIN pg_type t ON t.oid = i.oid
  JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
 ORDER BY i.ord`;

const TABLE_SQL = `
SELECT a.attname AS name, a.atttypid::int AS oid, a.atttypmod AS typmod, a.attnotnull AS not_null
  FROM pg_attribute a
 WHERE a.attrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2))
   AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;

interface RawColumn {
  name: string;
  oid: number;
  typmod: number;
  notNull: boolean;
}

async function describeTypes(
  client: pg.ClientBase,
  raw: readonly RawColumn[],
): Promise<SourceColumn[]> {
  const res = await client.query<{
    ord: number;
    pg_type: string;
    domain_base: string | null;
    array_element: string | null;
    enum_labels: string[] | null;
    domain_not_null: boolean;
  }>(TYPE_SQL, [raw.map((c) => c.oid), raw.map((c) => c.typmod)]);
  return raw.map((c, i) => {
    const t = res.rows[i];
    if (t === undefined) {
      throw new Error(
        `PostgreSQL returned no type information for column ${c.name} (oid ${c.oid})`,
      );
    }
    return {
      name: c.name,
      pgType: t.pg_type,
      domainBase: t.domain_base,
      arrayElement: t.array_element,
      enumLabels: t.enum_labels,
      nullable: !(c.notNull || t.domain_not_null),
    };
  });
}

/** Columns of one pipeline's source. */
export async function introspectPipeline(
  client: pg.ClientBase,
  schema: string,
  p: PipelineConfig,
): Promise<PipelineSnapshot> {
  if (p.query !== undefined) {
    // A zero-row execution of the wrapped query yields its result columns without reading data.
    const res = await client.query({
      text: `SELECT * FROM (${p.query}) AS q LIMIT 0`,
      rowMode: "array",
    });
    const raw = res.fields.map((f) => ({
      name: f.name,
      oid: f.dataTypeID,
      typmod: f.dataTypeModifier,
      notNull: false,
    }));
    return { source: "query", columns: await describeTypes(client, raw) };
  }
  const table = p.source_table ?? "";
  const res = await client.query<{ name: string; oid: number; typmod: number; not_null: boolean }>(
    TABLE_SQL,
    [schema, table],
  );
  if (res.rows.length === 0) {
    throw new Error(
      `table ${schema}.${table} does not exist (or has no columns) in the source database`,
    );
  }
  const raw = res.rows.map((r) => ({
    name: r.name,
    oid: r.oid,
    typmod: r.typmod,
    notNull: r.not_null,
  }));
  return { source: `table ${table}`, columns: await describeTypes(client, raw) };
}

/** The snapshot of every pipeline, keys sorted. */
export async function introspectTenant(
  client: pg.ClientBase,
  schema: string,
  pipelines: Readonly<Record<string, PipelineConfig>>,
): Promise<Introspection> {
  const out: Introspection = { version: 1, pipelines: {} };
  for (const name of Object.keys(pipelines).sort()) {
    const p = pipelines[name];
    if (p !== undefined) {
      out.pipelines[name] = await introspectPipeline(client, schema, p);
    }
  }
  return out;
}
