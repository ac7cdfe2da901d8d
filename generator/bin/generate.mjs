/**
 * `npm run generate`: runs the built generator (dist/bundle/cli.js, one bundled module: ~0.4 s to
 * start against ~1.5 s for the TypeScript sources under tsx) when it was built from the current
 * sources of the generator and of the runtime bundled into it (tools/source-stamp.mjs), else the
 * sources through tsx. Same arguments, same exit code, either way.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { isFresh, repoRoot } from "../../tools/source-stamp.mjs";

const bundle = path.join(repoRoot, "generator/dist/bundle/cli.js");
const built =
  process.env.ETL_GENERATE_FROM_SOURCE !== "1" &&
  existsSync(bundle) &&
  isFresh(path.join(repoRoot, "generator"), [path.join(repoRoot, "runtime")]);
if (built) {
  await import(pathToFileURL(bundle).href);
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
