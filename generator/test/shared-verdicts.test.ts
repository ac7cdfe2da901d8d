// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the corpus is literal `${VAR}` configuration text
/**
 * One verdict on both sides of the plan contract. A corpus of zones, crons, dates, globs,
 * `${VAR}` references, ports and base paths goes through the generator's validation (a tenant
 * compiled from YAML, as `npm run generate` does) and through the runtime's use of the same value
 * (serve's scheduler, the partitions code, `run --select`, resource resolution, the plan schema the
 * runtime validates with). What one side accepts the other accepts, with the same meaning; what
 * one side refuses the other refuses, with the same message.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type EnvironmentPlan,
  environmentPlan,
  type JobPlan,
  nextFire,
  partitionRange,
  resolveResources,
  runCli,
  type SharedPlan,
  scheduledJobs,
  selectAssets,
  type TenantPlan,
  TenantPlanSchema,
  validatePartition,
} from "@etl/runtime";
import {
  addDays,
  describeValue,
  knownZones,
  parseConfigValue,
  parseCron,
  resolveZone,
} from "@etl/runtime/contract";
import { afterAll, describe, expect, it } from "vitest";
import { compileTenant } from "../src/generate.js";
import type { Problem } from "../src/problems.js";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

interface TenantInput {
  timezone?: string;
  startDate?: string;
  host?: string;
  port?: string;
  basePath?: string;
  /** User jobs: name -> { selection, cron, timezone }. */
  jobs?: Record<string, { selection: string[]; cron?: string; timezone?: string }>;
}

const q = (text: string) => JSON.stringify(text);

/** A tenant with three pipelines (two partitioned, each loading to Trino), compiled from YAML. */
function compile(input: TenantInput): { plan: TenantPlan | null; problems: Problem[] } {
  const root = mkdtempSync(path.join(tmpdir(), "etl-verdicts-"));
  roots.push(root);
  const jobs = Object.entries(input.jobs ?? {}).map(([name, j]) =>
    [
      `    ${name}:`,
      `      selection: [${j.selection.map(q).join(", ")}]`,
      ...(j.cron === undefined && j.timezone === undefined
        ? []
        : [
            "      schedule:",
            `        cron: ${q(j.cron ?? "0 2 * * *")}`,
            `        timezone: ${q(j.timezone ?? "Asia/Seoul")}`,
          ]),
    ].join("\n"),
  );
  const pipeline = (name: string, dateColumn: string | null) =>
    [
      `      ${name}:`,
      `        source_table: ${name}`,
      ...(dateColumn === null ? [] : [`        date_column: ${dateColumn}`]),
      "        save_to_trino: true",
      `        trino_output: { target_table: ${name} }`,
    ].join("\n");
  const yaml = [
    "tenant:",
    "  id: solo",
    "  name: Solo",
    "  source_database:",
    `    host: ${q(input.host ?? "localhost")}`,
    `    port: ${q(input.port ?? "5432")}`,
    "    database: solo",
    "    username: etl",
    "  storage:",
    `    base_path: ${q(input.basePath ?? "project_id=solo")}`,
    "  partitions:",
    `    start_date: ${q(input.startDate ?? "2024-01-01")}`,
    `    timezone: ${q(input.timezone ?? "Asia/Seoul")}`,
    ...(jobs.length === 0 ? [] : ["  jobs:", ...jobs]),
    "  assets:",
    "    pipelines:",
    pipeline("items", null),
    pipeline("orders", "ordered_at"),
    pipeline("order_lines", "ordered_at"),
    "",
  ].join("\n");
  mkdirSync(path.join(root, "tenants", "solo"), { recursive: true });
  writeFileSync(path.join(root, "tenants", "solo", "config.yaml"), yaml);
  const compiled = compileTenant(root, "solo");
  return {
    plan: compiled.problems.length === 0 ? (compiled.model?.plan ?? null) : null,
    problems: compiled.problems,
  };
}

/** The problems of a compile, as `path: message`. */
function verdicts(problems: readonly Problem[]): string[] {
  return problems.map((p) => `${p.path}: ${p.message}`);
}

function dev(plan: TenantPlan): EnvironmentPlan {
  return environmentPlan(plan, "dev");
}

function withSchedule(timezone: string, cron: string): JobPlan {
  return {
    name: "probe",
    description: "probe",
    assets: [],
    partitioned: true,
    schedule: { cron, timezone, autoStart: true },
    concurrency: 1,
  };
}

