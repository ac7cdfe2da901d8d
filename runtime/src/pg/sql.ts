/** Safe SQL text for statements that cannot take bind parameters (COPY). */

/**
 * Quotes an identifier like PostgreSQL's quote_ident, always (never relies on case folding), so
 * any name PostgreSQL accepts works exactly as written: `Order Details`, `a.b`, `"x"`, any script.
 */
export function quoteIdent(name: string): string {
  if (name.includes("\u0000")) {
    throw new Error(`identifier ${JSON.stringify(name)} contains a NUL character`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal like PostgreSQL's quote_literal (E'' form when it holds a backslash). */
export function quoteLiteral(value: string): string {
  if (value.includes("\u0000")) {
    throw new Error(`literal ${JSON.stringify(value)} contains a NUL character`);
  }
  const doubled = value.replaceAll("'", "''");
  return value.includes("\\") ? `E'${doubled.replaceAll("\\", "\\\\")}'` : `'${doubled}'`;
}

/** `"schema"."name"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A custom query as a subquery body: trimmed, without a trailing semicolon. */
export function subqueryText(query: string): string {
  return query.trim().replace(/;\s*$/, "");
}

/**
 * Makes `schema` the session's search path. format_type() qualifies a type name unless it is
 * visible, so introspection must run with one fixed path to print the same names everywhere; custom
 * queries then also resolve unqualified names in the tenant's schema.
 */
export async function useSchema(
  client: Pick<import("pg").ClientBase, "query">,
  schema: string,
): Promise<void> {
  await client.query("SELECT pg_catalog.set_config('search_path', $1, false)", [
    quoteIdent(schema),
  ]);
}
