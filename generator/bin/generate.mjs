/**
 * `npm run generate`: runs the built generator (dist/, about half the start-up time of the
 * TypeScript sources under tsx) when dist/ of both the generator and the runtime it imports match
 * their sources (tools/source-stamp.mjs), else the sources through tsx. Same arguments, same exit
 * code, either way.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { isFresh, repoRoot } from "../../tools/source-stamp.mjs";

const built =
  process.env.ETL_GENERATE_FROM_SOURCE !== "1" &&
  isFresh(path.join(repoRoot, "runtime")) &&
  isFresh(path.join(repoRoot, "generator"));
if (built) {
  await import(pathToFileURL(path.join(repoRoot, "generator/dist/cli.js")).href);
} else {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const r = spawnSync(
    process.execPath,
    [
      "--conditions=source",
      "--import",
      tsx,
      path.join(repoRoot, "generator/src/cli.ts"),
      ...process.argv.slice(2),
    ],
    { stdio: "inherit" },
  );
  if (r.error !== undefined) {
    throw new Error(`running the generator from source failed: ${r.error.message}`, {
      cause: r.error,
    });
  }
  process.exitCode = r.status ?? 1;
}
