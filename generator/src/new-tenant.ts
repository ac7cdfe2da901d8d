/**
 * `npm run new-tenant -- <id> [--name "Display Name"]`: scaffolds tenants/<id>/ from
 * tenants/_template/ and prints the next steps. Refuses invalid, reserved or existing ids.
 */
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { checkId, envPrefix, RESERVED_TENANT_IDS } from "./model/translate.js";
import { findRoot } from "./root.js";

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

function main(): number {
  const { values, positionals } = parseArgs({
    options: { name: { type: "string" }, root: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  const id = positionals[0];
  const root = values.root ?? findRoot(process.cwd());
  if (id === undefined || positionals.length > 1 || root === null) {
    console.error(
      'usage: npm run new-tenant -- <id> [--name "Display Name"]   (inside the repository)',
    );
    return 2;
  }
  const check = checkId("tenant id", id);
  if (!check.ok) {
    console.error(`error: ${check.message}\n  fix: ${check.hint}`);
    return 1;
  }
  if ((RESERVED_TENANT_IDS as readonly string[]).includes(id)) {
    console.error(`error: tenant id "${id}" is reserved (generated/all/ serves every tenant)`);
    return 1;
  }
  const template = path.join(root, "tenants", "_template");
  const target = path.join(root, "tenants", id);
  if (existsSync(target)) {
    console.error(`error: tenants/${id}/ already exists; nothing was changed`);
    return 1;
  }
  if (!existsSync(template)) {
    console.error("error: tenants/_template/ is missing");
    return 1;
  }
  cpSync(template, target, { recursive: true });
  const name =
    values.name ??
    id
      .split("_")
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(" ");
  for (const file of listFiles(target)) {
    const text = readFileSync(file, "utf8");
    const out = text
      .replaceAll("__TENANT_ID_UPPER__", envPrefix(id))
      .replaceAll("__TENANT_ID__", id)
      .replaceAll("__TENANT_NAME__", name);
    if (out !== text) {
      writeFileSync(file, out);
    }
  }
  console.log(`created tenants/${id}/ from tenants/_template/

next steps:
  1. edit tenants/${id}/config.yaml: source_database, storage.base_path, pipelines, jobs
     (every key: docs/config-reference.md); for the APS domain's pipelines and jobs, add
     preset: aps (docs/config-reference.md#presets); set enabled: true when ready
  2. write the transforms under tenants/${id}/transforms/ (and *.test.ts next to them)
  3. export ${envPrefix(id)}_DB_HOST/PORT/NAME/USER/PASSWORD and run
       npm run introspect -- --tenant ${id}      # typed rows from the live source schema
  4. npm run generate -- --tenant ${id}
  5. npx turbo run build test --filter=@etl/tenant-${id}
  6. node generated/${id}/dist/main.js validate`);
  return 0;
}

process.exitCode = main();
