/**
 * Loading: reads every tenant's inputs (config.yaml, introspection.json, transforms/, the dbt
 * manifest) and validates the YAML against the strict schema. Reading is the only disk access of
 * the generator besides the writer; everything after this works on the returned values.
 */
import { isUtf8 } from "node:buffer";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { Problem } from "../problems.js";
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
}

export interface LoadResult {
  tenants: LoadedTenant[];
  problems: Problem[];
}

const posix = (p: string) => p.split(path.sep).join("/");

/** Tenant folders: every directory under tenants/ not starting with "_" or ".". */
export function tenantDirs(root: string): string[] {
  const dir = path.join(root, "tenants");
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir)
    .filter((n) => !n.startsWith("_") && !n.startsWith("."))
    .filter((n) => statSync(path.join(dir, n)).isDirectory())
    .sort();
}

/**
 * The tenant folders to compile: all of them, or the named ones (a problem for each name that
 * has no folder).
 */
export function selectTenants(
  root: string,
  only?: readonly string[],
): { dirs: string[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const dirs = tenantDirs(root);
  for (const want of only ?? []) {
    if (!dirs.includes(want)) {
      problems.push({
        file: `tenants/${want}/config.yaml`,
        line: 0,
        col: 0,
        path: "",
        message: `no tenant "${want}": tenants/${want}/ does not exist`,
        hint: `known tenants: ${dirs.join(", ") || "(none)"}; create one with npm run new-tenant -- ${want}`,
      });
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
  const rel = `tenants/${dir}`;
  const configFile = `${rel}/config.yaml`;
  const abs = path.join(root, rel, "config.yaml");
  if (!existsSync(abs)) {
    problems.push({
      file: configFile,
      line: 0,
      col: 0,
      path: "",
      message: `tenants/${dir}/ has no config.yaml`,
      hint: `create it (npm run new-tenant -- ${dir}) or remove the folder`,
    });
    return null;
  }
  if (!statSync(abs).isFile()) {
    problems.push({
      file: configFile,
      line: 0,
      col: 0,
      path: "",
      message: `${configFile} is not a regular file`,
      hint: "replace it with the tenant's YAML file",
    });
    return null;
  }
  const bytes = readFileSync(abs);
  if (!isUtf8(bytes)) {
    // Decoding would silently turn the bad bytes into U+FFFD and put them in generated code.
    problems.push({
      file: configFile,
      line: 0,
      col: 0,
      path: "",
      message: `${configFile} is not valid UTF-8`,
      hint: "save the file as UTF-8",
    });
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
    problems.push({
      file: configFile,
      line: 0,
      col: 0,
      path: "",
      message: `YAML aliases expand too far: ${data.reason}`,
      hint: "write the values out instead of nesting anchors and aliases",
    });
    return null;
  }
  const parsed = TenantFileSchema.safeParse(data.value ?? {}, { reportInput: true });
  if (!parsed.success) {
    problems.push(...zodProblems(TenantFileSchema, configFile, parsed.error.issues, loc));
    return null;
  }
  const introspection = loadIntrospection(root, rel, problems);
  const { transforms, tests } = loadTransforms(root, rel);
  const config = parsed.data.tenant;
  return {
    dir,
    configFile,
    config,
    locate: loc,
    introspection,
    transforms,
    transformTests: tests,
    dbtManifest: config.dbt.enabled ? loadManifest(root, rel, config) : null,
  };
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
  const abs = path.join(root, file);
  if (!existsSync(abs)) {
    return null;
  }
  const text = readFileSync(abs, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    problems.push({
      file,
      line: 0,
      col: 0,
      path: "",
      message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
      hint: "re-create it with npm run introspect",
    });
    return null;
  }
  const parsed = IntrospectionSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({
        file,
        line: 0,
        col: 0,
        path: issue.path.map(String).join("."),
        message: issue.message,
        hint: "re-create it with npm run introspect instead of editing it by hand",
      });
    }
    return null;
  }
  return { file, data: parsed.data };
}

function loadTransforms(
  root: string,
  rel: string,
): { transforms: Map<string, SourceFile>; tests: Map<string, SourceFile> } {
  const transforms = new Map<string, SourceFile>();
  const tests = new Map<string, SourceFile>();
  const dir = path.join(root, rel, "transforms");
  if (!existsSync(dir)) {
    return { transforms, tests };
  }
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".ts") || name.endsWith(".d.ts")) {
      continue;
    }
    const file = {
      path: posix(`${rel}/transforms/${name}`),
      text: readFileSync(path.join(dir, name), "utf8"),
    };
    if (name.endsWith(".test.ts")) {
      tests.set(name, file);
    } else {
      transforms.set(name.slice(0, -3), file);
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

function loadManifest(root: string, rel: string, config: TenantConfig): SourceFile | null {
  const file = dbtManifestPath(rel, config);
  const abs = path.join(root, file);
  // Only files inside the repository: a tenant must not make the generator read the machine's.
  const inside = path.relative(root, abs);
  if (inside.startsWith("..") || path.isAbsolute(inside)) {
    return null;
  }
  return existsSync(abs) ? { path: file, text: readFileSync(abs, "utf8") } : null;
}
