/** Finding and checking the repository root: a folder holding tenants/ (and, upwards, generator/). */
import { existsSync, statSync } from "node:fs";
import path from "node:path";

/** The repository root at or above `from`, or null. */
export function findRoot(from: string): string | null {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, "tenants")) && existsSync(path.join(dir, "generator"))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return null;
    }
    dir = parent;
  }
}

/**
 * Why `dir` (as the user gave it) cannot be the repository root, or null: it must be an existing
 * folder holding a tenants/ folder. Checked before anything runs, so a mistyped --root neither
 * creates a folder nor prunes every generated package of a folder that has no tenants.
 */
export function rootProblem(dir: string): string | null {
  const root = statSync(dir, { throwIfNoEntry: false });
  if (root === undefined) {
    return `--root ${dir}: no such folder`;
  }
  if (!root.isDirectory()) {
    return `--root ${dir}: not a folder`;
  }
  const tenants = statSync(path.join(dir, "tenants"), { throwIfNoEntry: false });
  if (tenants === undefined || !tenants.isDirectory()) {
    return `--root ${dir}: no tenants/ folder, so this is not the repository (it must hold tenants/<id>/config.yaml)`;
  }
  return null;
}
