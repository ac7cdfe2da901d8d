/** Locations shared by the integration tests, demo and benchmarks; never machine-specific. */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the folder holding the top-level package.json). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The steering repo's shared/ folder with third-party fixtures: `ETL_SHARED_DIR`, else `../shared`
 * beside the checkout (where CI and every session lay it).
 */
export const sharedDir = process.env.ETL_SHARED_DIR ?? path.resolve(repoRoot, "..", "shared");

/** Real third-party fixtures (dbt manifests, Pagila). */
export const fixturesDir = path.join(sharedDir, "fixtures");

/** Fails with a clear message when the shared fixtures are not where they should be. */
export function requireFixtures(): string {
  if (!existsSync(fixturesDir)) {
    throw new Error(
      `shared fixtures not found at ${fixturesDir}: lay shared/ beside the checkout or set ETL_SHARED_DIR`,
    );
  }
  return fixturesDir;
}
