import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Logger } from "../logger.js";
import type { AssetPlan } from "../plan.js";
import { dbtBuildArgs, dbtEnv, parseRunResults, type RunDbtOptions, runDbt } from "./run.js";

const DBT = { bin: "dbt", projectDir: "/p", target: "dev", targetSchema: "analytics" };
const WORK = { dir: "/w", targetPath: "/w/target", logPath: "/w/logs" };

function model(name: string): AssetPlan {
  return {
    key: `t/dbt/${name}`,
    stage: "dbt",
    pipeline: null,
    deps: [],
    partitioned: true,
    description: "",
    dbt: {
      uniqueId: `model.p.${name}`,
      name,
      resourceType: "model",
      packageName: "p",
      selector: name,
      tests: [],
    },
  };
}

describe("dbtBuildArgs", () => {
  it("selects the selectors, passes partition_date over other vars, and the run's own paths", () => {
    expect(
      dbtBuildArgs(
        { dbt: DBT, partition: "2026-01-02", vars: { partition_date: "x", sources: "s" } },
        ["a", "b"],
        WORK,
      ),
    ).toEqual([
      "build",
      "--select",
      "a",
      "b",
      "--vars",
      '{"partition_date":"2026-01-02","sources":"s"}',
      "--target",
      "dev",
      "--profile",
      "etl",
      "--profiles-dir",
      "/w",
      "--project-dir",
      "/p",
      "--target-path",
      "/w/target",
      "--log-path",
      "/w/logs",
      "--log-format",
      "json",
      "--no-use-colors",
      "--no-send-anonymous-usage-stats",
    ]);
  });
  it("passes a null partition_date for an unpartitioned run", () => {
    const args = dbtBuildArgs({ dbt: DBT, partition: null }, ["a"], WORK);
    expect(args[args.indexOf("--vars") + 1]).toBe('{"partition_date":null}');
  });
});

describe("dbtEnv", () => {
  it("keeps the caller's set variables, adds the profile's and turns usage statistics off", () => {
    expect(
      dbtEnv(
        { PATH: "/bin", UNSET: undefined, DBT_SEND_ANONYMOUS_USAGE_STATS: "true", X: "caller" },
        { X: "profile", ETL_DBT_TRINO_PASSWORD: "pw" },
      ),
    ).toEqual({
      PATH: "/bin",
      X: "profile",
      ETL_DBT_TRINO_PASSWORD: "pw",
      DBT_SEND_ANONYMOUS_USAGE_STATS: "false",
    });
  });
});

describe("parseRunResults", () => {
  it.each([
    [
      "valid results",
      '{"metadata":{"dbt_schema_version":"v6","invocation_id":"i-1"},"results":[]}',
      { invocation: "i-1", error: null },
    ],
    ["not JSON", "{", { invocation: null, error: /^dbt's run_results\.json is not JSON: / }],
    [
      "JSON of another shape",
      '{"results":[]}',
      { invocation: null, error: /^dbt wrote a run_results\.json this runtime cannot read: / },
    ],
  ])("%s", (_name, text, want) => {
    const parsed = parseRunResults(text);
    expect(parsed.results?.metadata.invocation_id ?? null).toBe(want.invocation);
    if (want.error === null) expect(parsed.error).toBeNull();
    else expect(parsed.error).toMatch(want.error);
  });
});

describe("runDbt before dbt runs", () => {
  const logger = new Logger({}, { write: () => {}, isTTY: false }, "error", "json");
  const options = (projectDir: string, bin = "dbt"): RunDbtOptions => ({
    assets: [model("orders")],
    dbt: { ...DBT, projectDir, bin },
    trino: {
      host: "127.0.0.1",
      port: 1,
      user: "u",
      password: null,
      scheme: "http",
      catalog: "iceberg",
      schema: "s",
    },
    partition: "2026-01-02",
    logger,
  });

  it("succeeds with nothing to build when no asset is a dbt asset", async () => {
    const result = await runDbt({ ...options("/nowhere"), assets: [] });
    expect([result.ok, result.error, result.assets]).toEqual([true, null, {}]);
  });

  it("skips every asset with the reason when the project is missing", async () => {
    const result = await runDbt(options("/nowhere"));
    expect(result.ok).toBe(false);
    expect(result.error).toBe("no dbt project at /nowhere (dbt_project.yml missing)");
    expect(result.assets["t/dbt/orders"]?.status).toBe("skipped");
  });

  it("names the binary it could not start, with the command it tried", async () => {
    const project = await mkdtemp(path.join(tmpdir(), "etl-dbt-run-"));
    await writeFile(path.join(project, "dbt_project.yml"), "name: p\n");
    const result = await runDbt(options(project, path.join(project, "no-such-dbt")));
    expect(result.error).toMatch(/^could not run dbt \(.*no-such-dbt\): spawn .*ENOENT/);
    expect(result.args.slice(0, 3)).toEqual(["build", "--select", "orders"]);
    expect(result.assets["t/dbt/orders"]?.status).toBe("skipped");
  });
});
