/**
 * Source stamps: a package's build writes `dist/.source-stamp`, the hash of the sources it was
 * built from; `isFresh` tells whether a package's dist still matches its sources, so a launcher
 * can run the built JavaScript (fast start) and fall back to the TypeScript sources when the
 * build is missing or stale (never run stale code). Content-based, not mtime-based: a checkout,
 * a rebase or a turbo cache restore cannot fool it.
 *
 * A package whose build bundles another package's code (the generator bundles the runtime) names
 * that package too, so a change there makes the bundle stale as well.
 *
 *   node tools/source-stamp.mjs write <package dir> [<bundled package dir>...]
 *   (run by the package's build script)
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STAMP = path.join("dist", ".source-stamp");

/** @param {string} dir @param {string[]} out */
function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(full, out);
    } else if (entry.isFile() && !entry.name.endsWith(".test.ts")) {
      out.push(full);
    }
  }
  return out;
}

/**
 * Hash of what a package's build reads: its src/ (tests excluded), package.json, its tsconfigs
 * and the shared tsconfig.base.json.
 * @param {string} dir package directory
 */
export function sourceHash(dir) {
  const pkgDir = path.resolve(dir);
  const files = walk(path.join(pkgDir, "src"), []);
  for (const f of ["package.json", "tsconfig.json", "tsconfig.build.json"]) {
    const full = path.join(pkgDir, f);
    if (existsSync(full)) files.push(full);
  }
  files.push(path.join(repoRoot, "tsconfig.base.json"));
  const hash = createHash("sha256");
  for (const f of files.sort()) {
    hash.update(path.relative(repoRoot, f));
    hash.update("\0");
    hash.update(readFileSync(f));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * The stamp of a package and the packages bundled into it.
 * @param {string} dir package directory @param {string[]} bundled package directories
 */
function stampOf(dir, bundled) {
  return [dir, ...bundled].map((d) => sourceHash(d)).join(" ");
}

/**
 * Whether dir/dist was built from the current sources of dir and of `bundled`.
 * @param {string} dir package directory @param {string[]} [bundled] package directories
 */
export function isFresh(dir, bundled = []) {
  const stamp = path.join(path.resolve(dir), STAMP);
  return existsSync(stamp) && readFileSync(stamp, "utf8").trim() === stampOf(dir, bundled);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, dir, ...bundled] = process.argv.slice(2);
  if (command !== "write" || dir === undefined) {
    process.stderr.write(
      "usage: node tools/source-stamp.mjs write <package dir> [<bundled package dir>...]\n",
    );
    process.exit(2);
  }
  writeFileSync(path.join(path.resolve(dir), STAMP), `${stampOf(dir, bundled)}\n`);
}
