import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Logger, type LogSink, registerSecret } from "../logger.js";
import { FileLedger } from "./file.js";
import { MAX_RUN_LOG_LINES, recordRunLogs } from "./run-log.js";

describe("run log lines", () => {
  it("records the lines of each run in the ledger (redacted), and still writes them where they went", async () => {
    const ledger = new FileLedger(await mkdtemp(path.join(tmpdir(), "etl-runlog-")), "t");
    const printed: string[] = [];
    const sink: LogSink = { write: (l) => printed.push(l), isTTY: true };
    registerSecret("Run-Log-Secret-77");
    const { logger, flush } = recordRunLogs(
      new Logger({ tenant: "t" }, sink, "info"),
      ledger,
      "t",
      "info",
    );
    logger.info("session line, no run");
    const r1 = logger.child({ runId: "r1", job: "daily" });
    r1.info("run started", { assets: 2 });
    r1.child({ asset: "t/extract/a" }).warn("retrying", {
      error: "password Run-Log-Secret-77 refused",
    });
    logger.child({ runId: "r2" }).error("other run");
    r1.debug("below the level");
    await flush();
    const lines = await ledger.runLogs("t", "r1", -1, 100);
    expect(lines.map((l) => [l.seq, l.level, l.msg])).toEqual([
      [0, "info", "run started"],
      [1, "warn", "retrying"],
    ]);
    expect(lines[1]?.fields).toMatchObject({
      asset: "t/extract/a",
      job: "daily",
      error: "password *** refused",
    });
    expect((await ledger.runLogs("t", "r2", -1, 100)).map((l) => l.msg)).toEqual(["other run"]);
    // The terminal still got every line of its level, in its own (pretty) format.
    expect(printed).toHaveLength(4);
    expect(printed[0]).toMatch(/INFO\s+session line, no run/);
    expect(printed[0]).not.toMatch(/^\{/);
  });

  it("keeps the first lines of a very chatty run and says how many it left out", async () => {
    const ledger = new FileLedger(await mkdtemp(path.join(tmpdir(), "etl-runlog-")), "t");
    const { logger, flush } = recordRunLogs(
      new Logger({}, { write: () => {}, isTTY: false }, "info"),
      ledger,
      "t",
      "info",
    );
    const run = logger.child({ runId: "r1" });
    for (let i = 0; i < MAX_RUN_LOG_LINES + 50; i += 1) run.info(`line ${i}`);
    await flush();
    const lines = await ledger.runLogs("t", "r1", -1, MAX_RUN_LOG_LINES + 100);
    expect(lines).toHaveLength(MAX_RUN_LOG_LINES + 1);
    expect(lines[MAX_RUN_LOG_LINES]?.msg).toMatch(/^log truncated/);
  });
});
