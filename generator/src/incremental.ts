/**
 * The incremental path of `npm run generate`: a tenant whose inputs, generator code and repository
 * tenant list are those of its last successful compilation, and whose generated files on disk are
 * still exactly what that compilation wrote, is not compiled again; everything else is. The
 * cross-tenant checks and generated/all/ are always redone over every tenant (from each one's
 * recorded footprint and summary), so the result is the full run's, byte for byte.
 *
 * The cache lives outside the repository (ETL_GENERATE_CACHE, else the user's cache folder), one
 * JSON entry per tenant folder. An entry is keyed by a fingerprint of the code that generates (the
 * generator's and the runtime's sources or the bundle, the lockfile, the Node.js version), the list
 * of tenant folders (a tenant's checks name the others) and the folder name; it records every input
 * the tenant's compilation may read (each file's SHA-256 and stat, each folder's entries, the paths
 * that were absent) and every file it wrote (SHA-256 and stat). A file whose size, mtime, ctime and
 * inode are as recorded, and was not modified within a second of being recorded, is taken as
 * unchanged, as git's index does; any other file is hashed. An entry that does not parse, fails its
 * checksum or does not match is ignored and replaced: a damaged cache costs a compilation, never a
 * different output. A tenant with problems is never cached (its report is always computed afresh).
 */
import { createHash } from "node:crypto";
import {
  type Dirent,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  type Stats,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigValueSchema } from "@etl/runtime/plan";
import { z } from "zod";
import type { CompiledTenant, Footprint, TenantSummary } from "./generate.js";
import type { TenantInputs } from "./model/types.js";
import { isBuildProduct } from "./write.js";

/** Changes whenever an entry's shape does: older entries are then ignored. */
const FORMAT = 1;

/** A file modified this close to being recorded may change again unseen by its stat: hash it. */
const RACY_MS = 1000;

const StatSchema = z.strictObject({
  size: z.number(),
  mtimeMs: z.number(),
  ctimeMs: z.number(),
  ino: z.number(),
});
type FileStat = z.infer<typeof StatSchema>;

const FileRecordSchema = z.strictObject({
  path: z.string(),
  sha256: z.string(),
  /** Null: not to be trusted (racy when recorded); the file is hashed. */
  stat: StatSchema.nullable(),
});
type FileRecord = z.infer<typeof FileRecordSchema>;

const InputRecordSchema = z.discriminatedUnion("kind", [
  FileRecordSchema.extend({ kind: z.literal("file") }),
  z.strictObject({ kind: z.literal("dir"), path: z.string(), names: z.array(z.string()) }),
  z.strictObject({ kind: z.literal("missing"), path: z.string() }),
]);
type InputRecord = z.infer<typeof InputRecordSchema>;

const EntryBodySchema = z.strictObject({
  format: z.literal(FORMAT),
  key: z.string(),
  dir: z.string(),
  inputs: z.array(InputRecordSchema),
  outputs: z.array(FileRecordSchema),
  footprint: z.strictObject({
    id: z.string(),
    compiled: z.boolean(),
    bucket: ConfigValueSchema,
    basePath: ConfigValueSchema,
    dbtSchema: z.string().nullable(),
    kubernetesNames: z.array(z.string()),
  }),
  summary: z.strictObject({
    id: z.string(),
    inputs: z.strictObject({
      config: z.string(),
      introspection: z.string().nullable(),
      manifest: z.string().nullable(),
      transforms: z.array(z.string()),
      transformTests: z.array(z.string()),
    }),
    plan: z.strictObject({
      tenant: z.strictObject({
        id: z.string(),
        name: z.string(),
        enabled: z.boolean(),
        tags: z.record(z.string(), z.string()),
      }),
    }),
  }),
});
type EntryBody = z.infer<typeof EntryBodySchema>;

const EntrySchema = z.strictObject({ body: EntryBodySchema, checksum: z.string() });

/** What a lookup found: a tenant to reuse as it is on disk, or one to compile. */
export type Lookup =
  | { kind: "reuse"; tenant: CompiledTenant }
  | { kind: "compile"; inputs: InputRecord[] | null };

