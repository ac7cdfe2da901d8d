/**
 * `npm run dbt -- parse --tenant <id> [--target dev] [--target-schema <schema>] [--root <repo>]`
 *
 * Refreshes tenants/<id>/dbt/target/manifest.json with the stack's real dbt (DBT_BIN), using a
 * profile written from the TRINO_* environment into a temporary folder (nothing secret on disk).
 * Volatile fields (generation time, invocation id, per-node creation times, absolute paths) are
 * normalised so that an unchanged project gives a byte-identical manifest to review. The work
 * itself is @etl/generator's refreshManifest (also used by `npm run migrate`).
 */
import { refreshManifest } from "@etl/generator/dbt-refresh";
import { repoRoot } from "./paths.js";

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run dbt -- parse --tenant <id> [--target dev] [--target-schema <schema>] [--root <repo>]\n`,
  );
  process.exit(2);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) usage(`${name} needs a value`);
  return v;
}

async function parse(args: string[]): Promise<number> {
  const tenant = option(args, "--tenant") ?? usage("--tenant is required");
  if (!/^[a-z][a-z0-9_]*$/.test(tenant)) usage(`invalid tenant id "${tenant}"`);
  const bin = process.env.DBT_BIN;
  if (bin === undefined || bin === "") {
    process.stderr.write(
      'DBT_BIN is not set: run `eval "$(npm run -s stack -- env)"` first (the stack installs dbt)\n',
    );
    return 1;
  }
  const result = await refreshManifest({
    root: option(args, "--root") ?? repoRoot,
    tenant,
    bin,
    target: option(args, "--target"),
    targetSchema: option(args, "--target-schema"),
  });
  if (!result.ok) {
    process.stderr.write(`${result.message}\n`);
    return 1;
  }
  process.stdout.write(`wrote ${result.manifestPath}\n`);
  return 0;
}

const [command, ...rest] = process.argv.slice(2);
if (command !== "parse") {
  usage(command === undefined ? "missing command" : `unknown command "${command}"`);
}
process.exitCode = await parse(rest);
