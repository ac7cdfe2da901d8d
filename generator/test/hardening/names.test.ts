/**
 * Names through the real CLI (`npm run generate`'s entry, spawned with --root at a temporary
 * copy), the corpus's pattern applied to real-world names. The base is the `names` golden
 * scenario's tenant (delimited names in schema, tables and columns, both target namings, a
 * transform reading the derived row types), which generates. Refused cases break it one way each:
 * exit 1, problems naming every source involved, nothing written (reports pinned in
 * __snapshots__/names.test.ts.snap). Accepted cases prove that names PostgreSQL holds are taken
 * exactly as written.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const HERE = import.meta.dirname;
const CLI = path.resolve(HERE, "../../bin/generate.mjs");
const BASE = path.resolve(HERE, "../golden/names/tenants");
const CONFIG = "tenants/legacy/config.yaml";
const SNAPSHOT = "tenants/legacy/introspection.json";
const PLAN = "generated/legacy/src/plan.ts";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function generateCli(root: string): Promise<CliResult> {
  try {
    const r = await exec(process.execPath, [CLI, "--root", root], {
      cwd: root,
      maxBuffer: 8 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") {
      throw new Error(`could not run the generator CLI: ${String(error)}`);
    }
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function treeDigest(dir: string): string {
  if (!existsSync(dir)) return "absent";
  const hash = createHash("sha256");
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) {
        walk(p);
      } else {
        hash.update(`${path.relative(dir, p)}\0`);
        hash.update(readFileSync(p));
        hash.update("\0");
      }
    }
  };
  walk(dir);
  return hash.digest("hex");
}

interface Column {
  name: string;
  pgType: string;
  domainBase: string | null;
  arrayElement: string | null;
  enumLabels: string[] | null;
  nullable: boolean;
}

class Root {
  constructor(readonly dir: string) {}
  read(rel: string): string {
    return readFileSync(path.join(this.dir, rel), "utf8");
  }
  write(rel: string, text: string): void {
    mkdirSync(path.dirname(path.join(this.dir, rel)), { recursive: true });
    writeFileSync(path.join(this.dir, rel), text);
  }
  replace(rel: string, from: string, to: string): void {
    const text = this.read(rel);
    if (!text.includes(from)) {
      throw new Error(`case setup: ${rel} has no ${JSON.stringify(from)}`);
    }
    this.write(rel, text.replace(from, to));
  }
  /** Edits the snapshot columns of one pipeline. */
  columns(pipeline: string, edit: (columns: Column[]) => Column[]): void {
    const snapshot = JSON.parse(this.read(SNAPSHOT)) as {
      pipelines: Record<string, { columns: Column[] }>;
    };
    const entry = snapshot.pipelines[pipeline];
    if (entry === undefined) throw new Error(`case setup: no snapshot of ${pipeline}`);
    entry.columns = edit(entry.columns);
    this.write(SNAPSHOT, `${JSON.stringify(snapshot, null, 2)}\n`);
  }
}

const column = (name: string, pgType: string, over: Partial<Column> = {}): Column => ({
  name,
  pgType,
  domainBase: null,
  arrayElement: null,
  enumLabels: null,
  nullable: true,
  ...over,
});

const DBT = `  dbt:
    enabled: true
`;
const MANIFEST = "tenants/legacy/dbt/target/manifest.json";
/** A dbt manifest with one source fed by pipeline order_details, declaring `columns`. */
function manifestWithSource(columns: string[]): string {
  const source = {
    unique_id: "source.legacy.raw.order_details",
    resource_type: "source",
    source_name: "raw",
    name: "order_details",
    package_name: "legacy",
    original_file_path: "models/sources.yml",
    fqn: ["legacy", "raw", "order_details"],
    config: { enabled: true },
    columns: Object.fromEntries(columns.map((c) => [c, { name: c }])),
  };
  return `${JSON.stringify(
    {
      metadata: { dbt_schema_version: "https://schemas.getdbt.com/dbt/manifest/v12.json" },
      nodes: {},
      sources: { [source.unique_id]: source },
    },
    null,
    2,
  )}\n`;
}

