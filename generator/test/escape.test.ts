/** Escapers of each output format, and the Dockerfile printer that cannot emit a new instruction. */
import { describe, expect, it } from "vitest";
import { printDockerfile, word } from "../src/emit/dockerfile.js";
import { commentLine, htmlCommentLine, mdCode, mdText, mermaidLabel } from "../src/emit/escape.js";
import { jsDoc } from "../src/emit/ts-print.js";
import { hasUnsafeChar, showText } from "../src/text.js";

describe("one-line text", () => {
  const cases: [string, boolean, string][] = [
    ["plain text", false, "plain text"],
    ["a\nb", true, "a\\nb"],
    ["a\rb\tc", true, "a\\rb\\tc"],
    ["a\u2028b", true, "a\\u{2028}b"],
    ["a\u2029b", true, "a\\u{2029}b"],
    ["a\u202eb", true, "a\\u{202E}b"],
    ["a\u2066b", true, "a\\u{2066}b"],
    ["a\u0000b", true, "a\\u{0000}b"],
    ["a\u009bb", true, "a\\u{009B}b"],
    ["\ufeffa", true, "\\u{FEFF}a"],
    ["품목 é", false, "품목 é"],
  ];
  it.each(cases)("%j: unsafe %s, shown as %j", (text, unsafe, shown) => {
    expect(hasUnsafeChar(text)).toBe(unsafe);
    expect(showText(text)).toBe(shown);
    expect(commentLine(text)).toBe(shown);
  });
});

describe("Markdown", () => {
  const text: [string, string][] = [
    ["Daily ETL (Extract → Load)", "Daily ETL (Extract → Load)"],
    ["[Acme] a|b", "\\[Acme\\] a\\|b"],
    ["*x* _y_ `z` ~w~", "\\*x\\* \\_y\\_ \\`z\\` \\~w\\~"],
    ["<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"],
    ["a\\b & c", "a\\\\b \\& c"],
    ["two\nlines", "two\\\\nlines"],
  ];
  it.each(text)("text %j -> %j", (given, want) => {
    expect(mdText(given)).toBe(want);
  });

  const code: [string, string][] = [
    ["project_01/extract/lot_history", "`project_01/extract/lot_history`"],
    ["a|b", "`a\\|b`"],
    ["a`b", "``a`b``"],
    ["`a``", "``` `a`` ```"],
    ["x\ny", "`x\\ny`"],
  ];
  it.each(code)("code %j -> %j", (given, want) => {
    expect(mdCode(given)).toBe(want);
  });

  it("keeps an HTML comment closed", () => {
    expect(htmlCommentLine("Inputs: a-->b, c--!>d")).toBe("Inputs: a--&gt;b, c--&gt;d");
  });
});

describe("Mermaid labels", () => {
  const cases: [string, string][] = [
    ["dbt/stg_items", "dbt/stg_items"],
    ['x"]-->evil["', "x#34;#93;--#62;evil#91;#34;"],
    ["a`b", "a#96;b"],
    ["a\nb", "a#92;nb"],
  ];
  it.each(cases)("%j -> %j", (given, want) => {
    expect(mermaidLabel(given)).toBe(want);
  });
});

describe("JSDoc", () => {
  it("cannot be closed by its text", () => {
    expect(jsDoc("labels: (a */ b)")).toBe("/** labels: (a *\\/ b) */\n");
    expect(jsDoc("one\u2028two")).toBe("/**\n * one\n * two\n */\n");
    expect(jsDoc("one\rtwo")).toBe("/**\n * one\n * two\n */\n");
  });
});

describe("Dockerfile", () => {
  it("prints instructions one per line", () => {
    expect(
      printDockerfile([
        { kind: "comment", text: "built" },
        { kind: "FROM", image: "node:20", as: "build" },
        { kind: "COPY", from: "build", sources: [word("tenants/acme/dbt/", "dir")], dest: "/app/" },
        { kind: "ENV", vars: [["A", "1"]] },
        { kind: "ENTRYPOINT", args: ["node", 'x"y'] },
      ]),
    ).toBe(
      '# built\nFROM node:20 AS build\nCOPY --from=build tenants/acme/dbt/ /app/\nENV A=1\nENTRYPOINT ["node", "x\\"y"]\n',
    );
  });

  it("refuses any value that would start an instruction or continue a line", () => {
    expect(() => printDockerfile([{ kind: "comment", text: "a\nRUN id" }])).toThrow(/line break/);
    expect(() => printDockerfile([{ kind: "WORKDIR", path: "/a\u2028RUN id" }])).toThrow();
    expect(() => printDockerfile([{ kind: "RUN", command: "echo \\" }])).toThrow(/backslash/);
    for (const value of ["a b", "a\nb", "$HOME", "a;b", "a&&b", 'a"b', "a\\", "a|b", ""]) {
      expect(() => word(value, "value")).toThrow(/refusing/);
    }
  });
});