/** The first compiled plan, edited so one value is what the generator would have refused. */
function planWith(edit: (shared: SharedPlan) => void): unknown {
  const base = compile({}).plan;
  if (base === null) throw new Error("the base tenant does not compile");
  const copy = structuredClone(base);
  edit(copy.shared);
  return copy;
}

const NOW = new Date("2026-01-10T00:00:00Z");

describe("time zones", () => {
  const corpus = [
    "Asia/Seoul",
    "UTC",
    "Etc/UTC",
    "GMT",
    "utc",
    "asia/seoul",
    "ASIA/SEOUL",
    "Asia/Kolkata",
    "Asia/Calcutta",
    "Europe/Kiev",
    "Europe/Kyiv",
    "US/Eastern",
    "America/Buenos_Aires",
    "America/Argentina/Buenos_Aires",
    "America/Sao_Paulo",
    "Etc/GMT+5",
    "Pacific/Enderbury",
    "Asia/Seol",
    "Mars/Olympus",
    "",
    " Asia/Seoul",
    "+09:00",
    "Asia/Seoul'; DROP TABLE x; --",
  ];

  it.each(corpus)("%j: the generator, serve and the partitions code agree", (zone) => {
    const { plan, problems } = compile({
      timezone: zone,
      jobs: { nightly: { selection: ["solo/**"], timezone: zone } },
    });
    const runtime = resolveZone(zone);
    const served = scheduledJobs([withSchedule(zone, "0 2 * * *")], true);
    const partition = validatePartition(
      "2026-01-05",
      { startDate: "2024-01-01", timezone: zone },
      NOW,
    );
    if (plan !== null) {
      // Accepted: the plan holds one spelling, and the runtime runs both it and the original.
      if (!runtime.ok) throw new Error(`the runtime refuses ${zone}, which the generator accepted`);
      const env = dev(plan);
      expect(env.partitions.timezone).toBe(runtime.zone);
      const job = env.jobs.find((j) => j.name === "nightly");
      expect(job?.schedule?.timezone).toBe(runtime.zone);
      const fromPlan = scheduledJobs(env.jobs, true);
      // Every scheduled job of the plan (nightly and the maintenance job) runs in that zone.
      expect(fromPlan.ok && [...new Set(fromPlan.jobs.map((j) => j.timezone))]).toEqual([
        runtime.zone,
      ]);
      expect(served.ok && served.jobs.map((j) => j.timezone)).toEqual([runtime.zone]);
      expect(partition).toEqual({ ok: true, partition: "2026-01-05" });
      expect(validatePartition("2026-01-05", env.partitions, NOW)).toEqual({
        ok: true,
        partition: "2026-01-05",
      });
    } else {
      // Refused: by each side, with one message, at both places the YAML names a zone.
      if (runtime.ok) throw new Error(`the runtime accepts ${zone}, which the generator refused`);
      expect(verdicts(problems)).toEqual([
        `tenant.partitions.timezone: ${runtime.message}`,
        `tenant.jobs.nightly.schedule.timezone: ${runtime.message}`,
      ]);
      expect(served).toEqual({ ok: false, errors: [`job probe: ${runtime.message}`] });
      expect(partition).toEqual({ ok: false, error: `partitions.timezone: ${runtime.message}` });
      const schema = TenantPlanSchema.safeParse(planWith((e) => (e.partitions.timezone = zone)));
      expect(schema.success).toBe(false);
    }
  });

  it("accepts every zone this Node.js knows on both sides, each spelled as itself", () => {
    const zones = knownZones();
    const jobs = Object.fromEntries(
      zones.map((zone, i) => [`z${i}`, { selection: ["solo/**"], timezone: zone }]),
    );
    const { plan, problems } = compile({ jobs });
    expect(verdicts(problems)).toEqual([]);
    if (plan === null) throw new Error("no plan");
    const served = scheduledJobs(dev(plan).jobs, true);
    if (!served.ok) throw new Error(served.errors.join("\n"));
    const zoned = served.jobs.filter((j) => j.job.name !== "maintenance").map((j) => j.timezone);
    expect(zoned.sort()).toEqual([...zones].sort());
    for (const zone of zones) {
      expect(
        validatePartition("2026-01-05", { startDate: "2024-01-01", timezone: zone }, NOW).ok,
        zone,
      ).toBe(true);
    }
  });

  it("refuses a plan whose zone is not canonically spelled", () => {
    const schema = TenantPlanSchema.safeParse(
      planWith((e) => (e.partitions.timezone = "Asia/Calcutta")),
    );
    expect(schema.success ? [] : schema.error.issues.map((i) => i.message)).toContain(
      'time zone "Asia/Calcutta" is not in its canonical spelling "Asia/Kolkata"',
    );
  });
});

