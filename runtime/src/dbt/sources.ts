/**
 * dbt sources fed by pipelines: before dbt runs, the partition's committed extract files are
 * exposed in Trino as `<catalog>.<schema>.<table>` (a view over an external Parquet table), which is
 * what a tenant's sources.yml points at (see docs/dbt.md).
 */

import type { LoadColumn } from "../load/columns.js";
import { hiveTypeOf, stagedExpr } from "../load/columns.js";
import type { Logger } from "../logger.js";
import type { TrinoClient } from "../trino/client.js";
import { ensureSchema } from "../trino/ensure.js";
import { quoteTrinoColumn, quoteTrinoIdent, stringLiteral } from "../trino/sql.js";

/** Default place of the exposed sources: `hive.<tenant>_sources`. */
export function defaultDbtSourcesPlace(tenantId: string): { catalog: string; schema: string } {
  return { catalog: "hive", schema: `${tenantId}_sources` };
}

/** The `--vars` that tell the tenant's sources.yml where its sources are. */
export function dbtSourceVars(place: { catalog: string; schema: string }): Record<string, string> {
  return { etl_sources_catalog: place.catalog, etl_sources_schema: place.schema };
}

export interface DbtSourceData {
  /** Source table name = pipeline name. */
  table: string;
  /** Columns of the extracted files, with their Trino types (load/columns.ts columnsFromSource). */
  columns: readonly LoadColumn[];
  /** s3:// prefix holding exactly the partition's committed Parquet files. */
  location: string;
}

/** Suffix of the external table behind each source view. */
export const SOURCE_FILES_SUFFIX = "__files";

/**
 * (Re)creates, for each source, an external Parquet table over `location` and a view named after
 * the table that reads it with the extracted types (timestamptz back as instants). Idempotent.
 */
export async function exposeDbtSources(
  client: TrinoClient,
  place: { catalog: string; schema: string },
  sources: readonly DbtSourceData[],
  logger: Logger,
): Promise<void> {
  const catalog = quoteTrinoIdent(place.catalog, "sources catalog");
  const schema = `${catalog}.${quoteTrinoIdent(place.schema, "sources schema")}`;
  const session = { [`${place.catalog}.timestamp_precision`]: "MICROSECONDS" };
  await ensureSchema(client, place);
  for (const src of sources) {
    const files = `${schema}.${quoteTrinoIdent(`${src.table}${SOURCE_FILES_SUFFIX}`, "source table")}`;
    const view = `${schema}.${quoteTrinoIdent(src.table, "source table")}`;
    const cols = src.columns.map((c) => `${quoteTrinoColumn(c.name)} ${hiveTypeOf(c.type)}`);
    const select = src.columns.map((c) => {
      const ref = quoteTrinoColumn(c.name);
      return `${stagedExpr(ref, c.type)} AS ${ref}`;
    });
    // External table: dropping it leaves the files alone; re-creating points it at this partition.
    await client.execute(`DROP TABLE IF EXISTS ${files}`);
    await client.execute(
      `CREATE TABLE ${files} (${cols.join(", ")}) WITH (external_location = ${stringLiteral(src.location)}, format = 'PARQUET')`,
      { session },
    );
    await client.execute(
      `CREATE OR REPLACE VIEW ${view} AS SELECT ${select.join(", ")} FROM ${files}`,
      {
        session,
      },
    );
    logger.info("dbt source exposed", {
      table: src.table,
      location: src.location,
      view: `${place.catalog}.${place.schema}.${src.table}`,
    });
  }
}
