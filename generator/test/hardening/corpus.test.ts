/**
 * Bad-input corpus through the real CLI (`npm run generate`'s entry, spawned as a process with
 * --root at a temporary copy). Each new case starts from fixtures/base (a valid tenant, checked
 * first) and breaks it in one way; the 38 negative fixtures of fixtures/invalid/ run through the
 * CLI too. For every case: exit code 1, one problem per line naming file (line:col where known) and
 * YAML path, no stack trace (only --debug may print one), and generated/ byte-identical before and
 * after. The reports of the new cases are pinned in __snapshots__/corpus.test.ts.snap.
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
import { syntheticManifest } from "../dbt/synthetic.js";

const exec = promisify(execFile);
const HERE = import.meta.dirname;
/** `npm run generate`'s entry: the built CLI when dist/ is fresh, else the sources through tsx. */
const CLI = path.resolve(HERE, "../../bin/generate.mjs");
const BASE = path.join(HERE, "fixtures", "base");
const INVALID = path.resolve(HERE, "../fixtures/invalid");
const CONFIG = "tenants/acme/config.yaml";
const MANIFEST = "tenants/acme/dbt/target/manifest.json";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the generator's CLI as a child process, the way `npm run generate` does. */
async function generateCli(root: string, extra: string[] = []): Promise<CliResult> {
  const args = [CLI, "--root", root, ...extra];
  try {
    const r = await exec(process.execPath, args, { cwd: root, maxBuffer: 8 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") {
      throw new Error(`could not run the generator CLI: ${String(error)}`);
    }
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** A digest of every file (path and bytes) under `dir`; "absent" when it does not exist. */
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

/** A case's repository root: a copy of the base (with its generated/ output) to break. */
class Root {
  constructor(readonly dir: string) {}
  read(rel: string): string {
    return readFileSync(path.join(this.dir, rel), "utf8");
  }
  write(rel: string, text: string | Uint8Array): void {
    mkdirSync(path.dirname(path.join(this.dir, rel)), { recursive: true });
    writeFileSync(path.join(this.dir, rel), text);
  }
  remove(rel: string): void {
    rmSync(path.join(this.dir, rel), { recursive: true, force: true });
  }
  /** Replaces one exact snippet of a file; a snippet that is not there fails the case loudly. */
  replace(rel: string, from: string, to: string): void {
    const text = this.read(rel);
    if (!text.includes(from)) {
      throw new Error(`case setup: ${rel} has no ${JSON.stringify(from)}`);
    }
    this.write(rel, text.replace(from, to));
  }
  manifest(m: Record<string, unknown>): void {
    this.write(MANIFEST, `${JSON.stringify(m, null, 2)}\n`);
  }
}

const ITEMS_SOURCE = { source: "raw", table: "items", pkg: "acme" };
const LONG = `t${"x".repeat(199)}`;
const PORT_REF = `"$${"{"}ACME_DB_PORT:5432}"`;

/** Each new case: a name and the one way it breaks the base tenant. */
const CASES: { name: string; edit: (r: Root) => void }[] = [
  // --- malformed YAML and wrong shapes ---
  { name: "yaml-empty-file", edit: (r) => r.write(CONFIG, "") },
  { name: "yaml-root-is-list", edit: (r) => r.write(CONFIG, "- tenant\n- acme\n") },
  { name: "yaml-root-is-scalar", edit: (r) => r.write(CONFIG, "just a string\n") },
  {
    name: "yaml-tab-indentation",
    edit: (r) => r.replace(CONFIG, '  name: "Acme"', '\tname: "Acme"'),
  },
  {
    name: "yaml-two-documents",
    edit: (r) => r.write(CONFIG, `${r.read(CONFIG)}---\ntenant:\n  id: other\n`),
  },
  {
    name: "yaml-alias-bomb",
    edit: (r) => {
      const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i <= 9; i++) {
        lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]`);
      }
      r.write(CONFIG, `${lines.join("\n")}\n${r.read(CONFIG)}`);
    },
  },
  {
    name: "yaml-invalid-utf8",
    edit: (r) =>
      r.write(
        CONFIG,
        Buffer.concat([
          Buffer.from(r.read(CONFIG).split('name: "Acme"')[0] ?? ""),
          Buffer.from('name: "Ac'),
          Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
          Buffer.from(`me"${r.read(CONFIG).split('name: "Acme"')[1] ?? ""}`),
        ]),
      ),
  },
  {
    name: "yaml-duplicate-key",
    edit: (r) => r.replace(CONFIG, '  name: "Acme"\n', '  name: "Acme"\n  name: "Acme 2"\n'),
  },
  {
    name: "config-is-a-directory",
    edit: (r) => {
      r.remove(CONFIG);
      r.write(`${CONFIG}/x`, "");
    },
  },
  {
    name: "pipelines-is-a-list",
    edit: (r) =>
      r.write(
        CONFIG,
        r
          .read(CONFIG)
          .replace(
            / {4}pipelines:\n[\s\S]*? {2}jobs:\n/,
            "    pipelines:\n      - items\n  jobs:\n",
          )
          .replace(/has_dbt_transform[^\n]*\n/, ""),
      ),
  },
  { name: "port-is-a-list", edit: (r) => r.replace(CONFIG, PORT_REF, "[5432]") },
  { name: "port-out-of-range", edit: (r) => r.replace(CONFIG, PORT_REF, "99999") },
  {
    name: "start-date-not-a-date",
    edit: (r) => r.replace(CONFIG, 'start_date: "2024-01-01"', 'start_date: "2024-13-45"'),
  },
  {
    name: "unknown-key-in-trino-output",
    edit: (r) => r.replace(CONFIG, "target_table: aps_input_wip", "target_tabel: aps_input_wip"),
  },
  {
    name: "range-check-min-above-max",
    edit: (r) =>
      r.replace(CONFIG, "column: wip_qty, min: 0 }", "column: wip_qty, min: 10, max: 1 }"),
  },
  // --- cron and time zone garbage ---
  {
    name: "cron-shell-injection",
    edit: (r) => r.replace(CONFIG, 'cron: "0 2 * * *"', 'cron: "0 2 * * *; rm -rf /"'),
  },
  { name: "cron-empty", edit: (r) => r.replace(CONFIG, 'cron: "0 2 * * *"', 'cron: ""') },
  { name: "cron-a-number", edit: (r) => r.replace(CONFIG, 'cron: "0 2 * * *"', "cron: 5") },
  {
    name: "cron-with-seconds",
    edit: (r) => r.replace(CONFIG, 'cron: "0 2 * * *"', 'cron: "0 0 2 * * *"'),
  },
  {
    name: "partition-timezone-garbage",
    edit: (r) =>
      r.replace(CONFIG, '    timezone: "Asia/Seoul"\n  dbt', '    timezone: "Mars/Olympus"\n  dbt'),
  },
  {
    name: "timezone-offset-text",
    edit: (r) =>
      r.replace(CONFIG, '        timezone: "Asia/Seoul"', '        timezone: "+09:00; DROP"'),
  },
  {
    name: "timezone-empty",
    edit: (r) => r.replace(CONFIG, '        timezone: "Asia/Seoul"', '        timezone: ""'),
  },
  // --- hostile identifiers ---
  {
    name: "pipeline-name-quote",
    edit: (r) => r.replace(CONFIG, "      lot_history:\n", '      "it\'em\\"s":\n'),
  },
  {
    name: "pipeline-name-semicolon",
    edit: (r) => r.replace(CONFIG, "      lot_history:\n", '      "items;drop":\n'),
  },
  {
    name: "pipeline-name-unicode",
    edit: (r) => r.replace(CONFIG, "      lot_history:\n", '      "품목":\n'),
  },
  {
    name: "pipeline-name-200-chars",
    edit: (r) => r.replace(CONFIG, "      lot_history:\n", `      ${LONG}:\n`),
  },
  {
    name: "key-column-reserved",
    edit: (r) => r.replace(CONFIG, '"snapshot_date", "process_step"]', '"snapshot_date", "order"]'),
  },
  // A source table or schema with a quote or in another script, and a date column with a
  // semicolon, are valid PostgreSQL names: names.test.ts proves they are taken exactly as written.
  {
    name: "source-table-200-chars",
    edit: (r) => r.replace(CONFIG, "source_table: items", `source_table: ${LONG}`),
  },
  {
    name: "target-table-quote",
    edit: (r) => r.replace(CONFIG, "target_table: aps_input_wip", "target_table: 'aps\"wip'"),
  },
  {
    name: "target-table-200-chars",
    edit: (r) => r.replace(CONFIG, "target_table: aps_input_wip", `target_table: ${LONG}`),
  },
  {
    name: "target-schema-semicolon",
    edit: (r) =>
      r.replace(
        CONFIG,
        "          target_schema: aps",
        '          target_schema: "aps; DROP SCHEMA x"',
      ),
  },
  {
    name: "target-schema-reserved",
    edit: (r) =>
      r.replace(
        CONFIG,
        '  target_database:\n    target_schema: "aps"',
        '  target_database:\n    target_schema: "from"',
      ),
  },
  {
    name: "key-column-quote",
    edit: (r) =>
      r.replace(CONFIG, '"snapshot_date", "process_step"]', '"snapshot_date", \'process"step\']'),
  },
  {
    name: "output-column-hostile",
    edit: (r) =>
      r.replace(CONFIG, "              wip_qty: bigint", '              "wip qty\\"; --": bigint'),
  },
  { name: "tenant-id-unicode", edit: (r) => r.replace(CONFIG, 'id: "acme"', 'id: "ácme"') },
  {
    name: "base-path-traversal",
    edit: (r) =>
      r.replace(CONFIG, 'base_path: "project_id=acme"', 'base_path: "../project_id=other"'),
  },
  // --- dbt manifests ---
  {
    name: "manifest-truncated",
    edit: (r) => {
      const text = r.read(MANIFEST);
      r.write(MANIFEST, text.slice(0, Math.floor(text.length / 2)));
    },
  },
  { name: "manifest-empty-file", edit: (r) => r.write(MANIFEST, "") },
  {
    name: "manifest-unsupported-version",
    edit: (r) =>
      r.manifest(
        syntheticManifest(
          5,
          [{ id: "model.acme.stg_items", deps: ["source.acme.raw.items"] }],
          [ITEMS_SOURCE],
        ),
      ),
  },
  {
    name: "manifest-no-version",
    edit: (r) => r.write(MANIFEST, JSON.stringify({ nodes: {}, sources: {} })),
  },
  { name: "manifest-missing", edit: (r) => r.remove(MANIFEST) },
  {
    name: "manifest-dangling-depends-on",
    edit: (r) =>
      r.manifest(
        syntheticManifest(
          12,
          [{ id: "model.acme.stg_items", deps: ["source.acme.raw.items", "model.acme.gone"] }],
          [ITEMS_SOURCE],
        ),
      ),
  },
  {
    name: "manifest-cycle",
    edit: (r) =>
      r.manifest(
        syntheticManifest(
          12,
          [
            { id: "model.acme.stg_items", deps: ["source.acme.raw.items", "model.acme.b"] },
            { id: "model.acme.b", deps: ["model.acme.stg_items"] },
          ],
          [ITEMS_SOURCE],
        ),
      ),
  },
  {
    name: "manifest-duplicate-names",
    edit: (r) =>
      r.manifest(
        syntheticManifest(
          12,
          [
            { id: "model.acme.stg_items", deps: ["source.acme.raw.items"] },
            { id: "model.other_pkg.stg_items", file: "models/other/stg_items.sql" },
          ],
          [ITEMS_SOURCE],
        ),
      ),
  },
  {
    name: "manifest-path-traversal",
    edit: (r) =>
      r.replace(
        CONFIG,
        "  dbt:\n    enabled: true\n",
        '  dbt:\n    enabled: true\n    manifest_path: "../../../etc/passwd"\n',
      ),
  },
  // --- transform modules ---
  {
    name: "transform-export-missing",
    edit: (r) =>
      r.replace("tenants/acme/transforms/wip.ts", "export const wip", "export const wipp"),
  },
  {
    name: "transform-default-export-only",
    edit: (r) =>
      r.replace("tenants/acme/transforms/wip.ts", "export const wip =", "export default"),
  },
  {
    name: "transform-export-hostile",
    edit: (r) => r.replace(CONFIG, "export: wip", 'export: "wip; process.exit()"'),
  },
  {
    name: "transform-module-traversal",
    edit: (r) => r.replace(CONFIG, "module: wip", 'module: "../../../etc/passwd"'),
  },
  // --- several tenants: one bad tenant means nothing is written for any ---
  {
    name: "second-tenant-broken",
    edit: (r) => {
      r.write(
        "tenants/beta/config.yaml",
        r
          .read("tenants/acme/config.yaml")
          .replace('id: "acme"', 'id: "beta"')
          .replace("project_id=acme", "project_id=beta")
          .replace("dbt:\n    enabled: true", "dbt:\n    enabled: false")
          .replace(
            '        has_dbt_transform: true\n        dbt_transform:\n          dbt_select: "stg_items"\n',
            "",
          )
          .replace("module: wip", "module: nope"),
      );
    },
  },
];

