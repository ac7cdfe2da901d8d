/**
 * Deterministic sample source data for a tenant's PostgreSQL database: the seed's four source
 * tables (cfg_item_master, lot_history, equipment_event, process_result).
 *
 * The rows are a pure function of (tenant, rows, days, start): a seeded PRNG per table, no
 * Math.random, no clock. Tests recompute expected aggregates by iterating `generateRows`.
 *
 *   npm run sample-data -- --tenant <id> [--rows N] [--days D] [--start YYYY-MM-DD]
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { z } from "zod";

export const SampleDataOptionsSchema = z.object({
  tenant: z.string().regex(/^[a-z][a-z0-9_]*$/, "tenant id must match ^[a-z][a-z0-9_]*$"),
  /** Rows of each event table (lot_history, equipment_event, process_result). */
  rows: z.number().int().min(1).max(100_000_000).default(1000),
  days: z.number().int().min(1).max(3660).default(3),
  start: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "start must be YYYY-MM-DD")
    .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), "start is not a valid date")
    .default("2026-01-01"),
});
export type SampleDataOptions = z.infer<typeof SampleDataOptionsSchema>;
export type SampleDataInput = z.input<typeof SampleDataOptionsSchema>;

const JsonScalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const JsonObject = z.record(z.string(), z.union([JsonScalar, z.array(JsonScalar)]));

/** Timestamps are PostgreSQL literals: `YYYY-MM-DD HH:MM:SS.ffffff` (+ `+00` for timestamptz). */
export const CfgItemMasterRowSchema = z.object({
  item_id: z.string(),
  item_name: z.string().nullable(),
  item_type: z.enum(["MANUFACTURED", "PURCHASED"]).nullable(),
  priority: z.number().int().nullable(),
  lead_time: z.number().int(),
  unit_cost: z.string(),
  is_active: z.boolean(),
  attributes: JsonObject,
  updated_at: z.string(),
});
export type CfgItemMasterRow = z.infer<typeof CfgItemMasterRowSchema>;

export const LotHistoryRowSchema = z.object({
  lot_id: z.string(),
  product_code: z.string(),
  process_step: z.string(),
  equipment_id: z.string().nullable(),
  start_time: z.string(),
  end_time: z.string().nullable(),
  quantity: z.number().int(),
  status: z.enum(["IN_PROGRESS", "COMPLETED", "HOLD", "SCRAP"]),
  priority: z.enum(["HIGH", "MEDIUM", "LOW"]),
  created_at: z.string(),
  updated_at: z.string(),
});
export type LotHistoryRow = z.infer<typeof LotHistoryRowSchema>;

export const EquipmentEventRowSchema = z.object({
  event_id: z.number().int(),
  equipment_id: z.string(),
  event_type: z.enum(["RUN", "IDLE", "DOWN"]),
  event_time: z.string(),
  duration_minutes: z.number().int(),
  description: z.string().nullable(),
  created_at: z.string(),
});
export type EquipmentEventRow = z.infer<typeof EquipmentEventRowSchema>;

export const ProcessResultRowSchema = z.object({
  result_id: z.number().int(),
  lot_id: z.string(),
  process_step: z.string(),
  measurement_value: z.string(),
  spec_lower: z.string(),
  spec_upper: z.string(),
  pass_fail: z.enum(["PASS", "FAIL"]),
  measured_at: z.string(),
  measured_on: z.string(),
  payload: JsonObject,
  is_rework: z.boolean(),
});
export type ProcessResultRow = z.infer<typeof ProcessResultRowSchema>;

export interface SampleRowByTable {
  cfg_item_master: CfgItemMasterRow;
  lot_history: LotHistoryRow;
  equipment_event: EquipmentEventRow;
  process_result: ProcessResultRow;
}
export type SampleTableName = keyof SampleRowByTable;

/** Load order: the item master first, then the event tables. */
export const SAMPLE_TABLES: readonly SampleTableName[] = [
  "cfg_item_master",
  "lot_history",
  "equipment_event",
  "process_result",
];

