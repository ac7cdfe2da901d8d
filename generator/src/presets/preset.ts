/**
 * Presets: a domain's defaults that a tenant opts into with `preset: <name>`
 * (docs/config-reference.md#presets, docs/decisions/presets.md). A preset is a base the tenant's
 * own config extends: its pipelines are added under the names the tenant does not declare, and
 * its jobs are built-in jobs of the tenant, configured under `jobs:` like daily_etl.
 */
import {
  type PipelineConfig,
  PRESET_NAMES,
  type PresetName,
  type TenantConfig,
} from "../config/schema.js";
import { APS_PRESET } from "./aps.js";

/** A job of a preset: it runs one pipeline (with its transfer inputs' extracts and dbt models). */
export interface PresetJob {
  /** The pipeline the job runs; without it in the tenant the job does not exist. */
  readonly pipeline: string;
  readonly description: string;
}

/** One preset: the pipelines and jobs a tenant gets by naming it. */
export interface Preset {
  readonly name: PresetName;
  /** Its pipelines, fresh on each call (callers may hold them in a model). */
  readonly pipelines: () => Record<string, PipelineConfig>;
  /** Its jobs by name, in the order they are listed among the built-in jobs. */
  readonly jobs: Readonly<Record<string, PresetJob>>;
}

/** Every preset by name. */
export const PRESETS = { aps: APS_PRESET } as const satisfies Record<PresetName, Preset>;

/** The preset a config names, if any. */
export function presetOf(config: TenantConfig): Preset | null {
  return config.preset === undefined ? null : PRESETS[config.preset];
}

/** The pipelines of a tenant: its own, and its preset's under the names it does not declare. */
export interface TenantPipelines {
  /** Every pipeline's config by name: the preset's the config does not declare, then the config's. */
  readonly configs: Readonly<Record<string, PipelineConfig>>;
  /** The names of the pipelines that come from the preset (the config does not spell them out). */
  readonly fromPreset: ReadonlySet<string>;
}

/** The pipelines of a tenant, its preset's included. */
export function tenantPipelines(config: TenantConfig): TenantPipelines {
  const declared = config.assets.pipelines;
  const preset = presetOf(config)?.pipelines() ?? {};
  const fromPreset = new Set(Object.keys(preset).filter((name) => !Object.hasOwn(declared, name)));
  const configs: Record<string, PipelineConfig> = {};
  for (const name of fromPreset) {
    const pipeline = preset[name];
    if (pipeline !== undefined) {
      configs[name] = pipeline;
    }
  }
  return { configs: { ...configs, ...declared }, fromPreset };
}

/** The jobs a config's preset adds (none without a preset). */
export function presetJobs(config: TenantConfig): Readonly<Record<string, PresetJob>> {
  return presetOf(config)?.jobs ?? {};
}

/** The preset that has a job of this name, for the hint when a tenant names it without it. */
export function presetWithJob(name: string): Preset | null {
  return PRESET_NAMES.map((p) => PRESETS[p]).find((p) => Object.hasOwn(p.jobs, name)) ?? null;
}
