/**
 * Calendar and schedule sanity through the real CLI (`generator/bin/generate.mjs`, spawned at a
 * temporary copy of fixtures/base): dates that do not exist, crons that can never fire and zones
 * nobody knows are refused with `file:line:col path: message` and a `fix:` line, and nothing is
 * written; alias and lower-case zones are accepted and written in their canonical spelling, in the
 * plan and in the Kubernetes CronJob. The refusals are pinned in __snapshots__/calendar.test.ts.snap.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, "../../bin/generate.mjs");
const CONFIG = path.join("tenants", "acme", "config.yaml");
const PARTITION_ZONE = '    timezone: "Asia/Seoul"\n  dbt';
const SCHEDULE_ZONE = '        timezone: "Asia/Seoul"';
const START = 'start_date: "2024-01-01"';
const CRON = 'cron: "0 2 * * *"';

/** A case: the one snippet of the base config it replaces, and with what. */
type Edit = [from: string, to: string];

const REFUSED: Record<string, Edit> = {
  "start-date-february-30": [START, 'start_date: "2024-02-30"'],
  "start-date-february-29-no-leap-year": [START, 'start_date: "2023-02-29"'],
  "start-date-april-31": [START, 'start_date: "2026-04-31"'],
  "start-date-year-0": [START, 'start_date: "0000-01-01"'],
  "start-date-day-0": [START, 'start_date: "2024-01-00"'],
  "start-date-unpadded": [START, 'start_date: "2024-1-5"'],
  "start-date-with-time": [START, 'start_date: "2024-01-05T00:00:00Z"'],
  "cron-february-30": [CRON, 'cron: "0 2 30 2 *"'],
  "cron-31-in-30-day-months": [CRON, 'cron: "0 0 31 4,6,9,11 *"'],
  "cron-30-31-february-by-name": [CRON, 'cron: "0 0 30,31 feb *"'],
  "cron-unknown-macro": [CRON, 'cron: "@reboot"'],
  "zone-misspelt": [PARTITION_ZONE, '    timezone: "Asia/Seol"\n  dbt'],
  "zone-misspelt-lower-case": [SCHEDULE_ZONE, '        timezone: "asia/seol"'],
  "zone-padded": [SCHEDULE_ZONE, '        timezone: " Asia/Seoul"'],
  "zone-offset": [PARTITION_ZONE, '    timezone: "UTC+9"\n  dbt'],
  "zone-offset-west": [SCHEDULE_ZONE, '        timezone: "-05:00"'],
};

/** Accepted cases: the edit, and the zone and cron the generated files must hold. */
const ACCEPTED: Record<string, { edits: Edit[]; zone: string; cron: string }> = {
  "zone-lower-case": {
    edits: [
      [PARTITION_ZONE, '    timezone: "asia/seoul"\n  dbt'],
      [SCHEDULE_ZONE, '        timezone: "ASIA/SEOUL"'],
    ],
    zone: "Asia/Seoul",
    cron: "0 2 * * *",
  },
  "zone-cldr-alias": {
    edits: [
      [PARTITION_ZONE, '    timezone: "Asia/Calcutta"\n  dbt'],
      [SCHEDULE_ZONE, '        timezone: "Asia/Calcutta"'],
    ],
    zone: "Asia/Kolkata",
    cron: "0 2 * * *",
  },
  "zone-utc-alias": {
    edits: [
      [PARTITION_ZONE, '    timezone: "Etc/UTC"\n  dbt'],
      [SCHEDULE_ZONE, '        timezone: "Zulu"'],
    ],
    zone: "UTC",
    cron: "0 2 * * *",
  },
  "zone-backward-link-and-macro": {
    edits: [
      [PARTITION_ZONE, '    timezone: "US/Eastern"\n  dbt'],
      [SCHEDULE_ZONE, '        timezone: "US/Eastern"'],
      [CRON, 'cron: "@DAILY"'],
    ],
    zone: "America/New_York",
    cron: "@daily",
  },
  // Vixie cron: with day of week restricted too, either field matching fires.
  "cron-february-30-or-mondays": {
    edits: [[CRON, 'cron: "0 2 30 2 mon"']],
    zone: "Asia/Seoul",
    cron: "0 2 30 2 mon",
  },
  "cron-leap-day": {
    edits: [[CRON, 'cron: "0 0  29 2 *"']],
    zone: "Asia/Seoul",
    cron: "0 0 29 2 *",
  },
};

