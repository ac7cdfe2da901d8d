import { describe, expect, it } from "vitest";
import { dbtVersionLine } from "./connect.js";

describe("dbtVersionLine", () => {
  it("names dbt-core and dbt-trino from `dbt --version`", () => {
    const out = [
      "Core:",
      "  - installed: 1.12.0",
      "  - latest:    1.12.6 - Update available!",
      "",
      "Plugins:",
      "  - trino: 1.10.6 - Update available!",
    ].join("\n");
    expect(dbtVersionLine(out)).toBe("dbt-core 1.12.0, dbt-trino 1.10.6");
  });

  it("falls back to the first line of an unfamiliar answer", () => {
    expect(dbtVersionLine("\ndbt 2.0.0\nsomething")).toBe("dbt 2.0.0");
  });
});
