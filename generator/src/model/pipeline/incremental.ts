/** Incremental extraction: a cursor column that only grows, and how far back each run re-reads it. */

import { durationSeconds } from "@etl/runtime/contract";
import type { PipelinePlan } from "@etl/runtime/plan";
import { type PipelineScope, sourceColumn } from "./scope.js";
import { isTemporal } from "./source.js";

/** 100 years: a lookback longer than that is a typo, and the runtime's date arithmetic breaks on it. */
const MAX_LOOKBACK_SECONDS = 36_500 * 86_400;

/** The pipeline's incremental mode, or null (also when a problem was reported). */
export function pipelineIncremental(scope: PipelineScope): PipelinePlan["incremental"] {
  const { ctx, config, at } = scope;
  const incremental = config.incremental;
  if (incremental === undefined) {
    return null;
  }
  const cursorAt = at("incremental", "cursor_column");
  const cursor = sourceColumn(
    scope,
    cursorAt,
    "incremental.cursor_column",
    incremental.cursor_column,
  );
  const kind = cursor === null ? null : (scope.columns?.typeOf(cursor)?.kind ?? null);
  const integer = kind === "int16" || kind === "int32" || kind === "int64";
  const refusedType = cursor !== null && kind !== null && !integer && !isTemporal(kind);
  if (refusedType) {
    ctx.report(
      cursorAt,
      `incremental.cursor_column "${cursor}" has type ${scope.snapshot?.find((c) => c.name === cursor)?.pgType ?? kind}; a cursor must be a date, timestamp, timestamptz or integer column`,
      "choose a column that only grows, such as updated_at or an id",
    );
  }
  const lookbackAt = at("incremental", "lookback");
  const seconds = durationSeconds(incremental.lookback);
  if (seconds !== null && seconds > MAX_LOOKBACK_SECONDS) {
    ctx.report(
      lookbackAt,
      `lookback "${String(incremental.lookback)}" is longer than ${MAX_LOOKBACK_SECONDS / 86_400} days`,
      'write a lookback of at most "36500d"; it is how far back each run re-reads the cursor',
    );
    return null;
  }
  if (seconds === null) {
    ctx.report(
      lookbackAt,
      `lookback "${String(incremental.lookback)}" is not a duration`,
      'write e.g. "90s", "15m", "2h", "1d" or a number of seconds',
    );
    return null;
  }
  if (integer && seconds !== 0) {
    ctx.report(
      lookbackAt,
      `incremental.cursor_column "${cursor}" is an integer, so lookback must be 0 (it is ${seconds} seconds)`,
      "remove lookback, or use a temporal cursor column",
    );
    return null;
  }
  return cursor === null || refusedType ? null : { cursorColumn: cursor, lookbackSeconds: seconds };
}
