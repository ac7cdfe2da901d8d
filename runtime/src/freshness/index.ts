/**
 * Freshness: how old each asset's data is, and whether it breaks the asset's policy
 * (AssetPlan.freshness). `status`, the metrics and the alerts all read it from here.
 *
 * The data time of an asset is what its newest data covers: for a daily partitioned asset the end
 * of its newest successfully materialised partition (a daily load at 02:00 of yesterday's
 * partition is 2 hours behind, and 26 hours just before the next), for an unpartitioned one the
 * end of its last successful materialisation. The lag is now minus the data time.
 *
 * - `max_lag`: breached while the lag is longer; the breach began at data time + max_lag.
 * - `deadline` (a cron in a zone): at each fire T, the data due by then must be there: a
 *   partitioned asset's partitions up to the day before T's day (in the partitions' zone), an
 *   unpartitioned asset a refresh since the fire before T. Breached from T until it arrives.
 *
 * An asset never materialised has no lag and is not reported late (a failed run alerts instead).
 */

import { z } from "zod";
import { addDays } from "../contract/calendar.js";
import { parseCron } from "../contract/cron.js";
import { humanSeconds } from "../contract/duration.js";
import type { AssetStateSummary } from "../ledger/queries.js";
import type { MaterializationRecord } from "../ledger/types.js";
import { dateIn, partitionWindow } from "../partitions/index.js";
import type { AssetPlan, EnvironmentPlan, FreshnessPlan } from "../plan.js";
import { firesBetween } from "../schedule/cron.js";

export { humanSeconds };

export type FreshnessStatus = "fresh" | "late" | "never" | "no_policy";

export interface FreshnessBreach {
  rule: "max_lag" | "deadline";
  /** When the asset became late. */
  since: Date;
  /** The same breach has the same key (one alert per breach). */
  dedupKey: string;
  message: string;
}

export interface AssetFreshness {
  key: string;
  policy: FreshnessPlan | null;
  /** What the newest data covers up to; null when never materialised. */
  dataTime: Date | null;
  /** End of the last successful materialisation; null when never. */
  lastSuccessAt: Date | null;
  /** now - dataTime, in seconds; null when never materialised. */
  lagSeconds: number | null;
  status: FreshnessStatus;
  breach: FreshnessBreach | null;
}

/** The last fire of `cron` at or before `now` in `timeZone`, looking back at most 8 years. */
export function previousFire(cronText: string, timeZone: string, now: Date): Date | null {
  const parsed = parseCron(cronText);
  if (!parsed.ok) return null;
  // Widening windows: an hourly deadline is found in the first, a yearly one in the last.
  for (const days of [1 / 24, 1, 8, 32, 367, 366 * 8 + 1]) {
    const fires = firesBetween(
      parsed.cron,
      timeZone,
      new Date(now.getTime() - days * 86_400_000),
      now,
    );
    const last = fires.at(-1);
    if (last !== undefined) return last;
  }
  return null;
}

/** What an asset's freshness is judged on. */
export interface DataTimes {
  dataTime: Date | null;
  lastSuccessAt: Date | null;
}

/**
 * The data times of an asset from the newest partition whose latest materialisation succeeded
 * and the finish of the newest such materialisation: a partitioned asset's data reaches the end
 * of that partition's day in the tenant's zone, an unpartitioned one's the moment it succeeded.
 * The one rule for `status`, the metrics, the alerts and the console (which reads the two
 * values from the ledger's per-asset summaries).
 */
export function dataTimesOf(
  asset: Pick<AssetPlan, "partitioned">,
  newestSucceededPartition: string | null,
  lastSuccessAt: string | null,
  timeZone: string,
): DataTimes {
  const last = lastSuccessAt === null ? null : new Date(lastSuccessAt);
  if (!asset.partitioned) return { dataTime: last, lastSuccessAt: last };
  return {
    dataTime:
      newestSucceededPartition === null
        ? null
        : partitionWindow(newestSucceededPartition, timeZone).end,
    lastSuccessAt: last,
  };
}

/**
 * The data times of one asset from its materialisations: the latest record of each partition
 * counts (as in the ledger's summaries), so a partition whose re-run failed is not counted as
 * landed.
 */
function dataTimes(
  asset: AssetPlan,
  records: readonly MaterializationRecord[],
  timeZone: string,
): DataTimes {
  const latest = new Map<string, MaterializationRecord>();
  for (const r of records) {
    if (r.assetKey !== asset.key) continue;
    const at = r.partition ?? "";
    const seen = latest.get(at);
    if (seen === undefined || r.finishedAt > seen.finishedAt) latest.set(at, r);
  }
  let newestPartition: string | null = null;
  let lastSuccess: string | null = null;
  for (const r of latest.values()) {
    if (r.status !== "succeeded") continue;
    if (lastSuccess === null || r.finishedAt > lastSuccess) lastSuccess = r.finishedAt;
    if (r.partition !== null && (newestPartition === null || r.partition > newestPartition)) {
      newestPartition = r.partition;
    }
  }
  return dataTimesOf(asset, newestPartition, lastSuccess, timeZone);
}

