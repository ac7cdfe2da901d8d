/**
 * What every step of a conversion shares: the old tenant, the new id, the package as read, the
 * report being written, and how to name a place of the old folder.
 */
import type { CustomCode, PythonFunction } from "./custom-code.js";
import { readCustomCode } from "./custom-code.js";
import { legacyRefs, resolvedWithoutEnvironment } from "./env-refs.js";
import type { LegacyConfig } from "./legacy-config.js";
import { COMMON_TRANSFER_FILE } from "./legacy-facts.js";
import type { LegacyPipeline } from "./legacy-schema.js";
import { type OldLookup, oldLookup } from "./lookup.js";
import type { Lookup, Port, ReportItem } from "./report.js";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Env = (typeof ENVIRONMENTS)[number];

/** Everything read from the old folder. */
export interface LegacyTenantInput {
  /** The old folder's base name, as the report names it. */
  source: string;
  /** Name of the config file inside the folder (`config.yaml`, or the legacy `tenant_<id>.yaml`). */
  configFile: string;
  config: LegacyConfig;
  /** Python modules by folder-relative path. */
  python: ReadonlyMap<string, string>;
  /** The dbt project the config points at: files by project-relative path, and how to name it. */
  dbt: { where: string; files: ReadonlyMap<string, string> } | null;
  /** Set when the config enables dbt but its project could not be found (why). */
  dbtMissing: string | null;
  /** Whether the tenant was a legacy single file (`tenants/tenant_<id>.yaml`). */
  singleFile: boolean;
  /** For a single file: whether a folder `etl/tenants/<id>/` beside it shadowed it in the old loader. */
  shadowed: boolean;
}

/** A pipeline on its way to the new config, with what the other steps need to know of it. */
export interface PipelineOut {
  name: string;
  legacy: LegacyPipeline;
  node: Record<string, unknown>;
  /** The per-environment flags written under `environments:` (the same object as in `node`). */
  overrides: Record<string, Record<string, boolean>>;
  /** save_to_trino && trino_output per environment, after the overrides. */
  loads: Record<Env, boolean>;
  /** The old save_to_s3 per environment, after the overrides: what the old extract did. */
  saveToS3: Record<Env, boolean>;
}

/** The state of one conversion. */
export class ConvertContext {
  readonly converted: ReportItem[] = [];
  readonly todo: ReportItem[] = [];
  readonly ports: Port[] = [];
  readonly lookups: Lookup[] = [];
  readonly decisions = new Set<string>();
  /** Files of the new tenant folder, by path relative to it. */
  readonly files = new Map<string, string>();
  /** Comments to attach to keys of the written YAML, by path inside `tenant`. */
  readonly comments: { path: string[]; text: string }[] = [];
  readonly cfg: LegacyConfig;
  readonly code: CustomCode;
  readonly oldId: string;

  constructor(
    readonly input: LegacyTenantInput,
    readonly id: string,
  ) {
    this.cfg = input.config;
    this.oldId = input.config.tenant.id;
    const ids = [...new Set([this.oldId, input.source])];
    this.code = readCustomCode(
      input.python,
      ids.flatMap((i) => [`etl.tenants.${i}`, `tenants.${i}`]),
    );
  }

  /** `config.yaml:10 tenant.assets.pipelines.x` for a path inside the tenant mapping. */
  at(path: readonly string[]): string {
    const line = this.cfg.line(path);
    const dotted = [...this.cfg.prefix, ...path].join(".");
    return `${this.input.configFile}${line > 0 ? `:${line}` : ""} ${dotted}`;
  }

  /** A place in the old folder's Python, named from the folder (`project_01/assets/transfer.py:14`). */
  py(file: string, line?: number): string {
    return `${this.input.source}/${file}${line === undefined ? "" : `:${line}`}`;
  }

  /** A string the old loader resolved at import time: `${VAR}` became its default (or ""). */
  plainString(path: readonly string[], value: string): string {
    const refs = legacyRefs(value);
    if (refs.length === 0) {
      return value;
    }
    const resolved = resolvedWithoutEnvironment(value);
    this.todo.push({
      where: this.at(path),
      text: `${refs.map((r) => r.text).join(", ")}: the old loader replaced it by the environment's value once, when the code location loaded; only connection values may hold references here, so it is written as the value it had with the variable unset: ${JSON.stringify(resolved)}. Check it`,
    });
    return resolved;
  }

  /** The old lookup's answer for `pipeline`, with where its registration is. */
  lookup(pipeline: string): OldLookup {
    const found = oldLookup(this.code, pipeline);
    return found.registration === null
      ? found
      : { ...found, how: `${found.how} (${this.py("__init__.py", found.registration.line)})` };
  }

  /** A Python function as the report names it: `name (file:line)`. */
  display(fn: PythonFunction | null, unresolved: string | null): string {
    if (fn === null) {
      return unresolved === null ? "nothing" : `\`${unresolved}\` (not followed to a definition)`;
    }
    const where =
      fn.file === COMMON_TRANSFER_FILE ? `${fn.file}:${fn.line}` : this.py(fn.file, fn.line);
    return `${fn.name} (${where})`;
  }
}
