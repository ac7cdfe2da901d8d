/**
 * The writer: the only code of the generator that changes the disk. It writes a FileMap and
 * deletes only inside folders carrying the generator's marker file; `check` compares instead.
 *
 * It never follows a symbolic link, neither to read, to write nor to delete: `outputProblems`
 * walks the output tree with lstat first, and any link, FIFO, device or folder-where-a-file-goes
 * is a problem naming it, before anything is read or written. The reads and writes after that
 * only ever see real folders and regular files.
 */

import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type FileMap, MARKER_FILE } from "./emit/common.js";
import { describeType } from "./fs-guard.js";
import { byText } from "./order.js";
import { fileProblem, type Problem } from "./problems.js";

/** Build products and caches inside generated packages: neither compared nor deleted. */
const IGNORED = new Set(["node_modules", "dist", ".turbo", "coverage"]);

export interface Output {
  files: FileMap;
  /** Folders (relative) this run owns completely. */
  ownedDirs: string[];
  /** Whether generated folders of tenants that no longer exist should be removed. */
  pruneStale: boolean;
  /**
   * Files this run expects but does not hold, because the incremental cache verified they are on
   * disk exactly as it would write them (incremental.ts): neither compared, rewritten nor deleted.
   */
  kept?: ReadonlySet<string>;
  /**
   * Owned folders the cache verified hold exactly their kept files (besides build products), as
   * regular files in real folders: a full run would find nothing to write, change or delete in
   * them, so they are neither walked, compared nor pruned. Every file under them is in `kept`.
   */
  keptDirs?: ReadonlySet<string>;
}

export interface Change {
  path: string;
  kind: "add" | "change" | "delete";
  before: string;
  after: string;
}

/** Whether an entry of a generated folder is a build product the writer never enters. */
export const isBuildProduct = (name: string) => IGNORED.has(name) || name.endsWith(".tsbuildinfo");
const ignored = isBuildProduct;

/** The owned folders this run has to look into: all but those the cache verified. */
function visitedDirs(out: Output): string[] {
  const kept = out.keptDirs;
  return kept === undefined ? out.ownedDirs : out.ownedDirs.filter((dir) => !kept.has(dir));
}

/** What is at `rel`, without following a link: "missing", "dir", "file" or the odd thing it is. */
function kindAt(root: string, rel: string): "missing" | "dir" | "file" | "link" | "other" {
  const st = lstatSync(path.join(root, rel), { throwIfNoEntry: false });
  if (st === undefined) return "missing";
  if (st.isSymbolicLink()) return "link";
  if (st.isDirectory()) return "dir";
  if (st.isFile()) return "file";
  return "other";
}

/** The regular files under `rel` (which the guard checked holds nothing else), sorted. */
function listFiles(root: string, rel: string): string[] {
  if (kindAt(root, rel) !== "dir") {
    return [];
  }
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, rel)).sort()) {
    if (ignored(name)) {
      continue;
    }
    const child = `${rel}/${name}`;
    const kind = kindAt(root, child);
    if (kind === "dir") {
      out.push(...listFiles(root, child));
    } else if (kind === "file") {
      out.push(child);
    }
  }
  return out;
}

function isGeneratedDir(root: string, rel: string): boolean {
  return kindAt(root, rel) === "dir" && kindAt(root, `${rel}/${MARKER_FILE}`) === "file";
}

/** Folders under generated/ that carry the marker but that this run does not produce. */
function staleDirs(root: string, out: Output): string[] {
  if (!out.pruneStale || kindAt(root, "generated") !== "dir") {
    return [];
  }
  const owned = new Set(out.ownedDirs);
  return readdirSync(path.join(root, "generated"))
    .sort()
    .map((n) => `generated/${n}`)
    .filter((rel) => !owned.has(rel) && isGeneratedDir(root, rel));
}

function problem(file: string, message: string, hint: string): Problem {
  return fileProblem({ file, path: "", message, hint });
}

/**
 * Every reason the output cannot be written (or compared) safely, each naming its path: a link,
 * FIFO or device anywhere in the folders the run reads, writes or prunes; a file where a folder
 * must go or a folder where a file must go; a folder the run would own that was not generated.
 * Nothing may be read or written while this is not empty.
 */
