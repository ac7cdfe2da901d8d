/**
 * Golden tests: each folder under golden/ holds tenants/ (the input) and expected/ (the exact
 * output). Output is compared byte for byte, and the expected TypeScript itself must typecheck so
 * golden files cannot rot. Refresh with UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { generate } from "../src/generate.js";

const GOLDEN = path.join(import.meta.dirname, "golden");
const REPO = path.resolve(import.meta.dirname, "..", "..");
const scenarios = readdirSync(GOLDEN)
  .filter((n) => statSync(path.join(GOLDEN, n)).isDirectory())
  .sort();

function listFiles(dir: string, rel = ""): string[] {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const abs = path.join(dir, n);
      const r = rel === "" ? n : `${rel}/${n}`;
      return statSync(abs).isDirectory() ? listFiles(abs, r) : [r];
    });
}

function typecheck(expectedDir: string): string[] {
  const files = listFiles(expectedDir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith("vitest.config.ts"))
    .map((f) => path.join(expectedDir, f));
  const base = ts.readConfigFile(path.join(REPO, "tsconfig.base.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, REPO);
  const program = ts.createProgram(files, {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    customConditions: ["source"],
    paths: { "@etl/tenant-*": [path.join(expectedDir, "generated", "*", "src", "index.ts")] },
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file === undefined || d.start === undefined
        ? ""
        : `${path.relative(expectedDir, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: `;
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

describe.each(scenarios)("golden scenario %s", (scenario) => {
  const root = path.join(GOLDEN, scenario);
  const expectedDir = path.join(root, "expected");

  it("generates exactly the expected files, byte for byte", () => {
    const result = generate({ root });
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) {
      return;
    }
    if (process.env.UPDATE_GOLDEN === "1") {
      rmSync(expectedDir, { recursive: true, force: true });
      for (const [p, text] of result.files) {
        mkdirSync(path.dirname(path.join(expectedDir, p)), { recursive: true });
        writeFileSync(path.join(expectedDir, p), text);
      }
    }
    expect([...result.files.keys()].sort()).toEqual(listFiles(expectedDir));
    for (const [p, text] of result.files) {
      expect(text, p).toBe(readFileSync(path.join(expectedDir, p), "utf8"));
    }
  });

  it("expected output typechecks", () => {
    expect(typecheck(expectedDir)).toEqual([]);
  });
});
