/**
 * Reading an old tenant from disk: its config, its Python package and its dbt project. The only
 * code of the migration that reads files; it refuses, with a reason, what is not an old tenant.
 */
import { isUtf8 } from "node:buffer";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileProblem, type Problem } from "../problems.js";

export interface LegacyFolder {
  /** Absolute path of the folder (of the file, for a legacy single-file tenant). */
  dir: string;
  /** The folder's base name (the legacy file's `tenant_<id>` stem). */
  source: string;
  configFile: string;
  configText: string;
  /** Python modules by folder-relative POSIX path. */
  python: Map<string, string>;
  /** Whether `--from` named a legacy `tenants/tenant_<id>.yaml` file rather than a folder. */
  singleFile: boolean;
}

/** Folders never read for Python. */
const SKIP_DIRS = new Set(["dbt", "__pycache__", "node_modules", "target", "dbt_packages", "logs"]);
/** A file larger than this is not a tenant's config or module. */
const MAX_BYTES = 4 * 1024 * 1024;

const refuse = (file: string, message: string, hint: string): Problem =>
  fileProblem({
    file,
    path: "",
    message,
    hint,
  });

/** Files under `dir` (POSIX, relative), skipping dot folders and the named ones. */
function walk(dir: string, skip: ReadonlySet<string>, rel = "", depth = 0): string[] {
  if (depth > 8) {
    return [];
  }
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const abs = path.join(dir, name);
    const r = rel === "" ? name : `${rel}/${name}`;
    const st = statSync(abs);
    if (st.isDirectory()) {
      if (!name.startsWith(".") && !skip.has(name)) {
        out.push(...walk(abs, skip, r, depth + 1));
      }
    } else if (st.isFile()) {
      out.push(r);
    }
  }
  return out;
}

function readText(abs: string): string | null {
  const bytes = readFileSync(abs);
  return isUtf8(bytes) ? bytes.toString("utf8") : null;
}

/** Reads the old tenant at `from`; `display` is how problems name it. */
export function readLegacyFolder(
  from: string,
  display: string,
): { ok: true; folder: LegacyFolder } | { ok: false; problems: Problem[] } {
  if (!existsSync(from)) {
    return {
      ok: false,
      problems: [
        refuse(display, "does not exist", "point --from at an old etl/tenants/<id>/ folder"),
      ],
    };
  }
  const st = statSync(from);
  if (st.isFile()) {
    const base = path.basename(from);
    if (!/^tenant_.+\.ya?ml$/.test(base)) {
      return {
        ok: false,
        problems: [
          refuse(
            display,
            "is a file, but not a legacy single-file tenant (etl/tenants/tenant_<id>.yaml)",
            "point --from at the old etl/tenants/<id>/ folder",
          ),
        ],
      };
    }
    const text = st.size > MAX_BYTES ? null : readText(from);
    if (text === null) {
      return {
        ok: false,
        problems: [refuse(display, "is not a UTF-8 text file", "save it as UTF-8")],
      };
    }
    return {
      ok: true,
      folder: {
        dir: from,
        source: base.replace(/\.ya?ml$/, ""),
        configFile: base,
        configText: text,
        python: new Map(),
        singleFile: true,
      },
    };
  }
  if (!st.isDirectory()) {
    return { ok: false, problems: [refuse(display, "is neither a folder nor a file", "")] };
  }
  const problems: Problem[] = [];
  const configPath = path.join(from, "config.yaml");
  if (!existsSync(configPath) || !statSync(configPath).isFile()) {
    problems.push(
      refuse(
        display,
        "is not a tenant folder of the Dagster system: it has no config.yaml (an old tenant is etl/tenants/<id>/ with config.yaml, __init__.py, and optionally assets/ and dbt/)",
        "point --from at an old tenant folder",
      ),
    );
  }
  const transforms = path.join(from, "transforms");
  const hasTsTransforms =
    existsSync(transforms) &&
    statSync(transforms).isDirectory() &&
    readdirSync(transforms).some((n) => n.endsWith(".ts"));
  if (hasTsTransforms || existsSync(path.join(from, "introspection.json"))) {
    problems.push(
      refuse(
        display,
        `is already a tenant of this tool (it has ${hasTsTransforms ? "transforms/*.ts" : "introspection.json"}), not one of the Dagster system`,
        "nothing to migrate: put the folder under tenants/ and run npm run generate",
      ),
    );
  }
  if (problems.length > 0) {
    return { ok: false, problems };
  }
  const configText = statSync(configPath).size > MAX_BYTES ? null : readText(configPath);
  if (configText === null) {
    return {
      ok: false,
      problems: [refuse(`${display}/config.yaml`, "is not a UTF-8 text file", "save it as UTF-8")],
    };
  }
  const python = new Map<string, string>();
  for (const rel of walk(from, SKIP_DIRS)) {
    if (!rel.endsWith(".py")) {
      continue;
    }
    const abs = path.join(from, rel);
    const text = statSync(abs).size > MAX_BYTES ? null : readText(abs);
    if (text === null) {
      problems.push(
        refuse(
          `${display}/${rel}`,
          "is not a UTF-8 text file",
          "save it as UTF-8, then migrate again",
        ),
      );
      continue;
    }
    python.set(rel, text);
  }
  if (problems.length > 0) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    folder: {
      dir: from,
      source: path.basename(from),
      configFile: "config.yaml",
      configText,
      python,
      singleFile: false,
    },
  };
}

/** The text files of a dbt project (working folders left out); non-UTF-8 files are problems. */
export function readDbtProject(
  dir: string,
  display: string,
): { files: Map<string, string>; problems: Problem[] } {
  const files = new Map<string, string>();
  const problems: Problem[] = [];
  const keepDot = new Set([".gitignore"]);
  for (const rel of walk(dir, new Set(["target", "dbt_packages", "logs", "__pycache__"]))) {
    const base = rel.split("/").pop() ?? rel;
    if (base.startsWith(".") && !keepDot.has(base) && base !== ".gitkeep") {
      continue;
    }
    const abs = path.join(dir, rel);
    const text = statSync(abs).size > MAX_BYTES ? null : readText(abs);
    if (text === null) {
      problems.push(
        refuse(
          `${display}/${rel}`,
          "is not a UTF-8 text file (or larger than 4 MiB)",
          "copy it into the new dbt project by hand",
        ),
      );
      continue;
    }
    files.set(rel, text);
  }
  return { files, problems };
}
