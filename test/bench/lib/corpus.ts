/**
 * A synthetic generator corpus: N tenants of P pipelines each, every tenant with a dbt manifest of
 * M models (plus tests) built from one real node of project_01's committed manifest, so node size
 * and field set are those dbt writes. Written under a temporary root for `npm run generate -- --root`.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

const TemplateManifestSchema = z.looseObject({
  metadata: z.looseObject({}),
  nodes: z.record(z.string(), z.looseObject({ resource_type: z.string() })),
  sources: z.record(z.string(), z.looseObject({})),
});

export interface CorpusShape {
  tenants: number;
  pipelines: number;
  models: number;
}

/** A `${NAME:default}` reference as tenant YAML writes it (resolved when the package runs). */
function envRef(name: string, dflt: string): string {
  return `\${${name}:${dflt}}`;
}

function tenantId(i: number): string {
  return `bench_t${String(i).padStart(3, "0")}`;
}

function configYaml(id: string, pipelines: number): string {
  const lines = [
    "tenant:",
    `  id: "${id}"`,
    `  name: "Bench ${id}"`,
    "  enabled: true",
    "  environments:",
    "    dev: { enabled: true }",
    "    staging: { enabled: true }",
    "    prod: { enabled: false }",
    "  source_database:",
    `    host: "\${${id.toUpperCase()}_DB_HOST:127.0.0.1}"`,
    `    port: "\${${id.toUpperCase()}_DB_PORT:55432}"`,
    `    database: "\${${id.toUpperCase()}_DB_NAME:${id}}"`,
    `    username: "\${${id.toUpperCase()}_DB_USER:etl}"`,
    `    password: "\${${id.toUpperCase()}_DB_PASSWORD}"`,
    '    schema: "public"',
    "  storage:",
    `    bucket: "${envRef("S3_BUCKET_NAME", "data-lake")}"`,
    `    base_path: "project_id=${id}"`,
    "  target_database:",
    `    trino_host: "${envRef("TRINO_HOST", "127.0.0.1")}"`,
    `    trino_port: "${envRef("TRINO_PORT", "58080")}"`,
    `    trino_user: "${envRef("TRINO_USER", "etl")}"`,
    `    trino_password: "${envRef("TRINO_PASSWORD", "")}"`,
    `    trino_http_scheme: "${envRef("TRINO_HTTP_SCHEME", "http")}"`,
    `    target_catalog: "${envRef("TRINO_CATALOG", "iceberg")}"`,
    '    target_schema: "aps"',
    "  partitions:",
    '    start_date: "2024-01-01"',
    '    timezone: "Asia/Seoul"',
    "  dbt:",
    "    enabled: true",
    "    target: dev",
    `    target_schema: analytics_${id}`,
    "  assets:",
    "    pipelines:",
  ];
  for (let p = 0; p < pipelines; p++) {
    const name = `tbl_${String(p).padStart(2, "0")}`;
    const partitioned = p % 2 === 0;
    lines.push(`      ${name}:`, `        source_table: ${name}`);
    if (partitioned) lines.push("        date_column: created_at");
    if (p >= pipelines - 2) {
      // Two pipelines per tenant run a transfer module, as real tenants do.
      lines.push(
        "        has_transfer: true",
        "        transfer:",
        "          module: example",
        "          export: example",
        "          output:",
        "            columns:",
        "              snapshot_date: date",
        "              process_step: varchar",
        "              lot_count: integer",
      );
    }
    lines.push(
      "        save_to_trino: true",
      "        trino_output:",
      `          target_table: ${name}_out`,
      "          target_schema: aps",
      p >= pipelines - 2
        ? '          key_columns: ["project_id", "snapshot_date", "process_step"]'
        : '          key_columns: ["project_id", "id"]',
      "        checks:",
      `          - { type: not_null, column: ${p >= pipelines - 2 ? "process_step" : "id"} }`,
    );
  }
  lines.push(
    "  jobs:",
    "    daily_etl:",
    "      enabled: true",
    "      schedule:",
    '        cron: "0 3 * * *"',
    '        timezone: "Asia/Seoul"',
    "        auto_start: false",
    "    dbt_transform:",
    "      enabled: true",
    "  tags:",
    `    customer: "${id}"`,
    "",
  );
  return lines.join("\n");
}