describe("cron expressions", () => {
  const corpus = [
    "0 2 * * *",
    "  0   2 * * * ",
    "30 6 * * mon-fri",
    "@daily",
    "@HOURLY",
    "*/15 1-3,22 1,15 jan-mar MON-fri",
    "0 0 29 2 *",
    "0 2 30 2 mon",
    "0 0 * * 7",
    "5/20 * * * *",
    "0 0 31 * *",
    "0 2 30 2 *",
    "0 0 31 4,6,9,11 *",
    "0 0 30,31 feb *",
    "@reboot",
    "0 2 * *",
    "",
    "0 0 2 * * *",
    "*/0 2 * * *",
    "0 25 * * *",
    "0 2 * * funday",
    "5-1 * * * *",
  ];

  it.each(corpus)("%j: the generator and serve agree", (cron) => {
    const { plan, problems } = compile({
      jobs: { nightly: { selection: ["solo/**"], cron } },
    });
    const runtime = parseCron(cron);
    const served = scheduledJobs([withSchedule("Asia/Seoul", cron)], true);
    if (plan !== null) {
      // Accepted: the plan's spelling parses to the same schedule, and it fires.
      if (!runtime.ok) throw new Error(`serve refuses ${cron}, which the generator accepted`);
      const job = dev(plan).jobs.find((j) => j.name === "nightly");
      const written = job?.schedule?.cron ?? "";
      expect(written).toBe(runtime.cron.text);
      const reparsed = parseCron(written);
      expect(reparsed.ok && { ...reparsed.cron, source: cron }).toEqual(runtime.cron);
      const fromPlan = scheduledJobs(dev(plan).jobs, true);
      if (!fromPlan.ok) throw new Error(fromPlan.errors.join("\n"));
      const scheduled = fromPlan.jobs[0];
      if (scheduled === undefined) throw new Error("no scheduled job");
      expect(nextFire(scheduled.cron, scheduled.timezone, NOW)).not.toBeNull();
      expect(served.ok).toBe(true);
    } else {
      if (runtime.ok) throw new Error(`serve accepts ${cron}, which the generator refused`);
      expect(verdicts(problems)).toEqual([`tenant.jobs.nightly.schedule.cron: ${runtime.error}`]);
      expect(served).toEqual({ ok: false, errors: [`job probe: ${runtime.error}`] });
    }
  });
});

describe("calendar dates", () => {
  const corpus = [
    "2024-01-01",
    "2024-02-29",
    "2024-02-28",
    "2000-02-29",
    "0001-01-01",
    "2024-02-30",
    "2023-02-29",
    "1900-02-29",
    "2026-04-31",
    "0000-01-01",
    "2024-13-01",
    "2024-00-10",
    "2024-01-00",
    "2024-1-5",
    "20240105",
    "2024-01-05T00:00:00Z",
  ];

  it.each(corpus)("%j: the generator, --partition and the plan schema agree", async (date) => {
    const { plan, problems } = compile({ startDate: date });
    const partition = validatePartition(date, { startDate: date, timezone: "UTC" }, NOW);
    if (plan !== null) {
      expect(partition.ok || date > "2026-01-10").toBe(true);
      // Consecutive partitions are consecutive days: none skipped, none invented.
      const three = partitionRange(date, addDays(date, 2));
      expect(three).toHaveLength(3);
      for (const day of three) {
        expect(
          validatePartition(day, { startDate: date, timezone: "UTC" }, new Date("9999-01-01")).ok,
        ).toBe(true);
      }
    } else {
      if (partition.ok) throw new Error(`--partition accepts ${date}, which the generator refused`);
      const problem = partition.error.replace(`partition "${date}" is not a calendar date: `, "");
      expect(verdicts(problems)).toEqual([
        `tenant.partitions.start_date: start_date "${date}" is not a calendar date: ${problem}`,
      ]);
      const schema = TenantPlanSchema.safeParse(planWith((e) => (e.partitions.startDate = date)));
      // Once: the partitions are shared by every environment.
      expect(schema.success ? [] : schema.error.issues.map((i) => i.message)).toEqual([
        `"${date}" is not a calendar date: ${problem}`,
      ]);
      // The tenant package's CLI refuses it before touching anything.
      let err = "";
      const code = await runCli({
        plan: compile({}).plan as TenantPlan,
        transforms: {},
        argv: ["backfill", "daily_etl", "--from", date, "--to", "2024-01-02"],
        env: {},
        io: { isTTY: false, out: () => {}, err: (t) => (err += t) },
      });
      expect(code).not.toBe(0);
      expect(err).toContain(`--from: partition "${date}" is not a calendar date: ${problem}`);
    }
  });
});

