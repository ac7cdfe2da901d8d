/**
 * The migration's writer: the only code of the migration that changes the disk. It writes a new
 * tenant folder, or re-writes it when every file it would write is absent or already identical
 * (so a re-run is a no-op); a file that differs (a ported transform, an edited config) is a
 * conflict, and then nothing at all is written.
 */

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sortedEntries } from "../order.js";

export interface WritePlan {
  /** Root-relative paths to create. */
  add: string[];
  /** Root-relative paths already holding exactly this content. */
  same: string[];
  /** Root-relative paths holding something else. */
  conflicts: string[];
}

/** Compares `files` (root-relative path -> text) with what is on disk under `root`. */
export function planWrite(root: string, files: ReadonlyMap<string, string>): WritePlan {
  const plan: WritePlan = { add: [], same: [], conflicts: [] };
  for (const [rel, text] of sortedEntries(files)) {
    const abs = path.join(root, rel);
    if (!existsSync(abs)) {
      plan.add.push(rel);
    } else if (statSync(abs).isFile() && readFileSync(abs, "utf8") === text) {
      plan.same.push(rel);
    } else {
      plan.conflicts.push(rel);
    }
  }
  return plan;
}

/** Writes the files a plan adds; refuses a plan with conflicts. */
export function applyWrite(
  root: string,
  files: ReadonlyMap<string, string>,
  plan: WritePlan,
): void {
  if (plan.conflicts.length > 0) {
    throw new Error(
      `internal error: applyWrite called with ${plan.conflicts.length} conflicting file(s)`,
    );
  }
  for (const rel of plan.add) {
    const text = files.get(rel);
    if (text === undefined) {
      continue;
    }
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
}
