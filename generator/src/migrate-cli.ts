/**
 * `npm run migrate -- --from <old tenant folder> [--id <id>] [--root <repo>] [--dry-run]`:
 * converts a tenant of the Dagster system (etl/tenants/<id>/) into tenants/<id>/, prints the
 * migration report (also written to tenants/<id>/MIGRATION.md), refreshes the dbt manifest with
 * the stack's dbt when DBT_BIN is set, and tells whether the new tenant compiles.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { generate } from "./generate.js";
import { migrate, REPORT_FILE } from "./migrate/index.js";
import { formatReport } from "./migrate/report.js";
import { formatProblem, formatProblems, sortProblems } from "./problems.js";
import { findRoot } from "./root.js";

const USAGE =
  "usage: npm run migrate -- --from <old tenant folder> [--id <id>] [--root <repo>] [--dry-run]";

async function main(): Promise<number> {
  const parsed = parseArgs({
    options: {
      from: { type: "string" },
      id: { type: "string" },
      root: { type: "string" },
      "dry-run": { type: "boolean" },
      help: { type: "boolean" },
    },
    strict: false,
  });
  const { values } = parsed;
  const unknown = Object.keys(values).filter(
    (k) => !["from", "id", "root", "dry-run", "help"].includes(k),
  );
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  // npm runs scripts in the repository root; paths on the command line are the caller's.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const from = typeof values.from === "string" ? values.from : undefined;
  const id = typeof values.id === "string" ? values.id : undefined;
  const root =
    typeof values.root === "string"
      ? path.resolve(cwd, values.root)
      : (findRoot(cwd) ?? findRoot(process.cwd()));
  if (unknown.length > 0 || from === undefined || parsed.positionals.length > 0 || root === null) {
    console.error(
      `${unknown.length > 0 ? `error: unknown option --${unknown[0]}\n` : from === undefined ? "error: --from is required\n" : root === null ? "error: run it inside the repository (or pass --root)\n" : ""}${USAGE}`,
    );
    return 2;
  }
  const bin = process.env.DBT_BIN;
  const result = await migrate({
    from: path.resolve(cwd, from),
    display: from,
    id,
    root,
    dbt: bin === undefined || bin === "" ? null : { bin },
    dryRun: values["dry-run"] === true,
  });
  if (!result.ok) {
    process.stderr.write(formatProblems(result.problems));
    return 1;
  }
  process.stdout.write(formatReport(result.report));
  const dir = `tenants/${result.id}/`;
  const lines = [""];
  if (values["dry-run"] === true) {
    lines.push(
      `dry run: would write ${result.written.length} file(s) under ${dir} (${result.unchanged.length} already identical); nothing was written`,
    );
    console.log(lines.join("\n"));
    return 0;
  }
  lines.push(
    result.written.length === 0
      ? `${dir} is already this migration (${result.unchanged.length} files identical): nothing to write`
      : `wrote ${result.written.length} file(s) under ${dir}${result.unchanged.length > 0 ? ` (${result.unchanged.length} already identical)` : ""}; the report is ${dir}${REPORT_FILE}`,
  );
  let code = 0;
  switch (result.dbt.kind) {
    case "refreshed":
      lines.push(`dbt manifest refreshed with the stack's dbt: ${result.dbt.manifestPath}`);
      break;
    case "unavailable":
      lines.push(
        `dbt is NOT available here (DBT_BIN is not set), so the dbt manifest was not refreshed: run`,
        `  eval "$(npm run -s stack -- env)" && npm run dbt -- parse --tenant ${result.id}`,
        "before npm run generate (the generator reads tenants/<id>/dbt/target/manifest.json)",
      );
      break;
    case "failed":
      lines.push(
        `the dbt manifest step FAILED: ${result.dbt.message}; the files above are written. dbt said:`,
        result.dbt.output.trimEnd(),
        `fix the project, then: npm run dbt -- parse --tenant ${result.id}`,
      );
      code = 1;
      break;
    default:
      break;
  }
  const check = generate({ root, tenants: [result.id] });
  if (check.ok) {
    lines.push(
      `tenants/${result.id}/ compiles: npm run generate -- --tenant ${result.id} writes generated/${result.id}/`,
    );
  } else {
    lines.push(
      `npm run generate -- --tenant ${result.id} does not pass yet (see the report above):`,
      ...sortProblems(check.problems).map(formatProblem),
    );
  }
  console.log(lines.join("\n"));
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    console.error(`error: migration failed: ${err.message}`);
    if (process.argv.includes("--debug") && err.stack !== undefined) {
      console.error(err.stack);
    }
    process.exitCode = 1;
  },
);
