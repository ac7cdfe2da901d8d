import { describe, expect, it } from "vitest";
import {
  authenticate,
  canSee,
  hashToken,
  isLoopback,
  loadTokens,
  newToken,
  parseTokens,
} from "./auth.js";

const TENANTS = ["acme", "globex"];

describe("console tokens", () => {
  it("authenticates a token by its hash and grants its role and scope", () => {
    const viewer = newToken("vera", "viewer", ["acme"]);
    const operator = newToken("otto", "operator", "*");
    const parsed = parseTokens(
      `# team tokens\n${viewer.line}\n${operator.line}\n`,
      "tokens.txt",
      TENANTS,
    );
    expect(parsed.errors).toEqual([]);
    const v = authenticate(parsed.tokens, viewer.token);
    expect(v).toMatchObject({ name: "vera", role: "viewer", tenants: ["acme"] });
    expect(authenticate(parsed.tokens, operator.token)?.name).toBe("otto");
    expect(authenticate(parsed.tokens, `${viewer.token}x`)).toBeNull();
    expect(viewer.line).not.toContain(viewer.token);
    expect(viewer.line).toContain(`sha256:${hashToken(viewer.token)}`);
    expect(canSee({ name: "vera", role: "viewer", tenants: ["acme"] }, "globex")).toBe(false);
    expect(canSee({ name: "otto", role: "operator", tenants: "*" }, "globex")).toBe(true);
  });

  it.each([
    [
      "alice operator acme",
      'tokens.txt:1: expected "<name> <viewer|operator> <tenant,...|*> sha256:<hex>", got 3 fields',
    ],
    [
      `alice admin acme sha256:${"a".repeat(64)}`,
      'tokens.txt:1: role must be viewer or operator, got "admin"',
    ],
    [
      `alice viewer initech sha256:${"a".repeat(64)}`,
      'tokens.txt:1: unknown tenant "initech" (this console serves acme, globex)',
    ],
    [
      "alice viewer acme etl_plaintext-token",
      "tokens.txt:1: expected the token's hash as sha256:<64 lower-case hex digits> (never the token itself; `ui --new-token` prints both)",
    ],
    [
      `alice viewer acme sha256:${"a".repeat(64)}\nalice viewer acme sha256:${"b".repeat(64)}`,
      'tokens.txt:2: token name "alice" given twice',
    ],
  ])("refuses %j", (text, message) => {
    expect(parseTokens(text, "tokens.txt", TENANTS).errors).toEqual([message]);
  });

  it("reads ETL_CONSOLE_TOKENS and reports an unreadable ETL_CONSOLE_TOKENS_FILE", () => {
    const t = newToken("ci", "viewer", "*");
    const ok = loadTokens({ ETL_CONSOLE_TOKENS: t.line }, TENANTS);
    expect(ok.ok && ok.tokens.map((x) => x.name)).toEqual(["ci"]);
    const bad = loadTokens({ ETL_CONSOLE_TOKENS_FILE: "/nonexistent/tokens" }, TENANTS);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors[0]).toMatch(
      /^ETL_CONSOLE_TOKENS_FILE=\/nonexistent\/tokens: cannot read it/,
    );
  });

  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["0.0.0.0", false],
    ["10.0.0.5", false],
    ["::", false],
  ])("isLoopback(%s) is %s", (host, want) => {
    expect(isLoopback(host)).toBe(want);
  });
});
