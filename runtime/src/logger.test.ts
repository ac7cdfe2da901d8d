import { describe, expect, it } from "vitest";
import { Logger, type LogSink, redact, registerSecret } from "./logger.js";

function captureSink(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, isTTY: false, write: (line) => lines.push(line) };
}

describe("redact", () => {
  it("replaces a long secret wherever it appears", () => {
    registerSecret("Canary-Pa55word!");
    expect(redact("auth failed for Canary-Pa55word!; xCanary-Pa55word!x")).toBe(
      "auth failed for ***; x***x",
    );
  });

  it("replaces a short secret only as a word of its own", () => {
    registerSecret("pw1");
    expect(redact("password pw1 rejected")).toBe("password *** rejected");
    expect(redact("job daily_pw1 and pw10")).toBe("job daily_pw1 and pw10");
  });

  it("hides the password of a connection URL", () => {
    expect(redact("connect postgres://etl:hunter2x@127.0.0.1:55432/db failed")).toBe(
      "connect postgres://etl:***@127.0.0.1:55432/db failed",
    );
  });

  it("redacts registered secrets in every field of a log line", () => {
    registerSecret("Another-Canary-42");
    const sink = captureSink();
    new Logger({ tenant: "t1" }, sink, "debug", "json").debug("connecting", {
      dsn: "user=etl password=Another-Canary-42",
    });
    expect(sink.lines.join("")).not.toContain("Another-Canary-42");
    expect(JSON.parse(sink.lines[0] ?? "{}")).toMatchObject({
      tenant: "t1",
      msg: "connecting",
      dsn: "user=etl password=***",
    });
  });
});
