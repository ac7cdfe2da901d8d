/** The model of one tenant: its plan and what the emitters need to know besides it. */
import type { OutputColumn, SourceColumn, TenantPlan, UnmappedTypes } from "@etl/runtime/plan";
import type { SourceFile } from "../config/load.js";
import type { Problem } from "../problems.js";

/** The tenant's transform of one pipeline, as the emitters type it. */
export interface TransformModel {
  /** Pipelines whose extracts the transform receives, in declared order. */
  inputs: string[];
  module: string;
  exportName: string;
  /** Declared output columns, each with its TypeScript type. */
  output: (OutputColumn & { ts: string })[];
}

/** What the emitters need to know about one pipeline besides its plan. */
export interface PipelineModel {
  name: string;
  columns: SourceColumn[] | null;
  /** Target name of each of `columns` (row properties, Trino columns); null without snapshot. */
  targetNames: string[] | null;
  unmappedTypes: UnmappedTypes;
  transfer: TransformModel | null;
}

/** The tenant's input files (repository-relative), so each generated file names its own. */
export interface TenantInputs {
  config: string;
  introspection: string | null;
  manifest: string | null;
  /** Transform modules, sorted. */
  transforms: string[];
  /** Transform tests, sorted. */
  transformTests: string[];
}

export interface TenantModel {
  id: string;
  inputs: TenantInputs;
  plan: TenantPlan;
  pipelines: PipelineModel[];
  /** Transform modules copied into the package, by module name. */
  transforms: Map<string, SourceFile>;
  transformTests: Map<string, SourceFile>;
  /** `allowed_env` variables the config names (shown in the README), sorted. */
  allowedEnv: string[];
}

export interface ModelResult {
  model: TenantModel | null;
  problems: Problem[];
}
