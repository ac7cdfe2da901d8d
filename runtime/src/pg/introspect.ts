/**
 * Source schema introspection, shared by the run-time drift check and the generator's
 * `npm run introspect`, so both produce the same `SourceColumn` list and the same schema hash.
 */
import type pg from "pg";
import { type SourceColumn, SourceColumnSchema } from "../plan.js";
import { describeStatement } from "./describe.js";
import { subqueryText, useSchema } from "./sql.js";

// One type description for a (type oid, typmod) pair. Domains report their base type (bt); arrays,
// also through a domain, their element (et), itself resolved through a domain to its base and
// printed with the column's typmod (numeric(10,2)[] -> numeric(10,2)); enums, arrays of enums and
// domains over either their labels.
const TYPE_COLUMNS = `
  format_type(t.oid, x.typmod) AS "pgType",
  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS "domainBase",
  CASE WHEN et.oid IS NOT NULL THEN
    CASE WHEN et.typtype = 'd' THEN format_type(et.typbasetype, et.typtypmod)
         ELSE format_type(et.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE x.typmod END) END
  END AS "arrayElement",
  (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e
    WHERE e.enumtypid = COALESCE(et.oid, bt.oid)) AS "enumLabels"`;

const TYPE_JOINS = `
  JOIN pg_catalog.pg_type t ON t.oid = x.typid
  JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
  LEFT JOIN pg_catalog.pg_type et ON bt.typcategory = 'A' AND et.oid = bt.typelem`;

/**
 * Columns of a table, view or materialized view, in attribute order. Parameters: $1 schema,
 * $2 relation name. Returns the SourceColumn fields (name, pgType, domainBase, arrayElement,
 * enumLabels, nullable); a column of a NOT NULL domain is not nullable.
 */
export const INTROSPECT_RELATION_SQL = `
SELECT x.name, ${TYPE_COLUMNS}, x.nullable AND NOT t.typnotnull AS nullable
FROM (
  SELECT a.attnum, a.attname::text AS name, a.atttypid AS typid, a.atttypmod AS typmod,
         NOT a.attnotnull AS nullable
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
) x ${TYPE_JOINS}
ORDER BY x.attnum`;

/** Describes result columns by (type oid, typmod) in order. Parameters: $1 oid[], $2 int4[], $3 text[]. */
export const DESCRIBE_TYPES_SQL = `
SELECT x.name, ${TYPE_COLUMNS}, true AS nullable
FROM unnest($1::oid[], $2::int4[], $3::text[]) WITH ORDINALITY AS x(typid, typmod, name, ord)
${TYPE_JOINS}
ORDER BY x.ord`;

type Queryable = Pick<pg.ClientBase, "query">;

