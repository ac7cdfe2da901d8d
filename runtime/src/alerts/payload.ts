/**
 * What an alert says, and how it is spelled on the wire: our own JSON document (`json`) or
 * Slack's incoming-webhook payload (`slack`, also understood by Mattermost and Rocket.Chat).
 * An alert carries the tenant, job, partition, asset, check, an error summary and a link to the
 * console page when ETL_CONSOLE_URL is set; never a URL of a destination or any other secret
 * (every text passes the logger's redaction).
 */
import { z } from "zod";
import { redact } from "../logger.js";
import { AlertEventSchema } from "../plan.js";

export const AlertSchema = z.strictObject({
  event: AlertEventSchema,
  /** Identifies the event: one delivery per destination and key. */
  dedupKey: z.string(),
  tenant: z.string(),
  environment: z.string(),
  job: z.string().nullable(),
  partition: z.string().nullable(),
  asset: z.string().nullable(),
  check: z.strictObject({ name: z.string(), severity: z.enum(["warn", "error"]) }).nullable(),
  runId: z.string().nullable(),
  /** One line saying what happened. */
  summary: z.string(),
  /** The error, shortened; null when there is none (recovered, freshness). */
  error: z.string().nullable(),
  /** The console page about it; null without ETL_CONSOLE_URL. */
  link: z.string().nullable(),
  occurredAt: z.string(),
});
export type Alert = z.infer<typeof AlertSchema>;

/** The version tag of our JSON payload, so receivers can tell its shape. */
export const ALERT_PAYLOAD_SCHEMA = "etl-build/alert/v1";

const MAX_ERROR = 600;

/** An error as an alert shows it: redacted, its first lines, at most MAX_ERROR characters. */
export function errorSummary(error: string | null): string | null {
  if (error === null || error.trim() === "") return null;
  const text = redact(error).trim();
  return text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR - 1)}…` : text;
}

/** The console page of a run or an asset (the console's routes), or null without a base URL. */
export function consoleLink(
  base: string | null,
  target: { tenant: string; runId?: string | null; asset?: string | null },
): string | null {
  if (base === null || base === "" || !URL.canParse(base)) return null;
  const root = base.replace(/\/+$/, "");
  const tenant = encodeURIComponent(target.tenant);
  if (target.runId !== undefined && target.runId !== null) {
    return `${root}/t/${tenant}/runs/${encodeURIComponent(target.runId)}`;
  }
  if (target.asset !== undefined && target.asset !== null) {
    const [, ...rest] = target.asset.split("/");
    return `${root}/t/${tenant}/assets/${rest.map(encodeURIComponent).join("/")}`;
  }
  return `${root}/t/${tenant}`;
}

/** Our JSON document: every field, snake_case, versioned. */
export function jsonPayload(alert: Alert): Record<string, unknown> {
  return {
    schema: ALERT_PAYLOAD_SCHEMA,
    event: alert.event,
    tenant: alert.tenant,
    environment: alert.environment,
    job: alert.job,
    partition: alert.partition,
    asset: alert.asset,
    check: alert.check,
    run_id: alert.runId,
    summary: redact(alert.summary),
    error: alert.error,
    link: alert.link,
    occurred_at: alert.occurredAt,
    dedup_key: alert.dedupKey,
  };
}

const TITLES: Readonly<Record<Alert["event"], string>> = {
  run_failed: "Run failed",
  check_failed: "Check failed",
  freshness_breached: "Data is late",
  run_recovered: "Run recovered",
};

/** Slack's mrkdwn needs &, < and > escaped; everything else is shown as written. */
function mrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Slack's incoming-webhook payload: a fallback `text` and Block Kit blocks. */
export function slackPayload(alert: Alert): Record<string, unknown> {
  const summary = redact(alert.summary);
  const fields = [
    ["Tenant", alert.tenant],
    ["Environment", alert.environment],
    ["Job", alert.job],
    ["Partition", alert.partition],
    ["Asset", alert.asset],
    ["Check", alert.check === null ? null : `${alert.check.name} (${alert.check.severity})`],
    ["Run", alert.runId],
  ]
    .filter((f): f is [string, string] => f[1] !== null)
    .map(([label, value]) => ({ type: "mrkdwn", text: `*${label}*\n${mrkdwn(value)}` }));
  const blocks: Record<string, unknown>[] = [
    {
      type: "header",
      text: { type: "plain_text", text: `${TITLES[alert.event]}: ${alert.tenant}`.slice(0, 150) },
    },
    { type: "section", text: { type: "mrkdwn", text: mrkdwn(summary) } },
    // Slack takes at most 10 fields per section.
    { type: "section", fields: fields.slice(0, 10) },
  ];
  if (alert.error !== null) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: `\`\`\`${mrkdwn(alert.error).replaceAll("```", "'''")}\`\`\`` },
    });
  }
  if (alert.link !== null) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `<${alert.link}|Open in the console>` }],
    });
  }
  return { text: `${TITLES[alert.event]}: ${summary}`, blocks };
}
