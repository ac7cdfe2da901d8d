/**
 * The `aps` preset (`preset: aps`, docs/config-reference.md#presets): the APS (advanced planning
 * and scheduling) defaults of the Dagster system this tool replaces (docs/migrating.md). Its
 * pipelines are that system's get_default_assets_config; its jobs are that system's three
 * per-pipeline jobs, fixed to name the pipelines that exist (it looked their transfer assets up
 * as aps_wip/cycle_time/equipment_utilization, which never existed).
 */
import type { PipelineConfig } from "../config/schema.js";
import type { Preset } from "./preset.js";

type Columns = PipelineConfig["transfer"] extends infer T
  ? T extends { output: { columns: infer C } }
    ? C
    : never
  : never;

const EXTRACT_DEFAULTS = {
  compression: "zstd",
  row_group_rows: 100_000,
  max_file_rows: 1_000_000,
} as const;

/** One of the preset's daily pipelines: extract, transfer (its transform), load. */
function apsPipeline(
  source: string,
  dateColumn: string,
  target: { table: string; schema: string; keys: string[] },
  transfer: {
    module: string;
    export: string;
    inputs: string[] | null;
    columns: Columns;
  },
): PipelineConfig {
  return {
    source_table: source,
    date_column: dateColumn,
    save_to_s3: true,
    has_transfer: true,
    transfer_inputs: transfer.inputs,
    has_dbt_transform: false,
    save_to_trino: true,
    trino_output: {
      target_table: target.table,
      target_schema: target.schema,
      key_columns: target.keys,
      tenant_column: "project_id",
    },
    transfer: {
      module: transfer.module,
      export: transfer.export,
      output: { columns: transfer.columns },
    },
    checks: [],
    extract: { ...EXTRACT_DEFAULTS },
  };
}

/** Output columns of the built-in WIP transform. */
const WIP_COLUMNS: Columns = {
  snapshot_date: "date",
  process_step: "varchar",
  product_code: "varchar",
  wip_qty: "bigint",
  lot_count: "integer",
  avg_qty_per_lot: "double",
};

/** Output columns of the built-in cycle-time transform. */
const CYCLE_TIME_COLUMNS: Columns = {
  snapshot_date: "date",
  process_step: "varchar",
  product_code: "varchar",
  avg_cycle_time: "double",
  min_cycle_time: "double",
  max_cycle_time: "double",
  lot_count: "integer",
  pass_rate: { type: "double", nullable: true },
};

/** Output columns of the built-in equipment-utilisation transform. */
const EQUIPMENT_COLUMNS: Columns = {
  snapshot_date: "date",
  equipment_id: "varchar",
  run_minutes: "bigint",
  idle_minutes: "bigint",
  down_minutes: "bigint",
  utilization_rate: "double",
};

/** get_default_assets_config of the replaced system, with the transforms named explicitly. */
function apsPipelines(): Record<string, PipelineConfig> {
  return {
    equipment_event: apsPipeline(
      "equipment_event",
      "event_time",
      {
        table: "equipment_utilization",
        schema: "monitoring",
        keys: ["project_id", "snapshot_date", "equipment_id"],
      },
      {
        module: "equipment_utilization",
        export: "equipmentUtilization",
        inputs: null,
        columns: EQUIPMENT_COLUMNS,
      },
    ),
    lot_history: apsPipeline(
      "lot_history",
      "created_at",
      {
        table: "aps_input_wip",
        schema: "aps",
        keys: ["project_id", "snapshot_date", "process_step", "product_code"],
      },
      { module: "wip", export: "wip", inputs: null, columns: WIP_COLUMNS },
    ),
    process_result: apsPipeline(
      "process_result",
      "measured_at",
      {
        table: "aps_input_cycle_time",
        schema: "aps",
        keys: ["project_id", "snapshot_date", "process_step", "product_code"],
      },
      {
        module: "cycle_time",
        export: "cycleTime",
        inputs: ["lot_history", "process_result"],
        columns: CYCLE_TIME_COLUMNS,
      },
    ),
  };
}

/** The APS preset: three daily pipelines and one job per pipeline. */
export const APS_PRESET: Preset = {
  name: "aps",
  pipelines: apsPipelines,
  jobs: {
    wip_pipeline: { pipeline: "lot_history", description: "WIP Data Pipeline" },
    cycle_time_pipeline: { pipeline: "process_result", description: "Cycle Time Pipeline" },
    equipment_pipeline: {
      pipeline: "equipment_event",
      description: "Equipment Utilization Pipeline",
    },
  },
};