/** The incremental cache of one repository root. */
export interface GenerateCache {
  /** Where the entries are. */
  dir: string;
  /** Looks a tenant folder up; for a tenant to compile, snapshots its inputs first. */
  lookup: (dir: string) => Lookup;
  /**
   * Records the tenants this run compiled, once their files are on disk as `files` says (after the
   * write, or a clean check). Returns the problems writing entries met, as notes to print.
   */
  store: (compiled: readonly CompiledTenant[], snapshots: ReadonlyMap<string, Lookup>) => string[];
}

/** The cache folder: ETL_GENERATE_CACHE, else $XDG_CACHE_HOME or ~/.cache, /etl-generate. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.ETL_GENERATE_CACHE;
  if (given !== undefined && given !== "") return path.resolve(given);
  const base = env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(base, "etl-generate");
}

/**
 * The bytes of a file, or null when it cannot be read (permissions, a race with a delete). The
 * cache then does not vouch for the tenant: it is compiled, and the loader reports the file itself.
 */
function readable(abs: string): Buffer | null {
  try {
    return readFileSync(abs);
  } catch {
    return null;
  }
}

/** A folder's entries, sorted, or null when it cannot be listed (as `readable`). */
function listable(abs: string): string[] | null {
  try {
    return readdirSync(abs).sort();
  } catch {
    return null;
  }
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function statOf(st: Stats): FileStat {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

function sameStat(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

/** The stat to record for a file read at `now`: none when it changed too recently to trust. */
function trustedStat(st: Stats, now: number): FileStat | null {
  return now - Math.max(st.mtimeMs, st.ctimeMs) < RACY_MS ? null : statOf(st);
}

/** Every source file under `dir` (sorted, recursive), for the code fingerprint. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
      const child = rel === "" ? name : `${rel}/${name}`;
      const st = lstatSync(path.join(dir, child));
      if (st.isDirectory()) walk(child);
      else if (st.isFile()) out.push(child);
    }
  };
  walk("");
  return out;
}

/**
 * What the output depends on besides the tenant's inputs: the code that generates (the bundles,
 * or the generator's and the runtime's sources when running from them), the lockfile (library
 * versions) and the Node.js version (its time zone data decides which zones are valid).
 */
export function codeFingerprint(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(moduleUrl);
  const hash = createHash("sha256").update(`node ${process.version}\0`);
  const fromSource = here.endsWith(".ts");
  // Source: generator/src/incremental.ts; bundle: generator/dist/bundle/cli.js (one module).
  const repo = path.resolve(path.dirname(here), fromSource ? "../.." : "../../..");
  // The bundle folder holds the CLI and the worker threads' bundle: both generate.
  const parts = fromSource
    ? [path.join(repo, "generator/src"), path.join(repo, "runtime/src")]
    : [path.dirname(here)];
  for (const part of parts) {
    for (const file of sourceFiles(part)) {
      hash
        .update(`${file}\0`)
        .update(readFileSync(path.join(part, file)))
        .update("\0");
    }
  }
  const lock = path.join(repo, "package-lock.json");
  const lockStat = lstatSync(lock, { throwIfNoEntry: false });
  if (lockStat?.isFile() === true) hash.update(readFileSync(lock));
  return hash.digest("hex");
}

/** The names under tenants/: each tenant's checks compare it with the others. */
function tenantListing(root: string): string {
  const st = lstatSync(path.join(root, "tenants"), { throwIfNoEntry: false });
  return st?.isDirectory() === true ? (listable(path.join(root, "tenants")) ?? []).join("\0") : "";
}

/**
 * A snapshot of everything under `rel` (a tenant folder): files with their hashes, folders with
 * their entries. Null when it holds anything but folders and regular files (a link, say): such a
 * tenant is not cached, and the loader's own checks decide about it every time.
 */
function snapshotTree(root: string, rel: string, now: number): InputRecord[] | null {
  const out: InputRecord[] = [];
  const walk = (sub: string): boolean => {
    const abs = path.join(root, sub);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (st === undefined) {
      out.push({ kind: "missing", path: sub });
      return true;
    }
    if (st.isFile()) {
      const bytes = readable(abs);
      if (bytes === null) return false;
      out.push({ kind: "file", path: sub, sha256: sha256(bytes), stat: trustedStat(st, now) });
      return true;
    }
    if (!st.isDirectory()) return false;
    const names = listable(abs);
    if (names === null) return false;
    out.push({ kind: "dir", path: sub, names });
    return names.every((name) => walk(`${sub}/${name}`));
  };
  return walk(rel) ? out : null;
}

/** Whether every component of `rel` below the root is a real folder or file (no link). */
function noLinkOnTheWay(root: string, rel: string): boolean {
  const parts = rel.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const st = lstatSync(path.join(root, ...parts.slice(0, i)), { throwIfNoEntry: false });
    if (st === undefined) return true;
    if (st.isSymbolicLink()) return false;
  }
  return true;
}

/** Whether the file at `rel` still has the recorded content (by stat when trusted, else hash). */
function fileMatches(root: string, record: FileRecord): boolean {
  const abs = path.join(root, record.path);
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile()) return false;
  if (record.stat !== null && sameStat(record.stat, statOf(st))) return true;
  const bytes = readable(abs);
  return bytes !== null && sha256(bytes) === record.sha256;
}

/** Whether every recorded input is as recorded, each checked on its own (inputs outside the tenant folder). */
function recordsMatch(root: string, inputs: readonly InputRecord[]): boolean {
  for (const input of inputs) {
    if (!noLinkOnTheWay(root, input.path)) return false;
    const abs = path.join(root, input.path);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (input.kind === "missing") {
      if (st !== undefined) return false;
    } else if (input.kind === "dir") {
      if (st === undefined || !st.isDirectory()) return false;
      const names = listable(abs);
      if (
        names === null ||
        names.length !== input.names.length ||
        names.some((n, i) => n !== input.names[i])
      ) {
        return false;
      }
    } else if (!fileMatches(root, input)) {
      return false;
    }
  }
  return true;
}

/** A folder's entries with their types, sorted by name, or null when it cannot be listed. */
function entriesOf(abs: string): Dirent[] | null {
  try {
    return readdirSync(abs, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  } catch {
    return null;
  }
}

/** A tree as recorded: each folder's entry names (sorted) and each file's record, by path. */
interface Tree {
  dirs: ReadonlyMap<string, readonly string[]>;
  files: ReadonlyMap<string, FileRecord>;
}

/**
 * Whether the folder `rel` holds exactly `tree`: every folder with the recorded entries (names
 * `skip` accepts are not looked at), each a folder or a regular file as recorded, each file with
 * its recorded content. One listing per folder and one lstat per file: walking down from `rel`
 * (itself reached without a link) proves that no link is on the way to any of them, which
 * checking each path on its own took a dozen lstats per file to prove.
 */
function treeMatches(
  root: string,
  rel: string,
  tree: Tree,
  skip: (name: string) => boolean = () => false,
): boolean {
  let dirs = 0;
  let files = 0;
  const walk = (dir: string): boolean => {
    const want = tree.dirs.get(dir);
    const entries = want === undefined ? null : entriesOf(path.join(root, dir));
    if (want === undefined || entries === null) return false;
    dirs += 1;
    const kept = entries.filter((entry) => !skip(entry.name));
    if (kept.length !== want.length) return false;
    for (const [i, entry] of kept.entries()) {
      if (entry.name !== want[i]) return false;
      const child = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!walk(child)) return false;
      } else if (entry.isFile()) {
        const record = tree.files.get(child);
        if (record === undefined || !fileMatches(root, record)) return false;
        files += 1;
      } else {
        // A link, FIFO, device or socket: never recorded, so never as recorded.
        return false;
      }
    }
    return true;
  };
  const st = lstatSync(path.join(root, rel), { throwIfNoEntry: false });
  return (
    st?.isDirectory() === true &&
    noLinkOnTheWay(root, rel) &&
    walk(rel) &&
    dirs === tree.dirs.size &&
    files === tree.files.size
  );
}

