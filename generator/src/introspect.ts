/**
 * Reads the live source schema of every pipeline of a tenant from PostgreSQL, with the runtime's own
 * introspection (the one the run-time drift check compares against, so the two cannot disagree):
 * the relation's columns for `source_table`, the result columns of a zero-row execution for `query`.
 */
import { introspectQuery, introspectRelation } from "@etl/runtime";
import type pg from "pg";
import type { Introspection, PipelineSnapshot } from "./config/introspection.js";
import type { PipelineConfig } from "./config/schema.js";

/** Columns of one pipeline's source. */
export async function introspectPipeline(
  client: pg.ClientBase,
  schema: string,
  p: PipelineConfig,
): Promise<PipelineSnapshot> {
  if (p.query !== undefined) {
    return { source: "query", columns: await introspectQuery(client, schema, p.query) };
  }
  const table = p.source_table ?? "";
  return {
    source: `table ${table}`,
    columns: await introspectRelation(client, schema, table),
  };
}

/** The snapshot of every pipeline, keys sorted. */
export async function introspectTenant(
  client: pg.ClientBase,
  schema: string,
  pipelines: Readonly<Record<string, PipelineConfig>>,
): Promise<Introspection> {
  const out: Introspection = { version: 1, pipelines: {} };
  for (const name of Object.keys(pipelines).sort()) {
    const p = pipelines[name];
    if (p !== undefined) {
      out.pipelines[name] = await introspectPipeline(client, schema, p);
    }
  }
  return out;
}
