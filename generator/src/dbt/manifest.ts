/**
 * Reading a dbt `manifest.json` (schema versions v7..v12).
 *
 * Only the fields the generator uses are validated; every object is loose, because dbt adds fields
 * with each release and a strict schema would refuse manifests that are perfectly usable.
 */

import { z } from "zod";
import { compareText } from "../order.js";
import { fileProblem, type Problem } from "../problems.js";

/**
 * The generator's problem type. For manifests `line`/`col` are 0 (JSON has no useful lines here) and
 * `path` is a JSON path such as `nodes["model.pkg.x"].depends_on.nodes`.
 */
export type DbtProblem = Problem;

export const SUPPORTED_SCHEMA_VERSIONS = [7, 8, 9, 10, 11, 12] as const;

const DependsOnSchema = z.looseObject({
  nodes: z.array(z.string()).default([]),
});

const NodeConfigSchema = z.looseObject({
  enabled: z.boolean().default(true),
  materialized: z.string().optional(),
  // dbt writes "ERROR"/"WARN" as well as lower case; normalised by the consumers.
  severity: z.string().optional(),
});

export const DbtNodeSchema = z.looseObject({
  unique_id: z.string(),
  resource_type: z.string(),
  name: z.string(),
  package_name: z.string(),
  original_file_path: z.string(),
  fqn: z.array(z.string()).min(1),
  /** Model version (v9+); integers and strings both occur. */
  version: z.union([z.string(), z.number()]).nullish(),
  description: z.string().optional(),
  config: NodeConfigSchema.default({ enabled: true }),
  depends_on: DependsOnSchema.default({ nodes: [] }),
  /** The node a generic test is attached to (v10+). */
  attached_node: z.string().nullish(),
  test_metadata: z
    .looseObject({
      name: z.string(),
      namespace: z.string().nullish(),
    })
    .nullish(),
});
export type DbtNode = z.infer<typeof DbtNodeSchema>;

export const DbtSourceSchema = z.looseObject({
  unique_id: z.string(),
  source_name: z.string(),
  name: z.string(),
  package_name: z.string(),
  original_file_path: z.string(),
  config: z.looseObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
  /** Columns the source's YAML declares (names as written there), by name. */
  columns: z.record(z.string(), z.looseObject({ name: z.string().optional() })).optional(),
});
export type DbtSource = z.infer<typeof DbtSourceSchema>;

export const DbtManifestSchema = z.looseObject({
  metadata: z.looseObject({
    dbt_schema_version: z.string(),
    dbt_version: z.string().optional(),
    project_name: z.string().optional(),
  }),
  nodes: z.record(z.string(), DbtNodeSchema),
  sources: z.record(z.string(), DbtSourceSchema).default({}),
});
export type DbtManifest = z.infer<typeof DbtManifestSchema> & { schemaVersion: number };

export type ReadManifestResult =
  | { ok: true; manifest: DbtManifest }
  | { ok: false; problems: DbtProblem[] };

const REFRESH_HINT =
  "refresh it with the stack's dbt (npm run dbt -- parse --tenant <id>); dbt-core 1.3 or later writes v7..v12";

/** Formats a zod issue path the way a person reads a JSON document. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") {
      out += `[${seg}]`;
    } else {
      const s = String(seg);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(s)
        ? out === ""
          ? s
          : `.${s}`
        : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

/** The schema version number of a manifest (the N of `.../manifest/vN.json`), or null. */
export function schemaVersionOf(url: string): number | null {
  const m = /\/v(\d+)\.json$/.exec(url.trim());
  return m?.[1] === undefined ? null : Number(m[1]);
}

/**
 * Parses and validates a manifest's text. `file` is only used in messages. Refuses schema versions
 * outside v7..v12 with `expected one of v7..v12 in <file>, found vN`.
 */
export function readManifest(file: string, text: string): ReadManifestResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      problems: [
        fileProblem({
          file,
          path: "",
          message: `is not valid JSON: ${reason}`,
          hint: REFRESH_HINT,
        }),
      ],
    };
  }
  // The version gate comes first: a manifest of another version fails with one clear message
  // rather than with a list of field errors that only say the same thing indirectly.
  const version =
    typeof raw === "object" && raw !== null && "metadata" in raw
      ? (raw as { metadata?: { dbt_schema_version?: unknown } }).metadata?.dbt_schema_version
      : undefined;
  const n = typeof version === "string" ? schemaVersionOf(version) : null;
  if (n === null || !(SUPPORTED_SCHEMA_VERSIONS as readonly number[]).includes(n)) {
    const found =
      n !== null ? `v${n}` : version === undefined ? "no version" : JSON.stringify(version);
    return {
      ok: false,
      problems: [
        fileProblem({
          file,
          path: "metadata.dbt_schema_version",
          message: `expected one of v7..v12 in ${file}, found ${found}`,
          hint: REFRESH_HINT,
        }),
      ],
    };
  }
  const parsed = DbtManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems: DbtProblem[] = parsed.error.issues.map((issue) =>
      fileProblem({
        file,
        path: formatPath(issue.path),
        message: issue.message,
        hint: REFRESH_HINT,
      }),
    );
    problems.sort((a, b) => compareText(a.path, b.path) || compareText(a.message, b.message));
    return { ok: false, problems };
  }
  return { ok: true, manifest: { ...parsed.data, schemaVersion: n } };
}
