/**
 * Reading one record file of the file ledger. Records are written whole (temp file + rename), so a
 * file that does not parse was damaged outside the ledger (a full disk, a copy cut short, a hand
 * edit): it is moved to `<ledger>/quarantine/<kind>/` and named in a warning, and the reader goes
 * on without it. The ledger's own reads and the console's index (file-index.ts) share this.
 */
import { mkdir, readFile, rename } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import type { Logger } from "../logger.js";

/** A record file that cannot be read as a record: empty, truncated, or not of the schema. */
export function recordProblem<S extends z.ZodType>(
  text: string,
  schema: S,
): { ok: true; record: z.infer<S> } | { ok: false; reason: string } {
  if (text.trim() === "") {
    return { ok: false, reason: "the file is empty" };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? { ok: true, record: parsed.data }
    : {
        ok: false,
        reason: `not a ledger record: ${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
          .join("; ")}`,
      };
}

function errorCode(e: unknown): unknown {
  return typeof e === "object" && e !== null && "code" in e ? e.code : undefined;
}

/**
 * The record in `<dir>/<name>`, or null when it is gone (another reader quarantined it between a
 * listing and this read) or damaged (then quarantined here, with a warning naming it).
 */
export async function readRecordFile<S extends z.ZodType>(
  dir: string,
  name: string,
  schema: S,
  logger: Logger,
): Promise<z.infer<S> | null> {
  const file = path.join(dir, name);
  const text = await readFile(file, "utf8").catch((e: unknown) => {
    if (errorCode(e) === "ENOENT") return null;
    throw new Error(`cannot read ledger record ${file}`, { cause: e });
  });
  if (text === null) return null;
  const parsed = recordProblem(text, schema);
  if (parsed.ok) return parsed.record;
  const quarantined = path.join(path.dirname(dir), "quarantine", path.basename(dir), name);
  await mkdir(path.dirname(quarantined), { recursive: true });
  const moved = await rename(file, quarantined).then(
    () => true,
    (e: unknown) => {
      if (errorCode(e) === "ENOENT") return false;
      throw new Error(`cannot quarantine damaged ledger record ${file}`, { cause: e });
    },
  );
  if (moved) {
    logger.warn("quarantined a damaged ledger record; it is left out of status and runs", {
      file,
      quarantined,
      reason: parsed.reason,
    });
  }
  return null;
}
