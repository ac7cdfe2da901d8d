/** A temporary copy of the repository's tenants/ for tests that generate from it; removed after. */
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

export const REPO = path.resolve(import.meta.dirname, "..", "..");

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A new temp root holding a copy of the repository's tenants/. */
export function copyRepoInputs(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "etl-gen-"));
  temps.push(dir);
  cpSync(path.join(REPO, "tenants"), path.join(dir, "tenants"), { recursive: true });
  return dir;
}

/**
 * A temp root that can also build generated packages: tenants/, tsconfig.base.json, and the
 * repository's node_modules linked in (workspace packages such as @etl/runtime resolve through it,
 * so the runtime must be built).
 */
export function copyRepoForBuild(): string {
  const dir = copyRepoInputs();
  cpSync(path.join(REPO, "tsconfig.base.json"), path.join(dir, "tsconfig.base.json"));
  symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}