const temps: string[] = [];
let template = "";

async function generateAt(root: string): Promise<{ code: number; stderr: string }> {
  const result = await run(process.execPath, [CLI, "--root", root], { cwd: root }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code?: unknown; stderr?: string }) => {
      if (typeof e.code !== "number")
        throw new Error("the generator CLI did not run", { cause: e });
      return { code: e.code, stderr: e.stderr ?? "" };
    },
  );
  return result;
}

/** A fresh copy of the generated base with `edits` applied to its config. */
async function caseRoot(edits: readonly Edit[]): Promise<string> {
  const root = mkdtempSync(path.join(tmpdir(), "gen-calendar-"));
  temps.push(root);
  cpSync(template, root, { recursive: true });
  let text = readFileSync(path.join(root, CONFIG), "utf8");
  for (const [from, to] of edits) {
    // A snippet that is not in the base would silently test nothing.
    expect(text.split(from), `base config holds ${JSON.stringify(from)} once`).toHaveLength(2);
    text = text.replace(from, to);
  }
  await writeFile(path.join(root, CONFIG), text);
  return root;
}

/** sha256 over every path and byte under generated/. */
function generatedDigest(root: string): string {
  const dir = path.join(root, "generated");
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
  const hash = createHash("sha256");
  for (const rel of files)
    hash
      .update(rel)
      .update("\0")
      .update(readFileSync(path.join(dir, rel)));
  return hash.digest("hex");
}

beforeAll(async () => {
  template = mkdtempSync(path.join(tmpdir(), "gen-calendar-base-"));
  temps.push(template);
  cpSync(path.resolve(import.meta.dirname, "fixtures", "base"), template, { recursive: true });
  const base = await generateAt(template);
  expect(base.code, base.stderr).toBe(0);
}, 120_000);

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe.concurrent("impossible dates, never-firing crons and unknown zones are refused", () => {
  for (const [name, edit] of Object.entries(REFUSED)) {
    it(name, async ({ expect: local }) => {
      const root = await caseRoot([edit]);
      const before = generatedDigest(root);
      const r = await generateAt(root);
      local(r.code, r.stderr).toBe(1);
      local(generatedDigest(root)).toBe(before);
      local(r.stderr).not.toMatch(/^\s+at /m);
      // One problem: `file:line:col path: message`, its `fix:` line, then the count.
      local(r.stderr).toMatch(
        /^tenants\/acme\/config\.yaml:\d+:\d+ tenant\.\S+: .+\n {4}fix: .+\n\n1 problem found; nothing was written\.\n$/,
      );
      local(r.stderr).toMatchSnapshot();
    });
  }
});

describe.concurrent("alias and lower-case zones are written canonically", () => {
  for (const [name, want] of Object.entries(ACCEPTED)) {
    it(name, async ({ expect: local }) => {
      const root = await caseRoot(want.edits);
      const r = await generateAt(root);
      local(r.code, r.stderr).toBe(0);
      const plan = readFileSync(path.join(root, "generated", "acme", "src", "plan.ts"), "utf8");
      const zones = new Set([...plan.matchAll(/timezone: "([^"]*)"/g)].map((m) => m[1]));
      local([...zones]).toEqual([want.zone]);
      local(plan).toContain(`cron: ${JSON.stringify(want.cron)}`);
      const cronJob = path.join(
        root,
        "generated",
        "acme",
        "deploy",
        "k8s",
        "cronjob-daily-etl.yaml",
      );
      local(existsSync(cronJob)).toBe(true);
      const manifest = readFileSync(cronJob, "utf8");
      local(manifest).toContain(`timeZone: ${want.zone}\n`);
    });
  }
});
