/**
 * generateParallel (worker threads) must give exactly what the single-threaded generate gives:
 * the same files for a valid repository and the same problems for an invalid one.
 */
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type GenerateResult, generate } from "../src/generate.js";
import { generateParallel, PARALLEL_MIN_TENANTS, workerCount } from "../src/generate-parallel.js";
import { copyRepoInputs, REPO } from "./repo-copy.js";

function replaceInTree(dir: string, from: string, to: string): void {
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) {
      replaceInTree(p, from, to);
    } else {
      const text = readFileSync(p, "utf8");
      if (text.includes(from)) writeFileSync(p, text.replaceAll(from, to));
    }
  }
}

/** The repository's tenants plus copies of project_02 as project_03.. so there are `n` tenants. */
function repoWithTenants(n: number): string {
  const root = copyRepoInputs();
  const have = readdirSync(path.join(root, "tenants")).filter((d) => !d.startsWith("_")).length;
  for (let i = 3; i < 3 + n - have; i++) {
    const id = `project_${String(i).padStart(2, "0")}`;
    const dir = path.join(root, "tenants", id);
    cpSync(path.join(REPO, "tenants/project_02"), dir, { recursive: true });
    replaceInTree(dir, "project_02", id);
    replaceInTree(dir, "PROJECT_02", id.toUpperCase());
  }
  return root;
}

const filesOf = (r: GenerateResult) => (r.ok ? [...r.files.entries()] : r.problems);

describe("generateParallel", () => {
  it("writes exactly the files generate writes, with 1 and 3 worker threads", async () => {
    const root = repoWithTenants(PARALLEL_MIN_TENANTS + 2);
    const single = generate({ root });
    expect(single.ok, JSON.stringify(single.ok ? [] : single.problems.slice(0, 3))).toBe(true);
    const one = await generateParallel({ root }, 1);
    const three = await generateParallel({ root }, 3);
    expect(filesOf(one)).toEqual(filesOf(single));
    expect(filesOf(three)).toEqual(filesOf(single));
    expect(one.ok && one.ownedDirs).toEqual(single.ok && single.ownedDirs);
  });

  it("reports exactly the problems generate reports, from tenants compiled on workers", async () => {
    const root = repoWithTenants(PARALLEL_MIN_TENANTS);
    const config = path.join(root, "tenants/project_05/config.yaml");
    writeFileSync(config, readFileSync(config, "utf8").replace("timezone:", "timezone: 7\n    x:"));
    // Two tenants sharing a dbt schema: a cross-tenant problem, found after the workers finish.
    replaceInTree(
      path.join(root, "tenants/project_06"),
      "analytics_project_06",
      "analytics_project_03",
    );
    const single = generate({ root });
    expect(single.ok).toBe(false);
    const parallel = await generateParallel({ root }, 2);
    expect(filesOf(parallel)).toEqual(filesOf(single));
    const messages = single.ok
      ? []
      : single.problems.map((p) => `${p.file} ${p.path} ${p.message}`);
    expect(messages.some((m) => m.startsWith("tenants/project_05/config.yaml"))).toBe(true);
    expect(messages.filter((m) => m.includes("dbt.target_schema"))).toEqual([
      "tenants/project_06/config.yaml dbt.target_schema tenants project_03 and project_06 both build dbt models into schema \"analytics_project_03\"; one tenant's dbt run would replace the other's models",
    ]);
  });

  it("uses worker threads only for many tenants, and honours ETL_GENERATE_WORKERS", () => {
    expect(workerCount(3, {})).toBe(0);
    expect(workerCount(PARALLEL_MIN_TENANTS, {})).toBe(
      Math.min(os.availableParallelism() - 1, 7, PARALLEL_MIN_TENANTS - 1),
    );
    expect(workerCount(100, { ETL_GENERATE_WORKERS: "0" })).toBe(0);
    expect(workerCount(3, { ETL_GENERATE_WORKERS: "4" })).toBe(2);
    expect(() => workerCount(3, { ETL_GENERATE_WORKERS: "two" })).toThrow(
      'ETL_GENERATE_WORKERS must be a whole number >= 0, got "two"',
    );
  });
});
