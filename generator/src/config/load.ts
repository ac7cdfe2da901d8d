/**
 * Loading: reads every tenant's inputs (config.yaml, introspection.json, transforms/, the dbt
 * manifest) and validates the YAML against the strict schema. Reading is the only disk access of
 * the generator besides the writer; everything after this works on the returned values.
 */
import { isUtf8 } from "node:buffer";
import { LineCounter, parseDocument } from "yaml";
import {
  inspect,
  listInputDir,
  listInputEntries,
  readInput,
  repoPathProblem,
} from "../fs-guard.js";
import { fileProblem, type Problem } from "../problems.js";
import { hasUnsafeChar, showText } from "../text.js";
import { INTROSPECTION_FILE, type Introspection, IntrospectionSchema } from "./introspection.js";
import { type TenantConfig, TenantFileSchema } from "./schema.js";
import { locate, pathAtOffset, type YamlPath } from "./yaml-locate.js";
import { zodProblems } from "./zod-problems.js";

export interface SourceFile {
  /** Repository-relative POSIX path. */
  path: string;
  text: string;
}

export interface LoadedTenant {
  /** Folder name under tenants/. */
  dir: string;
  configFile: string;
  config: TenantConfig;
  /** Position of a YAML path inside config.yaml. */
  locate: (p: YamlPath, key?: boolean) => { line: number; col: number };
  introspection: { file: string; data: Introspection } | null;
  /** Transform modules (`*.ts` except tests) by module name. */
  transforms: Map<string, SourceFile>;
  /** Transform tests (`*.test.ts`) by file name. */
  transformTests: Map<string, SourceFile>;
  /** The dbt manifest, when dbt is enabled and the file exists. */
  dbtManifest: SourceFile | null;
  /** Inputs the loader refused and already reported (a link out of the repository, a FIFO, ...). */
  refused: ReadonlySet<string>;
  /** The other tenant folders of the repository (whose `<TENANT>_*` variables are not this one's). */
  otherTenants: string[];
}

export interface LoadResult {
  tenants: LoadedTenant[];
  problems: Problem[];
}

/** A tenant folder name that can appear in paths, headers and messages as it is. */
const TENANT_DIR = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Tenant folders: every entry under tenants/ not starting with "_" or "." that is a folder, or a
 * link the loader must refuse (reported when the tenant is loaded), with a problem for a name that
 * could not be written into generated files.
 */