/** Column names in COPY order, with their PostgreSQL types. */
export const SAMPLE_TABLE_COLUMNS: {
  readonly [T in SampleTableName]: readonly (readonly [
    keyof SampleRowByTable[T] & string,
    string,
  ])[];
} = {
  cfg_item_master: [
    ["item_id", "text PRIMARY KEY"],
    ["item_name", "text"],
    ["item_type", "text"],
    ["priority", "integer"],
    ["lead_time", "integer NOT NULL"],
    ["unit_cost", "numeric(18,4) NOT NULL"],
    ["is_active", "boolean NOT NULL"],
    ["attributes", "jsonb NOT NULL"],
    ["updated_at", "timestamptz NOT NULL"],
  ],
  lot_history: [
    ["lot_id", "text PRIMARY KEY"],
    ["product_code", "text NOT NULL"],
    ["process_step", "text NOT NULL"],
    ["equipment_id", "text"],
    ["start_time", "timestamp NOT NULL"],
    ["end_time", "timestamp"],
    ["quantity", "integer NOT NULL"],
    ["status", "text NOT NULL CHECK (status IN ('IN_PROGRESS','COMPLETED','HOLD','SCRAP'))"],
    ["priority", "text NOT NULL"],
    ["created_at", "timestamp NOT NULL"],
    ["updated_at", "timestamptz NOT NULL"],
  ],
  equipment_event: [
    ["event_id", "bigint PRIMARY KEY"],
    ["equipment_id", "text NOT NULL"],
    ["event_type", "text NOT NULL CHECK (event_type IN ('RUN','IDLE','DOWN'))"],
    ["event_time", "timestamp NOT NULL"],
    ["duration_minutes", "integer NOT NULL"],
    ["description", "text"],
    ["created_at", "timestamp NOT NULL"],
  ],
  process_result: [
    ["result_id", "bigint PRIMARY KEY"],
    ["lot_id", "text NOT NULL"],
    ["process_step", "text NOT NULL"],
    ["measurement_value", "numeric(18,4) NOT NULL"],
    ["spec_lower", "numeric(18,4) NOT NULL"],
    ["spec_upper", "numeric(18,4) NOT NULL"],
    ["pass_fail", "text NOT NULL"],
    ["measured_at", "timestamp NOT NULL"],
    ["measured_on", "date NOT NULL"],
    ["payload", "jsonb NOT NULL"],
    ["is_rework", "boolean NOT NULL"],
  ],
};

/** The column each event table is partitioned by (daily partitions). */
export const SAMPLE_DATE_COLUMNS = {
  lot_history: "created_at",
  equipment_event: "event_time",
  process_result: "measured_at",
} as const;

// ---------------------------------------------------------------------------------------------
// PRNG: cyrb128 string hash seeding sfc32. Small, fast, and identical on every platform.

function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A seeded generator of uniform numbers; `next()` is in [0, 1). */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    [this.a, this.b, this.c, this.d] = cyrb128(seed);
    // Discard the first outputs: sfc32 mixes poorly right after seeding.
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("Prng.pick called with an empty list");
    return item;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---------------------------------------------------------------------------------------------
// Time: whole microseconds since the epoch (UTC), exact as JS numbers up to year 2255.

const MICROS_PER_MINUTE = 60_000_000;
const MICROS_PER_DAY = 86_400_000_000;

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` for a UTC microsecond instant. */
export function formatTimestamp(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const d = new Date(ms);
  const frac = micros - Math.floor(micros / 1_000_000) * 1_000_000;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(
    d.getUTCHours(),
    2,
  )}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(frac, 6)}`;
}

function formatDate(micros: number): string {
  return formatTimestamp(micros).slice(0, 10);
}

/** A numeric(18,4) literal from an integer count of ten-thousandths (exact, no float rounding). */
export function formatScaled4(tenThousandths: number): string {
  const sign = tenThousandths < 0 ? "-" : "";
  const abs = Math.abs(tenThousandths);
  return `${sign}${Math.floor(abs / 10_000)}.${pad(abs % 10_000, 4)}`;
}

/**
 * The partition-date instant of event row `i`: rows cycle through the days, and in every day the
 * first row sits at exactly 00:00:00 and the second at 23:59:59.999999, so half-open daily
 * ranges are tested at both edges; the rest fall uniformly inside the day.
 */
function eventInstant(i: number, options: SampleDataOptions, rng: Prng): number {
  const day = i % options.days;
  const slot = Math.floor(i / options.days);
  const dayStart = Date.parse(`${options.start}T00:00:00Z`) * 1000 + day * MICROS_PER_DAY;
  const phase = slot % 97;
  if (phase === 0) return dayStart;
  if (phase === 1) return dayStart + MICROS_PER_DAY - 1;
  return dayStart + Math.floor(rng.next() * MICROS_PER_DAY);
}

