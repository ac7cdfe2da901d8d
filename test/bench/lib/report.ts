/**
 * The benchmark's results file (test/bench/results/latest.json), its Markdown rendering and the
 * stdout summary. Each section's results are validated and rendered by its own module.
 */
import { z } from "zod";
import type { Section } from "./section.js";

export const ResultsSchema = z.object({
  command: z.string(),
  date: z.string(),
  /** The options given on the command line (defaults are in each section's results). */
  options: z.record(z.string(), z.union([z.string(), z.boolean()])),
  quick: z.boolean(),
  only: z.array(z.string()),
  machine: z.object({
    cpu: z.string(),
    cores: z.number().int(),
    memoryGiB: z.number(),
    os: z.string(),
    node: z.string(),
    postgres: z.string(),
    loadAverageAtStart: z.array(z.number()),
    loadAverageAtEnd: z.array(z.number()),
  }),
  /** Results by section name, each validated by its section's schema. */
  sections: z.record(z.string(), z.unknown()),
  totalSeconds: z.number(),
});
export type Results = z.infer<typeof ResultsSchema>;

/** Parses a results file and every section in it; a section no longer registered is an error. */
export function parseResults(value: unknown, sections: readonly Section[], file: string): Results {
  const results = ResultsSchema.parse(value);
  const unknown = Object.keys(results.sections).filter(
    (name) => !sections.some((s) => s.name === name),
  );
  if (unknown.length > 0) {
    throw new Error(
      `${file}: results of unknown bench section(s) ${unknown.join(", ")} (known: ${sections.map((s) => s.name).join(", ")}); re-run those sections or remove them`,
    );
  }
  for (const section of sections) {
    const part = results.sections[section.name];
    if (part !== undefined) section.parse(part);
  }
  return results;
}

/** Where every section stands against the targets (reported, never asserted). */
export function targetLines(r: Results, sections: readonly Section[]): string[] {
  return sections.flatMap((s) => {
    const part = r.sections[s.name];
    return part === undefined ? [] : s.targets(part);
  });
}

/** The Markdown report (test/bench/results/latest.md). */
export function renderMarkdown(r: Results, sections: readonly Section[]): string {
  const lines: string[] = [
    "# Benchmark results",
    "",
    `Command: \`${r.command}\` — ${r.date}, total ${r.totalSeconds} s.`,
    "",
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}; load average ${r.machine.loadAverageAtStart.join(" / ")} at start, ${r.machine.loadAverageAtEnd.join(" / ")} at end (shared machine).`,
    "",
    "## Targets",
    "",
    ...targetLines(r, sections).map((l) => `- ${l}`),
    "",
  ];
  for (const s of sections) {
    const part = r.sections[s.name];
    if (part !== undefined) lines.push(...s.markdown(part));
  }
  return lines.join("\n");
}

/** A few lines for stdout. */
export function summaryLines(r: Results, sections: readonly Section[]): string[] {
  return [`bench done in ${r.totalSeconds} s (${r.command})`, ...targetLines(r, sections)];
}
