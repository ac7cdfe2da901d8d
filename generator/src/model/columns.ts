/**
 * A pipeline's columns at generate time: the snapshot's source columns, their types under the
 * pipeline's type policy, and their target names under its naming convention (both rules live in
 * the runtime, next to the plan contract). Everything the snapshot lets the generator know is
 * checked here, so the extract and the load never refuse a name or a type after data was copied.
 */
import { deriveTargetNames, targetNameOf } from "@etl/runtime/contract";
import type { SourceColumn, TargetNaming, UnmappedTypes } from "@etl/runtime/plan";
import { type LogicalType, mapColumn } from "@etl/runtime/types";

/** One problem with the snapshot's columns; `column` indexes the snapshot's column list. */
export interface ColumnProblem {
  columns: number[];
  message: string;
  hint: string;
}

/** The source columns of a pipeline with their target names and logical types. */
export class PipelineColumns {
  private constructor(
    readonly columns: readonly SourceColumn[],
    readonly targets: readonly string[],
    readonly types: readonly LogicalType[],
  ) {}

  /** Maps and names every column of the snapshot; every problem of every column at once. */
  static of(
    columns: readonly SourceColumn[],
    naming: TargetNaming,
    unmapped: UnmappedTypes,
  ): { ok: true; value: PipelineColumns } | { ok: false; problems: ColumnProblem[] } {
    const problems: ColumnProblem[] = [];
    const types: LogicalType[] = [];
    for (const [i, c] of columns.entries()) {
      const mapped = mapColumn(c, unmapped);
      if (mapped.ok) {
        types.push(mapped.type);
      } else {
        problems.push({
          columns: [i],
          message: `column ${JSON.stringify(c.name)} (${c.pgType}): ${mapped.reason}`,
          hint: "set unmapped_types: text, or cast the column in a query: (e.g. SELECT ..., col::text AS col FROM ...)",
        });
      }
    }
    const derived = deriveTargetNames(
      columns.map((c) => c.name),
      naming,
    );
    if (!derived.ok) {
      problems.push(
        ...derived.problems.map((p) => ({ columns: p.indexes, message: p.message, hint: p.hint })),
      );
    }
    if (problems.length > 0 || !derived.ok) {
      return {
        ok: false,
        problems: problems.sort((a, b) => (a.columns[0] ?? 0) - (b.columns[0] ?? 0)),
      };
    }
    return { ok: true, value: new PipelineColumns(columns, derived.names, types) };
  }

  /** Index of a column named by its source name or by its target name, or -1. */
  indexOf(given: string): number {
    const bySource = this.columns.findIndex((c) => c.name === given);
    return bySource >= 0 ? bySource : this.targets.indexOf(given);
  }

  /** The source name of a column given by its source or target name, or null. */
  sourceOf(given: string): string | null {
    return this.columns[this.indexOf(given)]?.name ?? null;
  }

  /** The target name of a column given by its source or target name, or null. */
  targetOf(given: string): string | null {
    return this.targets[this.indexOf(given)] ?? null;
  }

  /** The logical type of a column given by its source or target name, or null. */
  typeOf(given: string): LogicalType | null {
    return this.types[this.indexOf(given)] ?? null;
  }
}

/**
 * The target name of a column a pipeline without a snapshot names in its config: the same rule
 * the extract applies to the live column of that name (a target name given as it is maps to
 * itself, since both conventions are idempotent).
 */
export function targetOfUnknown(
  given: string,
  naming: TargetNaming,
): { ok: true; name: string } | { ok: false; reason: string; hint: string } {
  return targetNameOf(given, naming);
}