const PRODUCTS = ["PROD-A100", "PROD-A200", "PROD-B100", "PROD-B300", "PROD-C500", "PROD-D700"];
const STEPS = [
  "STEP-010-CLEAN",
  "STEP-020-LITHO",
  "STEP-030-ETCH",
  "STEP-040-DEPO",
  "STEP-050-TEST",
];
const STATUSES = ["IN_PROGRESS", "COMPLETED", "HOLD", "SCRAP"] as const;
const LOT_PRIORITIES = ["HIGH", "MEDIUM", "LOW"] as const;
const SUPPLIERS = ["ACME", "GLOBEX", "INITECH", "UMBRELLA", null];

/** Sizes derived from --rows: the item master and equipment pool grow slowly with the data. */
export function sampleSizes(options: SampleDataOptions): { items: number; equipment: number } {
  return {
    items: Math.min(5000, Math.max(20, Math.ceil(options.rows / 100))),
    equipment: Math.min(500, Math.max(5, Math.ceil(options.rows / 1000))),
  };
}

function seedFor(table: SampleTableName, options: SampleDataOptions): string {
  return `etl-sample-data/v1|${options.tenant}|${options.rows}|${options.days}|${options.start}|${table}`;
}

function equipmentId(n: number): string {
  return `EQ-${pad(n, 4)}`;
}

export function lotId(i: number): string {
  return `LOT-${pad(i + 1, 9)}`;
}

function* itemMasterRows(options: SampleDataOptions): Generator<CfgItemMasterRow> {
  const rng = new Prng(seedFor("cfg_item_master", options));
  const { items } = sampleSizes(options);
  const base = Date.parse(`${options.start}T00:00:00Z`) * 1000;
  for (let i = 0; i < items; i++) {
    // A few NULLs where the seed's staging model supplies defaults (type, name, priority).
    const manufactured = rng.chance(0.6);
    yield {
      item_id: `ITEM-${pad(i + 1, 6)}`,
      item_name: rng.chance(0.03) ? null : `${manufactured ? "Assembly" : "Part"} ${pad(i + 1, 6)}`,
      item_type: rng.chance(0.03) ? null : manufactured ? "MANUFACTURED" : "PURCHASED",
      priority: rng.chance(0.03) ? null : rng.int(0, 10),
      lead_time: rng.int(1, 60),
      unit_cost: formatScaled4(rng.int(1_0000, 25_000_0000)),
      is_active: rng.chance(0.9),
      attributes: {
        supplier: rng.pick(SUPPLIERS),
        weight_kg: rng.int(1, 50_000) / 100,
        tags: [rng.pick(["fragile", "bulk", "hazmat", "standard"])],
      },
      // Master data changes before the event window starts.
      updated_at: `${formatTimestamp(base - rng.int(1, 90 * 24 * 60) * MICROS_PER_MINUTE)}+00`,
    };
  }
}

function* lotHistoryRows(options: SampleDataOptions): Generator<LotHistoryRow> {
  const rng = new Prng(seedFor("lot_history", options));
  const { equipment } = sampleSizes(options);
  for (let i = 0; i < options.rows; i++) {
    const created = eventInstant(i, options, rng);
    const start = created + rng.int(0, 120) * MICROS_PER_MINUTE;
    const status = rng.pick(STATUSES);
    const end = status === "IN_PROGRESS" ? null : start + rng.int(30, 600) * MICROS_PER_MINUTE;
    yield {
      lot_id: lotId(i),
      product_code: rng.pick(PRODUCTS),
      process_step: rng.pick(STEPS),
      equipment_id: rng.chance(0.02) ? null : equipmentId(rng.int(1, equipment)),
      start_time: formatTimestamp(start),
      end_time: end === null ? null : formatTimestamp(end),
      quantity: rng.int(1, 500),
      status,
      priority: rng.pick(LOT_PRIORITIES),
      created_at: formatTimestamp(created),
      updated_at: `${formatTimestamp((end ?? start) + rng.int(0, 59) * MICROS_PER_MINUTE)}+00`,
    };
  }
}

const MINUTES_PER_DAY = 24 * 60;

/** Rows of event table day `day` (rows cycle through the days: row i falls on day i % days). */
function rowsOnDay(options: SampleDataOptions, day: number): number {
  return day < options.rows ? Math.floor((options.rows - 1 - day) / options.days) + 1 : 0;
}

/** A fraction in [0, 1) fixed per (tenant, machine): where that machine's state changes fall. */
function machinePhase(options: SampleDataOptions, machine: number): number {
  return new Prng(`${seedFor("equipment_event", options)}|phase|${machine}`).next();
}