const REFUSED: { name: string; edit: (r: Root) => void }[] = [
  {
    name: "snake-case-collision",
    edit: (r) => r.columns("order_details", (c) => [...c, column("order_id", "integer")]),
  },
  {
    name: "snake-case-collision-of-three",
    edit: (r) =>
      r.columns("order_details", (c) => [
        ...c,
        column("Field With Sep", "text"),
        column("FIELD-WITH-SEP", "text"),
      ]),
  },
  {
    name: "snake-case-nothing-left",
    edit: (r) => r.columns("order_details", (c) => [...c, column("名前", "text")]),
  },
  {
    name: "preserve-case-collision",
    edit: (r) => r.columns("customers", (c) => [...c, column("código", "text")]),
  },
  {
    name: "preserve-comma",
    edit: (r) => r.columns("customers", (c) => [...c, column("(inside,parens)", "text")]),
  },
  {
    name: "preserve-leading-space",
    edit: (r) => r.columns("customers", (c) => [...c, column(" lead", "text")]),
  },
  {
    name: "preserve-reserved-prefix",
    edit: (r) => r.columns("customers", (c) => [...c, column("__etl_op", "text")]),
  },
  {
    name: "unmapped-types-refuse",
    edit: (r) =>
      r.replace(
        CONFIG,
        "  target_naming: snake_case\n",
        "  target_naming: snake_case\n  unmapped_types: refuse\n",
      ),
  },
  {
    name: "key-column-unknown",
    edit: (r) => r.replace(CONFIG, 'key_columns: ["Order ID"]', 'key_columns: ["Order Id"]'),
  },
  {
    name: "tenant-column-is-a-derived-name",
    edit: (r) => r.columns("order_details", (c) => [...c, column("Project ID", "text")]),
  },
  {
    name: "check-column-unknown",
    edit: (r) => r.replace(CONFIG, "column: field-with_sep }", "column: field-with-sep }"),
  },
  {
    name: "date-column-not-temporal",
    edit: (r) =>
      r.replace(
        CONFIG,
        "        date_column: CamelCase\n        save_to_trino",
        "        date_column: ünïcødé\n        save_to_trino",
      ),
  },
  {
    name: "incremental-cursor-text",
    edit: (r) =>
      r.replace(
        CONFIG,
        "        date_column: CamelCase\n        save_to_trino",
        "        date_column: CamelCase\n        incremental: { cursor_column: field-with_sep }\n        save_to_trino",
      ),
  },
  {
    name: "incremental-integer-cursor-with-lookback",
    edit: (r) =>
      r.replace(
        CONFIG,
        "        date_column: CamelCase\n        save_to_trino",
        '        date_column: CamelCase\n        incremental: { cursor_column: "Order ID", lookback: 1h }\n        save_to_trino',
      ),
  },
  {
    name: "source-table-over-63-bytes",
    edit: (r) =>
      r.replace(
        CONFIG,
        "source_table: Order Details\n        date_column: CamelCase\n        save_to_trino",
        `source_table: ${"名".repeat(22)}\n        date_column: CamelCase\n        save_to_trino`,
      ),
  },
  {
    name: "source-schema-nul",
    edit: (r) => r.replace(CONFIG, `schema: 'Ventas Ñ"q'`, 'schema: "Ventas\\0"'),
  },
  {
    name: "typescript-name-collision",
    edit: (r) =>
      r.replace(
        CONFIG,
        "      customers:\n",
        "      order__details:\n        source_table: x\n      customers:\n",
      ),
  },
  {
    name: "typescript-name-collision-digits",
    edit: (r) =>
      r.replace(
        CONFIG,
        "      customers:\n",
        "      a_1b:\n        source_table: x\n      a1b:\n        source_table: y\n      customers:\n",
      ),
  },
  {
    name: "module-binding-collision",
    edit: (r) => {
      const text = r.read("tenants/legacy/transforms/summary.ts");
      r.write("tenants/legacy/transforms/sum-mary.ts", text);
      r.write("tenants/legacy/transforms/sum_mary.ts", text);
      const pipeline = (name: string, module: string) => [
        `      ${name}:`,
        "        source_table: Order Details",
        "        date_column: CamelCase",
        "        has_transfer: true",
        "        transfer_inputs: [order_details, customers]",
        "        transfer:",
        `          module: ${module}`,
        "          export: summarise",
        "          output: { columns: { snapshot_date: { type: date, nullable: true }, orders: bigint, customers: bigint } }",
      ];
      r.replace(
        CONFIG,
        "      customers:\n",
        [
          ...pipeline("dashed", "sum-mary"),
          ...pipeline("underscored", "sum_mary"),
          "      customers:",
          "",
        ].join("\n"),
      );
    },
  },
  {
    name: "transform-output-without-its-partition-column",
    edit: (r) => {
      r.replace(
        CONFIG,
        "        has_transfer: true\n        transfer_inputs: [order_details, customers]",
        "        has_transfer: true\n        save_to_trino: true\n        trino_output: { target_table: summary, write_mode: replace_partition }\n        transfer_inputs: [order_details, customers]",
      );
      r.replace(
        CONFIG,
        "snapshot_date: { type: date, nullable: true }",
        "snapshot_day: { type: date, nullable: true }",
      );
    },
  },
  {
    name: "transform-files-differ-only-by-case",
    edit: (r) =>
      r.write(
        "tenants/legacy/transforms/Summary.ts",
        r.read("tenants/legacy/transforms/summary.ts"),
      ),
  },
  {
    name: "dbt-source-declares-a-source-name",
    edit: (r) => {
      r.replace(CONFIG, "  storage:\n", `${DBT}  storage:\n`);
      r.write(MANIFEST, manifestWithSource(["order_id", "Order ID", "field-with_sep"]));
    },
  },
];

