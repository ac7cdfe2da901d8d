/**
 * The sample data generator: a pure function of its options, with rows at both edges of every
 * day, lots shared by lot_history and process_result, and a COPY load into the stack's real
 * PostgreSQL whose aggregates match ones recomputed from the generator.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatScaled4,
  generateRows,
  loadSampleData,
  type SampleDataInput,
  SampleDataOptionsSchema,
  toCopyLine,
} from "./sample-data.js";
import { readStackVars } from "./stack-env.js";

const small: SampleDataInput = { tenant: "project_01", rows: 600, days: 3, start: "2026-01-01" };

describe("sample data generator", () => {
  it("is a pure function of (tenant, rows, days, start)", () => {
    const a = [...generateRows("lot_history", small)];
    const b = [...generateRows("lot_history", small)];
    expect(b).toEqual(a);
    const other = [...generateRows("lot_history", { ...small, tenant: "project_02" })];
    expect(other).not.toEqual(a);
    expect(other.map((r) => r.created_at.slice(0, 10))).toEqual(
      a.map((r) => r.created_at.slice(0, 10)),
    );
  });

  it("puts rows at 00:00:00 of every day (and 23:59:59.999999 where no duration follows), inside the window only", () => {
    for (const [table, column] of [
      ["lot_history", "created_at"],
      ["equipment_event", "event_time"],
      ["process_result", "measured_at"],
    ] as const) {
      const stamps = [...generateRows(table, small)].map((r) =>
        String((r as Record<string, unknown>)[column]),
      );
      for (const day of ["2026-01-01", "2026-01-02", "2026-01-03"]) {
        expect(stamps, `${table} ${day} midnight`).toContain(`${day} 00:00:00.000000`);
        // An equipment state starting in the last microsecond would run into the next day.
        if (table !== "equipment_event") {
          expect(stamps, `${table} ${day} last microsecond`).toContain(`${day} 23:59:59.999999`);
        }
      }
      expect(
        stamps.every((s) => s >= "2026-01-01" && s < "2026-01-04"),
        table,
      ).toBe(true);
    }
  });

  it("gives every machine, every day, states that tile the day: no overlap, ending by midnight, 24 h in total", () => {
    for (const options of [
      small,
      { ...small, rows: 5000, days: 7 },
      { ...small, rows: 7, days: 3 },
    ]) {
      const byMachineDay = new Map<string, { from: number; to: number; type: string }[]>();
      for (const e of generateRows("equipment_event", options)) {
        const day = e.event_time.slice(0, 10);
        const from = Date.parse(`${e.event_time.replace(" ", "T")}Z`);
        const states = byMachineDay.get(`${e.equipment_id} ${day}`) ?? [];
        states.push({ from, to: from + e.duration_minutes * 60_000, type: e.event_type });
        byMachineDay.set(`${e.equipment_id} ${day}`, states);
      }
      expect(byMachineDay.size, JSON.stringify(options)).toBeGreaterThan(0);
      for (const [key, states] of byMachineDay) {
        const day = Date.parse(`${key.slice(-10)}T00:00:00Z`);
        states.sort((a, b) => a.from - b.from);
        let cursor = day;
        for (const s of states) {
          expect(s.from, `${key}: states overlap or leave a gap`).toBe(cursor);
          cursor = s.to;
        }
        expect(cursor, `${key}: the last state must end at midnight`).toBe(day + 86_400_000);
        const minutes = states.reduce((sum, s) => sum + (s.to - s.from) / 60_000, 0);
        expect(minutes, key).toBe(24 * 60);
        const run = states.filter((s) => s.type === "RUN");
        const utilisation = (run.reduce((sum, s) => sum + (s.to - s.from), 0) / 86_400_000) * 100;
        expect(utilisation).toBeGreaterThanOrEqual(0);
        expect(utilisation).toBeLessThanOrEqual(100);
      }
    }
  });

  it("only references lots that lot_history has, and reuses most of them", () => {
    const lots = new Set([...generateRows("lot_history", small)].map((r) => r.lot_id));
    const results = [...generateRows("process_result", small)];
    expect(results.every((r) => lots.has(r.lot_id))).toBe(true);
    expect(new Set(results.map((r) => r.lot_id)).size).toBeGreaterThan((small.rows ?? 0) / 2);
  });

  it("escapes COPY text format special characters and writes NULL as \\N", () => {
    const line = toCopyLine("equipment_event", {
      event_id: 1,
      equipment_id: "EQ-0001",
      event_type: "DOWN",
      event_time: "2026-01-01 00:00:00.000000",
      duration_minutes: 5,
      description: "a\tb\nc\\d",
      created_at: "2026-01-01 00:00:01.000000",
    });
    expect(line).toBe(
      "1\tEQ-0001\tDOWN\t2026-01-01 00:00:00.000000\t5\ta\\tb\\nc\\\\d\t2026-01-01 00:00:01.000000\n",
    );
    const [item] = [...generateRows("cfg_item_master", small)];
    expect(item).toBeDefined();
    if (item)
      expect(toCopyLine("cfg_item_master", { ...item, item_name: null })).toMatch(
        /^ITEM-000001\t\\N\t/,
      );
  });

  it("formats numeric(18,4) exactly from scaled integers", () => {
    expect(formatScaled4(0)).toBe("0.0000");
    expect(formatScaled4(123_456_789)).toBe("12345.6789");
    expect(formatScaled4(-5)).toBe("-0.0005");
  });

  it("rejects bad options with the field named", () => {
    const bad = SampleDataOptionsSchema.safeParse({ tenant: "Bad-Id", start: "2026-13-40" });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues.map((i) => i.path))).toMatch(/tenant.*start/);
  });
});

describe("sample data loaded into PostgreSQL", () => {
  const schema = `sample_test_${randomBytes(4).toString("hex")}`;
  let client: pg.Client;

  beforeAll(async () => {
    const vars = readStackVars();
    client = new pg.Client({
      host: vars.PROJECT_01_DB_HOST,
      port: Number(vars.PROJECT_01_DB_PORT),
      database: vars.PROJECT_01_DB_NAME,
      user: vars.PROJECT_01_DB_USER,
      password: vars.PROJECT_01_DB_PASSWORD,
    });
    await client.connect();
    // A private schema, so the tenant's own sample tables are left alone.
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
  });

  afterAll(async () => {
    if (client) {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });

  it("loads every row with COPY and matches aggregates recomputed from the generator", async () => {
    const results = await loadSampleData(client, small);
    expect(results.map((r) => [r.table, r.rows])).toEqual([
      ["cfg_item_master", [...generateRows("cfg_item_master", small)].length],
      ["lot_history", 600],
      ["equipment_event", 600],
      ["process_result", 600],
    ]);

    // Rows per day with a half-open range, and quantity totals, per the generator.
    const lots = [...generateRows("lot_history", small)];
    const expectedPerDay = new Map<string, { n: number; qty: number }>();
    for (const r of lots) {
      const day = r.created_at.slice(0, 10);
      const e = expectedPerDay.get(day) ?? { n: 0, qty: 0 };
      expectedPerDay.set(day, { n: e.n + 1, qty: e.qty + r.quantity });
    }
    const perDay = await client.query<{ day: string; n: string; qty: string }>(
      `SELECT to_char(d, 'YYYY-MM-DD') AS day, count(*) AS n, sum(quantity) AS qty
         FROM lot_history, generate_series(timestamp '2026-01-01', timestamp '2026-01-03', interval '1 day') AS d
        WHERE created_at >= d AND created_at < d + interval '1 day'
        GROUP BY d ORDER BY d`,
    );
    expect(perDay.rows.map((r) => [r.day, Number(r.n), Number(r.qty)])).toEqual(
      [...expectedPerDay.entries()].sort().map(([day, e]) => [day, e.n, e.qty]),
    );

    // Exact decimal sum: scaled integers on our side, numeric on PostgreSQL's.
    const measurements = [...generateRows("process_result", small)];
    const scaledSum = measurements.reduce(
      (acc, r) => acc + BigInt(r.measurement_value.replace(".", "")),
      0n,
    );
    const fails = measurements.filter((r) => r.pass_fail === "FAIL").length;
    const agg = await client.query<{ total: string; fails: string; rework: string }>(
      `SELECT sum(measurement_value)::text AS total, count(*) FILTER (WHERE pass_fail = 'FAIL') AS fails,
              count(*) FILTER (WHERE is_rework) AS rework FROM process_result`,
    );
    expect(agg.rows[0]?.total).toBe(formatScaled4(Number(scaledSum)));
    expect(Number(agg.rows[0]?.fails)).toBe(fails);
    expect(Number(agg.rows[0]?.rework)).toBe(measurements.filter((r) => r.is_rework).length);

    // Text with tabs, newlines and backslashes survives COPY unchanged.
    const noted = [...generateRows("equipment_event", small)].filter((r) =>
      r.description?.includes("\t"),
    );
    expect(noted.length).toBeGreaterThan(0);
    const first = noted[0];
    const back = await client.query<{ description: string }>(
      "SELECT description FROM equipment_event WHERE event_id = $1",
      [first?.event_id],
    );
    expect(back.rows[0]?.description).toBe(first?.description);

    // Types are the ones the pipelines are written against.
    const types = await client.query<{
      table_name: string;
      column_name: string;
      data_type: string;
    }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = $1 AND column_name IN ('unit_cost','attributes','updated_at','start_time','measured_on','event_id','is_rework')
        ORDER BY table_name, column_name`,
      [schema],
    );
    expect(types.rows.map((r) => `${r.table_name}.${r.column_name}:${r.data_type}`)).toEqual([
      "cfg_item_master.attributes:jsonb",
      "cfg_item_master.unit_cost:numeric",
      "cfg_item_master.updated_at:timestamp with time zone",
      "equipment_event.event_id:bigint",
      "lot_history.start_time:timestamp without time zone",
      "lot_history.updated_at:timestamp with time zone",
      "process_result.is_rework:boolean",
      "process_result.measured_on:date",
    ]);
  });
});
