/**
 * The old tenant's dbt project (dbt-postgres, its own profiles.yml) made into a project this
 * tool's runtime runs (dbt-trino, a profile named `etl` written per run, sources read from the
 * extracted data): files copied, profile and source locations rewritten, everything else left as
 * written and listed for a person where it cannot be translated (SQL dialect).
 */

import { defaultDbtSourcesPlace } from "@etl/runtime";
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap } from "yaml";
import { sortedEntries } from "../order.js";
import type { ReportItem } from "./report.js";

/** Working files of dbt: never copied. */
const WORKING = /^(target|dbt_packages|logs)(\/|$)|^\.user\.yml$/;

/** How edited YAML files are printed: as close as the yaml library gets to the way dbt writes them. */
const YAML_OUT = { flowCollectionPadding: false, lineWidth: 0 } as const;

const GITIGNORE = `# dbt's working files; target/manifest.json alone is committed (an input of npm run generate).
target/*
!target/manifest.json
dbt_packages/
logs/
.user.yml
`;

export interface DbtConversion {
  /** Files of the new project, relative to its folder. */
  files: Map<string, string>;
  converted: ReportItem[];
  todo: ReportItem[];
  /** `<source>.<table>` of sources no pipeline feeds (for dbt.external_sources). */
  externalSources: string[];
  /**
   * Source tables named like a pipeline, as the project's source definitions declare them: dbt
   * reads each from that pipeline's extract (its asset key is `<tenant>/extract/<table>`).
   */
  pipelineSources: { source: string; table: string }[];
}

/**
 * Converts the files of an old dbt project (folder-relative path -> text). `where` prefixes
 * report locations (e.g. `dbt/`).
 */
export function convertDbtProject(
  files: ReadonlyMap<string, string>,
  options: { tenant: string; pipelines: readonly string[]; where: string },
): DbtConversion {
  const out: DbtConversion = {
    files: new Map(),
    converted: [],
    todo: [],
    externalSources: [],
    pipelineSources: [],
  };
  const at = (file: string, line?: number) =>
    `${options.where}${file}${line === undefined ? "" : `:${line}`}`;
  for (const [file, text] of sortedEntries(files)) {
    if (WORKING.test(file)) {
      continue;
    }
    if (file === "profiles.yml") {
      out.converted.push({
        where: at(file),
        text: "not copied: the runtime writes the dbt profile (Trino, named etl) for every run from the tenant's target_database, so no profiles.yml lives in the project",
      });
      continue;
    }
    if (file === "dbt_project.yml") {
      out.files.set(file, projectFile(text, options.tenant, at(file), out));
      continue;
    }
    if (/\.ya?ml$/.test(file) && /^\s*sources\s*:/m.test(text)) {
      out.files.set(file, sourcesFile(text, options.pipelines, at(file), out));
      continue;
    }
    if (file.endsWith(".sql")) {
      postgresSyntax(text, at(file), out);
    }
    out.files.set(file, text);
  }
  if (!out.files.has(".gitignore")) {
    out.files.set(".gitignore", GITIGNORE);
  }
  const models = [...out.files.keys()].filter((f) => f.endsWith(".sql")).length;
  if (models > 0) {
    out.todo.push({
      where: at(""),
      text: `the project's ${models} SQL file(s) were written for PostgreSQL (dbt-postgres on the tenant's source database); they now run on Trino/Iceberg (dbt-trino): review each model's SQL for PostgreSQL-only syntax`,
    });
  }
  out.externalSources.sort();
  return out;
}

function projectFile(text: string, tenant: string, where: string, out: DbtConversion): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    out.todo.push({
      where,
      text: "not a YAML mapping: copied unchanged; set profile: etl and the vars partition_date, etl_sources_catalog, etl_sources_schema by hand (docs/dbt.md)",
    });
    return text;
  }
  const profile = doc.get("profile");
  if (profile !== "etl") {
    doc.set("profile", "etl");
    out.converted.push({
      where,
      text: `profile: ${String(profile)} -> etl (the profile the runtime writes and passes with --profile)`,
    });
  }
  const place = defaultDbtSourcesPlace(tenant);
  const wanted: [string, string | null][] = [
    ["partition_date", null],
    ["etl_sources_catalog", place.catalog],
    ["etl_sources_schema", place.schema],
  ];
  if (!doc.has("vars")) {
    const pair = doc.createPair("vars", {});
    if (isScalar(pair.key)) {
      pair.key.spaceBefore = true;
      pair.key.commentBefore =
        " Set by the runtime on every run; these defaults let dbt parse without it (docs/dbt.md).";
    }
    (doc.contents as YAMLMap).items.push(pair);
  }
  const vars = doc.get("vars", true);
  if (!isMap(vars)) {
    out.todo.push({
      where,
      text: "vars: is not a mapping; add the runtime's vars by hand (docs/dbt.md)",
    });
    return doc.toString(YAML_OUT);
  }
  const added: string[] = [];
  for (const [name, value] of wanted) {
    if (!(vars as YAMLMap).has(name)) {
      (vars as YAMLMap).set(name, value);
      added.push(`${name}: ${value ?? "null"}`);
    }
  }
  if (added.length > 0) {
    out.converted.push({
      where,
      text: `vars added: ${added.join(", ")} (the runtime passes them on every run; these defaults let dbt parse without it)`,
    });
  }
  return doc.toString(YAML_OUT);
}

