/**
 * The incremental path (src/incremental.ts) through the real CLI: whatever the cache holds, the
 * generated/ folder ends byte for byte as a run without the cache leaves it, and the report is the
 * same. Each case applies one change to two copies of the repository's tenants, generates one with
 * the cache and one with --no-cache, and compares.
 */
import { spawnSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateParallel } from "../src/generate-parallel.js";
import { type Lookup, openCache } from "../src/incremental.js";
import { copyRepoInputs, REPO } from "./repo-copy.js";

function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const child = `${rel}/${name}`;
      const st = lstatSync(path.join(root, child));
      if (st.isSymbolicLink()) out.set(child, `link to ${readlinkSync(path.join(root, child))}`);
      else if (st.isDirectory()) walk(child);
      else out.set(child, readFileSync(path.join(root, child), "utf8"));
    }
  };
  walk("generated");
  return out;
}

interface Pair {
  cached: string;
  plain: string;
  cacheDir: string;
}

function pair(): Pair {
  return {
    cached: copyRepoInputs(),
    plain: copyRepoInputs(),
    cacheDir: mkdtempSync(path.join(os.tmpdir(), "etl-gen-cache-")),
  };
}

function cli(root: string, cacheDir: string, ...args: string[]) {
  const r = spawnSync(
    process.execPath,
    [path.join(REPO, "generator/bin/generate.mjs"), "--root", root, ...args],
    { encoding: "utf8", cwd: REPO, env: { ...process.env, ETL_GENERATE_CACHE: cacheDir } },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Generates both copies; the cached one's report may only add how many tenants it reused. */
function generateBoth(p: Pair, ...args: string[]): { reused: string } {
  const cached = cli(p.cached, p.cacheDir, ...args);
  const plain = cli(p.plain, p.cacheDir, "--no-cache", ...args);
  expect(cached.status, cached.stderr).toBe(plain.status);
  expect(cached.stderr.replaceAll(p.cached, "<root>")).toBe(
    plain.stderr.replaceAll(p.plain, "<root>"),
  );
  const reused = /; (\d+ of \d+) tenants reused from the cache/.exec(cached.stdout)?.[1] ?? "";
  expect(cached.stdout.replace(/; \d+ of \d+ tenants reused from the cache/, "")).toBe(
    plain.stdout,
  );
  expect(snapshot(p.cached)).toEqual(snapshot(p.plain));
  return { reused };
}

/** Applies `edit` to the same file of both copies. */
function editBoth(p: Pair, rel: string, edit: (text: string) => string): void {
  for (const root of [p.cached, p.plain]) {
    const file = path.join(root, rel);
    const text = readFileSync(file, "utf8");
    const edited = edit(text);
    expect(edited, `${rel} changed`).not.toBe(text);
    writeFileSync(file, edited);
  }
}

/**
 * Waits past the racy window (a file changed within a second of being recorded is always hashed),
 * so the next run records, and the one after trusts, the files' stats.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1200));
}

function entries(cacheDir: string): string[] {
  const [repo] = readdirSync(cacheDir);
  return repo === undefined
    ? []
    : readdirSync(path.join(cacheDir, repo)).map((n) => path.join(cacheDir, repo, n));
}

describe("incremental generation", () => {
  it("reuses unchanged tenants and compiles the changed one, with the full run's output", async () => {
    const p = pair();
    expect(generateBoth(p).reused).toBe("0 of 3");
    await settle();
    expect(generateBoth(p).reused).toBe("3 of 3");
    expect(generateBoth(p, "--check").reused).toBe("3 of 3");
    editBoth(p, "tenants/project_02/config.yaml", (t) =>
      t.replace(/name: "[^"]*"/, 'name: "Project 02 renamed"'),
    );
    expect(generateBoth(p).reused).toBe("2 of 3");
    await settle();
    expect(generateBoth(p).reused).toBe("3 of 3");
  });

  it("sees an edit that keeps the file's size and mtime", async () => {
    const p = pair();
    const rel = "tenants/project_01/transforms/wip.ts";
    // A whole second, which utimes sets exactly, so the edit below can put it back as it was.
    const mtime = 1_700_000_000;
    for (const root of [p.cached, p.plain]) utimesSync(path.join(root, rel), mtime, mtime);
    generateBoth(p);
    await settle();
    generateBoth(p);
    await settle();
    // Now the entries hold trusted stats: only the ctime and inode tell of the next edit.
    expect(generateBoth(p).reused).toBe("3 of 3");
    for (const root of [p.cached, p.plain]) {
      const file = path.join(root, rel);
      const before = statSync(file);
      writeFileSync(file, readFileSync(file, "utf8").replace("export", "EXPORT"));
      utimesSync(file, mtime, mtime);
      expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
      expect(statSync(file).size).toBe(before.size);
    }
    // Refused by the model (no export any more) in both, with the same report.
    expect(generateBoth(p).reused).toBe("");
  });

  it("rewrites a reused tenant's generated file edited by hand, and deletes a stray file in it", async () => {
    const p = pair();
    generateBoth(p);
    await settle();
    for (const root of [p.cached, p.plain]) {
      const file = path.join(root, "generated/project_01/src/plan.ts");
      writeFileSync(file, `${readFileSync(file, "utf8")}// edited\n`);
      writeFileSync(path.join(root, "generated/project_02/extra.txt"), "not generated\n");
    }
    // Neither folder is as its entry recorded it (an edited file; a file the entry does not name):
    // both are compiled, so the writer rewrites the one and deletes the other as a full run does.
    // A reused tenant's folder is never looked into by the writer (keptDirs), so the cache must
    // not vouch for a folder holding anything it did not write.
    expect(generateBoth(p).reused).toBe("1 of 3");
    await settle();
    expect(generateBoth(p).reused).toBe("3 of 3");
  });

  it("ignores a damaged or tampered entry", async () => {
    const p = pair();
    generateBoth(p);
    await settle();
    const files = entries(p.cacheDir).sort();
    expect(files.length).toBe(3);
    const [first, second, third] = files;
    if (first === undefined || second === undefined || third === undefined) return;
    writeFileSync(first, readFileSync(first, "utf8").slice(0, 100));
    writeFileSync(second, "{ not json");
    const entry = JSON.parse(readFileSync(third, "utf8")) as {
      body: { footprint: { basePath: string } };
    };
    entry.body.footprint.basePath = "project_id=someone_else";
    writeFileSync(third, JSON.stringify(entry));
    expect(generateBoth(p).reused).toBe("0 of 3");
  });

  it("redoes the cross-tenant checks over reused tenants", async () => {
    const p = pair();
    generateBoth(p);
    await settle();
    const base = /base_path: "([^"]*)"/.exec(
      readFileSync(path.join(p.plain, "tenants/project_01/config.yaml"), "utf8"),
    )?.[1];
    expect(base).toBeDefined();
    editBoth(p, "tenants/project_02/config.yaml", (t) =>
      t.replace(/base_path: "[^"]*"/, `base_path: "${base}"`),
    );
    // Both refuse with the same report; project_01 came from the cache, project_02 did not.
    const plain = cli(p.plain, p.cacheDir, "--no-cache");
    expect(plain.status).toBe(1);
    expect(plain.stderr).toContain("share the same storage bucket and base_path");
    generateBoth(p);
  });

  it("removes a removed tenant's folder as the full run does, and compiles the rest once", async () => {
    const p = pair();
    generateBoth(p);
    await settle();
    for (const root of [p.cached, p.plain]) {
      rmSync(path.join(root, "tenants/project_02"), { recursive: true });
    }
    // The tenant list is in every key (a tenant's checks name the others): all compiled, once.
    expect(generateBoth(p).reused).toBe("0 of 2");
    expect(readdirSync(path.join(p.cached, "generated"))).not.toContain("project_02");
    await settle();
    expect(generateBoth(p).reused).toBe("2 of 2");
  });

  it("compiles a tenant whose dbt manifest changed, inside its folder or outside it", async () => {
    const p = pair();
    // project_02's dbt project moved outside its folder: its manifest is then an outside input.
    for (const root of [p.cached, p.plain]) {
      mkdirSync(path.join(root, "shared"));
      renameSync(path.join(root, "tenants/project_02/dbt"), path.join(root, "shared/dbt_02"));
    }
    editBoth(p, "tenants/project_02/config.yaml", (t) =>
      t.replace("    target: dev\n", '    target: dev\n    project_dir: "shared/dbt_02"\n'),
    );
    generateBoth(p);
    await settle();
    expect(generateBoth(p).reused).toBe("3 of 3");
    const describe = (text: string) =>
      text.replace(
        '"Item master enriched: priority category and manufactured flag"',
        '"Item master enriched, described anew"',
      );
    editBoth(p, "shared/dbt_02/target/manifest.json", describe);
    expect(generateBoth(p).reused).toBe("2 of 3");
    expect(readFileSync(path.join(p.cached, "generated/project_02/src/plan.ts"), "utf8")).toContain(
      "described anew",
    );
    await settle();
    expect(generateBoth(p).reused).toBe("3 of 3");
    // And a manifest inside the tenant's own folder.
    editBoth(p, "tenants/project_01/dbt/target/manifest.json", (t) =>
      t.replace(/"description": "([^"]+)"/, '"description": "$1, described anew"'),
    );
    expect(generateBoth(p).reused).toBe("2 of 3");
  });

  it("reports a nested storage prefix the changed tenant introduces against a reused one", async () => {
    const p = pair();
    generateBoth(p);
    await settle();
    const base = /base_path: "([^"]*)"/.exec(
      readFileSync(path.join(p.plain, "tenants/project_01/config.yaml"), "utf8"),
    )?.[1];
    expect(base).toBeDefined();
    editBoth(p, "tenants/project_02/config.yaml", (t) =>
      t.replace(/base_path: "[^"]*"/, `base_path: "${base}/inside"`),
    );
    const plain = cli(p.plain, p.cacheDir, "--no-cache");
    expect(plain.status).toBe(1);
    expect(plain.stderr).toContain("nested storage prefixes");
    generateBoth(p);
  });

  it("never reuses a tenant whose generated folder holds a link, and refuses it as the full run does", async () => {
    const p = pair();
    generateBoth(p);
    await settle();
    for (const root of [p.cached, p.plain]) {
      symlinkSync(os.tmpdir(), path.join(root, "generated/project_02/src/elsewhere"));
    }
    const cached = cli(p.cached, p.cacheDir);
    expect(cached.status).toBe(1);
    expect(cached.stderr).toContain("generated/project_02/src/elsewhere is a symbolic link");
    generateBoth(p);
  });

  it("leaves build products in a reused tenant's folder alone, as the full run does", async () => {
    const p = pair();
    generateBoth(p);
    await settle();
    for (const root of [p.cached, p.plain]) {
      mkdirSync(path.join(root, "generated/project_02/node_modules/.bin"), { recursive: true });
      symlinkSync(os.tmpdir(), path.join(root, "generated/project_02/node_modules/.bin/tool"));
      mkdirSync(path.join(root, "generated/project_02/dist"));
      writeFileSync(path.join(root, "generated/project_02/dist/main.js"), "built\n");
    }
    expect(generateBoth(p).reused).toBe("3 of 3");
    expect(readFileSync(path.join(p.cached, "generated/project_02/dist/main.js"), "utf8")).toBe(
      "built\n",
    );
  });

  it("compiles every tenant again when the generator's code changed", async () => {
    const root = copyRepoInputs();
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), "etl-gen-cache-"));
    expect(cli(root, cacheDir).status).toBe(0);
    const reusedWith = async (fingerprint: string) => {
      const cache = openCache(root, { cacheDir, fingerprint });
      const lookups: Lookup[] = [];
      const result = await generateParallel({ root }, 0, (dir) => {
        const found = cache.lookup(dir);
        lookups.push(found);
        return found.kind === "reuse" ? found.tenant : null;
      });
      expect(result.ok).toBe(true);
      return lookups.filter((l) => l.kind === "reuse").length;
    };
    // The CLI's entries were keyed by the real code; another fingerprint finds none of them.
    expect(await reusedWith("another generator")).toBe(0);
  });
});
