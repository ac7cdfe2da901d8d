/** Finding the repository root: the nearest folder upwards holding tenants/ and generator/. */
import { existsSync } from "node:fs";
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