/**
 * Equipment state changes that could happen: each machine is in exactly one state (RUN, IDLE or
 * DOWN) at every moment, and a state lasts until the machine's next change. Per machine and day
 * the states tile the day from 00:00 without overlapping and end by midnight, so their durations
 * add up to exactly 24 hours and a utilisation (RUN share of the day) never exceeds 100 %.
 * Row i falls on day i % days; within a day, rows go round the machines, and a machine's k-th of
 * c states that day covers [b(k), b(k+1)) minutes, b(0) = 0, b(c) = 1440, the inner bounds shifted
 * by a per-machine phase so machines do not all change state at the same minute.
 */
function* equipmentEventRows(options: SampleDataOptions): Generator<EquipmentEventRow> {
  const rng = new Prng(seedFor("equipment_event", options));
  const { equipment } = sampleSizes(options);
  const start = Date.parse(`${options.start}T00:00:00Z`) * 1000;
  const phases = Array.from({ length: equipment }, (_, m) => machinePhase(options, m));
  const bound = (k: number, states: number, phase: number) =>
    k <= 0
      ? 0
      : k >= states
        ? MINUTES_PER_DAY
        : Math.floor(((k + phase) * MINUTES_PER_DAY) / states);
  for (let i = 0; i < options.rows; i++) {
    const day = i % options.days;
    const slot = Math.floor(i / options.days);
    const machine = slot % equipment;
    const k = Math.floor(slot / equipment);
    const states = Math.floor((rowsOnDay(options, day) - 1 - machine) / equipment) + 1;
    const phase = phases[machine] ?? 0;
    const from = bound(k, states, phase);
    const to = bound(k + 1, states, phase);
    const at = start + day * MICROS_PER_DAY + from * MICROS_PER_MINUTE;
    // Mostly running, sometimes waiting, now and then down.
    const roll = rng.next();
    const type = roll < 0.6 ? "RUN" : roll < 0.85 ? "IDLE" : "DOWN";
    yield {
      event_id: i + 1,
      equipment_id: equipmentId(machine + 1),
      event_type: type,
      event_time: formatTimestamp(at),
      duration_minutes: to - from,
      // Text with characters COPY must escape: tab, newline, backslash.
      description: rng.chance(0.1)
        ? null
        : rng.chance(0.05)
          ? `operator note:\tline 1\nline 2 \\ done #${i + 1}`
          : `${type} event #${i + 1}`,
      created_at: formatTimestamp(at + rng.int(0, 5_000_000)),
    };
  }
}

function* processResultRows(options: SampleDataOptions): Generator<ProcessResultRow> {
  const rng = new Prng(seedFor("process_result", options));
  for (let i = 0; i < options.rows; i++) {
    const at = eventInstant(i, options, rng);
    // Every result names a lot of lot_history; some lots get several results, some none.
    const lot = rng.chance(0.8) ? i : rng.int(0, options.rows - 1);
    const lower = rng.int(80_000, 100_000);
    const upper = lower + rng.int(20_000, 80_000);
    const value = rng.int(lower - 15_000, upper + 15_000);
    const pass = value >= lower && value <= upper;
    yield {
      result_id: i + 1,
      lot_id: lotId(lot),
      process_step: rng.pick(STEPS),
      measurement_value: formatScaled4(value),
      spec_lower: formatScaled4(lower),
      spec_upper: formatScaled4(upper),
      pass_fail: pass ? "PASS" : "FAIL",
      measured_at: formatTimestamp(at),
      measured_on: formatDate(at),
      payload: { site: rng.pick(["FAB1", "FAB2"]), retries: rng.int(0, 3), ok: pass },
      is_rework: rng.chance(0.07),
    };
  }
}

/** Every row of one table, in a fixed order; a pure function of the options. */
export function generateRows<T extends SampleTableName>(
  table: T,
  input: SampleDataInput,
): Generator<SampleRowByTable[T]> {
  const options = SampleDataOptionsSchema.parse(input);
  const generators: {
    [K in SampleTableName]: (o: SampleDataOptions) => Generator<SampleRowByTable[K]>;
  } = {
    cfg_item_master: itemMasterRows,
    lot_history: lotHistoryRows,
    equipment_event: equipmentEventRows,
    process_result: processResultRows,
  };
  return generators[table](options);
}

// ---------------------------------------------------------------------------------------------
// COPY text format.

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  const text =
    typeof value === "object"
      ? JSON.stringify(value)
      : typeof value === "boolean"
        ? value
          ? "t"
          : "f"
        : String(value);
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