function everythingKeys(): string[] {
  return [
    "solo/extract/items",
    "solo/extract/order_lines",
    "solo/extract/orders",
    "solo/load/items",
    "solo/load/order_lines",
    "solo/load/orders",
  ];
}

describe("asset key globs", () => {
  const everything = everythingKeys();
  // Each case: the globs of a user job; null when the generator must refuse them.
  const corpus: [string[], string[] | null][] = [
    [["solo/extract/*"], ["solo/extract/items", "solo/extract/order_lines", "solo/extract/orders"]],
    [["solo/*/items"], ["solo/extract/items", "solo/load/items"]],
    [["solo/**"], everythingKeys()],
    [["**/orders"], ["solo/extract/orders", "solo/load/orders"]],
    [["solo/*/order?"], ["solo/extract/orders", "solo/load/orders"]],
    [
      ["solo/load/*", "solo/extract/items"],
      ["solo/extract/items", "solo/load/items", "solo/load/order_lines", "solo/load/orders"],
    ],
    [["solo/extract/order_*"], ["solo/extract/order_lines"]],
    [["solo/*"], null],
    [["solo/extract/items.x"], null],
    [["solo/extract/(items)"], null],
    [["SOLO/extract/items"], null],
    [["*/items"], null],
  ];

  it.each(corpus)("%j: the job the generator builds is what run --select picks", (globs, want) => {
    const { plan, problems } = compile({
      jobs: { all_assets: { selection: ["solo/**"] }, picked: { selection: globs } },
    });
    const all = compile({ jobs: { all_assets: { selection: ["solo/**"] } } }).plan;
    if (all === null) throw new Error("the base tenant does not compile");
    const allJob = dev(all).jobs.find((j) => j.name === "all_assets");
    expect([...(allJob?.assets ?? [])].sort()).toEqual(everything);
    const selected = selectAssets(dev(all).assets, allJob?.assets ?? [], globs.join(","));
    if (want !== null) {
      expect(verdicts(problems)).toEqual([]);
      const job = plan === null ? undefined : dev(plan).jobs.find((j) => j.name === "picked");
      expect([...(job?.assets ?? [])].sort()).toEqual(want);
      expect(selected.ok && selected.assets.map((a) => a.key).sort()).toEqual(want);
    } else {
      expect(verdicts(problems)).toEqual([
        `tenant.jobs.picked.selection.0: selection "${globs[0]}" of job "picked" matches no asset in any environment`,
      ]);
      expect(selected).toEqual({
        ok: false,
        error: `--select "${globs.join(",")}" matches none of the job's assets (try \`list\` to see their keys)`,
      });
    }
  });
});

