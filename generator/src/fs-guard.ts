/**
 * The filesystem is a boundary. Inputs are read only when every symbolic link on their way stays
 * inside the repository and they are what they claim (a regular file, a folder); the output tree
 * is never entered through a link. Everything here reports a Problem naming the repository-relative
 * path instead of letting `EISDIR`, a blocking FIFO read or an outside file through.
 */
import {
  type Dirent,
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  type Stats,
  statSync,
} from "node:fs";
import path from "node:path";
import { fileProblem, type Problem } from "./problems.js";

/** What a repository-relative path is, as far as the generator may know. */
export type Entry =
  | { kind: "missing" }
  | { kind: "file"; abs: string }
  | { kind: "dir"; abs: string }
  /** `file` is the path at fault (the link on the way, or the path itself); `message` follows it. */
  | { kind: "refused"; file: string; message: string; hint: string };

function errnoCode(e: unknown): string {
  return typeof e === "object" && e !== null && "code" in e && typeof e.code === "string"
    ? e.code
    : "";
}

/** A file type in words, for "is a ..., not a regular file". */
export function describeType(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSymbolicLink()) return "a symbolic link";
  return "a regular file";
}

function inside(realRoot: string, real: string): boolean {
  const rel = path.relative(realRoot, real);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * What `rel` is. A symbolic link on the way (the path itself or a folder above it) is followed
 * only when it leads to a place inside the repository; a link out of it, a dangling link or a
 * loop is refused, naming the link.
 */
export function inspect(root: string, rel: string): Entry {
  const realRoot = realpathSync(root);
  const parts = rel.split("/").filter((p) => p !== "");
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join("/");
    const abs = path.join(root, sub);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (st === undefined) {
      return { kind: "missing" };
    }
    if (!st.isSymbolicLink()) {
      continue;
    }
    let real: string;
    try {
      real = realpathSync(abs);
    } catch (e) {
      const code = errnoCode(e);
      if (code === "ENOENT") {
        return {
          kind: "refused",
          file: sub,
          message: "is a symbolic link to nothing (its target does not exist)",
          hint: "remove the link or point it at a file inside the repository",
        };
      }
      if (code === "ELOOP") {
        return {
          kind: "refused",
          file: sub,
          message: "is a loop of symbolic links",
          hint: "replace the links with the real file",
        };
      }
      throw new Error(`cannot resolve the symbolic link ${sub}`, { cause: e });
    }
    if (!inside(realRoot, real)) {
      return {
        kind: "refused",
        file: sub,
        message:
          "is a symbolic link leading outside the repository; the generator reads only files inside it",
        hint: "copy what it points at into the repository instead of linking to it",
      };
    }
  }
  const abs = path.join(root, rel);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (st === undefined) {
    return { kind: "missing" };
  }
  if (st.isFile()) return { kind: "file", abs };
  if (st.isDirectory()) return { kind: "dir", abs };
  return {
    kind: "refused",
    file: rel,
    message: `is ${describeType(st)}, not a regular file`,
    hint: "replace it with a regular file",
  };
}

function problem(file: string, message: string, hint: string): Problem {
  return fileProblem({ file, path: "", message, hint });
}

/**
 * The bytes of the input file `rel`; null (with a problem naming it) when it is refused, not a
 * regular file or cannot be read; `missing` when it does not exist.
 */
export function readInput(
  root: string,
  rel: string,
  problems: Problem[],
  what = "file",
): Buffer | null | "missing" {
  const entry = inspect(root, rel);
  if (entry.kind === "missing") {
    return "missing";
  }
  if (entry.kind === "refused") {
    problems.push(problem(entry.file, entry.message, entry.hint));
    return null;
  }
  if (entry.kind === "dir") {
    problems.push(problem(rel, `is a directory, not a ${what}`, `replace it with the ${what}`));
    return null;
  }
  try {
    return readFileSync(entry.abs);
  } catch (e) {
    // Checked to be a regular file inside the repository: what remains is permission or I/O.
    problems.push(
      problem(
        rel,
        `cannot be read (${errnoCode(e) || (e instanceof Error ? e.message : String(e))})`,
        "make the file readable by the user running the generator",
      ),
    );
    return null;
  }
}

/**
 * The entries of the input folder `rel` with their types (sorted by name); null (with a problem
 * naming it) when it is refused, not a folder or cannot be listed; `missing` when it does not
 * exist. An entry that is a directory (not a link to one) needs no `inspect` of its own: the
 * folder holding it was inspected here.
 */
export function listInputEntries(
  root: string,
  rel: string,
  problems: Problem[],
): Dirent[] | null | "missing" {
  const entry = inspect(root, rel);
  if (entry.kind === "missing") {
    return "missing";
  }
  if (entry.kind === "refused") {
    problems.push(problem(entry.file, entry.message, entry.hint));
    return null;
  }
  if (entry.kind === "file") {
    problems.push(problem(rel, "is a file, not a folder", "make it a folder or remove it"));
    return null;
  }
  try {
    return readdirSync(entry.abs, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  } catch (e) {
    problems.push(
      problem(
        rel,
        `cannot be listed (${errnoCode(e) || String(e)})`,
        "make the folder readable by the user running the generator",
      ),
    );
    return null;
  }
}

/** The entry names of the input folder `rel`, sorted; null with a problem when it is refused. */
export function listInputDir(
  root: string,
  rel: string,
  problems: Problem[],
): string[] | null | "missing" {
  const entries = listInputEntries(root, rel, problems);
  return entries === null || entries === "missing" ? entries : entries.map((e) => e.name);
}

/**
 * Why a repository-relative path a tenant writes (dbt.project_dir, dbt.manifest_path) cannot be
 * used, or null: it must stay inside the repository and hold only characters that are safe in
 * every file it lands in (a Dockerfile COPY line, headers, YAML), so letters, digits, `_ . - /`.
 */
export function repoPathProblem(p: string): string | null {
  if (path.isAbsolute(p) || p.split(/[\\/]/).includes("..")) {
    return "points outside the repository";
  }
  if (
    !/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(p) ||
    p.split("/").some((s) => s === "" || s === ".")
  ) {
    return 'is not a plain relative path (letters, digits, "_", ".", "-" and "/" between names)';
  }
  return null;
}
