/**
 * Reading an old tenant's YAML the way the old loader did (PyYAML's YAML 1.1 scalars, `tenant:`
 * or the whole document, the lenient Pydantic models), and refusing what is not an old tenant.
 */
import { LineCounter, parseDocument } from "yaml";
import { locate, type YamlPath } from "../config/yaml-locate.js";
import type { Problem } from "../problems.js";
import { type LegacyTenant, LegacyTenantSchema } from "./legacy-schema.js";

export interface LegacyConfig {
  tenant: LegacyTenant;
  /** The tenant mapping as written. */
  raw: Record<string, unknown>;
  /** YAML path of the tenant mapping: `["tenant"]`, or `[]` when the document is the tenant. */
  prefix: string[];
  /** 1-based line of a path inside the tenant mapping (0 when unknown). */
  line: (path: readonly string[]) => number;
}

/** Keys only this tool's config has: a file with any of them is not an old tenant's. */
const NEW_TOOL_KEYS: readonly (readonly string[])[] = [
  ["partitions"],
  ["allowed_env"],
  ["assets", "pipelines", "*", "transfer"],
  ["assets", "pipelines", "*", "checks"],
  ["assets", "pipelines", "*", "incremental"],
  ["assets", "pipelines", "*", "extract"],
  ["assets", "pipelines", "*", "trino_output", "write_mode"],
  ["assets", "pipelines", "*", "trino_output", "tenant_column"],
  ["jobs", "*", "selection"],
  ["jobs", "*", "concurrency"],
  ["dbt", "manifest_path"],
  ["dbt", "external_sources"],
];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function pathsPresent(raw: unknown, pattern: readonly string[], at: string[] = []): string[][] {
  const [head, ...rest] = pattern;
  if (head === undefined) {
    return [at];
  }
  if (!isRecord(raw)) {
    return [];
  }
  const keys = head === "*" ? Object.keys(raw) : Object.hasOwn(raw, head) ? [head] : [];
  return keys.flatMap((k) => pathsPresent(raw[k], rest, [...at, k]));
}

/** Parses and validates the old config; problems name `file` (as the person gave it). */
export function parseLegacyConfig(
  file: string,
  text: string,
): { ok: true; config: LegacyConfig } | { ok: false; problems: Problem[] } {
  const lc = new LineCounter();
  // The old loader used PyYAML: YAML 1.1 scalars (yes/no/on/off are booleans there).
  const doc = parseDocument(text, { lineCounter: lc, version: "1.1", prettyErrors: false });
  const problem = (path: YamlPath, message: string, hint: string): Problem => {
    const pos = locate(doc, lc, path);
    return { file, line: pos.line, col: pos.col, path: path.join("."), message, hint };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return {
          file,
          line: pos.line,
          col: pos.col,
          path: "",
          message: `YAML syntax error: ${e.message.split("\n")[0] ?? e.code}; the old loader skipped this tenant too`,
          hint: "fix the YAML, then migrate again",
        };
      }),
    };
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const prefix = isRecord(data) && isRecord(data.tenant) ? ["tenant"] : [];
  const raw = prefix.length > 0 && isRecord(data) ? data.tenant : data;
  if (!isRecord(raw)) {
    return {
      ok: false,
      problems: [
        problem(
          [],
          "not a tenant config of the Dagster system: expected a mapping with tenant: {id, name, source_database, storage, ...}",
          "point --from at an old etl/tenants/<id>/ folder (or its config.yaml)",
        ),
      ],
    };
  }
  const markers = NEW_TOOL_KEYS.flatMap((pattern) => pathsPresent(raw, pattern));
  if (markers.length > 0) {
    return {
      ok: false,
      problems: markers.map((m) =>
        problem(
          [...prefix, ...m],
          `${[...prefix, ...m].join(".")} exists only in this tool's config: this is already a tenant of this tool, not one of the Dagster system`,
          "nothing to migrate: put the folder under tenants/ and run npm run generate",
        ),
      ),
    };
  }
  const parsed = LegacyTenantSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const path = [...prefix, ...issue.path.map(String)];
        return problem(
          path,
          `${issue.message} (${path.join(".") || "the document"}); the old loader refused this too and skipped the tenant with a warning`,
          "fix the value in the old config, then migrate again",
        );
      }),
    };
  }
  return {
    ok: true,
    config: {
      tenant: parsed.data,
      raw,
      prefix,
      line: (path) => locate(doc, lc, [...prefix, ...path], true).line,
    },
  };
}
