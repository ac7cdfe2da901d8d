import { describe, expect, it } from "vitest";
import { registerSecret } from "../logger.js";
import type { AlertDestinationPlan } from "../plan.js";
import { wants } from "./dispatch.js";
import { type Alert, consoleLink, errorSummary, jsonPayload, slackPayload } from "./payload.js";

const alert: Alert = {
  event: "run_failed",
  dedupKey: "run_failed:r1",
  tenant: "acme",
  environment: "prod",
  job: "daily_etl",
  partition: "2026-01-02",
  asset: "acme/load/orders",
  check: null,
  runId: "r1",
  summary: "run r1 of job daily_etl partition 2026-01-02 failed: <1> & more",
  error: "boom",
  link: "https://console.example/t/acme/runs/r1",
  occurredAt: "2026-01-03T00:00:00.000Z",
};

describe("consoleLink", () => {
  it.each([
    [
      { tenant: "acme", runId: "20260101T000000Z-ab" },
      "https://c.example/t/acme/runs/20260101T000000Z-ab",
    ],
    [{ tenant: "acme", asset: "acme/load/orders" }, "https://c.example/t/acme/assets/load/orders"],
    [{ tenant: "acme" }, "https://c.example/t/acme"],
  ])("%j", (target, want) => {
    expect(consoleLink("https://c.example/", target)).toBe(want);
  });

  it.each([null, "", "not a url"])("no link without a base URL (%j)", (base) => {
    expect(consoleLink(base, { tenant: "acme", runId: "r" })).toBeNull();
  });
});

describe("errorSummary", () => {
  it("redacts registered secrets and shortens long errors", () => {
    registerSecret("s3cr3t-password-value");
    expect(errorSummary("login with s3cr3t-password-value failed")).toBe("login with *** failed");
    const long = errorSummary("x".repeat(2000));
    expect(long?.length).toBe(600);
    expect(long?.endsWith("…")).toBe(true);
    expect(errorSummary("  ")).toBeNull();
  });
});

describe("payloads", () => {
  it("json: every field, versioned", () => {
    expect(jsonPayload(alert)).toEqual({
      schema: "etl-build/alert/v1",
      event: "run_failed",
      tenant: "acme",
      environment: "prod",
      job: "daily_etl",
      partition: "2026-01-02",
      asset: "acme/load/orders",
      check: null,
      run_id: "r1",
      summary: alert.summary,
      error: "boom",
      link: alert.link,
      occurred_at: alert.occurredAt,
      dedup_key: "run_failed:r1",
    });
  });

  it("slack: a fallback text, fields, the error and the link; mrkdwn escaped", () => {
    const p = slackPayload(alert) as { text: string; blocks: Record<string, unknown>[] };
    expect(p.text).toBe(`Run failed: ${alert.summary}`);
    const json = JSON.stringify(p.blocks);
    expect(json).toContain("&lt;1&gt; &amp; more");
    expect(json).toContain("*Partition*\\n2026-01-02");
    expect(json).toContain("```boom```");
    expect(json).toContain("<https://console.example/t/acme/runs/r1|Open in the console>");
  });
});

describe("wants", () => {
  const dest = (over: Partial<AlertDestinationPlan>): AlertDestinationPlan => ({
    name: "d",
    url: "x",
    format: "json",
    events: ["run_failed", "check_failed"],
    checkSeverity: "error",
    ...over,
  });
  it.each([
    [dest({}), "run_failed", null, true],
    [dest({}), "run_recovered", null, false],
    [dest({}), "check_failed", "error", true],
    [dest({}), "check_failed", "warn", false],
    [dest({ checkSeverity: "warn" }), "check_failed", "warn", true],
  ] as const)("%#", (d, event, severity, want) => {
    expect(wants(d, { event, check: severity === null ? null : { name: "c", severity } })).toBe(
      want,
    );
  });
});