function scanTenantDirs(root: string): { dirs: string[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const entries = listInputEntries(root, "tenants", problems);
  if (entries === null || entries === "missing") {
    return { dirs: [], problems };
  }
  const dirs: string[] = [];
  for (const entry of entries) {
    const name = entry.name;
    if (name.startsWith("_") || name.startsWith(".")) {
      continue;
    }
    // A real folder is one; anything else (a link, say) is inspected on its own.
    const kind = entry.isDirectory() ? "dir" : inspect(root, `tenants/${name}`).kind;
    if (kind !== "dir" && kind !== "refused") {
      continue;
    }
    if (!TENANT_DIR.test(name)) {
      problems.push(
        fileProblem({
          file: `tenants/${name}`,
          path: "",
          message: `tenant folder name "${showText(name)}" has characters that cannot appear in generated paths and headers`,
          hint: "name the folder after the tenant id (lower-case letters, digits and _)",
        }),
      );
      continue;
    }
    dirs.push(name);
  }
  return { dirs, problems };
}

/**
 * The names under tenants/ besides `dir`, as tenant ids for the variable-prefix rule: a listing
 * only (every tenant's load does this, so no entry is inspected; a bad entry is reported when that
 * tenant itself is loaded).
 */
function otherTenantNames(root: string, dir: string): string[] {
  const names = listInputDir(root, "tenants", []);
  return names === null || names === "missing"
    ? []
    : names.filter((n) => n !== dir && !n.startsWith("_") && !n.startsWith("."));
}

/** Tenant folders: every directory under tenants/ not starting with "_" or ".". */
export function tenantDirs(root: string): string[] {
  return scanTenantDirs(root).dirs;
}

/**
 * The tenant folders to compile: all of them, or the named ones (a problem for each name that
 * has no folder).
 */
export function selectTenants(
  root: string,
  only?: readonly string[],
): { dirs: string[]; problems: Problem[] } {
  const { dirs, problems } = scanTenantDirs(root);
  for (const want of only ?? []) {
    if (!dirs.includes(want)) {
      problems.push(
        fileProblem({
          file: `tenants/${want}/config.yaml`,
          path: "",
          message: `no tenant "${want}": tenants/${want}/ does not exist`,
          hint: `known tenants: ${dirs.join(", ") || "(none)"}; create one with npm run new-tenant -- ${want}`,
        }),
      );
    }
  }
  return { dirs: dirs.filter((d) => only === undefined || only.includes(d)), problems };
}

/** Loads and schema-validates the named tenants (all when `only` is undefined). */
export function loadTenants(root: string, only?: readonly string[]): LoadResult {
  const { dirs, problems } = selectTenants(root, only);
  const tenants: LoadedTenant[] = [];
  for (const dir of dirs) {
    const loaded = loadTenant(root, dir, problems);
    if (loaded !== null) {
      tenants.push(loaded);
    }
  }
  return { tenants, problems };
}

/** Loads one tenant folder; its problems are appended to `problems`. */
export function loadTenant(root: string, dir: string, problems: Problem[]): LoadedTenant | null {
  const config = loadConfig(root, dir, problems);
  if (config === null) {
    return null;
  }
  const rel = `tenants/${dir}`;
  const before = problems.length;
  const introspection = loadIntrospection(root, rel, problems);
  const { transforms, tests } = loadTransforms(root, rel, problems);
  const cfg = config.config;
  const dbtManifest = cfg.dbt.enabled ? loadManifest(root, rel, cfg, problems) : null;
  if (cfg.dbt.enabled) {
    checkProjectDir(root, dbtProjectDir(rel, cfg), problems);
  }
  // One link on the way to two inputs (the dbt folder holds the manifest) is one problem.
  const seen = new Set<string>();
  const found: Problem[] = [];
  for (const p of problems.splice(before)) {
    const key = `${p.file}\0${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      found.push(p);
    }
  }
  problems.push(...found);
  const refused = new Set(found.map((p) => p.file));
  return {
    dir,
    configFile: config.configFile,
    config: cfg,
    locate: config.locate,
    introspection,
    transforms,
    transformTests: tests,
    dbtManifest,
    refused,
    otherTenants: otherTenantNames(root, dir),
  };
}

/**
 * Whether the loader refused `rel` or a folder on its way (and reported why): the model must not
 * then report it missing as well.
 */
export function isRefused(t: Pick<LoadedTenant, "refused">, rel: string): boolean {
  for (const r of t.refused) {
    if (rel === r || rel.startsWith(`${r}/`)) {
      return true;
    }
  }
  return false;
}

/** A tenant's config.yaml, read and validated against the strict schema. */
export interface LoadedConfig {
  configFile: string;
  config: TenantConfig;
  locate: LoadedTenant["locate"];
}

/**
 * Reads and schema-validates one tenant's config.yaml alone (no other input); its problems are
 * appended to `problems`. Used on its own for tenants that are compared but not compiled.
 */
export function loadConfig(root: string, dir: string, problems: Problem[]): LoadedConfig | null {
  const rel = `tenants/${dir}`;
  const configFile = `${rel}/config.yaml`;
  const folder = inspect(root, rel);
  if (folder.kind === "refused") {
    problems.push(
      fileProblem({
        file: folder.file,
        path: "",
        message: folder.message,
        hint: folder.hint,
      }),
    );
    return null;
  }
  const bytes = readInput(root, configFile, problems, "YAML file");
  if (bytes === "missing") {
    problems.push(
      fileProblem({
        file: configFile,
        path: "",
        message: `tenants/${dir}/ has no config.yaml`,
        hint: `create it (npm run new-tenant -- ${dir}) or remove the folder`,
      }),
    );
    return null;
  }
  if (bytes === null) {
    return null;
  }
  if (!isUtf8(bytes)) {
    // Decoding would silently turn the bad bytes into U+FFFD and put them in generated code.
    problems.push(
      fileProblem({
        file: configFile,
        path: "",
        message: `${configFile} is not valid UTF-8`,
        hint: "save the file as UTF-8",
      }),
    );
    return null;
  }
  const text = bytes.toString("utf8");
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const loc = (p: YamlPath, key = false) => locate(doc, lc, p, key);
  let yamlBroken = false;
  for (const err of doc.errors) {
    const pos = lc.linePos(err.pos[0]);
    const at = pathAtOffset(doc, err.pos[0]);
    if (err.code === "DUPLICATE_KEY") {
      const name = String(at[at.length - 1] ?? "");
      const isPipeline = at.length === 4 && at[1] === "assets" && at[2] === "pipelines";
      problems.push({
        file: configFile,
        line: pos.line,
        col: pos.col,
        path: at.join("."),
        message: isPipeline
          ? `duplicate pipeline name "${name}": a pipeline is defined twice`
          : `duplicate key "${name}"`,
        hint: isPipeline
          ? "rename one of the pipelines or merge the two definitions"
          : "keep only one of the two keys",
      });
    } else {
      yamlBroken = true;
      problems.push({
        file: configFile,
        line: pos.line,
        col: pos.col,
        path: at.join("."),
        message: `YAML syntax error: ${err.message.split("\n")[0] ?? err.code}`,
        hint: "fix the YAML syntax (indentation, quotes, colons)",
      });
    }
  }
  if (yamlBroken) {
    return null;
  }
  const data = toJsLimited(doc);
  if (!data.ok) {
    problems.push(
      fileProblem({
        file: configFile,
        path: "",
        message: `YAML aliases expand too far: ${data.reason}`,
        hint: "write the values out instead of nesting anchors and aliases",
      }),
    );
    return null;
  }
  const parsed = TenantFileSchema.safeParse(data.value ?? {}, { reportInput: true });
  if (!parsed.success) {
    problems.push(...zodProblems(TenantFileSchema, configFile, parsed.error.issues, loc));
    return null;
  }
  return { configFile, config: parsed.data.tenant, locate: loc };
}

/**
 * The document as plain values. The yaml library throws on an alias "bomb" (a few lines expanding
 * to millions of nodes); that becomes a problem of the file instead of an internal error.
 */
function toJsLimited(
  doc: ReturnType<typeof parseDocument>,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      return { ok: false, reason: e.message };
    }
    throw e;
  }
}

function loadIntrospection(
  root: string,
  rel: string,
  problems: Problem[],
): LoadedTenant["introspection"] {
  const file = `${rel}/${INTROSPECTION_FILE}`;
  const bytes = readInput(root, file, problems, "JSON file");
  if (bytes === "missing" || bytes === null) {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    problems.push(
      fileProblem({
        file,
        path: "",
        message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
        hint: "re-create it with npm run introspect",
      }),
    );
    return null;
  }
  const parsed = IntrospectionSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(
        fileProblem({
          file,
          path: issue.path.map(String).join("."),
          message: issue.message,
          hint: "re-create it with npm run introspect instead of editing it by hand",
        }),
      );
    }
    return null;
  }
  return { file, data: parsed.data };
}

/**
 * Transform file names: a module name (what `transfer.module` names) or a test beside it. A name
 * outside this rule would reach the header of every generated file and the package's paths.
 */
const TRANSFORM_FILE = /^[a-z][a-z0-9_-]*(\.test)?\.ts$/;
/** Module names the generated package uses itself (src/transforms/index.ts is the registry). */
const RESERVED_MODULES = new Set(["index"]);

function loadTransforms(
  root: string,
  rel: string,
  problems: Problem[],
): { transforms: Map<string, SourceFile>; tests: Map<string, SourceFile> } {
  const transforms = new Map<string, SourceFile>();
  const tests = new Map<string, SourceFile>();
  const dir = `${rel}/transforms`;
  const names = listInputDir(root, dir, problems);
  if (names === null || names === "missing") {
    return { transforms, tests };
  }
  const report = (file: string, message: string, hint: string) =>
    problems.push(fileProblem({ file, path: "", message, hint }));
  for (const name of names) {
    if (!name.endsWith(".ts") || name.endsWith(".d.ts")) {
      continue;
    }
    const file = `${dir}/${name}`;
    if (!TRANSFORM_FILE.test(name)) {
      report(
        file,
        `transform file name "${showText(name)}" is not a module name: expected a lower-case letter, then lower-case letters, digits, "_" and "-", then .ts or .test.ts`,
        hasUnsafeChar(name)
          ? "rename the file: a line break or control character in a file name would land in every generated file"
          : "rename the file, e.g. my_transform.ts",
      );
      continue;
    }
    const module = name.slice(0, -3);
    if (RESERVED_MODULES.has(module)) {
      report(
        file,
        `transform module "${module}" would replace the generated registry src/transforms/${module}.ts (the type check of every transform)`,
        "rename the file, e.g. transforms/shared.ts",
      );
      continue;
    }
    const bytes = readInput(root, file, problems, "TypeScript file");
    if (bytes === null || bytes === "missing") {
      continue;
    }
    if (!isUtf8(bytes)) {
      report(file, "is not valid UTF-8", "save the file as UTF-8");
      continue;
    }
    const source = { path: file, text: bytes.toString("utf8") };
    if (name.endsWith(".test.ts")) {
      tests.set(name, source);
    } else {
      transforms.set(module, source);
    }
  }
  return { transforms, tests };
}

/** Default dbt project folder of a tenant, relative to the repository root. */
export function dbtProjectDir(rel: string, config: TenantConfig): string {
  return config.dbt.project_dir ?? `${rel}/dbt`;
}

/** Default manifest location: the project's target/manifest.json. */
export function dbtManifestPath(rel: string, config: TenantConfig): string {
  return config.dbt.manifest_path ?? `${dbtProjectDir(rel, config)}/target/manifest.json`;
}

function loadManifest(
  root: string,
  rel: string,
  config: TenantConfig,
  problems: Problem[],
): SourceFile | null {
  const file = dbtManifestPath(rel, config);
  // Only files inside the repository: a tenant must not make the generator read the machine's.
  // A path that breaks the rule is reported by the model step (with its YAML position).
  if (repoPathProblem(file) !== null) {
    return null;
  }
  const bytes = readInput(root, file, problems, "JSON file");
  return bytes === null || bytes === "missing"
    ? null
    : { path: file, text: bytes.toString("utf8") };
}

/** The dbt project folder (copied into the image, run by dbt) must not be a link out of the repository. */
function checkProjectDir(root: string, dir: string, problems: Problem[]): void {
  if (repoPathProblem(dir) !== null) {
    return;
  }
  const entry = inspect(root, dir);
  if (entry.kind === "refused") {
    problems.push(
      fileProblem({
        file: entry.file,
        path: "",
        message: entry.message,
        hint: entry.hint,
      }),
    );
  } else if (entry.kind === "file") {
    problems.push(
      fileProblem({
        file: dir,
        path: "",
        message: "is a file, but dbt.project_dir names the dbt project folder",
        hint: "point dbt.project_dir at the folder holding dbt_project.yml",
      }),
    );
  }
}