const within = (rel: string, file: string) => file === rel || file.startsWith(`${rel}/`);

/**
 * Whether every recorded input is as recorded: the tenant folder's snapshot as one tree, the
 * inputs outside it (a dbt manifest elsewhere) one by one.
 */
function inputsMatch(root: string, tenantDir: string, inputs: readonly InputRecord[]): boolean {
  const rel = `tenants/${tenantDir}`;
  const dirs = new Map<string, readonly string[]>();
  const files = new Map<string, FileRecord>();
  const outside: InputRecord[] = [];
  for (const input of inputs) {
    if (!within(rel, input.path) || input.kind === "missing") outside.push(input);
    else if (input.kind === "dir") dirs.set(input.path, input.names);
    else files.set(input.path, input);
  }
  return treeMatches(root, rel, { dirs, files }) && recordsMatch(root, outside);
}

/**
 * Whether `generated/<tenant folder>/` holds exactly the recorded outputs (build products such
 * as node_modules/ and dist/ aside, which the writer never enters either): then the writer may
 * leave the folder alone, as a full run would find nothing to write, change or delete in it.
 */
function outputsMatch(root: string, tenantDir: string, outputs: readonly FileRecord[]): boolean {
  const rel = `generated/${tenantDir}`;
  const names = new Map<string, Set<string>>([[rel, new Set()]]);
  const files = new Map<string, FileRecord>();
  for (const output of outputs) {
    if (!output.path.startsWith(`${rel}/`)) return false;
    files.set(output.path, output);
    const parts = output.path.slice(rel.length + 1).split("/");
    let dir = rel;
    for (const part of parts) {
      names.get(dir)?.add(part);
      dir = `${dir}/${part}`;
      if (dir !== output.path && !names.has(dir)) names.set(dir, new Set());
    }
  }
  const dirs = new Map([...names].map(([dir, set]) => [dir, [...set].sort()]));
  return treeMatches(root, rel, { dirs, files }, isBuildProduct);
}

