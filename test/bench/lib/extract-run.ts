/** The JSON line test/bench/extract-bench.ts prints for one extract. */
import { z } from "zod";

/** What one run prints (and `npm run bench` parses). */
export const ExtractRunSchema = z.object({
  bench: z.literal("extract"),
  table: z.string(),
  storage: z.enum(["local", "s3"]),
  rows: z.number().int(),
  compression: z.string(),
  /** The extract's own elapsed time (connect to commit), seconds. */
  seconds: z.number(),
  rowsPerSecond: z.number(),
  floorSeconds: z.number().nullable(),
  ratioToFloor: z.number().nullable(),
  /** CPU seconds of this process: meaningful even when other work shares the machine. */
  cpuSeconds: z.number(),
  /** CPU seconds of the PostgreSQL backends that ran the COPY (null when /proc was not readable). */
  backendCpuSeconds: z.number().nullable(),
  /** Ranges copied at once (extract.parallelism). */
  parallelism: z.number().int().positive(),
  parquetBytes: z.number().int(),
  files: z.array(z.object({ key: z.string(), rows: z.number().int(), bytes: z.number().int() })),
  /** Local folder (local storage) or s3:// location of the committed run. */
  location: z.string(),
  peakRssMiB: z.number(),
});
export type ExtractRun = z.infer<typeof ExtractRunSchema>;
