/**
 * Names of source objects and of the target columns derived from them: the one implementation the
 * generator (at generate time, from the snapshot) and the runtime (quoting, the load's own checks,
 * and the extract of a pipeline without a snapshot, before it reads a row) share. The conventions
 * are documented in docs/config-reference.md ("Target names").
 */
import type { TargetNaming } from "../plan.js";

/** PostgreSQL keeps at most NAMEDATALEN - 1 = 63 bytes of an identifier and truncates the rest. */
export const PG_IDENTIFIER_MAX_BYTES = 63;

/** Prefix of the load's own helper columns inside generated statements; no target column may use it. */
export const RESERVED_COLUMN_PREFIX = "__etl_";

/**
 * Why `name` cannot be a PostgreSQL identifier, or null when it can. Any text PostgreSQL accepts as
 * a quoted identifier is fine (spaces, dots, quotes, any script, any case): it is always quoted.
 */
export function pgIdentifierProblem(name: string): string | null {
  if (name === "") {
    return "is empty";
  }
  if (name.includes("\u0000")) {
    return "contains a NUL character, which PostgreSQL identifiers cannot hold";
  }
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > PG_IDENTIFIER_MAX_BYTES) {
    return `is ${bytes} bytes long; PostgreSQL identifiers hold at most ${PG_IDENTIFIER_MAX_BYTES} bytes (longer ones are truncated, so no object has this name)`;
  }
  return null;
}

/**
 * Why `name` cannot be a target column (Parquet field, Iceberg column, Hive staging column), or
 * null when it can. Found on Trino 476: Iceberg holds any delimited identifier, but Trino folds
 * identifiers to lower case, and the Hive connector (staging tables, dbt sources, checks of staged
 * data) refuses commas and names starting or ending with white space.
 */
export function targetColumnProblem(name: string): string | null {
  if (name === "") {
    return "is empty";
  }
  if (/\p{Cc}/u.test(name)) {
    return "contains a control character (tab, newline, ...), which the Hive staging tables cannot hold reliably";
  }
  if (name.includes(",")) {
    return 'contains a comma, which the Hive connector refuses in column names ("Hive column names must not contain commas")';
  }
  if (/^\s|\s$/u.test(name)) {
    return "starts or ends with white space, which the Hive connector trims or refuses";
  }
  if (name !== name.toLowerCase()) {
    return "is not lower case (Trino folds every identifier to lower case)";
  }
  if (name.startsWith(RESERVED_COLUMN_PREFIX)) {
    return `starts with ${RESERVED_COLUMN_PREFIX}, which is reserved for the load's helper columns`;
  }
  return null;
}

/** Letters that Unicode does not decompose into a base letter plus marks, folded by hand. */
const FOLDED: Readonly<Record<string, string>> = {
  ß: "ss",
  ẞ: "SS",
  æ: "ae",
  Æ: "Ae",
  œ: "oe",
  Œ: "Oe",
  ø: "o",
  Ø: "O",
  đ: "d",
  Đ: "D",
  ð: "d",
  Ð: "D",
  ł: "l",
  Ł: "L",
  þ: "th",
  Þ: "Th",
  ı: "i",
  ħ: "h",
  Ħ: "H",
  ŧ: "t",
  Ŧ: "T",
};

/** dlt's reduced alphabet: characters that carry meaning are swapped instead of dropped. */
const SWAPPED: Readonly<Record<string, string>> = { "+": "x", "*": "x", "@": "a", "|": "l" };

/** A plain lower-case identifier: snake_case keeps it exactly as it is. */
const PLAIN = /^[a-z_][a-z0-9_]*$/;

/**
 * `name` in snake_case (see docs/config-reference.md), or null when nothing of it survives (no
 * ASCII letter or digit after folding). A plain lower-case identifier is returned unchanged, so the
 * convention is idempotent and never renames a name that already is snake case.
 */
