/**
 * Types of tenant transforms: the contract between a tenant's TypeScript code, the generated
 * package (which types `inputs` with the generated row interfaces) and the runtime.
 *
 * A transform receives every declared transfer input of the partition and returns its output rows
 * as an iterable, an async iterable or a promise of an iterable. Streaming transforms read
 * `inputs.x.rows()` and yield; aggregating ones call `inputs.x.all()` or fold over `rows()`. How
 * much a transform keeps in memory is its own choice: the runtime streams inputs and outputs.
 *
 * Row values follow types/pg.ts `tsTypeOf`: int64 -> bigint, numeric -> exact decimal string,
 * date -> "YYYY-MM-DD", timestamps -> Date (timestamp without time zone: a Date whose UTC fields
 * are the wall-clock time), json -> string, bytea -> Uint8Array, arrays -> arrays, NULL -> null.
 */
import type { Logger } from "../logger.js";

/** A value of one column of a row. */
export type RowValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | null
  | readonly RowValue[];

/** A row as read from Parquet: column name to value. */
export type Row = Record<string, RowValue>;

/** One transfer input: the partition's committed extract rows of one pipeline. */
export interface TransformInput<R> {
  /** Streams the rows file by file, batch by batch; may be called more than once. */
  rows(): AsyncIterable<R>;
  /** Every row of the partition in one array (the transform chose to hold them in memory). */
  all(): Promise<R[]>;
}

/** `inputs.<pipeline>` for every declared transfer input. */
export type TransformInputs<I extends object> = { readonly [K in keyof I]: TransformInput<I[K]> };

export interface TransformContext {
  tenantId: string;
  /** The pipeline whose transform runs. */
  pipeline: string;
  /** The daily partition (YYYY-MM-DD), or null for an unpartitioned pipeline. */
  partitionDate: string | null;
  logger: Logger;
}

/** What a transform may return: rows now, rows later, or rows as they are produced. */
export type TransformOutput<Out> = AsyncIterable<Out> | Iterable<Out> | Promise<Iterable<Out>>;

/**
 * A tenant transform, generic over its input row types (by pipeline name) and its output row.
 * Example: `Transform<{ lot_history: LotHistoryRow }, WipRow>`.
 */
export type Transform<I extends object, Out extends object> = (
  inputs: TransformInputs<I>,
  context: TransformContext,
) => TransformOutput<Out>;

/** Identity helper that lets TypeScript infer and check a transform's types where it is defined. */
export function defineTransform<I extends object, Out extends object>(
  fn: Transform<I, Out>,
): Transform<I, Out> {
  return fn;
}

/**
 * The widest transform type: every `Transform<I, Out>` assigns to it (`never` inputs accept any
 * declared input shape). The runtime calls it with inputs built from the plan's declared inputs,
 * and validates every output row against the plan's declared output columns.
 */
export type TransformFn = (inputs: never, context: TransformContext) => TransformOutput<object>;

/** Tenant transforms by pipeline name, as emitted into generated/<id>/src/transforms/index.ts. */
export type TransformRegistry = Readonly<Record<string, TransformFn>>;
