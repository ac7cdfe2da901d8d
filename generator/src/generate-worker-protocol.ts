/** Messages between `generateParallel` and its worker threads. */
import { z } from "zod";
import type { CompiledTenant } from "./generate.js";

export const WorkerInputSchema = z.object({
  root: z.string(),
  dirs: z.array(z.string()),
  /** Index of the next tenant to take (Atomics.add), shared by every thread. */
  next: z.custom<Int32Array<SharedArrayBuffer>>(
    (v) => v instanceof Int32Array && v.buffer instanceof SharedArrayBuffer,
  ),
});
export type WorkerInput = z.infer<typeof WorkerInputSchema>;

export const WorkerMessageSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("tenant"),
    index: z.number().int().nonnegative(),
    tenant: z.custom<CompiledTenant>(
      (v) => typeof v === "object" && v !== null && "dir" in v && "files" in v,
    ),
  }),
  z.object({ kind: z.literal("done") }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;
