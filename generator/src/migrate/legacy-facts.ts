/**
 * What the old system did that no tenant file says: its built-in pipelines, extract queries,
 * common transforms, the transform lookup and the per-pipeline jobs. Written from a reading of
 * bong2jjang/dagster-ETL at 32aa2e9 (see docs/migrating.md); each entry names where it lived there.
 * These are facts about the old code, kept apart from this tool's own defaults on purpose: a
 * migrated tenant writes them out, so it does not depend on this tool's built-ins.
 */
import type { LegacyPipeline } from "./legacy-schema.js";

/** The revision of the old system these facts were read from. */
export const LEGACY_REVISION = "bong2jjang/dagster-ETL@32aa2e9";

/** The tenant-package variables TenantLoader read (etl/config/tenant_loader.py). */
export const CUSTOM_CODE_VARIABLES = [
  "CUSTOM_EXTRACT_QUERIES",
  "CUSTOM_TRANSFER_FUNCTIONS",
  "CUSTOM_TRANSFORM_FUNCTIONS",
  "CUSTOM_LOAD_CONFIGS",
] as const;

/** The two dicts searched, in this order, for a pipeline's transform function. */
export const TRANSFER_FUNCTION_DICTS = ["CUSTOM_TRANSFER_FUNCTIONS", "CUSTOM_TRANSFORM_FUNCTIONS"];

/** Where the common transforms lived. */
export const COMMON_TRANSFER_FILE = "etl/common/assets/transfer.py";

/** A column a port declares in `transfer.output.columns`. */
export type PortColumn = string | { type: string; nullable: boolean };

/** One of the old common transform functions and how this tool ports it. */
export interface CommonTransform {
  /** Its name in COMMON_TRANSFER_FUNCTIONS (the name the lookup expected). */
  registration: string;
  python: string;
  line: number;
  /** `input_dfs` keys it read. */
  reads: string[];
  /** What it computed, in words (for the stub's doc comment). */
  summary: string;
  /** Module and export of the port in transforms/ (the names of this repository's ports). */
  module: string;
  exportName: string;
  /** Its output as Trino columns (snapshot_date typed as a date; see docs/migrating.md). */
  columns: Record<string, PortColumn>;
  /** Section of docs/migrating.md with its worked example. */
  docsAnchor: string;
}

/** COMMON_TRANSFER_FUNCTIONS of TenantLoader, by registration name. */
export const COMMON_TRANSFORMS: Readonly<Record<string, CommonTransform>> = {
  aps_wip: {
    registration: "aps_wip",
    python: "transform_aps_wip_logic",
    line: 14,
    reads: ["lot_history"],
    summary:
      'keeps the lots whose status is IN_PROGRESS or COMPLETED and, per (process_step, product_code), sums quantity (wip_qty), counts distinct lot_id (lot_count) and averages quantity (avg_qty_per_lot); snapshot_date is the partition date. It read input_dfs["lot_history"].',
    module: "wip",
    exportName: "wip",
    columns: {
      snapshot_date: "date",
      process_step: "varchar",
      product_code: "varchar",
      wip_qty: "bigint",
      lot_count: "integer",
      avg_qty_per_lot: "double",
    },
    docsAnchor: "wip",
  },
  cycle_time: {
    registration: "cycle_time",
    python: "transform_cycle_time_logic",
    line: 68,
    reads: ["lot_history"],
    summary:
      'keeps the COMPLETED lots and, per (process_step, product_code), the mean, min and max of end_time - start_time in minutes and the number of lots (lot_count, not distinct); snapshot_date is the partition date. It read only input_dfs["lot_history"] (process_result was listed as an input but never read).',
    module: "cycle_time",
    exportName: "cycleTime",
    columns: {
      snapshot_date: "date",
      process_step: "varchar",
      product_code: "varchar",
      avg_cycle_time: "double",
      min_cycle_time: "double",
      max_cycle_time: "double",
      lot_count: "integer",
    },
    docsAnchor: "cycle-time",
  },
  equipment_utilization: {
    registration: "equipment_utilization",
    python: "transform_equipment_utilization_logic",
    line: 129,
    reads: ["equipment_event"],
    summary:
      'sums duration_minutes per equipment_id and event_type, one column per event type found in the partition (RUN, IDLE, DOWN in the sample data), and utilization_rate = RUN minutes / 1440 x 100 rounded to two decimals; snapshot_date is the partition date. It read input_dfs["equipment_event"].',
    module: "equipment_utilization",
    exportName: "equipmentUtilization",
    columns: {
      snapshot_date: "date",
      equipment_id: "varchar",
      run_minutes: "bigint",
      idle_minutes: "bigint",
      down_minutes: "bigint",
      utilization_rate: "double",
    },
    docsAnchor: "equipment-utilisation",
  },
};

/** `COMMON_TRANSFER_FUNCTIONS.get(name, transform_aps_wip_logic)`: the default every miss got. */
export const FALLBACK_REGISTRATION = "aps_wip";