let template = "";
const work: string[] = [];

function freshRoot(): Root {
  const dir = mkdtempSync(path.join(tmpdir(), "gen-hardening-"));
  work.push(dir);
  cpSync(template, dir, { recursive: true });
  return new Root(dir);
}

/** What every refused case shares, whatever its problem. */
function expectRefused(r: CliResult, before: string, after: string): void {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toBe("");
  expect(after).toBe(before);
  // No stack trace and no absolute machine path without --debug.
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain(tmpdir());
  const lines = r.stderr.trimEnd().split("\n");
  const last = lines.at(-1) ?? "";
  if (last.startsWith("error: ")) {
    // An error outside the problem report (e.g. unreadable files): still one clear line.
    expect(lines).toHaveLength(1);
    return;
  }
  expect(last).toMatch(/^\d+ problems? found; nothing was written\.$/);
  const count = Number(/^(\d+)/.exec(last)?.[1]);
  const problems = lines.filter((l) => l.length > 0 && !l.startsWith(" ") && l !== last);
  expect(problems).toHaveLength(count);
  for (const p of problems) {
    // file[:line:col] path: message
    expect(p).toMatch(/^tenants\/[^\s:]+(:\d+:\d+)? \S*:? ?\S.*$/);
  }
}

beforeAll(async () => {
  template = mkdtempSync(path.join(tmpdir(), "gen-hardening-base-"));
  work.push(template);
  cpSync(BASE, template, { recursive: true });
  // The base is valid: every case below fails because of its one change.
  const r = await generateCli(template);
  expect(r.code, r.stderr).toBe(0);
  expect(existsSync(path.join(template, "generated", "acme", ".etl-generated"))).toBe(true);
}, 120_000);

