/**
 * SQL text building for Trino. Every identifier and literal that reaches a statement goes through
 * this module: identifiers are validated and double-quoted, literals are typed and escaped, so no
 * value from config or data is ever pasted into SQL as-is (the Trino HTTP protocol has no bind
 * parameters for DDL and MERGE, so escaping is the only safe path).
 */
import { targetColumnProblem } from "../contract/naming.js";

/** Identifiers we accept: what Iceberg, Hive and PostgreSQL all agree on (Trino folds case). */
const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const MAX_IDENT = 128;

export type IdentCheck = { ok: true; name: string } | { ok: false; reason: string };

/** Checks that `name` is a plain identifier; `what` names it in the message (e.g. "column"). */
export function checkIdent(name: string, what: string): IdentCheck {
  if (!IDENT.test(name)) {
    return {
      ok: false,
      reason: `${what} "${name}" is not a valid identifier: expected letters, digits, _ or $, not starting with a digit`,
    };
  }
  if (name.length > MAX_IDENT) {
    return { ok: false, reason: `${what} "${name}" is longer than ${MAX_IDENT} characters` };
  }
  return { ok: true, name };
}

/** Error raised when an identifier from config or data is not acceptable in SQL. */
export class InvalidIdentifierError extends Error {
  override readonly name = "InvalidIdentifierError";
}

/** Validates and double-quotes one identifier (embedded quotes doubled, though IDENT has none). */
export function quoteTrinoIdent(name: string, what = "identifier"): string {
  const check = checkIdent(name, what);
  if (!check.ok) {
    throw new InvalidIdentifierError(check.reason);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Validates and double-quotes a target column name: any name a target column may have
 * (naming.ts targetColumnProblem: spaces, dots, quotes, any script; lower case, no comma), embedded
 * double quotes doubled.
 */
export function quoteTrinoColumn(name: string, what = "column"): string {
  const problem = targetColumnProblem(name);
  if (problem !== null) {
    throw new InvalidIdentifierError(`${what} ${JSON.stringify(name)} ${problem}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"catalog"."schema"."table"` with every part validated. */
export function trinoQualifiedName(catalog: string, schema: string, table: string): string {
  return `${quoteTrinoIdent(catalog, "catalog")}.${quoteTrinoIdent(schema, "schema")}.${quoteTrinoIdent(table, "table")}`;
}

/** A SQL string literal: single quotes doubled; NUL refused because Trino cannot carry it. */
export function stringLiteral(value: string): string {
  if (value.includes("\u0000")) {
    throw new InvalidIdentifierError("string literal contains a NUL character");
  }
  return `'${value.replaceAll("'", "''")}'`;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `DATE 'YYYY-MM-DD'` after checking the shape and that the day exists. */
export function dateLiteral(value: string): string {
  const d = new Date(`${value}T00:00:00Z`);
  if (!DATE.test(value) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
    throw new InvalidIdentifierError(`"${value}" is not a calendar date in YYYY-MM-DD form`);
  }
  return `DATE ${stringLiteral(value)}`;
}

/** A finite number as a SQL numeric literal (DOUBLE for non-integers, so no decimal overflow). */
export function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) {
    throw new InvalidIdentifierError(`${value} is not a finite number`);
  }
  return Number.isInteger(value) ? String(value) : `DOUBLE '${String(value)}'`;
}

/** Trino type names we accept from config (declared transform outputs) and the type mapping. */
const TYPE =
  /^(?:boolean|tinyint|smallint|integer|bigint|real|double|varchar|varbinary|date|uuid|json|decimal\(\d{1,2},\s*\d{1,2}\)|timestamp\(\d\)(?: with time zone)?|array\((?<el>.+)\))$/;

/** Normalises a Trino type name (lower case, single spaces) and refuses anything unexpected. */
export function normaliseType(type: string): string {
  const t = type.trim().toLowerCase().replace(/\s+/g, " ").replace(/,\s+/g, ",");
  const aliases: Record<string, string> = {
    int: "integer",
    timestamp: "timestamp(6)",
    "timestamp with time zone": "timestamp(6) with time zone",
    string: "varchar",
    float: "real",
  };
  const aliased = aliases[t] ?? t;
  const m = TYPE.exec(aliased);
  if (m === null) {
    throw new InvalidIdentifierError(`"${type}" is not a supported Trino column type`);
  }
  const el = m.groups?.el;
  return el === undefined ? aliased : `array(${normaliseType(el)})`;
}