export function snakeCaseName(name: string): string | null {
  if (PLAIN.test(name)) {
    return name;
  }
  const folded = [...name.trim().normalize("NFKD").replace(/\p{M}/gu, "")]
    .map((ch) => FOLDED[ch] ?? SWAPPED[ch] ?? ch)
    .join("");
  const words = folded
    .split(/[^A-Za-z0-9]+/)
    .flatMap((chunk) =>
      chunk
        // Word breaks at case changes, as dlt does: "DealFlow" -> deal_flow, "OrderID" -> order_id.
        .replace(/([^_])([A-Z][a-z]+)/g, "$1_$2")
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .split("_"),
    )
    .filter((word) => word !== "")
    .map((word) => word.toLowerCase());
  if (words.length === 0) {
    return null;
  }
  const joined = words.join("_");
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

/** `name` kept as a delimited identifier, folded to lower case the way Trino folds identifiers. */
export function preservedName(name: string): string {
  return name.toLowerCase();
}

/** One source name the convention cannot carry, or two that derive to one target name. */
export interface NamingProblem {
  /** Indexes (into the input list) of the source names involved, ascending. */
  indexes: number[];
  message: string;
  hint: string;
}

export type DerivedNames = { ok: true; names: string[] } | { ok: false; problems: NamingProblem[] };

/** The target name of one source name under `convention`, or why it has none. */
export function targetNameOf(
  name: string,
  convention: TargetNaming,
): { ok: true; name: string } | { ok: false; reason: string; hint: string } {
  if (convention === "snake_case") {
    const snake = snakeCaseName(name);
    if (snake === null) {
      return {
        ok: false,
        reason:
          "has no letter or digit that snake_case keeps (it keeps ASCII letters and digits, and folds accented letters to their base letter)",
        hint: "set target_naming: preserve for this pipeline, or rename the column with an alias in a custom query",
      };
    }
    const problem = targetColumnProblem(snake);
    return problem === null
      ? { ok: true, name: snake }
      : {
          ok: false,
          reason: `becomes "${snake}", which ${problem}`,
          hint: "rename the column with an alias in a custom query",
        };
  }
  const kept = preservedName(name);
  const problem = targetColumnProblem(kept);
  return problem === null
    ? { ok: true, name: kept }
    : {
        ok: false,
        reason: `${kept === name ? "" : `becomes "${kept}", which `}${problem}`,
        hint: "set target_naming: snake_case for this pipeline, or rename the column with an alias in a custom query",
      };
}

/**
 * Target names of `sources` (column names, in order) under `convention`: every name the convention
 * cannot carry, and every group of names that derive to one target name, reported at once.
 */
export function deriveTargetNames(
  sources: readonly string[],
  convention: TargetNaming,
): DerivedNames {
  const problems: NamingProblem[] = [];
  const names: string[] = [];
  const byTarget = new Map<string, number[]>();
  for (const [index, source] of sources.entries()) {
    const derived = targetNameOf(source, convention);
    if (!derived.ok) {
      problems.push({
        indexes: [index],
        message: `column ${JSON.stringify(source)} ${derived.reason} (target_naming: ${convention})`,
        hint: derived.hint,
      });
      names.push("");
      continue;
    }
    names.push(derived.name);
    byTarget.set(derived.name, [...(byTarget.get(derived.name) ?? []), index]);
  }
  for (const [target, indexes] of byTarget) {
    if (indexes.length > 1) {
      const list = indexes.map((i) => JSON.stringify(sources[i] ?? "")).join(" and ");
      problems.push({
        indexes,
        message: `columns ${list} ${indexes.length === 2 ? "both" : "all"} become the target column "${target}" (target_naming: ${convention})`,
        hint: "rename all but one with an alias in a custom query, or choose the other target_naming",
      });
    }
  }
  problems.sort((a, b) => (a.indexes[0] ?? 0) - (b.indexes[0] ?? 0));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, names };
}
