/** The daily partitions: the first day and the zone in which days start and end. */
import { parseCalendarDate, resolveZone } from "@etl/runtime/contract";
import type { EnvironmentPlan } from "@etl/runtime/plan";
import type { YamlPath } from "../config/yaml-locate.js";
import { type ModelContext, tenantPath } from "./context.js";
import { zoneHint } from "./contract-hints.js";

export type Partitions = EnvironmentPlan["partitions"];

/** The plan's partitions; an impossible start date or an unknown zone is reported. */
export function buildPartitions(ctx: ModelContext): Partitions {
  const { partitions } = ctx.config;
  const timezone = canonicalZone(ctx, tenantPath("partitions", "timezone"), partitions.timezone);
  const startDate = parseCalendarDate(partitions.start_date);
  if (!startDate.ok) {
    ctx.report(
      tenantPath("partitions", "start_date"),
      `start_date "${partitions.start_date}" is not a calendar date: ${startDate.problem}`,
      "write a real date, YYYY-MM-DD",
    );
  }
  return { startDate: partitions.start_date, timezone };
}

/**
 * A zone in the spelling the plan holds (canonical, the same for every Node.js:
 * docs/config-reference.md); an unknown zone is reported and kept as written.
 */
export function canonicalZone(ctx: ModelContext, path: YamlPath, text: string): string {
  const resolved = resolveZone(text);
  if (!resolved.ok) {
    ctx.report(path, resolved.message, zoneHint(text));
    return text;
  }
  return resolved.zone;
}
