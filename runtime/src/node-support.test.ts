import { describe, expect, it } from "vitest";
import { AWS_SDK_NODE_NOTICE_ENV, nodeSupport, quietAwsSdkNodeNotice } from "./node-support.js";

describe("nodeSupport", () => {
  const cases: { version: string; today: string; supported: boolean; note: RegExp }[] = [
    {
      version: "20.20.2",
      today: "2026-12-01",
      supported: true,
      note: /supported until 2027-01-07/,
    },
    { version: "20.18.0", today: "2026-12-01", supported: false, note: /older than 20\.19\.0/ },
    { version: "20.20.2", today: "2027-01-08", supported: false, note: /support ended/ },
    {
      version: "22.12.0",
      today: "2027-06-01",
      supported: true,
      note: /^node v22\.12\.0: supported$/,
    },
    { version: "22.11.0", today: "2026-12-01", supported: false, note: /older than 22\.12\.0/ },
    { version: "24.1.0", today: "2026-12-01", supported: true, note: /supported/ },
    { version: "21.7.3", today: "2026-12-01", supported: false, note: /not supported/ },
    { version: "18.20.0", today: "2026-12-01", supported: false, note: /not supported/ },
  ];
  for (const c of cases) {
    it(`node ${c.version} on ${c.today}`, () => {
      const s = nodeSupport(c.version, c.today);
      expect(s.supported).toBe(c.supported);
      expect(s.note).toMatch(c.note);
    });
  }
});

describe("quietAwsSdkNodeNotice", () => {
  it("sets the SDK's own switch on Node.js 20 inside the support window only", () => {
    const env: NodeJS.ProcessEnv = {};
    expect(quietAwsSdkNodeNotice(env, "20.20.2", "2026-12-01")).toBe(true);
    expect(env[AWS_SDK_NODE_NOTICE_ENV]).toBe("true");
    const after: NodeJS.ProcessEnv = {};
    expect(quietAwsSdkNodeNotice(after, "20.20.2", "2027-02-01")).toBe(false);
    expect(after[AWS_SDK_NODE_NOTICE_ENV]).toBeUndefined();
    const newer: NodeJS.ProcessEnv = {};
    expect(quietAwsSdkNodeNotice(newer, "24.1.0", "2026-12-01")).toBe(false);
    expect(newer[AWS_SDK_NODE_NOTICE_ENV]).toBeUndefined();
  });

  it("leaves an operator's own setting alone", () => {
    const env: NodeJS.ProcessEnv = { [AWS_SDK_NODE_NOTICE_ENV]: "false" };
    expect(quietAwsSdkNodeNotice(env, "20.20.2", "2026-12-01")).toBe(false);
    expect(env[AWS_SDK_NODE_NOTICE_ENV]).toBe("false");
  });
});