/**
 * The function each built-in pipeline was meant to run: the names the first version keyed its
 * transforms by, which the rename to pipeline names (commit b444675) left behind in the lookup.
 */
export const INTENDED_REGISTRATION: Readonly<Record<string, string>> = {
  lot_history: "aps_wip",
  process_result: "cycle_time",
  equipment_event: "equipment_utilization",
};

/** get_default_assets_config (tenant_config.py:214-262), in its dict order. */
export function defaultPipelines(): [string, LegacyPipeline][] {
  const base = {
    query: null,
    save_to_s3: true,
    has_transfer: true,
    transfer_inputs: null,
    has_dbt_transform: false,
    dbt_transform: null,
    save_to_trino: true,
    environments: null,
  };
  const keys = ["project_id", "snapshot_date", "process_step", "product_code"];
  return [
    [
      "lot_history",
      {
        ...base,
        source_table: "lot_history",
        date_column: "created_at",
        trino_output: { target_table: "aps_input_wip", target_schema: "aps", key_columns: keys },
      },
    ],
    [
      "equipment_event",
      {
        ...base,
        source_table: "equipment_event",
        date_column: "event_time",
        trino_output: {
          target_table: "equipment_utilization",
          target_schema: "monitoring",
          key_columns: ["project_id", "snapshot_date", "equipment_id"],
        },
      },
    ],
    [
      "process_result",
      {
        ...base,
        source_table: "process_result",
        date_column: "measured_at",
        trino_output: {
          target_table: "aps_input_cycle_time",
          target_schema: "aps",
          key_columns: keys,
        },
      },
    ],
  ];
}

/** An extract query the old code chose by pipeline name (etl/common/assets/extract.py:12-68). */
export interface BuiltinQuery {
  sql: string;
  /** Why a person should look at it, when there is a reason. */
  warning: string | null;
}

const select = (table: string, columns: string[], where = "") =>
  `SELECT\n  ${columns.join(",\n  ")}\nFROM ${table}${where === "" ? "" : `\nWHERE ${where}`}`;

/** DEFAULT_EXTRACT_QUERIES, by pipeline name. */
export const BUILTIN_QUERIES: Readonly<Record<string, BuiltinQuery>> = {
  lot_history: {
    sql: select("lot_history", [
      "lot_id",
      "product_code",
      "process_step",
      "equipment_id",
      "start_time",
      "end_time",
      "quantity",
      "status",
      "created_at",
    ]),
    warning: null,
  },
  equipment_event: {
    sql: select("equipment_event", [
      "event_id",
      "equipment_id",
      "event_type",
      "event_time",
      "duration_minutes",
      "description",
      "created_at",
    ]),
    warning: null,
  },
  process_result: {
    sql: select("process_result", [
      "result_id",
      "lot_id",
      "process_step",
      "measurement_value",
      "spec_lower",
      "spec_upper",
      "pass_fail",
      "measured_at",
    ]),
    warning: null,
  },
  cfg_item_master: {
    sql: select(
      "cfg_item_master",
      [
        "project_id",
        "item_id",
        "item_type",
        "item_name",
        "item_group_id",
        "description",
        "item_priority",
        "procurement_type",
        "prod_type",
        "item_size_type",
        "item_spec",
        "create_datetime",
        "update_datetime",
      ],
      "project_id = 'EED70012-E49D-4BA5-AD05-870C338DF39A'",
    ),
    warning:
      "the old code filtered cfg_item_master to one hard-coded project_id ('EED70012-E49D-4BA5-AD05-870C338DF39A') for every tenant; the query keeps that filter so the extract stays the same: remove the WHERE if this tenant's items are not that project's",
  },
};

/** One of the old per-pipeline jobs (job_factory.py:69-105) and the names it looked assets up by. */
export interface LegacyPipelineJob {
  description: string;
  /** Pipelines whose extract it selected. */
  extracts: string[];
  /** The name it selected transfer and load assets by (never a pipeline in a shipped tenant). */
  lookupName: string;
  /** The pipeline that name meant. */
  pipeline: string;
}

export const LEGACY_PIPELINE_JOBS: Readonly<Record<string, LegacyPipelineJob>> = {
  wip_pipeline: {
    description: "WIP Data Pipeline",
    extracts: ["lot_history"],
    lookupName: "aps_wip",
    pipeline: "lot_history",
  },
  cycle_time_pipeline: {
    description: "Cycle Time Pipeline",
    extracts: ["lot_history", "process_result"],
    lookupName: "cycle_time",
    pipeline: "process_result",
  },
  equipment_pipeline: {
    description: "Equipment Utilization Pipeline",
    extracts: ["equipment_event"],
    lookupName: "equipment_utilization",
    pipeline: "equipment_event",
  },
};

/** The one DailyPartitionsDefinition every partitioned asset shared (etl/partitions/daily.py). */
export const LEGACY_PARTITIONS = { start_date: "2024-01-01", timezone: "Asia/Seoul" } as const;

/** Dagster's cron aliases, written out as the five fields this tool's schedules take. */
export const CRON_ALIASES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