afterAll(() => {
  for (const d of work) rmSync(d, { recursive: true, force: true });
});

describe.concurrent("bad input is refused through the CLI, and nothing is written", () => {
  for (const c of CASES) {
    it(c.name, async ({ expect: local }) => {
      const root = freshRoot();
      c.edit(root);
      const generated = path.join(root.dir, "generated");
      const before = treeDigest(generated);
      const r = await generateCli(root.dir);
      expectRefused(r, before, treeDigest(generated));
      local(r.stderr).toMatchSnapshot();
    });
  }

  const existing = readdirSync(INVALID).sort();
  for (const name of existing) {
    it(`fixtures/invalid/${name}`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "gen-hardening-fx-"));
      work.push(dir);
      cpSync(path.join(INVALID, name), dir, { recursive: true });
      const before = treeDigest(path.join(dir, "generated"));
      const r = await generateCli(dir);
      expectRefused(r, before, treeDigest(path.join(dir, "generated")));
    });
  }

  it("the corpus holds at least 60 cases", () => {
    expect(CASES.length + existing.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });
});

describe("--debug", () => {
  it("adds a stack trace to an internal error, and only then", async () => {
    const root = freshRoot();
    root.remove(CONFIG);
    root.write(`${CONFIG}/x`, "");
    const plain = await generateCli(root.dir);
    const debug = await generateCli(root.dir, ["--debug"]);
    expect(plain.code).toBe(1);
    expect(debug.code).toBe(1);
    expect(plain.stderr).not.toMatch(/^\s+at /m);
    if (plain.stderr.startsWith("error: ")) {
      expect(debug.stderr).toMatch(/^\s+at /m);
    } else {
      // Reported as a problem (not an internal error): --debug changes nothing.
      expect(debug.stderr).toBe(plain.stderr);
    }
  });
});