let template = "";
const work: string[] = [];

function freshRoot(): Root {
  const dir = mkdtempSync(path.join(tmpdir(), "gen-names-"));
  work.push(dir);
  cpSync(template, dir, { recursive: true });
  return new Root(dir);
}

beforeAll(async () => {
  template = mkdtempSync(path.join(tmpdir(), "gen-names-base-"));
  work.push(template);
  cpSync(BASE, path.join(template, "tenants"), { recursive: true });
  const r = await generateCli(template);
  expect(r.code, r.stderr).toBe(0);
  expect(existsSync(path.join(template, PLAN))).toBe(true);
}, 120_000);

afterAll(() => {
  for (const d of work) rmSync(d, { recursive: true, force: true });
});

describe.concurrent("a name the target cannot carry is refused at generate time, naming every source", () => {
  for (const c of REFUSED) {
    it(c.name, async ({ expect: local }) => {
      const root = freshRoot();
      c.edit(root);
      const generated = path.join(root.dir, "generated");
      const before = treeDigest(generated);
      const r = await generateCli(root.dir);
      local(r.code, r.stdout + r.stderr).toBe(1);
      local(treeDigest(generated)).toBe(before);
      local(r.stderr).not.toMatch(/^\s+at /m);
      local(r.stderr).toMatch(/\d+ problems? found; nothing was written\.\n$/);
      local(r.stderr).toMatchSnapshot();
    });
  }
});

/** The plan text of a generated root, for assertions on the exact names it holds. */
function planOf(root: Root): string {
  return root.read(PLAN);
}

describe.concurrent("names PostgreSQL holds are taken exactly as written", () => {
  const ACCEPTED: { name: string; edit: (r: Root) => void; want: string[] }[] = [
    {
      // Refused before target naming existed (corpus case source-table-unicode-quote).
      name: "source table with unicode and a quote",
      edit: (r) => r.replace(CONFIG, 'source_table: "اسم الجدول"', "source_table: '품목\"'"),
      want: ['sourceTable: "품목\\""'],
    },
    {
      // Refused before (corpus case source-schema-quote).
      name: "source schema with a quote",
      edit: (r) => r.replace(CONFIG, `schema: 'Ventas Ñ"q'`, "schema: 'pub\"lic'"),
      want: ['schema: "pub\\"lic"'],
    },
    {
      name: "source schema in Arabic",
      edit: (r) => r.replace(CONFIG, `schema: 'Ventas Ñ"q'`, "schema: مخطط"),
      want: ['schema: "مخطط"'],
    },
    {
      // Refused before (corpus case date-column-semicolon); without a snapshot any identifier is
      // a possible column, checked by the extract before it reads a row.
      name: "date column with a semicolon, no snapshot",
      edit: (r) => {
        r.replace(
          CONFIG,
          "        date_column: CamelCase\n        save_to_trino",
          '        date_column: "created_at; --"\n        save_to_trino',
        );
        r.write(SNAPSHOT, `${JSON.stringify({ version: 1, pipelines: {} }, null, 2)}\n`);
        r.replace(
          CONFIG,
          "        transfer_inputs: [order_details, customers]",
          "        transfer_inputs: [order_details]",
        );
        r.write(
          "tenants/legacy/transforms/summary.ts",
          'import type { SummaryTransform } from "../rows.js";\n\nexport const summarise: SummaryTransform = async () => [];\n',
        );
      },
      want: ['dateColumn: "created_at; --"', "names: null"],
    },
    {
      name: "a dbt source declaring the derived names",
      edit: (r) => {
        r.replace(CONFIG, "  storage:\n", `${DBT}  storage:\n`);
        r.write(MANIFEST, manifestWithSource(["order_id", "field_with_sep", "camel_case"]));
      },
      want: ['"order_id"', 'targetSchema: "analytics"'],
    },
  ];
  for (const c of ACCEPTED) {
    it(c.name, async ({ expect: local }) => {
      const root = freshRoot();
      c.edit(root);
      const r = await generateCli(root.dir);
      local(r.code, r.stderr).toBe(0);
      const plan = planOf(root);
      for (const w of c.want) {
        local(plan).toContain(w);
      }
    });
  }
});
