/**
 * `npm run generate [-- --tenant <id>] [-- --check] [--debug] [--root <dir>]`: compiles tenants into
 * generated/. Exit 0 on success (or when --check finds generated/ up to date), 1 on problems or a
 * stale generated/, 2 on usage errors.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { generateParallel } from "./generate-parallel.js";
import { type Lookup, openCache } from "./incremental.js";
import { formatProblems } from "./problems.js";
import { findRoot, rootProblem } from "./root.js";
import { changes, outputProblems, unifiedDiff, write } from "./write.js";

async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs({
    args: argv,
    options: {
      tenant: { type: "string", multiple: true },
      check: { type: "boolean", default: false },
      debug: { type: "boolean", default: false },
      root: { type: "string" },
      "no-cache": { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const given = parsed.values.root;
  if (given !== undefined) {
    const wrong = rootProblem(given);
    if (wrong !== null) {
      console.error(`error: ${wrong}; nothing was written`);
      return 1;
    }
  }
  const root = given === undefined ? findRoot(process.cwd()) : path.resolve(given);
  if (root === null) {
    console.error(
      "error: run this inside the repository (no tenants/ and generator/ folder found upwards)",
    );
    return 2;
  }
  const only = parsed.values.tenant;
  const cache = parsed.values["no-cache"] ? null : openCache(root);
  const lookups = new Map<string, Lookup>();
  const reuse = (dir: string) => {
    const found = cache?.lookup(dir) ?? null;
    if (found !== null) lookups.set(dir, found);
    return found?.kind === "reuse" ? found.tenant : null;
  };
  const result = await generateParallel(
    { root, ...(only === undefined ? {} : { tenants: only }) },
    undefined,
    reuse,
  );
  if (!result.ok) {
    process.stderr.write(formatProblems(result.problems, parsed.values.debug));
    return 1;
  }
  const out = {
    files: result.files,
    ownedDirs: result.ownedDirs,
    pruneStale: only === undefined,
    kept: new Set(result.kept),
    keptDirs: new Set(result.keptDirs),
  };
  const fileCount = result.files.size + result.kept.length;
  const reused = result.tenants.length - result.compiled.length;
  const fromCache =
    cache === null ? "" : `; ${reused} of ${result.tenants.length} tenants reused from the cache`;
  const remember = () => {
    for (const note of cache?.store(result.compiled, lookups) ?? []) {
      console.error(`note: ${note}`);
    }
  };
  const unsafe = outputProblems(root, out);
  if (unsafe.length > 0) {
    process.stderr.write(formatProblems(unsafe));
    return 1;
  }
  if (parsed.values.check) {
    const list = changes(root, out);
    if (list.length === 0) {
      remember();
      console.log(
        `generated/ is up to date (${fileCount} files, ${result.tenants.length} tenants)${fromCache}`,
      );
      return 0;
    }
    process.stdout.write(await unifiedDiff(list));
    console.error(
      `\ngenerated/ is stale: ${list.length} file(s) differ; run npm run generate and commit the result`,
    );
    return 1;
  }
  const done = write(root, out);
  remember();
  const count = (k: string) => done.filter((c) => c.kind === k).length;
  console.log(
    `generated ${result.tenants.map((m) => m.id).join(", ")}: ${count("add")} added, ${count("change")} changed, ${count("delete")} deleted, ${fileCount - count("add") - count("change")} unchanged${fromCache}`,
  );
  return 0;
}

const debug = process.argv.includes("--debug");
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // Usage errors from parseArgs and internal errors end here: one line, the stack only with --debug.
  const err = e instanceof Error ? e : new Error(String(e));
  const usage =
    "code" in err && typeof err.code === "string" && err.code.startsWith("ERR_PARSE_ARGS");
  console.error(
    `error: ${err.message}${usage ? "\nusage: npm run generate [-- --tenant <id>] [--check] [--debug]" : ""}`,
  );
  if (debug && err.stack !== undefined) {
    console.error(err.stack);
  }
  process.exitCode = usage ? 2 : 1;
}
