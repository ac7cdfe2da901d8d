/**
 * Durable watermarks of incremental pipelines, one small JSON object per pipeline under
 * `_state/watermarks/<pipeline>.json`, replaced in one PUT (atomic on S3 and on the local backend).
 */
import { z } from "zod";
import type { Storage } from "../storage/storage.js";

export const WatermarkSchema = z.strictObject({
  pipeline: z.string(),
  /** The partition this watermark belongs to (partitioned incremental pipelines), else null. */
  partition: z.string().nullable(),
  cursorColumn: z.string(),
  /** Maximum cursor value committed so far, in PostgreSQL literal form. */
  value: z.string(),
  runId: z.string(),
  updatedAt: z.string(),
});
export type Watermark = z.infer<typeof WatermarkSchema>;

/**
 * `_state/watermarks/<pipeline>.json`; a partitioned incremental pipeline keeps one per partition,
 * `_state/watermarks/<pipeline>/dt=YYYY-MM-DD.json`, so backfilling an old day never skips rows
 * because a newer day advanced the cursor.
 */
export function watermarkKey(pipeline: string, partition: string | null): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(pipeline)) {
    throw new Error(`pipeline name "${pipeline}" is not usable in a storage key`);
  }
  if (partition !== null && !/^\d{4}-\d{2}-\d{2}$/.test(partition)) {
    throw new Error(`partition "${partition}" is not a YYYY-MM-DD date`);
  }
  return partition === null
    ? `_state/watermarks/${pipeline}.json`
    : `_state/watermarks/${pipeline}/dt=${partition}.json`;
}

/** The pipeline's watermark, or null before its first committed run. */
export async function readWatermark(
  storage: Storage,
  pipeline: string,
  partition: string | null,
): Promise<Watermark | null> {
  const key = watermarkKey(pipeline, partition);
  const bytes = await storage.get(key);
  if (bytes === null) {
    return null;
  }
  const parsed = WatermarkSchema.safeParse(JSON.parse(Buffer.from(bytes).toString("utf8")));
  if (!parsed.success) {
    throw new Error(`watermark ${storage.uri(key)} is not valid: ${parsed.error.message}`);
  }
  return parsed.data;
}

export async function writeWatermark(storage: Storage, watermark: Watermark): Promise<void> {
  await storage.put(
    watermarkKey(watermark.pipeline, watermark.partition),
    Buffer.from(`${JSON.stringify(watermark, null, 2)}\n`),
    "application/json",
  );
}
