import { describe, expect, it } from "vitest";
import { Logger, type LogSink, redact, registerSecret, registerUrlSecrets } from "./logger.js";

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

  it("hides a URL password that holds an unencoded @, up to the host", () => {
    expect(redact("connect postgres://etl:p@ss@w0rd@db.internal:5432/db failed")).toBe(
      "connect postgres://etl:***@db.internal:5432/db failed",
    );
    expect(redact('{"url":"s3://key:se@cr\\"et@host/b","next":"x"}')).toBe(
      '{"url":"s3://key:***@host/b","next":"x"}',
    );
  });

  it("hides password-like parameters of connection URLs and DSNs", () => {
    expect(redact("postgres://db:5432/x?sslmode=require&password=Hunter-Q1&user=etl")).toBe(
      "postgres://db:5432/x?sslmode=require&password=***&user=etl",
    );
    expect(redact("jdbc:trino://h:8443?user=etl&PASSWORD=s3cr%40t")).toBe(
      "jdbc:trino://h:8443?user=etl&PASSWORD=***",
    );
    expect(redact("host=db user=etl password='it''s' dbname=x")).not.toContain("it''s");
    expect(redact("host=db user=etl password=Plain-Pw dbname=x")).toBe(
      "host=db user=etl password=*** dbname=x",
    );
  });

  it("redacts a registered secret also where it is JSON-escaped or percent-encoded", () => {
    const secret = 'Q"uo\\te/p@ss%1';
    registerSecret(secret);
    const line = JSON.stringify({ msg: "auth failed", detail: `password ${secret} rejected` });
    expect(line).not.toContain(secret);
    expect(redact(line)).toBe('{"msg":"auth failed","detail":"password *** rejected"}');
    expect(redact(JSON.stringify({ body: line }))).not.toContain("uo\\");
    expect(redact(`https://u:${encodeURIComponent(secret)}@h/`)).toBe("https://u:***@h/");
    expect(redact(`see ${encodeURIComponent(secret)}`)).toBe("see ***");
  });

  it("registers the password of a connection URL, decoded, wherever it then appears", () => {
    registerUrlSecrets("postgres://ledger:L3dger%40Pw-77@db:5432/etl?password=Param-Pw-99");
    expect(redact("server said: L3dger@Pw-77 is wrong; Param-Pw-99 too")).toBe(
      "server said: *** is wrong; *** too",
    );
    registerUrlSecrets("not a url at all");
    registerUrlSecrets("http://h/%zz:x");
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
