/**
 * What the filesystem boundary still allows: links inside build products (npm links workspaces
 * under node_modules) are left alone, links to inputs inside the repository are followed, stale
 * generated folders are still pruned and unowned ones left alone.
 */
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generate } from "../src/generate.js";
import { type Output, outputProblems, write } from "../src/write.js";

const BASE = path.join(import.meta.dirname, "hardening", "fixtures", "base");
const dirs: string[] = [];

function fresh(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "gen-write-"));
  dirs.push(dir);
  cpSync(BASE, path.join(dir, "repo"), { recursive: true });
  mkdirSync(path.join(dir, "outside"));
  writeFileSync(path.join(dir, "outside", "keep.txt"), "keep\n");
  return path.join(dir, "repo");
}

function output(root: string): Output {
  const result = generate({ root });
  if (!result.ok) {
    throw new Error(result.problems.map((p) => p.message).join("\n"));
  }
  return { files: result.files, ownedDirs: result.ownedDirs, pruneStale: true };
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the writer and the loader at the filesystem boundary", () => {
  it("leaves links inside build products alone", () => {
    const root = fresh();
    write(root, output(root));
    const modules = path.join(root, "generated/acme/node_modules/@etl");
    mkdirSync(modules, { recursive: true });
    symlinkSync(path.join(root, "..", "outside"), path.join(modules, "runtime"));
    const again = output(root);
    expect(outputProblems(root, again)).toEqual([]);
    expect(write(root, again)).toEqual([]);
    expect(lstatSync(path.join(modules, "runtime")).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(root, "..", "outside", "keep.txt"), "utf8")).toBe("keep\n");
  });

  it("prunes a stale generated folder and leaves an unowned one alone", () => {
    const root = fresh();
    write(root, output(root));
    mkdirSync(path.join(root, "generated/gone/src"), { recursive: true });
    writeFileSync(path.join(root, "generated/gone/.etl-generated"), "# generated\n");
    writeFileSync(path.join(root, "generated/gone/src/x.ts"), "export {};\n");
    mkdirSync(path.join(root, "generated/notes"));
    writeFileSync(path.join(root, "generated/notes/a.md"), "mine\n");
    const done = write(root, output(root));
    expect(done.map((c) => [c.kind, c.path])).toEqual([
      ["delete", "generated/gone/.etl-generated"],
      ["delete", "generated/gone/src/x.ts"],
    ]);
    expect(existsSync(path.join(root, "generated/gone"))).toBe(false);
    expect(readFileSync(path.join(root, "generated/notes/a.md"), "utf8")).toBe("mine\n");
  });

  it("reads an input through a link that stays inside the repository", () => {
    const root = fresh();
    const shared = path.join(root, "shared");
    mkdirSync(shared);
    renameSync(path.join(root, "tenants/acme/transforms/wip.ts"), path.join(shared, "wip.ts"));
    symlinkSync("../../../shared/wip.ts", path.join(root, "tenants/acme/transforms/wip.ts"));
    const out = output(root);
    expect(out.files.get("generated/acme/src/transforms/wip.ts")).toContain("export const wip");
  });
});
