/**
 * The migration report: what was converted, what needs a person, and how the old transform lookup
 * resolved each transfer. One value, printed by the CLI and written as tenants/<id>/MIGRATION.md.
 */
import { z } from "zod";

export const ReportItemSchema = z.object({
  /** Where in the old folder it came from (`config.yaml:10 tenant.use_custom_code`). */
  where: z.string(),
  text: z.string(),
});
export type ReportItem = z.infer<typeof ReportItemSchema>;

export const PortSchema = z.object({
  pipeline: z.string(),
  /** Tenant-relative path of the stub, `transforms/wip.ts`. */
  module: z.string(),
  exportName: z.string(),
  /** The Python function to port, with its place; null when none was registered. */
  replaces: z.string().nullable(),
  notes: z.array(z.string()),
});
export type Port = z.infer<typeof PortSchema>;

export const LookupSchema = z.object({
  /** The old transfer asset key. */
  asset: z.string(),
  /** The name `get_transfer_function` was called with (the pipeline's). */
  lookedUp: z.string(),
  /** How the lookup resolved it. */
  how: z.string(),
  ran: z.string(),
  /** What happened when it ran (from the inputs it read and the inputs it got). */
  outcome: z.string(),
  /** What the migrated pipeline runs instead. */
  now: z.string(),
});
export type Lookup = z.infer<typeof LookupSchema>;

export const MigrationReportSchema = z.object({
  /** The old folder, as named in the report (its base name, so the text is the same anywhere). */
  source: z.string(),
  oldId: z.string(),
  id: z.string(),
  converted: z.array(ReportItemSchema),
  todo: z.array(ReportItemSchema),
  ports: z.array(PortSchema),
  lookups: z.array(LookupSchema),
  /** Deliberate differences from the old run-time behaviour that apply to this tenant. */
  decisions: z.array(z.string()),
  /** Whether a dbt project was migrated (its manifest must be refreshed). */
  dbt: z.boolean(),
});
export type MigrationReport = z.infer<typeof MigrationReportSchema>;

/** A Markdown table cell: pipes escaped, one line. */
const cell = (text: string) => text.replaceAll("|", "\\|").replace(/\s+/g, " ");

const bullet = (item: ReportItem) =>
  item.where === "" ? `- ${item.text}` : `- \`${item.where}\`: ${item.text}`;

/** The report as Markdown (what MIGRATION.md holds and the CLI prints). */
export function formatReport(report: MigrationReport): string {
  const r = report;
  const lines: string[] = [
    `# Migration of the Dagster tenant ${r.oldId} (${r.source}) to tenants/${r.id}/`,
    "",
    "Written by `npm run migrate`. It lists what was translated, what a person must still do, and",
    "what the old system really ran; docs/migrating.md explains each rule. Delete this file when",
    "every item below is done.",
    "",
    `## Converted automatically (${r.converted.length})`,
    "",
    ...r.converted.map(bullet),
    "",
    `## Needs a person (${r.ports.length + r.todo.length})`,
    "",
    `### Python transforms to port (${r.ports.length})`,
    "",
  ];
  if (r.ports.length === 0) {
    lines.push("None: no pipeline has has_transfer.");
  }
  for (const p of r.ports) {
    lines.push(
      `- pipeline \`${p.pipeline}\` -> \`${p.module}\` (export \`${p.exportName}\`): ${
        p.replaces === null
          ? "write the transform (no Python function was registered for it)"
          : `port ${p.replaces}`
      }. It throws until it is ported.`,
      ...p.notes.map((n) => `  - ${n}`),
    );
  }
  lines.push("", `### Other (${r.todo.length})`, "");
  if (r.todo.length === 0) {
    lines.push("None.");
  }
  lines.push(...r.todo.map(bullet));
  lines.push("", "## The old transform lookup", "");
  if (r.lookups.length === 0) {
    lines.push("No transfer assets: the old lookup never ran for this tenant.");
  } else {
    lines.push(
      "The old TenantLoader.get_transfer_function was called with each pipeline's name and looked",
      "it up in CUSTOM_TRANSFER_FUNCTIONS, then CUSTOM_TRANSFORM_FUNCTIONS, then the common map",
      "(aps_wip, cycle_time, equipment_utilization), falling back to transform_aps_wip_logic:",
      "",
      "| transfer asset | looked up as | how it resolved | the old system ran | result | now |",
      "| --- | --- | --- | --- | --- | --- |",
      ...r.lookups.map(
        (l) => `| ${[l.asset, l.lookedUp, l.how, l.ran, l.outcome, l.now].map(cell).join(" | ")} |`,
      ),
    );
  }
  lines.push("", "## Deliberately different from the old run time", "");
  lines.push(...r.decisions.map((d) => `- ${d}`));
  lines.push("", "## Next steps", "");
  const steps = [
    ...(r.dbt
      ? [
          `refresh the dbt manifest (if the migration could not): \`eval "$(npm run -s stack -- env)"\` then \`npm run dbt -- parse --tenant ${r.id}\``,
        ]
      : []),
    `type the rows from the live source: export ${r.id.toUpperCase()}_DB_HOST/PORT/NAME/USER/PASSWORD and run \`npm run introspect -- --tenant ${r.id}\``,
    'port each transform above (docs/migrating.md, "From pandas to typed streaming TypeScript"), with a *.test.ts next to it',
    `\`npm run generate -- --tenant ${r.id}\`, then \`npx turbo run build test --filter=@etl/tenant-${r.id}\``,
    `\`node generated/${r.id}/dist/main.js list\` and \`validate --connect\`; then backfill what you need`,
  ];
  lines.push(...steps.map((s, i) => `${i + 1}. ${s}`), "");
  return lines.join("\n");
}
