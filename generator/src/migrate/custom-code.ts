/**
 * The old tenant package (`__init__.py`, `assets/*.py`) as the old TenantLoader saw it: its custom
 * extract queries, its registered transform functions (resolved through the imports to the file and
 * line that defines them), and every function shaped like a transform.
 */
import {
  COMMON_TRANSFER_FILE,
  COMMON_TRANSFORMS,
  type CommonTransform,
  CUSTOM_CODE_VARIABLES,
  TRANSFER_FUNCTION_DICTS,
} from "./legacy-facts.js";
import { type PyModule, type PyValue, readPythonModule } from "./python.js";

/** A Python function the old system could call, and where it is defined. */
export interface PythonFunction {
  name: string;
  /** Relative to the old tenant folder, or COMMON_TRANSFER_FILE. */
  file: string;
  line: number;
  /** `input_dfs` keys it reads. */
  reads: string[];
  /** Set when it is one of the old common functions. */
  common: CommonTransform | null;
}

/** One entry of CUSTOM_TRANSFER_FUNCTIONS / CUSTOM_TRANSFORM_FUNCTIONS. */
export interface Registration {
  dict: string;
  key: string;
  line: number;
  /** null: the entry is None ("use common"). */
  fn: PythonFunction | null;
  /** Set when the value names something this reader cannot follow to a definition. */
  unresolved: string | null;
}

/** Something a person should know about the package, at a file and line. */
export interface CodeNote {
  file: string;
  line: number;
  text: string;
}

export interface CustomCode {
  /** Whether the folder has the `__init__.py` the old loader imported. */
  hasPackage: boolean;
  queries: Map<string, { sql: string; line: number }>;
  registrations: Registration[];
  /** Top-level functions whose first parameter is `input_dfs`, in every module of the folder. */
  transforms: PythonFunction[];
  notes: CodeNote[];
}

const INIT = "__init__.py";

/**
 * Reads the package. `python` maps folder-relative paths to source; `ownModules` are the module
 * prefixes that mean this package (`etl.tenants.<id>` for the tenant's id and folder name).
 */
export function readCustomCode(
  python: ReadonlyMap<string, string>,
  ownModules: readonly string[],
): CustomCode {
  const modules = new Map<string, PyModule>();
  const moduleOf = (file: string): PyModule | null => {
    const cached = modules.get(file);
    if (cached !== undefined) {
      return cached;
    }
    const source = python.get(file);
    if (source === undefined) {
      return null;
    }
    const parsed = readPythonModule(source, CUSTOM_CODE_VARIABLES);
    modules.set(file, parsed);
    return parsed;
  };
  const code: CustomCode = {
    hasPackage: python.has(INIT),
    queries: new Map(),
    registrations: [],
    transforms: [],
    notes: [],
  };
  for (const file of [...python.keys()].sort()) {
    const m = moduleOf(file);
    for (const fn of m?.functions ?? []) {
      if (fn.params[0] === "input_dfs") {
        code.transforms.push({
          name: fn.name,
          file,
          line: fn.line,
          reads: fn.reads,
          common: null,
        });
      }
    }
  }
  const init = moduleOf(INIT);
  if (init === null) {
    return code;
  }
  for (const u of init.unreadable) {
    code.notes.push({
      file: INIT,
      line: u.line,
      text: `${u.name} is changed by a statement this migration cannot follow (\`${u.text}\`): check by hand what the old loader saw`,
    });
  }
  const resolver = new Resolver(moduleOf, python, ownModules);
  const queries = init.assignments.get("CUSTOM_EXTRACT_QUERIES");
  if (queries !== undefined) {
    for (const entry of dictEntries(queries.value, "CUSTOM_EXTRACT_QUERIES", code, queries.line)) {
      if (entry.value.kind === "string") {
        code.queries.set(entry.key, { sql: entry.value.value, line: entry.line });
      } else if (entry.value.kind !== "none") {
        code.notes.push({
          file: INIT,
          line: entry.line,
          text: `CUSTOM_EXTRACT_QUERIES["${entry.key}"] is not a plain string (it is computed); write its SQL as the pipeline's query: by hand`,
        });
      }
    }
  }
  for (const dict of TRANSFER_FUNCTION_DICTS) {
    const assigned = init.assignments.get(dict);
    if (assigned === undefined) {
      continue;
    }
    for (const entry of dictEntries(assigned.value, dict, code, assigned.line)) {
      if (entry.value.kind === "none") {
        code.registrations.push({
          dict,
          key: entry.key,
          line: entry.line,
          fn: null,
          unresolved: null,
        });
        continue;
      }
      const fn = entry.value.kind === "name" ? resolver.resolve(INIT, entry.value.path) : null;
      code.registrations.push({
        dict,
        key: entry.key,
        line: entry.line,
        fn,
        unresolved: fn === null ? describe(entry.value) : null,
      });
    }
  }
  const loads = init.assignments.get("CUSTOM_LOAD_CONFIGS");
  if (loads !== undefined && loads.value.kind !== "none") {
    code.notes.push({
      file: INIT,
      line: loads.line,
      text: "CUSTOM_LOAD_CONFIGS was never read by the old factories (dead code there): not migrated; each pipeline's trino_output is what loaded",
    });
  }
  return code;
}

