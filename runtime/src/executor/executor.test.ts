import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/index.js";
import type { CliIo } from "../cli/io.js";
import { FileLedger } from "../ledger/file.js";
import { Logger } from "../logger.js";
import { type AssetPlan, environmentPlan, type TenantPlan } from "../plan.js";
import { resolveResources } from "../resources.js";
import { retryPolicyFor } from "../retry/index.js";
import { runRecord, tenantPlan } from "../test-fixtures.js";
import { executeGraph, selectAssets } from "./graph.js";
import type { RunObserver } from "./observer.js";
import { runJob } from "./run.js";
import type { StageHandlers } from "./types.js";

function asset(key: string, stage: AssetPlan["stage"], deps: string[]): AssetPlan {
  return {
    key,
    stage,
    pipeline: key.split("/")[2] ?? null,
    deps,
    partitioned: true,
    description: "",
    dbt: null,
  };
}

const ASSETS: AssetPlan[] = [
  asset("t/extract/orders", "extract", []),
  asset("t/extract/users", "extract", []),
  asset("t/transfer/orders", "transfer", ["t/extract/orders", "t/extract/users"]),
  asset("t/load/orders", "load", ["t/transfer/orders"]),
  asset("t/load/users", "load", ["t/extract/users"]),
];

function plan(): TenantPlan {
  return tenantPlan("t", {
    resources: {
      source: { password: { env: "T_DB_PASSWORD" } },
      storage: { basePath: "t" },
    },
    envVars: ["T_DB_PASSWORD"],
    environment: {
      partitions: { startDate: "2026-01-01", timezone: "Asia/Seoul" },
      assets: ASSETS,
      jobs: [
        {
          name: "daily_etl",
          description: "",
          assets: ASSETS.map((a) => a.key),
          partitioned: true,
          schedule: { cron: "0 1 * * *", timezone: "Asia/Seoul", autoStart: true },
          concurrency: 2,
        },
      ],
    },
  });
}

function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTTY: false,
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
  };
  return io;
}

/** The JSON log lines of a captured error stream (every line must be one). */
function logLines(text: string): { level: string; msg: string }[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { level: string; msg: string });
}

/** Real asset functions: each appends its key and partition to a file and reads its inputs. */
function fileHandlers(
  dir: string,
  behaviour: Record<string, (attempt: number) => void> = {},
): StageHandlers {
  const h = async (ctx: Parameters<NonNullable<StageHandlers["extract"]>>[0]) => {
    behaviour[ctx.asset.key]?.(ctx.attempt);
    for (const d of ctx.asset.deps) {
      // Reading the upstream output proves dependency order: it must exist already.
      await readFile(path.join(dir, `${d.replace(/\//g, "_")}_${ctx.partition?.date}`), "utf8");
    }
    const out = path.join(dir, `${ctx.asset.key.replace(/\//g, "_")}_${ctx.partition?.date}`);
    await writeFile(out, `${ctx.runId}\n`);
    return { metadata: { file: out, rows: 1 }, checks: [] };
  };
  return { extract: h, transfer: h, load: h };
}

describe("selectAssets", () => {
  it("orders by dependencies and filters by glob, keeping order", () => {
    const all = selectAssets(
      ASSETS,
      [...ASSETS].reverse().map((a) => a.key),
      null,
    );
    expect(all.ok && all.assets.map((a) => a.key).indexOf("t/load/orders")).toBeGreaterThan(
      all.ok ? all.assets.map((a) => a.key).indexOf("t/transfer/orders") : 99,
    );
    const sel = selectAssets(
      ASSETS,
      ASSETS.map((a) => a.key),
      "t/*/orders",
    );
    expect(sel.ok && sel.assets.map((a) => a.key)).toEqual([
      "t/extract/orders",
      "t/transfer/orders",
      "t/load/orders",
    ]);
    const none = selectAssets(
      ASSETS,
      ASSETS.map((a) => a.key),
      "x/**",
    );
    expect(none.ok ? "" : none.error).toContain("matches none");
  });
  it("reports a cycle", () => {
    const cyc = [asset("a", "extract", ["b"]), asset("b", "extract", ["a"])];
    const r = selectAssets(cyc, ["a", "b"], null);
    expect(r.ok ? "" : r.error).toContain("dependency cycle");
  });
});