function toColumns(rows: unknown[], what: string): SourceColumn[] {
  return rows.map((row, i) => {
    const parsed = SourceColumnSchema.safeParse(row);
    if (!parsed.success) {
      throw new Error(
        `introspection of ${what} returned an unexpected row ${i + 1}: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  });
}

/**
 * Live columns of `schema.relation` (both exactly as named in the database: any identifier works,
 * case and punctuation included); an error names the relation when it does not exist, and the
 * relations whose names differ only in case. Sets the session's search_path to `schema` (see
 * useSchema), so type names are printed relative to it.
 */
export async function introspectRelation(
  client: Queryable,
  schema: string,
  relation: string,
): Promise<SourceColumn[]> {
  await useSchema(client, schema);
  const result = await client.query(INTROSPECT_RELATION_SQL, [schema, relation]);
  if (result.rows.length === 0) {
    const near = await client.query(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE lower(n.nspname) = lower($1) AND lower(c.relname) = lower($2)
         AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1, 2 LIMIT 5`,
      [schema, relation],
    );
    const found = near.rows as { schema: string; name: string }[];
    if (found.some((r) => r.schema === schema && r.name === relation)) {
      throw new Error(
        `source relation ${schema}.${relation} has no columns in database ${describeDb(client)}: there is nothing to extract`,
      );
    }
    const similar = found.map((r) => `${JSON.stringify(r.schema)}.${JSON.stringify(r.name)}`);
    throw new Error(
      `source relation ${schema}.${relation} does not exist in database ${describeDb(client)}${similar.length === 0 ? "" : `; names are matched exactly, with their case: did you mean ${similar.join(" or ")}?`}`,
    );
  }
  return toColumns(result.rows, `${schema}.${relation}`);
}

/** The statement a custom query is introspected as: its result columns, the query as a subquery. */
export function customQueryProbe(query: string): string {
  return `SELECT * FROM (\n${subqueryText(query)}\n) AS q`;
}

/**
 * Checks that `query` is exactly one statement without parameters, through the extended
 * protocol's Parse (docs/reliability.md): a text with a second statement, or one that only parses
 * once wrapped in the subquery the runtime puts around it, is refused.
 */
export async function checkCustomQuery(client: Queryable, query: string): Promise<void> {
  const alone = await describeStatement(client, subqueryText(query)).catch((error: unknown) => {
    throw new Error(
      `custom query is not exactly one valid statement: ${(error as Error).message}`,
      { cause: error },
    );
  });
  if (alone.parameterTypes.length > 0) {
    throw new Error(
      `custom query uses ${alone.parameterTypes.length} parameter(s) ($1, ...); a custom query takes none`,
    );
  }
  await describeStatement(client, customQueryProbe(query)).catch((error: unknown) => {
    throw new Error(
      `custom query does not stay one statement when wrapped as a subquery (SELECT * FROM (<query>) AS q): ${(error as Error).message}; write one complete SELECT without unbalanced parentheses or comments`,
      { cause: error },
    );
  });
}

/**
 * Result columns of a custom query (search_path = `schema`), described through the extended
 * protocol without executing the query (checkCustomQuery first). PostgreSQL does not say whether a
 * query column can be null, so every one is nullable.
 */
export async function introspectQuery(
  client: Queryable,
  schema: string,
  query: string,
): Promise<SourceColumn[]> {
  await useSchema(client, schema);
  await checkCustomQuery(client, query);
  const probe = await describeStatement(client, customQueryProbe(query));
  const names = probe.fields.map((f) => f.name);
  const dupes = names.filter((n, i) => names.indexOf(n) !== i);
  if (dupes.length > 0) {
    throw new Error(
      `custom query returns duplicate column names: ${[...new Set(dupes)].join(", ")}`,
    );
  }
  const described = await client.query(DESCRIBE_TYPES_SQL, [
    probe.fields.map((f) => f.dataTypeID),
    probe.fields.map((f) => f.dataTypeModifier),
    names,
  ]);
  return toColumns(described.rows, "custom query");
}

function describeDb(client: Queryable): string {
  const c = client as { database?: unknown };
  return typeof c.database === "string" ? c.database : "(unknown)";
}

/** One difference between a schema snapshot and the live source. */
export interface SchemaDifference {
  column: string;
  change: "added" | "removed" | "type" | "nullable" | "enum labels" | "order";
  expected: string | null;
  actual: string | null;
}

function typeText(c: SourceColumn): string {
  const extra = [
    c.domainBase === null ? null : `domain over ${c.domainBase}`,
    c.arrayElement === null ? null : `array of ${c.arrayElement}`,
  ].filter((x) => x !== null);
  return extra.length === 0 ? c.pgType : `${c.pgType} (${extra.join(", ")})`;
}

/** Every difference between a snapshot and the live columns, sorted by column name. */
export function compareColumns(
  snapshot: readonly SourceColumn[],
  live: readonly SourceColumn[],
): SchemaDifference[] {
  const diffs: SchemaDifference[] = [];
  const liveByName = new Map(live.map((c) => [c.name, c]));
  const snapByName = new Map(snapshot.map((c) => [c.name, c]));
  for (const s of snapshot) {
    const l = liveByName.get(s.name);
    if (l === undefined) {
      diffs.push({ column: s.name, change: "removed", expected: typeText(s), actual: null });
      continue;
    }
    if (typeText(s) !== typeText(l)) {
      diffs.push({ column: s.name, change: "type", expected: typeText(s), actual: typeText(l) });
    }
    if (s.nullable !== l.nullable) {
      diffs.push({
        column: s.name,
        change: "nullable",
        expected: s.nullable ? "nullable" : "not null",
        actual: l.nullable ? "nullable" : "not null",
      });
    }
    if (JSON.stringify(s.enumLabels) !== JSON.stringify(l.enumLabels)) {
      diffs.push({
        column: s.name,
        change: "enum labels",
        expected: (s.enumLabels ?? []).join(","),
        actual: (l.enumLabels ?? []).join(","),
      });
    }
  }
  for (const l of live) {
    if (!snapByName.has(l.name)) {
      diffs.push({ column: l.name, change: "added", expected: null, actual: typeText(l) });
    }
  }
  if (diffs.length === 0) {
    const a = snapshot.map((c) => c.name).join(",");
    const b = live.map((c) => c.name).join(",");
    if (a !== b) {
      diffs.push({ column: "(all)", change: "order", expected: a, actual: b });
    }
  }
  return diffs.sort((x, y) => (x.column < y.column ? -1 : x.column > y.column ? 1 : 0));
}

/** The drift error text: each difference on its own line, then the commands that refresh. */
export function describeDrift(
  relation: string,
  tenantId: string,
  diffs: readonly SchemaDifference[],
): string {
  const lines = diffs.map((d) => {
    switch (d.change) {
      case "added":
        return `  + ${d.column}: new column ${d.actual}`;
      case "removed":
        return `  - ${d.column}: column ${d.expected} no longer exists`;
      default:
        return `  ~ ${d.column}: ${d.change} was ${d.expected}, now ${d.actual}`;
    }
  });
  return [
    `source schema of ${relation} differs from the snapshot this package was generated from (${diffs.length} difference${diffs.length === 1 ? "" : "s"}):`,
    ...lines,
    `refresh the snapshot with \`npm run introspect -- --tenant ${tenantId}\`, then \`npm run generate\`, review the diff and rebuild the package`,
  ].join("\n");
}
