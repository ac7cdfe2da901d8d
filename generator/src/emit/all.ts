/** Emits generated/all/ (`@etl/all`): one entrypoint serving every enabled tenant. */

import type { TenantModel } from "../model/build.js";
import { packageName } from "../model/translate.js";
import { byText } from "../order.js";
import { GENERATOR_VERSION } from "../version.js";
import { type FileMap, MARKER_FILE, mdHeader, printTs } from "./common.js";
import { mdCode, mdText } from "./escape.js";
import { markerFile, packageJson, tsconfigJson, tsconfigTestJson } from "./package-files.js";
import { allReadme } from "./templates.js";
import {
  constDecl,
  exportDecl,
  importDecl,
  interfaceDecl,
  rawStatements,
  type Statement,
} from "./ts-print.js";

/** What generated/all/ needs of a tenant (the incremental path keeps it for unchanged tenants). */
export type AllTenant = Pick<TenantModel, "id" | "inputs"> & {
  plan: Pick<TenantModel["plan"], "tenant">;
};

/** Every file of generated/all/ for the enabled tenants among `models`. */
export function emitAll(models: readonly AllTenant[]): FileMap {
  const enabled = models.filter((m) => m.plan.tenant.enabled).sort(byText((model) => model.id));
  const inputs = enabled.map((m) => m.inputs.config);
  const files: FileMap = new Map();
  const put = (rel: string, text: string) => files.set(`generated/all/${rel}`, text);
  put(MARKER_FILE, markerFile(inputs));
  put(
    "package.json",
    packageJson({
      inputs,
      name: "@etl/all",
      version: GENERATOR_VERSION,
      description: "Every enabled tenant behind one entrypoint: etl-all <tenant> <command>",
      binName: "etl-all",
      dependencies: ["@etl/runtime", ...enabled.map((m) => packageName(m.id))],
    }),
  );
  put("tsconfig.json", tsconfigJson(inputs));
  put("tsconfig.test.json", tsconfigTestJson(inputs));
  put("src/tenants.ts", emitTenants(enabled, inputs));
  put("src/index.ts", emitAllIndex(inputs));
  put("src/main.ts", emitAllMain(inputs));
  put(
    "README.md",
    allReadme({
      header: mdHeader(inputs),
      tenants: enabled.map((m) => ({
        id: mdCode(m.id),
        name: mdText(m.plan.tenant.name),
        packageName: mdCode(packageName(m.id)),
      })),
    }),
  );
  return files;
}

function emitTenants(enabled: readonly AllTenant[], inputs: readonly string[]): string {
  const out: Statement[] = [
    importDecl({
      typeOnly: true,
      named: ["TenantPlan", "TransformRegistry"],
      module: "@etl/runtime",
    }),
    ...enabled.map((m) => importDecl({ namespace: `tenant_${m.id}`, module: packageName(m.id) })),
  ];
  const entries = enabled.map(
    (m) => `  ${m.id}: { plan: tenant_${m.id}.plan, transforms: tenant_${m.id}.transforms },`,
  );
  out.push(
    interfaceDecl({
      exported: true,
      name: "TenantEntry",
      properties: [
        { name: "plan", type: "TenantPlan", readonly: true },
        { name: "transforms", type: "TransformRegistry", readonly: true },
      ],
    }),
    constDecl({
      exported: true,
      docs: ["Every enabled tenant, each with its own plan and transforms (never merged)."],
      name: "tenants",
      type: "Readonly<Record<string, TenantEntry>>",
      initializer: entries.length === 0 ? "{}" : `{\n${entries.join("\n")}\n}`,
    }),
  );
  return printTs(out, inputs);
}

function emitAllIndex(inputs: readonly string[]): string {
  return printTs(
    [
      exportDecl({ named: ["tenants"], module: "./tenants.js" }),
      exportDecl({ typeOnly: true, named: ["TenantEntry"], module: "./tenants.js" }),
    ],
    inputs,
  );
}

function emitAllMain(inputs: readonly string[]): string {
  const body = printTs(
    [
      importDecl({ named: ["runCli", "storageConflicts"], module: "@etl/runtime" }),
      importDecl({ named: ["tenants"], module: "./tenants.js" }),
      rawStatements(`const [tenant, ...argv] = process.argv.slice(2);
const ids = Object.keys(tenants).sort();
const entry = tenant === undefined ? undefined : tenants[tenant];
if (tenant === "tenants") {
  process.stdout.write(\`\${ids.join("\\n")}\\n\`);
} else if (tenant === "ui") {
  // One console for every tenant; loaded on demand, like the tenant packages' own \`ui\`.
  const { runConsoleCli } = await import("@etl/runtime/console");
  process.exitCode = await runConsoleCli({ tenants: ids.flatMap((id) => tenants[id] ?? []), argv });
} else if (entry === undefined) {
  process.stderr.write(
    \`\${tenant === undefined ? "" : \`error: unknown tenant "\${tenant}"\\n\`}usage: etl-all <tenant> <command> [options]\\n       etl-all tenants\\n       etl-all ui [--host H] [--port P]\\ntenants: \${ids.join(", ")}\\n\`,
  );
  process.exitCode = 2;
} else {
  // One process serves every tenant: first, no two may resolve (from this environment) into each
  // other's storage. Then each call resolves the tenant's own resources from its own plan.
  const conflicts = storageConflicts(
    Object.values(tenants).map((t) => t.plan),
    process.env,
  );
  if (conflicts.length > 0) {
    process.stderr.write(conflicts.map((c) => \`error: \${c}\\n\`).join(""));
    process.exitCode = 1;
  } else {
    process.exitCode = await runCli({ plan: entry.plan, transforms: entry.transforms, argv });
  }
}`),
    ],
    inputs,
  );
  return `#!/usr/bin/env node\n${body}`;
}
