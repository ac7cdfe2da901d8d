/**
 * The writer: the only code of the generator that changes the disk. It writes a FileMap and
 * deletes only inside folders carrying the generator's marker file; `check` compares instead.
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
import { type FileMap, MARKER_FILE } from "./emit/common.js";

/** Build products and caches inside generated packages: neither compared nor deleted. */
const IGNORED = new Set(["node_modules", "dist", ".turbo", "coverage"]);

export interface Output {
  files: FileMap;
  /** Folders (relative) this run owns completely. */
  ownedDirs: string[];
  /** Whether generated folders of tenants that no longer exist should be removed. */
  pruneStale: boolean;
}

export interface Change {
  path: string;
  kind: "add" | "change" | "delete";
  before: string;
  after: string;
}

function listFiles(root: string, rel: string): string[] {
  const abs = path.join(root, rel);
  if (!existsSync(abs)) {
    return [];
  }
  const out: string[] = [];
  for (const name of readdirSync(abs).sort()) {
    if (IGNORED.has(name) || name.endsWith(".tsbuildinfo")) {
      continue;
    }
    const child = `${rel}/${name}`;
    if (statSync(path.join(root, child)).isDirectory()) {
      out.push(...listFiles(root, child));
    } else {
      out.push(child);
    }
  }
  return out;
}

function isGeneratedDir(root: string, rel: string): boolean {
  return existsSync(path.join(root, rel, MARKER_FILE));
}

/** Folders under generated/ that carry the marker but that this run does not produce. */
function staleDirs(root: string, out: Output): string[] {
  const gen = path.join(root, "generated");
  if (!out.pruneStale || !existsSync(gen)) {
    return [];
  }
  return readdirSync(gen)
    .sort()
    .map((n) => `generated/${n}`)
    .filter((rel) => !out.ownedDirs.includes(rel) && isGeneratedDir(root, rel));
}

/** Folders the run would write into although something else owns them. */
export function foreignDirs(root: string, out: Output): string[] {
  return out.ownedDirs.filter(
    (d) =>
      existsSync(path.join(root, d)) && listFiles(root, d).length > 0 && !isGeneratedDir(root, d),
  );
}

/** Every difference between the disk and the output. */
export function changes(root: string, out: Output): Change[] {
  const result: Change[] = [];
  const expected = out.files;
  const present = new Set<string>();
  for (const dir of [...out.ownedDirs, ...staleDirs(root, out)]) {
    for (const f of listFiles(root, dir)) {
      present.add(f);
    }
  }
  for (const [p, after] of expected) {
    const abs = path.join(root, p);
    if (!existsSync(abs)) {
      result.push({ path: p, kind: "add", before: "", after });
      continue;
    }
    const before = readFileSync(abs, "utf8");
    if (before !== after) {
      result.push({ path: p, kind: "change", before, after });
    }
  }
  for (const p of present) {
    if (!expected.has(p)) {
      result.push({
        path: p,
        kind: "delete",
        before: readFileSync(path.join(root, p), "utf8"),
        after: "",
      });
    }
  }
  return result.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * A unified diff of the changes, paths relative to the repository root. The diff library is
 * loaded here, on the only path that prints one, to keep it out of every other run's start-up.
 */
export async function unifiedDiff(list: readonly Change[]): Promise<string> {
  const { createTwoFilesPatch } = await import("diff");
  return list
    .map((c) =>
      createTwoFilesPatch(
        c.kind === "add" ? "/dev/null" : `a/${c.path}`,
        c.kind === "delete" ? "/dev/null" : `b/${c.path}`,
        c.before,
        c.after,
        undefined,
        undefined,
        { context: 3 },
      ),
    )
    .join("");
}

/** Applies the changes; deletes only inside marker folders. Returns what it did. */
export function write(root: string, out: Output): Change[] {
  const list = changes(root, out);
  for (const c of list) {
    const abs = path.join(root, c.path);
    if (c.kind === "delete") {
      rmSync(abs);
      continue;
    }
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, c.after);
  }
  for (const dir of staleDirs(root, out)) {
    // Only the marker folder's own generated files were deleted above; drop the empty tree too.
    if (listFiles(root, dir).length === 0) {
      rmSync(path.join(root, dir), { recursive: true, force: true });
    }
  }
  removeEmptyDirs(root, out.ownedDirs);
  return list;
}

function removeEmptyDirs(root: string, dirs: readonly string[]): void {
  const prune = (abs: string): boolean => {
    if (!existsSync(abs) || !statSync(abs).isDirectory()) {
      return false;
    }
    let empty = true;
    for (const n of readdirSync(abs)) {
      if (IGNORED.has(n) || !prune(path.join(abs, n))) {
        empty = false;
      }
    }
    if (empty) {
      rmSync(abs, { recursive: true });
    }
    return empty;
  };
  for (const d of dirs) {
    const abs = path.join(root, d);
    if (existsSync(abs)) {
      for (const n of readdirSync(abs)) {
        if (!IGNORED.has(n)) {
          prune(path.join(abs, n));
        }
      }
    }
  }
}
