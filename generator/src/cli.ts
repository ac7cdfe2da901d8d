/**
 * `npm run generate [-- --tenant <id>] [-- --check] [--debug] [--root <dir>]`: compiles tenants into
 * generated/. Exit 0 on success (or when --check finds generated/ up to date), 1 on problems or a
 * stale generated/, 2 on usage errors.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { generateParallel } from "./generate-parallel.js";
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
  const result = await generateParallel({ root, ...(only === undefined ? {} : { tenants: only }) });
  if (!result.ok) {
    process.stderr.write(formatProblems(result.problems, parsed.values.debug));
    return 1;
  }
  const out = { files: result.files, ownedDirs: result.ownedDirs, pruneStale: only === undefined };
  const unsafe = outputProblems(root, out);
  if (unsafe.length > 0) {
    process.stderr.write(formatProblems(unsafe));
    return 1;
  }
  if (parsed.values.check) {
    const list = changes(root, out);
    if (list.length === 0) {
      console.log(
        `generated/ is up to date (${result.files.size} files, ${result.models.length} tenants)`,
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
  const count = (k: string) => done.filter((c) => c.kind === k).length;
  console.log(
    `generated ${result.models.map((m) => m.id).join(", ")}: ${count("add")} added, ${count("change")} changed, ${count("delete")} deleted, ${result.files.size - count("add") - count("change")} unchanged`,
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
