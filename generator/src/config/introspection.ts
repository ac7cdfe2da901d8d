/** The committed snapshot of a tenant's source schema, tenants/<id>/introspection.json. */
import { SourceColumnSchema } from "@etl/runtime/plan";
import { z } from "zod";

export const INTROSPECTION_FILE = "introspection.json";

export const PipelineSnapshotSchema = z.strictObject({
  /** `table <name>` or `query`, for humans reading the diff. */
  source: z.string(),
  columns: z.array(SourceColumnSchema),
});

export const IntrospectionSchema = z.strictObject({
  version: z.literal(1),
  pipelines: z.record(z.string(), PipelineSnapshotSchema),
});
export type Introspection = z.infer<typeof IntrospectionSchema>;
export type PipelineSnapshot = z.infer<typeof PipelineSnapshotSchema>;
