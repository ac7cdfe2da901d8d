/** The run ledger: PostgreSQL when ETL_LEDGER_URL is set, else files under ETL_HOME. */
import type { Logger } from "../logger.js";
import type { ResolvedResources } from "../resources.js";
import { FileLedger } from "./file.js";
import { PostgresLedger } from "./postgres.js";
import type { Ledger } from "./types.js";

export * from "./ddl.js";
export * from "./file.js";
export * from "./postgres.js";
export * from "./queries.js";
export * from "./queue.js";
export * from "./run-log.js";
export * from "./types.js";

/** Opens the ledger the resources select; `logger` hears of damaged records set aside. */
export function openLedger(
  resources: Pick<ResolvedResources, "etlHome" | "ledgerUrl" | "tenantId">,
  logger?: Logger,
): Ledger {
  if (resources.ledgerUrl !== null) {
    return PostgresLedger.fromUrl(resources.ledgerUrl);
  }
  return new FileLedger(
    resources.etlHome,
    resources.tenantId,
    logger === undefined ? {} : { logger },
  );
}
export * from "./history.js";
