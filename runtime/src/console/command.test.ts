import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/index.js";
import type { CliIo } from "../cli/io.js";
import { type EnvironmentPlan, sameEnvironments, type TenantPlan } from "../plan.js";
import { authenticate, parseTokens } from "./auth.js";

function tinyPlan(): TenantPlan {
  const v = "x";
  const env: EnvironmentPlan = {
    enabled: true,
    resources: {
      source: { host: v, port: "5432", database: v, user: v, password: v, schema: v },
      storage: { bucket: "", basePath: v },
      trino: {
        host: v,
        port: "8080",
        user: v,
        password: "",
        httpScheme: "http",
        catalog: v,
        schema: v,
      },
    },
    partitions: { startDate: "2026-01-01", timezone: "UTC" },
    pipelines: [],
    assets: [],
    jobs: [],
    dbt: null,
  };
  return {
    generatorVersion: "test",
    tenant: { id: "t", name: "T", enabled: true, tags: {} },
    envVars: [],
    ...sameEnvironments(env),
  };
}

async function ui(argv: string[], signal?: AbortSignal) {
  const io = { stdout: "", stderr: "", isTTY: false } as CliIo & { stdout: string; stderr: string };
  io.out = (t) => {
    io.stdout += t;
  };
  io.err = (t) => {
    io.stderr += t;
  };
  const home = await mkdtemp(path.join(tmpdir(), "console-cmd-"));
  const env = { ETL_HOME: home };
  const code = await runCli({
    plan: tinyPlan(),
    transforms: {},
    argv,
    env,
    io,
    signal: signal ?? new AbortController().signal,
  });
  await rm(home, { recursive: true, force: true });
  return { code, ...io };
}

describe("the ui command", () => {
  it("refuses another host without tokens, and a bad port", async () => {
    const open = await ui(["ui", "--host", "0.0.0.0"]);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(
      /^error: --host 0\.0\.0\.0 is reachable from other machines: configure tokens first/,
    );
    const port = await ui(["ui", "--port", "70000"]);
    expect([port.code, port.stderr]).toEqual([
      2,
      'error: --port must be a TCP port (0-65535), got "70000"\n',
    ]);
    const serve = await ui(["serve", "--all", "--port", "1234"]);
    expect([serve.code, serve.stderr]).toEqual([
      2,
      "error: --host and --port are options of --ui\n",
    ]);
  });

  it("makes a token whose printed line grants it", async () => {
    const made = await ui(["ui", "--new-token", "ci-bot", "--role", "viewer"]);
    expect(made.code).toBe(0);
    const token = /^ {2}(etl_\S+)$/m.exec(made.stdout)?.[1] ?? "";
    const line = /^ {2}(ci-bot viewer t sha256:[0-9a-f]{64})$/m.exec(made.stdout)?.[1] ?? "";
    expect(token).not.toBe("");
    const parsed = parseTokens(line, "printed line", ["t"]);
    expect(parsed.errors).toEqual([]);
    expect(authenticate(parsed.tokens, token)?.name).toBe("ci-bot");
    const bad = await ui(["ui", "--new-token", "x", "--role", "admin"]);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      "error: --new-token needs --role viewer or --role operator\n",
    ]);
  });

  it("serves until its signal ends it, and prints its URL", async () => {
    const controller = new AbortController();
    const running = ui(["ui", "--port", "0"], controller.signal);
    await new Promise((r) => setTimeout(r, 1500));
    controller.abort();
    const done = await running;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^console: http:\/\/127\.0\.0\.1:\d+\/\n$/);
    expect(done.stderr).toContain("console stopped");
  });
});