describe("executeGraph", () => {
  it("runs independent assets concurrently up to the limit", async () => {
    let running = 0;
    let peak = 0;
    const order = selectAssets(
      ASSETS,
      ASSETS.map((a) => a.key),
      null,
    );
    if (!order.ok) throw new Error(order.error);
    const status = await executeGraph(order.assets, 2, {
      run: async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20));
        running -= 1;
        return "succeeded";
      },
      skip: async () => {},
    });
    expect(peak).toBe(2);
    expect([...status.values()].every((s) => s === "succeeded")).toBe(true);
  });
  it("skips every transitive dependent of a failure, and only those", async () => {
    const order = selectAssets(
      ASSETS,
      ASSETS.map((a) => a.key),
      null,
    );
    if (!order.ok) throw new Error(order.error);
    const status = await executeGraph(order.assets, 4, {
      run: async (a) => (a.key === "t/extract/orders" ? "failed" : "succeeded"),
      skip: async () => {},
    });
    expect(Object.fromEntries(status)).toEqual({
      "t/extract/orders": "failed",
      "t/extract/users": "succeeded",
      "t/transfer/orders": "skipped",
      "t/load/orders": "skipped",
      "t/load/users": "succeeded",
    });
  });
});

describe("run / backfill / status through runCli", () => {
  const env = (home: string) => ({
    ETL_HOME: home,
    T_DB_PASSWORD: "s3cret-pw",
    ETL_RETRY_BASE_MS: "1",
  });

  it("runs a job, records materialisations, and exits 0 with a summary", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-exec-"));
    const io = captureIo();
    const code = await runCli({
      plan: plan(),
      transforms: {},
      argv: ["run", "daily_etl", "--partition", "2026-01-02"],
      env: env(home),
      io,
      stageHandlers: fileHandlers(home),
    });
    // The run's log lines go to the io it was given (JSON: not a terminal), none of them an error.
    const logs = logLines(io.stderr);
    expect(logs.map((l) => l.msg)).toContain("run started");
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
    expect(code).toBe(0);
    expect(io.stdout).toContain("5 succeeded, 0 failed, 0 skipped");
    const ledger = new FileLedger(home, "t");
    const ms = await ledger.materializations("t");
    expect(
      ms
        .filter((m) => m.status === "succeeded")
        .map((m) => m.assetKey)
        .sort(),
    ).toEqual(ASSETS.map((a) => a.key).sort());
    expect(ms.every((m) => m.partition === "2026-01-02")).toBe(true);
  });

  it("retries a transient failure, never a permanent one, and skips dependents", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-exec-"));
    const io = captureIo();
    const attempts: Record<string, number> = {};
    const code = await runCli({
      plan: plan(),
      transforms: {},
      argv: ["run", "daily_etl", "--partition", "2026-01-02"],
      env: env(home),
      io,
      stageHandlers: fileHandlers(home, {
        "t/extract/users": (a) => {
          attempts.users = a;
          if (a < 3) throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
        },
        "t/extract/orders": (a) => {
          attempts.orders = a;
          throw Object.assign(new Error('syntax error at or near "SELEC"'), { code: "42601" });
        },
      }),
    });
    expect(code).toBe(1);
    expect(attempts).toEqual({ users: 3, orders: 1 });
    expect(io.stdout).toMatch(/t\/extract\/orders\s+failed\s+1/);
    expect(io.stdout).toMatch(/t\/load\/orders\s+skipped/);
    expect(io.stdout).toMatch(/t\/load\/users\s+succeeded/);
    expect(io.stdout).toContain("2 succeeded, 1 failed, 2 skipped");
  });

  it("fails an asset whose error-severity check fails, blocking dependents", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-exec-"));
    const io = captureIo();
    const handlers = fileHandlers(home);
    const base = handlers.transfer;
    if (base === undefined) throw new Error("no handler");
    handlers.transfer = async (ctx) => {
      const r = await base(ctx);
      return {
        ...r,
        checks: [
          { name: "amount_not_null", severity: "error", passed: false, metadata: { nulls: 3 } },
        ],
      };
    };
    const code = await runCli({
      plan: plan(),
      transforms: {},
      argv: ["run", "daily_etl", "--partition", "2026-01-02"],
      env: env(home),
      io,
      stageHandlers: handlers,
    });
    expect(code).toBe(1);
    expect(io.stdout).toContain("error-severity check failed: amount_not_null");
    expect(io.stdout).toMatch(/t\/load\/orders\s+skipped/);
    const checks = await new FileLedger(home, "t").checks("t");
    expect(checks.map((c) => [c.checkName, c.passed])).toEqual([["amount_not_null", false]]);
  });

  it("backfill skips materialised partitions unless --force; status tells the truth", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-exec-"));
    const runs: string[] = [];
    const handlers = fileHandlers(home, {
      "t/extract/orders": () => {
        runs.push("x");
      },
    });
    const go = async (argv: string[]) => {
      const io = captureIo();
      const code = await runCli({
        plan: plan(),
        transforms: {},
        argv,
        env: env(home),
        io,
        stageHandlers: handlers,
      });
      return { code, io };
    };
    expect((await go(["run", "daily_etl", "--partition", "2026-01-03"])).code).toBe(0);
    const b = await go([
      "backfill",
      "daily_etl",
      "--from",
      "2026-01-02",
      "--to",
      "2026-01-04",
      "--concurrency",
      "2",
    ]);
    expect(b.code).toBe(0);
    expect(b.io.stdout).toContain("1 already materialised");
    expect(runs).toHaveLength(3);
    const again = await go(["backfill", "daily_etl", "--from", "2026-01-02", "--to", "2026-01-04"]);
    expect(again.io.stdout).toContain("3 already materialised");
    expect(runs).toHaveLength(3);
    await go(["backfill", "daily_etl", "--from", "2026-01-02", "--to", "2026-01-02", "--force"]);
    expect(runs).toHaveLength(4);
    const st = await go(["status", "--json"]);
    const json = JSON.parse(st.io.stdout) as {
      assets: { key: string; missingPartitions: string[] }[];
    };
    const orders = json.assets.find((a) => a.key === "t/load/orders");
    expect(orders?.missingPartitions).not.toContain("2026-01-02");
    expect(orders?.missingPartitions).toContain("2026-01-01");
    expect(st.io.stdout).not.toContain("s3cret-pw");
  });

  it("refuses a second run of the same job and partition while the first holds the lock", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-exec-"));
    const ledger = new FileLedger(home, "t");
    const held = await ledger.tryLock(
      { tenant: "t", job: "daily_etl", partition: "2026-01-02" },
      { runId: "other", pid: process.pid, host: (await import("node:os")).hostname() },
    );
    expect(held.ok).toBe(true);
    const io = captureIo();
    const code = await runCli({
      plan: plan(),
      transforms: {},
      argv: ["run", "daily_etl", "--partition", "2026-01-02"],
      env: env(home),
      io,
      stageHandlers: fileHandlers(home),
    });
    expect(code).toBe(1);
    expect(io.stderr).toContain("is already running (run other");
    if (held.ok) await held.release();
    // A lock left by a dead process is taken over.
    const dead = await ledger.tryLock(
      { tenant: "t", job: "daily_etl", partition: "2026-01-02" },
      { runId: "dead", pid: 2 ** 22 + 12345, host: (await import("node:os")).hostname() },
    );
    expect(dead.ok).toBe(true);
    const io2 = captureIo();
    const code2 = await runCli({
      plan: plan(),
      transforms: {},
      argv: ["run", "daily_etl", "--partition", "2026-01-02"],
      env: env(home),
      io: io2,
      stageHandlers: fileHandlers(home),
    });
    expect(logLines(io2.stderr).filter((l) => l.level === "error")).toEqual([]);
    expect(code2).toBe(0);
  });

  it("gives clear usage errors with exit 2", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-exec-"));
    const cases: [string[], string][] = [
      [["run", "nope"], 'unknown job "nope"'],
      [["run", "daily_etl", "--partition", "2025-12-01"], "before the first partition"],
      [["backfill", "daily_etl", "--from", "2026-01-03"], "needs --from"],
      [
        [
          "backfill",
          "daily_etl",
          "--from",
          "2026-01-03",
          "--to",
          "2026-01-04",
          "--concurrency",
          "0",
        ],
        "positive integer",
      ],
      [["run", "daily_etl", "--select", "zzz/*", "--partition", "2026-01-02"], "matches none"],
    ];
    for (const [argv, msg] of cases) {
      const io = captureIo();
      const code = await runCli({
        plan: plan(),
        transforms: {},
        argv,
        env: env(home),
        io,
        stageHandlers: fileHandlers(home),
      });
      expect({ argv, code, msg: io.stderr.includes(msg) }).toEqual({ argv, code: 2, msg: true });
    }
  });
});

