import { describe, expect, it } from "vitest";
import { backoffDelay, classifyError, RetryError, StageError, withRetry } from "./index.js";

function withProps(message: string, props: Record<string, unknown>): Error {
  return Object.assign(new Error(message), props);
}

describe("classifyError", () => {
  it.each([
    ["socket reset", withProps("read ECONNRESET", { code: "ECONNRESET" })],
    ["refused", withProps("connect ECONNREFUSED 127.0.0.1:59000", { code: "ECONNREFUSED" })],
    ["timeout", withProps("timed out", { code: "ETIMEDOUT" })],
    ["pipe", withProps("write EPIPE", { code: "EPIPE" })],
    ["S3 SlowDown", withProps("Please reduce your request rate", { name: "SlowDown" })],
    [
      "S3 503",
      withProps("unavailable", { name: "ServiceUnavailable", $metadata: { httpStatusCode: 503 } }),
    ],
    [
      "S3 500",
      withProps("We encountered an internal error", { $metadata: { httpStatusCode: 500 } }),
    ],
    ["Trino busy", new Error("Trino: server busy, try again")],
    ["Trino gateway", new Error("HTTP 503 Service Unavailable from http://localhost:58080")],
    [
      "PG admin shutdown",
      withProps("terminating connection due to administrator command", { code: "57P01" }),
    ],
    ["PG connection failure", withProps("connection failure", { code: "08006" })],
    ["PG too many connections", withProps("sorry, too many clients already", { code: "53300" })],
    ["wrapped", new Error("extract failed", { cause: withProps("x", { code: "ECONNRESET" }) })],
    [
      "aggregate",
      Object.assign(new AggregateError([withProps("r", { code: "ECONNREFUSED" })], "connect"), {}),
    ],
  ])("%s is transient", (_name, error) => {
    expect(classifyError(error)).toBe("transient");
  });

  it.each([
    ["syntax error", withProps('syntax error at or near "SELEC"', { code: "42601" })],
    ["undefined column", withProps('column "x" does not exist', { code: "42703" })],
    ["bad SQL in Trino", new Error("line 1:1: mismatched input 'SELEC'")],
    ["type error", new TypeError("Cannot read properties of undefined")],
    [
      "S3 access denied",
      withProps("Access Denied", { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }),
    ],
    ["schema drift", new StageError("source schema changed since introspection", false)],
    [
      "PG syntax error mentioning 503",
      withProps("syntax error near 'HTTP 503 Service Unavailable'", { code: "42601" }),
    ],
  ])("%s is permanent", (_name, error) => {
    expect(classifyError(error)).toBe("permanent");
  });
});

describe("withRetry", () => {
  const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 4 };
  it("retries transient failures until success", async () => {
    const seen: number[] = [];
    const r = await withRetry(async (attempt) => {
      seen.push(attempt);
      if (attempt < 3) throw withProps("reset", { code: "ECONNRESET" });
      return "done";
    }, fast);
    expect(r).toEqual({ value: "done", attempts: 3 });
    expect(seen).toEqual([1, 2, 3]);
  });
  it("never retries a permanent failure", async () => {
    let calls = 0;
    const err = await withRetry(async () => {
      calls += 1;
      throw withProps("syntax error", { code: "42601" });
    }, fast).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(RetryError);
    expect((err as RetryError).errorClass).toBe("permanent");
  });
  it("gives up after the configured attempts", async () => {
    let calls = 0;
    const err = await withRetry(async () => {
      calls += 1;
      throw withProps("refused", { code: "ECONNREFUSED" });
    }, fast).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect((err as Error).message).toContain("gave up after 4 attempts");
  });
  it("backs off exponentially with jitter inside [exp/2, exp], capped", () => {
    const p = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(p, 1, () => 0)).toBe(50);
    expect(backoffDelay(p, 1, () => 1)).toBe(100);
    expect(backoffDelay(p, 3, () => 1)).toBe(400);
    expect(backoffDelay(p, 8, () => 1)).toBe(1000);
  });
});