function describe(value: PyValue): string {
  switch (value.kind) {
    case "name":
      return value.path.join(".");
    case "string":
      return JSON.stringify(value.value);
    case "other":
      return value.text;
    default:
      return value.kind;
  }
}

function dictEntries(value: PyValue, name: string, code: CustomCode, line: number) {
  if (value.kind === "none") {
    return [];
  }
  if (value.kind !== "dict") {
    code.notes.push({
      file: INIT,
      line,
      text: `${name} is not a literal dict (\`${describe(value)}\`): check by hand what the old loader saw`,
    });
    return [];
  }
  for (const text of value.unreadable) {
    code.notes.push({
      file: INIT,
      line,
      text: `an entry of ${name} has a key that is not a plain string (\`${text}\`): check it by hand`,
    });
  }
  return value.entries;
}

/** Follows names through imports to the function definition. */
class Resolver {
  constructor(
    private readonly moduleOf: (file: string) => PyModule | null,
    private readonly python: ReadonlyMap<string, string>,
    private readonly ownModules: readonly string[],
  ) {}

  /** The function `path` (`fn` or `module.fn`) names in `file`, or null. */
  resolve(file: string, path: readonly string[], depth = 0): PythonFunction | null {
    const m = this.moduleOf(file);
    const [head, ...rest] = path;
    if (m === null || head === undefined || depth > 5) {
      return null;
    }
    if (rest.length === 0) {
      const local = m.functions.find((f) => f.name === head);
      if (local !== undefined) {
        return { name: local.name, file, line: local.line, reads: local.reads, common: null };
      }
    }
    // The last import binding a name wins, as at run time.
    const imported = [...m.imports].reverse().find((i) => i.alias === head);
    if (imported === undefined) {
      return null;
    }
    if (imported.name === null) {
      // import a.b.c [as x]: x.fn names fn in module a.b.c.
      const target = this.fileOf(file, imported.module);
      return this.inModule(target, imported.module, rest, depth);
    }
    // from m import name [as alias]: name is a submodule of m, or something defined in m.
    const sub = this.fileOf(file, `${imported.module}.${imported.name}`);
    if (sub !== null && this.python.has(sub)) {
      return this.inModule(sub, `${imported.module}.${imported.name}`, rest, depth);
    }
    const target = this.fileOf(file, imported.module);
    return this.inModule(target, imported.module, [imported.name, ...rest], depth);
  }

  private inModule(
    file: string | null,
    module: string,
    path: readonly string[],
    depth: number,
  ): PythonFunction | null {
    if (path.length !== 1 || path[0] === undefined) {
      return null;
    }
    const name = path[0];
    if (/^etl\.common(\.|$)/.test(module)) {
      const common = Object.values(COMMON_TRANSFORMS).find((c) => c.python === name);
      return common === undefined
        ? null
        : { name, file: COMMON_TRANSFER_FILE, line: common.line, reads: common.reads, common };
    }
    return file === null ? null : this.resolve(file, [name], depth + 1);
  }

  /** The folder-relative file of a module of this package, or null for another package. */
  private fileOf(from: string, module: string): string | null {
    let parts: string[];
    if (module.startsWith(".")) {
      const dots = module.length - module.replace(/^\.+/, "").length;
      const base = from.split("/").slice(0, -1);
      const up = base.slice(0, Math.max(0, base.length - (dots - 1)));
      parts = [
        ...up,
        ...module
          .slice(dots)
          .split(".")
          .filter((p) => p !== ""),
      ];
    } else {
      const own = this.ownModules.find((o) => module === o || module.startsWith(`${o}.`));
      if (own === undefined) {
        return null;
      }
      parts = module
        .slice(own.length)
        .split(".")
        .filter((p) => p !== "");
    }
    const asFile = `${parts.join("/")}.py`;
    const asPackage = [...parts, INIT].join("/");
    if (parts.length > 0 && this.python.has(asFile)) {
      return asFile;
    }
    return this.python.has(asPackage) ? asPackage : parts.length === 0 ? INIT : asFile;
  }
}