/** Whether the recorded entry is one that changed since its stat was last trusted. */
function hasUntrusted(body: EntryBody): boolean {
  return (
    body.outputs.some((o) => o.stat === null) ||
    body.inputs.some((i) => i.kind === "file" && i.stat === null)
  );
}

function readEntry(file: string): EntryBody | null {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile()) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // A damaged entry (cut short, not JSON) is a cache miss by design; it is replaced below.
    return null;
  }
  const parsed = EntrySchema.safeParse(raw);
  if (!parsed.success) return null;
  // The checksum covers the body as written (zod's output orders keys by its schema, not the file).
  const written = (raw as { body: unknown }).body;
  return sha256(JSON.stringify(written)) === parsed.data.checksum ? parsed.data.body : null;
}

function writeEntry(file: string, body: EntryBody): void {
  const text = JSON.stringify({ body, checksum: sha256(JSON.stringify(body)) });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** Re-records trusted stats of an entry's files once they are old enough to trust. */
function refreshed(root: string, body: EntryBody, now: number): EntryBody {
  const refresh = <T extends FileRecord>(record: T): T => {
    if (record.stat !== null) return record;
    const st = lstatSync(path.join(root, record.path));
    return { ...record, stat: trustedStat(st, now) };
  };
  return {
    ...body,
    inputs: body.inputs.map((i) => (i.kind === "file" ? refresh(i) : i)),
    outputs: body.outputs.map(refresh),
  };
}

/** Every input file a tenant's model names. */
function inputPaths(inputs: TenantInputs): string[] {
  return [
    inputs.config,
    ...(inputs.introspection === null ? [] : [inputs.introspection]),
    ...(inputs.manifest === null ? [] : [inputs.manifest]),
    ...inputs.transforms,
    ...inputs.transformTests,
  ];
}

/** Inputs of a compiled tenant outside its folder (a dbt manifest elsewhere), when no link. */
function outsideInputs(root: string, tenant: CompiledTenant, now: number): InputRecord[] | null {
  const own = `tenants/${tenant.dir}/`;
  const out: InputRecord[] = [];
  const inputs = tenant.summary === null ? [] : inputPaths(tenant.summary.inputs);
  const paths = new Set(inputs.filter((p) => !p.startsWith(own)));
  // The dbt project is shared by every environment (the plan contract's shared part).
  const projectDir = tenant.model?.plan.shared.dbt?.projectDir;
  if (projectDir !== undefined && !`${projectDir}/`.startsWith(own)) paths.add(projectDir);
  for (const rel of [...paths].sort()) {
    if (!noLinkOnTheWay(root, rel)) return null;
    const abs = path.join(root, rel);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    const names = st?.isDirectory() === true ? listable(abs) : null;
    const bytes = st?.isFile() === true ? readable(abs) : null;
    if (st === undefined) out.push({ kind: "missing", path: rel });
    else if (names !== null) out.push({ kind: "dir", path: rel, names });
    else if (bytes !== null) {
      out.push({ kind: "file", path: rel, sha256: sha256(bytes), stat: trustedStat(st, now) });
    } else return null;
  }
  return out;
}

/**
 * The cache of `root` under `cacheDir` (cacheRoot() by default). `fingerprint` is the code's
 * (codeFingerprint(); tests pass another to stand for a changed generator).
 */
export function openCache(
  root: string,
  options: { cacheDir?: string; fingerprint?: string } = {},
): GenerateCache {
  const realRoot = realpathSync(root);
  const dir = path.join(options.cacheDir ?? cacheRoot(), sha256(realRoot).slice(0, 16));
  const fingerprint = options.fingerprint ?? codeFingerprint();
  const listing = tenantListing(root);
  const keyOf = (tenantDir: string) => sha256(`${fingerprint}\0${listing}\0${tenantDir}`);
  const entryFile = (tenantDir: string) => path.join(dir, `${tenantDir}.json`);
  const refreshes = new Map<string, EntryBody>();

  const lookupOrThrow = (tenantDir: string): Lookup => {
    const now = Date.now();
    const body = readEntry(entryFile(tenantDir));
    const usable =
      body !== null &&
      body.key === keyOf(tenantDir) &&
      body.dir === tenantDir &&
      inputsMatch(root, tenantDir, body.inputs) &&
      outputsMatch(root, tenantDir, body.outputs);
    if (usable && body !== null) {
      if (hasUntrusted(body)) refreshes.set(tenantDir, refreshed(root, body, now));
      const footprint: Footprint = { ...body.footprint, compiled: true };
      const summary: TenantSummary = body.summary;
      const kept = body.outputs.map((o) => o.path);
      return {
        kind: "reuse",
        tenant: {
          dir: tenantDir,
          problems: [],
          model: null,
          summary,
          files: new Map(),
          footprint,
          kept,
        },
      };
    }
    // Taken before the compilation reads them: a change during it shows as a mismatch next time.
    return { kind: "compile", inputs: snapshotTree(root, `tenants/${tenantDir}`, now) };
  };

  /**
   * A folder or file the cache cannot reach (a permission, a race with a delete) must not stop the
   * run: the tenant is then compiled, uncached, and the loader reports whatever it cannot read.
   */
  const lookup = (tenantDir: string): Lookup => {
    try {
      return lookupOrThrow(tenantDir);
    } catch {
      return { kind: "compile", inputs: null };
    }
  };

  const store = (
    compiled: readonly CompiledTenant[],
    snapshots: ReadonlyMap<string, Lookup>,
  ): string[] => {
    const notes: string[] = [];
    const now = Date.now();
    const entries: [string, EntryBody][] = [...refreshes.entries()];
    for (const tenant of compiled) {
      const snapshot = snapshots.get(tenant.dir);
      if (
        snapshot?.kind !== "compile" ||
        snapshot.inputs === null ||
        tenant.problems.length > 0 ||
        tenant.summary === null ||
        tenant.footprint === null
      ) {
        continue;
      }
      const outside = outsideInputs(root, tenant, now);
      if (outside === null) continue;
      const outputs: FileRecord[] = [];
      for (const [file, text] of [...tenant.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const st = lstatSync(path.join(root, file), { throwIfNoEntry: false });
        if (st === undefined || !st.isFile()) {
          throw new Error(`internal: ${file} was not written before its cache entry was stored`);
        }
        outputs.push({ path: file, sha256: sha256(text), stat: trustedStat(st, now) });
      }
      entries.push([
        tenant.dir,
        {
          format: FORMAT,
          key: keyOf(tenant.dir),
          dir: tenant.dir,
          inputs: [...snapshot.inputs, ...outside],
          outputs,
          footprint: tenant.footprint,
          summary: tenant.summary,
        },
      ]);
    }
    if (entries.length === 0) return notes;
    try {
      mkdirSync(dir, { recursive: true });
      for (const [tenantDir, body] of entries) writeEntry(entryFile(tenantDir), body);
    } catch (e) {
      notes.push(
        `the generation cache at ${dir} could not be written (${e instanceof Error ? e.message : String(e)}); the output is complete, the next run compiles every tenant again`,
      );
    }
    return notes;
  };

  return { dir, lookup, store };
}