/** The breach of `policy` by an asset with these data times at `now`, or null. */
function breachOf(
  asset: AssetPlan,
  policy: FreshnessPlan,
  times: DataTimes,
  partitionZone: string,
  now: Date,
): FreshnessBreach | null {
  const { dataTime } = times;
  if (dataTime === null) return null;
  if (policy.maxLagSeconds !== null) {
    const lag = (now.getTime() - dataTime.getTime()) / 1000;
    if (lag > policy.maxLagSeconds) {
      return {
        rule: "max_lag",
        since: new Date(dataTime.getTime() + policy.maxLagSeconds * 1000),
        dedupKey: `freshness_breached:${asset.key}:max_lag:${dataTime.toISOString()}`,
        message: `${asset.key} is late: its data is ${humanSeconds(lag)} old, more than the ${humanSeconds(policy.maxLagSeconds)} allowed (data up to ${dataTime.toISOString()})`,
      };
    }
  }
  if (policy.deadline !== null) {
    const { cron, timezone } = policy.deadline;
    const fire = previousFire(cron, timezone, now);
    if (fire !== null) {
      let due: Date | null;
      if (asset.partitioned) {
        // Partitions up to the day before the deadline's day are due: data through its start.
        const day = dateIn(fire, partitionZone);
        due = partitionWindow(addDays(day, -1), partitionZone).end;
      } else {
        due = previousFire(cron, timezone, new Date(fire.getTime() - 1));
      }
      if (due !== null && dataTime.getTime() < due.getTime()) {
        return {
          rule: "deadline",
          since: fire,
          dedupKey: `freshness_breached:${asset.key}:deadline:${fire.toISOString()}`,
          message: `${asset.key} missed its deadline ${fire.toISOString()} (${cron} in ${timezone}): its data reaches ${dataTime.toISOString()}, ${due.toISOString()} was due`,
        };
      }
    }
  }
  return null;
}

/** The freshness of one asset with these data times at `now`. */
export function assetFreshness(
  asset: AssetPlan,
  times: DataTimes,
  partitionZone: string,
  now: Date,
): AssetFreshness {
  const policy = asset.freshness ?? null;
  const lagSeconds =
    times.dataTime === null ? null : Math.max(0, (now.getTime() - times.dataTime.getTime()) / 1000);
  const breach = policy === null ? null : breachOf(asset, policy, times, partitionZone, now);
  const status: FreshnessStatus =
    policy === null
      ? "no_policy"
      : times.dataTime === null
        ? "never"
        : breach === null
          ? "fresh"
          : "late";
  return { key: asset.key, policy, ...times, lagSeconds, status, breach };
}

/** An asset's freshness as `status --json` and the console show it. */
export const FreshnessViewSchema = z.strictObject({
  status: z.enum(["fresh", "late", "never", "no_policy"]),
  /** What its newest data covers up to (ISO); null when never materialised. */
  dataTime: z.string().nullable(),
  lagSeconds: z.number().nullable(),
  maxLagSeconds: z.number().nullable(),
  deadline: z.strictObject({ cron: z.string(), timezone: z.string() }).nullable(),
  breach: z
    .strictObject({
      rule: z.enum(["max_lag", "deadline"]),
      since: z.string(),
      message: z.string(),
    })
    .nullable(),
});
export type FreshnessView = z.infer<typeof FreshnessViewSchema>;

/** The view of an asset's freshness; null for an asset with neither data nor a policy. */
export function freshnessView(a: AssetFreshness): FreshnessView | null {
  if (a.policy === null && a.dataTime === null) return null;
  return {
    status: a.status,
    dataTime: a.dataTime?.toISOString() ?? null,
    lagSeconds: a.lagSeconds === null ? null : Math.round(a.lagSeconds),
    maxLagSeconds: a.policy?.maxLagSeconds ?? null,
    deadline: a.policy?.deadline ?? null,
    breach:
      a.breach === null
        ? null
        : { rule: a.breach.rule, since: a.breach.since.toISOString(), message: a.breach.message },
  };
}

/** The freshness of every asset of the environment at `now`, sorted by key. */
export function evaluateFreshness(
  envPlan: Pick<EnvironmentPlan, "assets" | "partitions">,
  records: readonly MaterializationRecord[],
  now: Date = new Date(),
): AssetFreshness[] {
  const zone = envPlan.partitions.timezone;
  return [...envPlan.assets]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((asset) => assetFreshness(asset, dataTimes(asset, records, zone), zone, now));
}

/**
 * The freshness of every asset of the environment at `now` from the ledger's per-asset summaries
 * (one row per asset, however many records it has; the same answer as evaluateFreshness over its
 * records), sorted by key. What the freshness monitor and the console read.
 */
export function freshnessFromSummaries(
  envPlan: Pick<EnvironmentPlan, "assets" | "partitions">,
  summaries: readonly Pick<AssetStateSummary, "assetKey" | "newestSucceeded" | "lastSuccessAt">[],
  now: Date = new Date(),
): AssetFreshness[] {
  const zone = envPlan.partitions.timezone;
  const byKey = new Map(summaries.map((s) => [s.assetKey, s]));
  return [...envPlan.assets]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((asset) => {
      const s = byKey.get(asset.key);
      const times = dataTimesOf(asset, s?.newestSucceeded ?? null, s?.lastSuccessAt ?? null, zone);
      return assetFreshness(asset, times, zone, now);
    });
}