function sourcesFile(
  text: string,
  pipelines: readonly string[],
  where: string,
  out: DbtConversion,
): string {
  const doc = parseDocument(text);
  const sources = doc.get("sources", true);
  if (doc.errors.length > 0 || !isSeq(sources)) {
    out.todo.push({
      where,
      text: "sources: could not be read; point them at the extracted data by hand (docs/dbt.md, Sources)",
    });
    return text;
  }
  let changed = false;
  for (const source of sources.items) {
    if (!isMap(source)) {
      continue;
    }
    const name = String(source.get("name") ?? "");
    const tables = source.get("tables", true);
    const tableNames = isSeq(tables)
      ? tables.items.flatMap((t) => (isMap(t) ? [String(t.get("name") ?? "")] : []))
      : [];
    const fed = tableNames.filter((t) => pipelines.includes(t));
    out.pipelineSources.push(...fed.map((table) => ({ source: name, table })));
    const before = `${String(source.get("database") ?? "(default database)")}.${String(source.get("schema") ?? name)}`;
    if (fed.length > 0 && fed.length === tableNames.length) {
      const catalog = doc.createNode("{{ var('etl_sources_catalog') }}");
      const schema = doc.createNode("{{ var('etl_sources_schema') }}");
      if (isScalar(catalog)) catalog.type = "QUOTE_DOUBLE";
      if (isScalar(schema)) schema.type = "QUOTE_DOUBLE";
      // database and schema where dbt's examples have them: after name and description.
      source.delete("database");
      source.delete("schema");
      const at = source.items.findIndex(
        (item) => isScalar(item.key) && !["name", "description"].includes(String(item.key.value)),
      );
      const pairs = [doc.createPair("database", catalog), doc.createPair("schema", schema)];
      source.items.splice(at === -1 ? source.items.length : at, 0, ...pairs);
      changed = true;
      out.converted.push({
        where,
        text: `source ${name} (${fed.join(", ")}): read from ${before} on PostgreSQL; now the partition's extracted data the runtime exposes in Trino (database/schema = vars etl_sources_catalog/etl_sources_schema)`,
      });
    } else if (fed.length === 0) {
      for (const t of tableNames) {
        out.externalSources.push(`${name}.${t}`);
      }
      out.todo.push({
        where,
        text: `source ${name} (${tableNames.join(", ")}) is fed by no pipeline: it stays ${before}, listed in dbt.external_sources; make that location readable from Trino or add a pipeline named like the table`,
      });
    } else {
      out.todo.push({
        where,
        text: `source ${name} mixes pipeline tables (${fed.join(", ")}) with others: split it into one source for the pipeline tables (database/schema from the vars etl_sources_catalog/etl_sources_schema) and one for the rest (docs/dbt.md, Sources)`,
      });
    }
  }
  return changed ? doc.toString(YAML_OUT) : text;
}

/** Flags the PostgreSQL-only syntax Trino refuses that is easy to spot: `::` casts and ILIKE. */
function postgresSyntax(text: string, where: string, out: DbtConversion): void {
  for (const [i, line] of text.split("\n").entries()) {
    const code = line.replace(/--.*$/, "");
    if (/::\s*[A-Za-z]/.test(code)) {
      out.todo.push({
        where: `${where}:${i + 1}`,
        text: "a PostgreSQL cast (x::type): Trino needs CAST(x AS type)",
      });
    }
    if (/\bilike\b/i.test(code)) {
      out.todo.push({
        where: `${where}:${i + 1}`,
        text: "ILIKE: Trino has none; use lower(x) LIKE lower(pattern)",
      });
    }
  }
}