describe("${VAR} references", () => {
  // text, then how it resolves in an environment: [environment, resolved value or missing names].
  const corpus: [string, [Record<string, string>, string | string[]][]][] = [
    ["db.internal", [[{}, "db.internal"]]],
    [
      "${SOLO_DB_HOST}",
      [
        [{ SOLO_DB_HOST: "h1" }, "h1"],
        [{}, ["SOLO_DB_HOST"]],
        [{ SOLO_DB_HOST: "" }, ""],
      ],
    ],
    [
      "${SOLO_DB_HOST:db.local}",
      [
        [{ SOLO_DB_HOST: "h1" }, "h1"],
        [{}, "db.local"],
        [{ SOLO_DB_HOST: "" }, ""],
      ],
    ],
    ["${SOLO_DB_HOST:}", [[{}, ""]]],
    ["${SOLO_DB_HOST:a:b}", [[{}, "a:b"]]],
    [
      "pg-${SOLO_REGION}.${SOLO_ZONE:internal}",
      [
        [{ SOLO_REGION: "eu" }, "pg-eu.internal"],
        [{}, ["SOLO_REGION"]],
      ],
    ],
    [
      "${SOLO_A}${SOLO_B}",
      [
        [{ SOLO_A: "x", SOLO_B: "y" }, "xy"],
        [{}, ["SOLO_A", "SOLO_B"]],
      ],
    ],
    ["$HOME", [[{ HOME: "/root" }, "$HOME"]]],
    ["${SOLO_A}}", [[{ SOLO_A: "x" }, "x}"]]],
    ["${SOLO_DB_HOST", []],
    ["${SOLO-DB-HOST}", []],
    ["${}", []],
    ["${ A }", []],
  ];

  it.each(corpus)("%j parses once and resolves as documented", (text, cases) => {
    const { plan, problems } = compile({ host: text });
    const parsed = parseConfigValue(text);
    if (cases.length === 0) {
      if (parsed.ok) throw new Error(`the contract accepts ${text}, which the corpus refuses`);
      expect(verdicts(problems)).toEqual([`tenant.source_database.host: ${parsed.message}`]);
      return;
    }
    expect(verdicts(problems)).toEqual([]);
    if (plan === null || !parsed.ok) throw new Error(`${text} was refused`);
    // The plan holds the reference, and writes back as the text it came from.
    expect(dev(plan).resources.source.host).toEqual(parsed.value);
    expect(describeValue(parsed.value)).toBe(text);
    for (const [env, want] of cases) {
      const r = resolveResources(plan, "dev", { ...env, ETL_HOME: "/tmp/etl-verdicts" });
      if (typeof want === "string") {
        expect(r.ok && r.resources.source.host).toBe(want);
      } else {
        expect(r.ok ? [] : r.missing).toEqual(want);
        expect(plan.envVars).toEqual(expect.arrayContaining(want));
      }
    }
  });
});

describe("ports and base paths", () => {
  const ports = [
    "5432",
    "1",
    "65535",
    "08080",
    "0",
    "65536",
    "99999",
    " 5432",
    "5432.0",
    "0x1538",
    "1e3",
    "",
    "-1",
  ];

  it.each(ports)(
    "port %j: written in the YAML or read from the environment, one verdict",
    (port) => {
      const literal = compile({ port });
      const fromEnv = compile({ port: "${SOLO_DB_PORT}" }).plan;
      if (fromEnv === null) throw new Error("the reference does not compile");
      const r = resolveResources(fromEnv, "dev", {
        SOLO_DB_PORT: port,
        ETL_HOME: "/tmp/etl-verdicts",
      });
      if (literal.plan !== null) {
        expect(r.ok && r.resources.source.port).toBe(Number(port));
      } else {
        const message = `port "${port}" is not a TCP port (1-65535)`;
        expect(verdicts(literal.problems)).toEqual([`tenant.source_database.port: ${message}`]);
        expect(r.ok ? [] : r.errors).toEqual([`source_database.port: ${message}`]);
      }
    },
  );

  const basePaths = [
    "project_id=solo",
    "lake/project_id=solo",
    "lake/project_id=solo/",
    "a.b-c_d",
    "",
    "a b",
    "/lake",
    "../other",
    "a/../b",
    "./a",
    "a//b",
    "a/.",
  ];

  it.each(basePaths)(
    "base_path %j: written in the YAML or read from the environment, one verdict",
    (basePath) => {
      const literal = compile({ basePath });
      // A base_path reference needs a default (the prefix checked as the tenant's own): the
      // literal itself where it is valid, so the environment's value stays inside it.
      const own = literal.plan === null ? "project_id=solo" : basePath;
      const fromEnv = compile({ basePath: `\${SOLO_BASE_PATH:${own}}` }).plan;
      if (fromEnv === null) throw new Error("the reference does not compile");
      const r = resolveResources(fromEnv, "dev", {
        SOLO_BASE_PATH: basePath,
        ETL_HOME: "/tmp/etl-verdicts",
      });
      if (literal.plan !== null) {
        expect(r.ok && r.resources.storage.basePath).toBe(basePath.replace(/\/+$/, ""));
        const resources = resolveResources(literal.plan, "dev", { ETL_HOME: "/tmp/etl-verdicts" });
        expect(resources.ok && resources.resources.storage.basePath).toBe(
          basePath.replace(/\/+$/, ""),
        );
      } else {
        const [problem] = literal.problems;
        expect(literal.problems).toHaveLength(1);
        expect(problem?.path).toBe("tenant.storage.base_path");
        expect(r.ok ? [] : r.errors).toEqual([problem?.message]);
      }
    },
  );
});
