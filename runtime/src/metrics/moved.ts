/** What a stage recorded about the data it moved, read the same way by metrics, observers and lineage. */

/** Rows and bytes a stage recorded (extract, transfer: rows/bytes; load: rowsStaged; dbt: rowsAffected). */
export function movedOf(metadata: Record<string, unknown>): {
  rows: number | null;
  bytes: number | null;
} {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null);
  return {
    rows: num(metadata.rows) ?? num(metadata.rowsStaged) ?? num(metadata.rowsAffected),
    bytes: num(metadata.bytes),
  };
}
