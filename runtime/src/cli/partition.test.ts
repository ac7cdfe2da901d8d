import { describe, expect, it } from "vitest";
import { latestCompletePartition } from "../partitions/index.js";
import { tenantPlan } from "../test-fixtures.js";
import { runCli } from "./index.js";
import type { CliIo } from "./io.js";

function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTTY: false,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
  };
  return io;
}

const plan = tenantPlan("t", {
  environment: {
    partitions: { startDate: "2026-01-01", timezone: "Asia/Seoul" },
    jobs: [
      {
        name: "daily_etl",
        description: "",
        assets: [],
        partitioned: true,
        schedule: null,
        concurrency: 1,
      },
      {
        name: "master_sync",
        description: "",
        assets: [],
        partitioned: false,
        schedule: null,
        concurrency: 1,
      },
    ],
  },
});

async function partition(...argv: string[]) {
  const io = captureIo();
  const code = await runCli({ plan, transforms: {}, argv: ["partition", ...argv], env: {}, io });
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe("partition <job>", () => {
  it.each([
    {
      argv: ["daily_etl"],
      want: { code: 0, stdout: `${latestCompletePartition("Asia/Seoul")}\n` },
    },
    {
      argv: ["daily_etl", "--partition", "latest"],
      want: { code: 0, stdout: `${latestCompletePartition("Asia/Seoul")}\n` },
    },
    { argv: ["daily_etl", "--partition", "2026-01-05"], want: { code: 0, stdout: "2026-01-05\n" } },
    { argv: ["daily_etl", "--partition", "2025-12-31"], want: { code: 2, stdout: "" } },
    { argv: ["daily_etl", "--partition", "2026-1-5"], want: { code: 2, stdout: "" } },
    { argv: ["master_sync"], want: { code: 2, stdout: "" } },
    { argv: ["nightly"], want: { code: 2, stdout: "" } },
  ])("$argv", async ({ argv, want }) => {
    const got = await partition(...argv);
    expect({ code: got.code, stdout: got.stdout }).toEqual(want);
    expect(got.stderr === "").toBe(want.code === 0);
  });

  it("names what is wrong", async () => {
    expect((await partition("master_sync")).stderr).toBe(
      "error: job master_sync is not partitioned; its runs take no partition\n",
    );
    expect((await partition("nightly")).stderr).toBe(
      'error: unknown job "nightly" (jobs: daily_etl, master_sync)\n',
    );
  });
});
