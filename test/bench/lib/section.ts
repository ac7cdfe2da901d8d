/**
 * What a bench section is: a module under test/bench/sections/ that measures one thing, declares
 * the command-line options it reads, validates its own results and renders them. `bench.ts` only
 * runs the sections listed in sections/index.ts and writes what they return; adding a section is a
 * new module and one line in that list.
 */
import type { z } from "zod";
import type { BenchContext } from "./context.js";

/** A command-line option a section reads (`--name value`, or `--name` for a flag). */
export interface SectionOption {
  type: "string" | "boolean";
  description: string;
}

/** A section as its module writes it, typed by its results. */
export interface BenchSection<T> {
  /** `--only <name>` and the results key. */
  name: string;
  /** Options this section reads; sections that read the same option declare it alike. */
  options: Record<string, SectionOption>;
  schema: z.ZodType<T>;
  /** Measures; `ctx.earlier(name, schema)` gives sections that ran before it in this invocation. */
  run(ctx: BenchContext): Promise<T>;
  /** Where the results stand against the targets (reported, never asserted). */
  targets(result: T): string[];
  /** The section's part of results/latest.md. */
  markdown(result: T): string[];
}

/** A section with its results type erased, for the registry; every value is parsed on the way in. */
export interface Section {
  name: string;
  options: Record<string, SectionOption>;
  parse(value: unknown): unknown;
  run(ctx: BenchContext): Promise<unknown>;
  targets(value: unknown): string[];
  markdown(value: unknown): string[];
}

/** Registers a section: its results are validated by its schema whenever they are read or written. */
export function defineSection<T>(section: BenchSection<T>): Section {
  const parse = (value: unknown): T => {
    const parsed = section.schema.safeParse(value);
    if (!parsed.success) {
      throw new Error(
        `bench section ${section.name}: results do not match its schema: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  };
  return {
    name: section.name,
    options: section.options,
    parse,
    run: async (ctx) => parse(await section.run(ctx)),
    targets: (value) => section.targets(parse(value)),
    markdown: (value) => section.markdown(parse(value)),
  };
}
