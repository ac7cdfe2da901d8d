/**
 * Alert deliveries in the run ledger: one record per (tenant, destination, event), created before
 * the first attempt and updated with the outcome (sent, failed and why). Creating it is the claim
 * that deduplicates an event: whichever process creates the record first delivers it, and every
 * other one (a retried run, a second `serve`, a restart) finds it and sends nothing.
 *
 * File ledger: `ETL_HOME/ledger/<tenant>/alerts/*.json` (created exclusively, then replaced
 * atomically like every ledger record); PostgreSQL ledger: table `etl_alerts`.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { z } from "zod";
import { runLedgerDdl } from "../ledger/ddl.js";
import { createExclusive, safeName, writeFileAtomic } from "../ledger/file.js";
import { AlertEventSchema } from "../plan.js";
import type { ResolvedResources } from "../resources.js";

export const AlertDeliveryStatusSchema = z.enum(["pending", "sent", "failed"]);
export type AlertDeliveryStatus = z.infer<typeof AlertDeliveryStatusSchema>;

export const AlertRecordSchema = z.strictObject({
  tenant: z.string(),
  destination: z.string(),
  /** Identifies the event: the same key is delivered once per destination. */
  dedupKey: z.string(),
  event: AlertEventSchema,
  status: AlertDeliveryStatusSchema,
  /** HTTP attempts made so far. */
  attempts: z.number().int().nonnegative(),
  /** The alert's one-line summary (never the URL). */
  summary: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** HTTP status of the last response; null when none came (refused, timed out). */
  httpStatus: z.number().int().nullable(),
  /** Why the last attempt failed; null once sent. */
  error: z.string().nullable(),
});
export type AlertRecord = z.infer<typeof AlertRecordSchema>;

/** Where deliveries are recorded. */
export interface AlertStore {
  /** Creates the record; false when one exists for its (tenant, destination, dedupKey). */
  claim(record: AlertRecord): Promise<boolean>;
  /** Replaces the record (an attempt's outcome). */
  update(record: AlertRecord): Promise<void>;
  list(tenant: string): Promise<AlertRecord[]>;
  close(): Promise<void>;
}

/** Opens the alert records next to the ledger the resources select. */
export function openAlertStore(
  resources: Pick<ResolvedResources, "etlHome" | "ledgerUrl" | "tenantId">,
): AlertStore {
  return resources.ledgerUrl === null
    ? new FileAlertStore(resources.etlHome, resources.tenantId)
    : new PostgresAlertStore(resources.ledgerUrl);
}

/** A file name for a record: readable destination, hashed key (keys hold any text). */
function recordFile(dir: string, destination: string, dedupKey: string): string {
  const hash = createHash("sha256").update(dedupKey).digest("hex").slice(0, 32);
  return path.join(dir, `${safeName(destination)}__${hash}.json`);
}

export class FileAlertStore implements AlertStore {
  private readonly dir: string;

  constructor(etlHome: string, tenant: string) {
    this.dir = path.join(etlHome, "ledger", safeName(tenant), "alerts");
  }

  async claim(record: AlertRecord): Promise<boolean> {
    const text = `${JSON.stringify(AlertRecordSchema.parse(record))}\n`;
    const file = recordFile(this.dir, record.destination, record.dedupKey);
    await mkdir(this.dir, { recursive: true });
    return createExclusive(file, text);
  }

  async update(record: AlertRecord): Promise<void> {
    await writeFileAtomic(
      recordFile(this.dir, record.destination, record.dedupKey),
      `${JSON.stringify(AlertRecordSchema.parse(record))}\n`,
    );
  }

  async list(tenant: string): Promise<AlertRecord[]> {
    const names = await readdir(this.dir).catch((e: unknown) => {
      if ((e as { code?: unknown }).code === "ENOENT") return [] as string[];
      throw new Error(`cannot list alert records in ${this.dir}`, { cause: e });
    });
    const out: AlertRecord[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith(".json")) continue;
      const file = path.join(this.dir, name);
      const text = await readFile(file, "utf8").catch((e: unknown) => {
        if ((e as { code?: unknown }).code === "ENOENT") return null;
        throw new Error(`cannot read alert record ${file}`, { cause: e });
      });
      if (text === null) continue;
      // Records are written whole (temp file + rename or link); one that does not parse was
      // damaged outside the ledger and is left out, like the ledger's other readers do.
      const parsed = AlertRecordSchema.safeParse(safeJson(text));
      if (parsed.success && parsed.data.tenant === tenant) out.push(parsed.data);
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  async close(): Promise<void> {}
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}

const DDL = `
CREATE TABLE IF NOT EXISTS etl_alerts (
  tenant text NOT NULL,
  destination text NOT NULL,
  dedup_key text NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (tenant, destination, dedup_key)
);
CREATE INDEX IF NOT EXISTS etl_alerts_tenant ON etl_alerts (tenant, created_at);
`;

export class PostgresAlertStore implements AlertStore {
  private readonly pool: pg.Pool;
  private ready: Promise<void> | null = null;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2 });
  }

  private init(): Promise<void> {
    if (this.ready === null) {
      this.ready = runLedgerDdl(this.pool, DDL).catch((e: unknown) => {
        this.ready = null;
        throw new Error("cannot create the ledger's etl_alerts table", { cause: e });
      });
    }
    return this.ready;
  }

  async claim(record: AlertRecord): Promise<boolean> {
    await this.init();
    const r = await this.pool.query(
      `INSERT INTO etl_alerts (tenant, destination, dedup_key, status, created_at, record)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [
        record.tenant,
        record.destination,
        record.dedupKey,
        record.status,
        record.createdAt,
        JSON.stringify(AlertRecordSchema.parse(record)),
      ],
    );
    return r.rowCount === 1;
  }

  async update(record: AlertRecord): Promise<void> {
    await this.init();
    await this.pool.query(
      `UPDATE etl_alerts SET status = $4, record = $5
       WHERE tenant = $1 AND destination = $2 AND dedup_key = $3`,
      [
        record.tenant,
        record.destination,
        record.dedupKey,
        record.status,
        JSON.stringify(AlertRecordSchema.parse(record)),
      ],
    );
  }

  async list(tenant: string): Promise<AlertRecord[]> {
    await this.init();
    const r = await this.pool.query<{ record: unknown }>(
      "SELECT record FROM etl_alerts WHERE tenant = $1 ORDER BY created_at, destination, dedup_key",
      [tenant],
    );
    return r.rows.map((row) => AlertRecordSchema.parse(row.record));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