export function outputProblems(root: string, out: Output): Problem[] {
  const problems = new Map<string, Problem>();
  const add = (p: Problem) => {
    if (!problems.has(p.file)) problems.set(p.file, p);
  };
  const odd = (rel: string): Problem => {
    const st = lstatSync(path.join(root, rel));
    return st.isSymbolicLink()
      ? problem(
          rel,
          "is a symbolic link; the generator never follows links in its output (it would read, overwrite or delete what they point at)",
          "remove the link; generated/ holds only what the generator writes",
        )
      : problem(rel, `is ${describeType(st)} inside generated/`, "remove it");
  };
  const walk = (rel: string): void => {
    const kind = kindAt(root, rel);
    if (kind === "link" || kind === "other") {
      add(odd(rel));
      return;
    }
    if (kind !== "dir") {
      return;
    }
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      if (!ignored(name)) walk(`${rel}/${name}`);
    }
  };
  const generated = kindAt(root, "generated");
  if (generated === "link" || generated === "other") {
    return [odd("generated")];
  }
  if (generated === "file") {
    return [problem("generated", "is a file, not a folder", "move it away")];
  }
  if (generated === "dir") {
    if (out.pruneStale) {
      // Every entry of generated/ may be pruned: none may be a link to somewhere else.
      const entries = readdirSync(path.join(root, "generated"), { withFileTypes: true });
      for (const entry of entries.sort(byText((e) => e.name))) {
        if (!entry.isDirectory() && !entry.isFile()) add(odd(`generated/${entry.name}`));
      }
    }
    for (const dir of [...visitedDirs(out), ...staleDirs(root, out)]) {
      walk(dir);
    }
  }
  // Kept files were each found a regular file at their path by the cache, inside an owned folder
  // that the walk above checked for links and odd entries.
  for (const file of out.files.keys()) {
    const parts = file.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join("/");
      const kind = kindAt(root, rel);
      const last = i === parts.length;
      if (kind === "missing") break;
      if (kind === "link" || kind === "other") {
        add(odd(rel));
        break;
      }
      if (!last && kind === "file") {
        add(problem(rel, "is a file where the generator writes a folder", "move it away"));
        break;
      }
      if (last && kind === "dir") {
        add(problem(rel, "is a folder where the generator writes a file", "move it away"));
      }
    }
  }
  for (const dir of visitedDirs(out)) {
    if (listFiles(root, dir).length > 0 && !isGeneratedDir(root, dir)) {
      add(
        problem(
          dir,
          `exists but was not generated (no ${MARKER_FILE} marker file)`,
          "move it away; the generator writes only into folders it created",
        ),
      );
    }
  }
  return [...problems.values()];
}

function assertSafe(root: string, out: Output): void {
  const problems = outputProblems(root, out);
  if (problems.length > 0) {
    throw new Error(
      `internal: the writer was called although the output is unsafe: ${problems.map((p) => p.message).join("; ")}`,
    );
  }
}

/** Every difference between the disk and the output (call only when outputProblems is empty). */
export function changes(root: string, out: Output): Change[] {
  assertSafe(root, out);
  const result: Change[] = [];
  const expected = out.files;
  const present = new Set<string>();
  for (const dir of [...visitedDirs(out), ...staleDirs(root, out)]) {
    for (const f of listFiles(root, dir)) {
      present.add(f);
    }
  }
  for (const [p, after] of expected) {
    if (kindAt(root, p) !== "file") {
      result.push({ path: p, kind: "add", before: "", after });
      continue;
    }
    const before = readFileSync(path.join(root, p), "utf8");
    if (before !== after) {
      result.push({ path: p, kind: "change", before, after });
    }
  }
  const kept = out.kept ?? new Set<string>();
  const keptDirs = out.keptDirs ?? new Set<string>();
  const inKeptDir = (file: string) => keptDirs.has(file.split("/", 2).join("/"));
  for (const p of kept) {
    // Those in a verified folder were each found a regular file by the cache a moment ago.
    if (!inKeptDir(p) && kindAt(root, p) !== "file") {
      throw new Error(
        `${p} changed while the generator ran (the cache had just verified it); run the generator again`,
      );
    }
  }
  for (const p of present) {
    if (!expected.has(p) && !kept.has(p)) {
      result.push({
        path: p,
        kind: "delete",
        before: readFileSync(path.join(root, p), "utf8"),
        after: "",
      });
    }
  }
  return result.sort(byText((change) => change.path));
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
  // Listed before the deletes below remove their markers.
  const stale = staleDirs(root, out);
  for (const c of list) {
    const abs = path.join(root, c.path);
    if (c.kind === "delete") {
      rmSync(abs);
      continue;
    }
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, c.after);
  }
  for (const dir of stale) {
    // Only the marker folder's own generated files were deleted above; drop the empty tree too.
    // (rm removes links inside build products as links: it never follows them.)
    if (kindAt(root, dir) === "dir" && listFiles(root, dir).length === 0) {
      rmSync(path.join(root, dir), { recursive: true, force: true });
    }
  }
  removeEmptyDirs(root, visitedDirs(out));
  return list;
}

/** Removes folders left empty under `dirs` (never through a link: only real folders are entered). */
function removeEmptyDirs(root: string, dirs: readonly string[]): void {
  const prune = (rel: string): boolean => {
    if (kindAt(root, rel) !== "dir") {
      return false;
    }
    let empty = true;
    for (const n of readdirSync(path.join(root, rel))) {
      if (IGNORED.has(n) || !prune(`${rel}/${n}`)) {
        empty = false;
      }
    }
    if (empty) {
      rmSync(path.join(root, rel), { recursive: true });
    }
    return empty;
  };
  for (const d of dirs) {
    if (kindAt(root, d) === "dir") {
      for (const n of readdirSync(path.join(root, d))) {
        if (!IGNORED.has(n)) {
          prune(`${d}/${n}`);
        }
      }
    }
  }
}