function manifestJson(
  id: string,
  shape: CorpusShape,
  template: z.infer<typeof TemplateManifestSchema>,
): string {
  const model = Object.values(template.nodes).find((n) => n.resource_type === "model");
  const test = Object.values(template.nodes).find((n) => n.resource_type === "test");
  const source = Object.values(template.sources)[0];
  if (model === undefined || test === undefined || source === undefined) {
    throw new Error("the template manifest needs a model, a test and a source");
  }
  const pkg = `${id}_dbt`;
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  // Pipelines with a transfer feed no dbt source (their output is the transfer's).
  for (let p = 0; p < shape.pipelines - 2; p++) {
    const name = `tbl_${String(p).padStart(2, "0")}`;
    const uid = `source.${pkg}.source_db.${name}`;
    sources[uid] = {
      ...source,
      unique_id: uid,
      source_name: "source_db",
      name,
      identifier: name,
      package_name: pkg,
      original_file_path: "models/staging/_sources.yml",
      fqn: [pkg, "staging", "source_db", name],
    };
  }
  const sourceIds = Object.keys(sources);
  const modelIds: string[] = [];
  for (let m = 0; m < shape.models; m++) {
    const layer = m < shape.pipelines ? "staging" : m < shape.models / 2 ? "intermediate" : "marts";
    const name = `${layer === "staging" ? "stg" : layer === "intermediate" ? "int" : "mart"}_${String(m).padStart(3, "0")}`;
    const uid = `model.${pkg}.${name}`;
    // Staging models read one source each; the rest read one to three earlier models.
    const deps =
      m < shape.pipelines
        ? [sourceIds[m % sourceIds.length] ?? ""]
        : [...new Set([modelIds[m - 1], modelIds[(m * 7) % m], modelIds[(m * 13) % m]])].filter(
            (d): d is string => d !== undefined,
          );
    nodes[uid] = {
      ...model,
      unique_id: uid,
      name,
      alias: name,
      package_name: pkg,
      path: `${layer}/${name}.sql`,
      original_file_path: `models/${layer}/${name}.sql`,
      fqn: [pkg, layer, name],
      depends_on: { macros: [], nodes: deps },
    };
    modelIds.push(uid);
    if (m % 3 === 0) {
      const tid = `test.${pkg}.not_null_${name}_id.${String(m).padStart(10, "0")}`;
      nodes[tid] = {
        ...test,
        unique_id: tid,
        name: `not_null_${name}_id`,
        package_name: pkg,
        original_file_path: `models/${layer}/_schema.yml`,
        fqn: [pkg, layer, `not_null_${name}_id`],
        attached_node: uid,
        depends_on: { macros: [], nodes: [uid] },
      };
    }
  }
  return `${JSON.stringify({ ...template, metadata: { ...template.metadata, project_name: pkg }, nodes, sources }, null, 2)}\n`;
}

/** Writes the corpus under `root` (tenants/<id>/...); `repoRoot` supplies the templates. */
export function buildCorpus(root: string, repoRoot: string, shape: CorpusShape): string[] {
  const templatePath = path.join(repoRoot, "tenants/project_01/dbt/target/manifest.json");
  const template = TemplateManifestSchema.parse(JSON.parse(readFileSync(templatePath, "utf8")));
  const transform = path.join(repoRoot, "tenants/_template/transforms/example.ts");
  mkdirSync(path.join(root, "generator"), { recursive: true });
  const ids: string[] = [];
  for (let t = 0; t < shape.tenants; t++) {
    const id = tenantId(t);
    const dir = path.join(root, "tenants", id);
    mkdirSync(path.join(dir, "dbt/target"), { recursive: true });
    mkdirSync(path.join(dir, "transforms"), { recursive: true });
    writeFileSync(path.join(dir, "config.yaml"), configYaml(id, shape.pipelines));
    writeFileSync(path.join(dir, "dbt/target/manifest.json"), manifestJson(id, shape, template));
    copyFileSync(transform, path.join(dir, "transforms/example.ts"));
    ids.push(id);
  }
  return ids;
}
