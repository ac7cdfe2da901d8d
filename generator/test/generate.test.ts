/**
 * Whole-generator properties on the real repository's tenants: determinism across runs and
 * working directories, no environment value in the output, and a malformed tenant leaving
 * generated/ exactly as it was (through the real CLI).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generate } from "../src/generate.js";
import { copyRepoInputs, REPO } from "./repo-copy.js";

function snapshotDir(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const n of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel === "" ? n : `${rel}/${n}`;
      if (statSync(path.join(dir, r)).isDirectory()) {
        walk(r);
      } else {
        out.set(r, readFileSync(path.join(dir, r), "utf8"));
      }
    }
  };
  walk("");
  return out;
}

function files(root: string): Map<string, string> {
  const r = generate({ root });
  if (!r.ok) {
    throw new Error(`generation failed: ${JSON.stringify(r.problems)}`);
  }
  return r.files;
}

/** The dev plan's dbt.externalSources of project_01 with `external_sources` set to `value`. */
function externalSourcesWith(value: string): string[] | undefined {
  const root = copyRepoInputs();
  const manifestPath = path.join(root, "tenants/project_01/dbt/target/manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    sources: Record<string, Record<string, unknown>>;
  };
  // A second source that no pipeline extracts: only external_sources can account for it.
  const fed = manifest.sources["source.project_01_dbt.source_db.cfg_item_master"];
  manifest.sources["source.project_01_dbt.erp.orders"] = {
    ...fed,
    unique_id: "source.project_01_dbt.erp.orders",
    source_name: "erp",
    name: "orders",
    identifier: "orders",
  };
  writeFileSync(manifestPath, JSON.stringify(manifest));
  const config = path.join(root, "tenants/project_01/config.yaml");
  const text = readFileSync(config, "utf8");
  expect(text).toContain("\n  dbt:\n");
  writeFileSync(config, text.replace("\n  dbt:\n", `\n  dbt:\n    external_sources: ${value}\n`));
  const r = generate({ root, tenants: ["project_01"] });
  if (!r.ok) {
    throw new Error(`generation failed: ${JSON.stringify(r.problems)}`);
  }
  return r.models[0]?.plan.shared.dbt?.externalSources;
}

describe("dbt.external_sources in the plan", () => {
  it("lists the sources that `all` covers, by name (no pipeline feeds them)", () => {
    expect(externalSourcesWith("all")).toEqual(["erp.orders"]);
  });

  it("keeps an explicit list as written", () => {
    expect(externalSourcesWith('["orders"]')).toEqual(["orders"]);
  });
});

describe("generator output", () => {
  it("is identical when generated twice and from a copy of the repository at another path", () => {
    const first = files(REPO);
    const second = files(REPO);
    const elsewhere = files(copyRepoInputs());
    expect([...second.entries()]).toEqual([...first.entries()]);
    expect([...elsewhere.entries()]).toEqual([...first.entries()]);
    for (const [p, text] of first) {
      expect(text.includes("\r"), `${p} has CR`).toBe(false);
      expect(text.includes(REPO), `${p} names the checkout path`).toBe(false);
    }
  });

  it("matches the committed generated/ folder", () => {
    for (const [p, text] of files(REPO)) {
      expect(readFileSync(path.join(REPO, p), "utf8"), p).toBe(text);
    }
  });

  it("never contains a value from the generating environment", () => {
    const secret = "pw-Zq9x-DO-NOT-LEAK-7731";
    const saved = process.env.PROJECT_01_DB_PASSWORD;
    process.env.PROJECT_01_DB_PASSWORD = secret;
    process.env.TRINO_HOST = "leaky-host.example.invalid";
    try {
      for (const [p, text] of files(REPO)) {
        expect(text.includes(secret), p).toBe(false);
        expect(text.includes("leaky-host.example.invalid"), p).toBe(false);
      }
    } finally {
      if (saved === undefined) {
        delete process.env.PROJECT_01_DB_PASSWORD;
      } else {
        process.env.PROJECT_01_DB_PASSWORD = saved;
      }
      delete process.env.TRINO_HOST;
    }
  });

  it("leaves generated/ exactly as it was when a tenant file is malformed", () => {
    const root = copyRepoInputs();
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [path.join(REPO, "generator/bin/generate.mjs"), "--root", root, ...args],
        {
          encoding: "utf8",
          cwd: REPO,
          env: { ...process.env, PROJECT_01_DB_PASSWORD: "pw-should-not-matter" },
        },
      );
    const ok = cli();
    expect(ok.status, ok.stderr).toBe(0);
    const before = snapshotDir(path.join(root, "generated"));
    const config = path.join(root, "tenants/project_01/config.yaml");
    const text = readFileSync(config, "utf8");
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.includes('date_column: "created_at"')) + 1;
    const col = (lines[line - 1] ?? "").indexOf("date_column") + 1;
    expect(line).toBeGreaterThan(0);
    writeFileSync(config, text.replace('date_column: "created_at"', 'date_colum: "created_at"'));
    const bad = cli();
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      `tenants/project_01/config.yaml:${line}:${col} tenant.assets.pipelines.lot_history.date_colum: unknown key "date_colum"`,
    );
    expect(bad.stderr).toContain('did you mean "date_column"?');
    expect(snapshotDir(path.join(root, "generated"))).toEqual(before);
    const check = cli("--check");
    expect(check.status).toBe(1);
  });
});