describe("runJob observers", () => {
  /** runJob itself (runCli gives it the run history observer only), on a file ledger. */
  async function observedRun(home: string, observers: RunObserver[], handlers: StageHandlers) {
    const tenantPlan = plan();
    const env = { ETL_HOME: home, T_DB_PASSWORD: "s3cret-pw", ETL_RETRY_BASE_MS: "1" };
    const resolved = resolveResources(tenantPlan, "dev", env);
    if (!resolved.ok) throw new Error(resolved.errors.join("; "));
    let log = "";
    const logger = new Logger({}, { write: (l) => (log += l), isTTY: false }, "info", "json");
    const envPlan = environmentPlan(tenantPlan, "dev");
    const job = envPlan.jobs[0];
    if (job === undefined) throw new Error("plan without a job");
    const outcome = await runJob({
      plan: tenantPlan,
      envPlan,
      environment: "dev",
      job,
      partition: "2026-01-02",
      select: null,
      resources: resolved.resources,
      transforms: {},
      handlers,
      ledger: new FileLedger(home, "t"),
      logger,
      retry: (stage) => retryPolicyFor(stage, env),
      signal: new AbortController().signal,
      trigger: "test",
      tty: null,
      observers,
    });
    return {
      outcome,
      logs: logLines(log) as ({ level: string; msg: string } & Record<string, unknown>)[],
    };
  }

  /** Records every event it receives as one line. */
  function recorder(events: string[]): RunObserver {
    return {
      name: "recorder",
      runStarted: async (run) => {
        events.push(`runStarted ${run.status}`);
      },
      assetStarted: async (e) => {
        events.push(`assetStarted ${e.asset.key} ${e.partition}`);
      },
      checkEvaluated: async (e) => {
        events.push(`checkEvaluated ${e.check.assetKey} ${e.check.checkName} ${e.check.passed}`);
      },
      assetFinished: async (e) => {
        events.push(
          `assetFinished ${e.asset.key} ${e.materialization.status} rows=${e.rows} bytes=${e.bytes} attempts=${e.materialization.attempts}`,
        );
      },
      runFinished: async (run) => {
        events.push(`runFinished ${run.status} ${run.succeeded}/${run.failed}/${run.skipped}`);
      },
    };
  }

  it("tells each observer every event of the run, checks before their asset, in order", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-observe-"));
    const handlers = fileHandlers(home, {
      "t/extract/orders": () => {
        throw Object.assign(new Error('syntax error at or near "SELEC"'), { code: "42601" });
      },
    });
    const extract = handlers.extract;
    if (extract === undefined) throw new Error("no handler");
    handlers.extract = async (ctx) => ({
      ...(await extract(ctx)),
      checks: [{ name: "some_rows", severity: "warn", passed: false, metadata: {} }],
      rows: 7,
      bytes: 700,
    });
    const events: string[] = [];
    const { outcome } = await observedRun(home, [recorder(events)], handlers);
    expect(outcome.kind === "completed" && outcome.run.status).toBe("failed");
    expect(events[0]).toBe("runStarted running");
    expect(events.at(-1)).toBe("runFinished failed 2/1/2");
    // Each started asset finishes after its own checks; skipped assets finish without starting.
    const users = events.filter((e) => e.includes("t/extract/users"));
    expect(users).toEqual([
      "assetStarted t/extract/users 2026-01-02",
      "checkEvaluated t/extract/users some_rows false",
      "assetFinished t/extract/users succeeded rows=7 bytes=700 attempts=1",
    ]);
    expect(events.filter((e) => e.includes("t/extract/orders"))).toEqual([
      "assetStarted t/extract/orders 2026-01-02",
      "assetFinished t/extract/orders failed rows=null bytes=null attempts=1",
    ]);
    expect(events.filter((e) => e.includes("t/load/orders"))).toEqual([
      "assetFinished t/load/orders skipped rows=null bytes=null attempts=0",
    ]);
    expect(events.filter((e) => e.startsWith("assetFinished"))).toHaveLength(5);
  });

  it("logs an observer's failure with its name and event, and the run and other observers go on", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-observe-"));
    const broken: RunObserver = {
      name: "broken webhook",
      runStarted: async () => {
        throw new Error("connect ECONNREFUSED 127.0.0.1:9");
      },
      assetFinished: () => {
        throw new Error("not even async");
      },
    };
    const events: string[] = [];
    const { outcome, logs } = await observedRun(
      home,
      [broken, recorder(events)],
      fileHandlers(home),
    );
    expect(outcome.kind === "completed" && outcome.run.status).toBe("succeeded");
    expect(events.at(-1)).toBe("runFinished succeeded 5/0/0");
    const failures = logs.filter((l) => l.msg === "run observer failed; the run goes on");
    expect(failures.map((l) => [l.level, l.observer, l.event, l.error])).toEqual([
      ["error", "broken webhook", "runStarted", "connect ECONNREFUSED 127.0.0.1:9"],
      ...ASSETS.map(() => ["error", "broken webhook", "assetFinished", "not even async"]),
    ]);
    expect(
      new Set(failures.filter((l) => l.event === "assetFinished").map((l) => l.asset)),
    ).toEqual(new Set(ASSETS.map((a) => a.key)));
    const ms = await new FileLedger(home, "t").materializations("t");
    expect(ms.filter((m) => m.status === "succeeded")).toHaveLength(ASSETS.length);
  });

  it("tells observers about a run a dead process left running, recorded as failed", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-observe-"));
    const ledger = new FileLedger(home, "t");
    await ledger.putRun(
      runRecord({
        runId: "20260101T000000Z-deadbeef",
        startedAt: "2026-01-01T00:00:00.000Z",
        pid: 2 ** 22 + 12345,
        host: "gone",
      }),
    );
    const finished: string[] = [];
    const { outcome } = await observedRun(
      home,
      [
        {
          name: "finished runs",
          runFinished: async (run) => {
            finished.push(`${run.runId} ${run.status} ${run.error?.slice(0, 12)}`);
          },
        },
      ],
      fileHandlers(home),
    );
    if (outcome.kind !== "completed") throw new Error(outcome.message);
    expect(finished).toEqual([
      "20260101T000000Z-deadbeef failed interrupted:",
      `${outcome.run.runId} succeeded undefined`,
    ]);
  });
});