/** One COPY text-format line (with its newline) for a row. */
export function toCopyLine<T extends SampleTableName>(table: T, row: SampleRowByTable[T]): string {
  const record = row as Record<string, unknown>;
  return `${SAMPLE_TABLE_COLUMNS[table].map(([name]) => copyValue(record[name])).join("\t")}\n`;
}

/** Batches COPY lines into ~256 KiB chunks: one stream write per line is far slower. */
function* copyChunks<T extends SampleTableName>(
  table: T,
  rows: Iterable<SampleRowByTable[T]>,
): Generator<string> {
  let chunk = "";
  for (const row of rows) {
    chunk += toCopyLine(table, row);
    if (chunk.length >= 262_144) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk.length > 0) yield chunk;
}

export function createTableSql(table: SampleTableName): string {
  const cols = SAMPLE_TABLE_COLUMNS[table].map(([name, type]) => `  ${name} ${type}`).join(",\n");
  return `CREATE TABLE ${table} (\n${cols}\n)`;
}

export interface LoadResult {
  table: SampleTableName;
  rows: number;
}

/**
 * Replaces the four tables in the connected database with freshly generated rows, in one
 * transaction: readers see the old set or the new one, never half of it.
 */
export async function loadSampleData(
  client: pg.ClientBase,
  input: SampleDataInput,
): Promise<LoadResult[]> {
  const options = SampleDataOptionsSchema.parse(input);
  const results: LoadResult[] = [];
  await client.query("BEGIN");
  try {
    for (const table of SAMPLE_TABLES) {
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.query(createTableSql(table));
      const columns = SAMPLE_TABLE_COLUMNS[table].map(([name]) => name).join(", ");
      const copy = client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN`));
      await pipeline(Readable.from(copyChunks(table, generateRows(table, options))), copy);
      results.push({ table, rows: Number(copy.rowCount) });
    }
    for (const [table, column] of Object.entries(SAMPLE_DATE_COLUMNS)) {
      await client.query(`CREATE INDEX ${table}_${column}_idx ON ${table} (${column})`);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw new Error(`loading sample data for tenant ${options.tenant} failed: ${String(error)}`, {
      cause: error,
    });
  }
  for (const table of SAMPLE_TABLES) await client.query(`ANALYZE ${table}`);
  return results;
}

/** Connection settings of a tenant's source database: DESIGN.md's variables, else the stack's. */
export function tenantConnection(
  tenant: string,
  env: NodeJS.ProcessEnv = process.env,
): pg.ClientConfig {
  const prefix = tenant.toUpperCase();
  const database = env[`${prefix}_DB_NAME`] ?? (tenant === "default" ? "default_tenant" : tenant);
  return {
    host: env[`${prefix}_DB_HOST`] ?? "127.0.0.1",
    port: Number(env[`${prefix}_DB_PORT`] ?? 55432),
    database,
    user: env[`${prefix}_DB_USER`] ?? "etl",
    password: env[`${prefix}_DB_PASSWORD`] ?? "etl",
  };
}

// ---------------------------------------------------------------------------------------------
// CLI

const CliArgsSchema = z.object({
  tenant: z.string(),
  rows: z.coerce.number().optional(),
  days: z.coerce.number().optional(),
  start: z.string().optional(),
});

function parseArgs(argv: readonly string[]): SampleDataOptions {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const match = /^--(tenant|rows|days|start)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) {
      throw new Error(
        `unknown argument '${arg}'; usage: sample-data --tenant <id> [--rows N] [--days D] [--start YYYY-MM-DD]`,
      );
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${match[1]} needs a value`);
    raw[match[1]] = value;
  }
  const args = CliArgsSchema.safeParse(raw);
  if (!args.success) throw new Error(`--tenant is required: ${z.prettifyError(args.error)}`);
  const options = SampleDataOptionsSchema.safeParse(args.data);
  if (!options.success) throw new Error(`invalid options:\n${z.prettifyError(options.error)}`);
  return options.data;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const config = tenantConnection(options.tenant);
  const client = new pg.Client(config);
  await client.connect();
  try {
    const started = performance.now();
    const results = await loadSampleData(client, options);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    for (const r of results) console.log(`${config.database}.${r.table}: ${r.rows} rows`);
    console.log(
      `sample data for tenant ${options.tenant} (rows ${options.rows}, days ${options.days}, start ${options.start}) loaded in ${seconds}s`,
    );
  } finally {
    await client.end();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`sample-data: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
