/**
 * Emits one tenant's package, generated/<id>/, from its model: the package files, then one emitter
 * per generated file. Pure: model in, FileMap out.
 */
import type { TenantModel } from "../model/build.js";
import { packageName } from "../model/translate.js";
import { sortedEntries } from "../order.js";
import { GENERATOR_VERSION } from "../version.js";
import { type FileMap, MARKER_FILE, printTs, tsHeader, withLf } from "./common.js";
import { emitDeploy } from "./deploy.js";
import { markerFile, packageJson, tsconfigJson, tsconfigTestJson } from "./package-files.js";
import { emitPlan } from "./plan.js";
import { emitPlanTest } from "./plan-test.js";
import { emitReadme } from "./readme.js";
import { emitRegistry } from "./registry.js";
import { emitRows } from "./rows.js";
import { exportDecl, exportDefault, importDecl, rawStatements } from "./ts-print.js";

/** Every file of generated/<id>/. */
export function emitTenant(m: TenantModel): FileMap {
  const dir = `generated/${m.id}`;
  const files: FileMap = new Map();
  const put = (rel: string, text: string) => files.set(`${dir}/${rel}`, text);
  // Files that only follow from the config name it alone; the others add what they read.
  const config = [m.inputs.config];
  put(MARKER_FILE, markerFile(config));
  put(
    "package.json",
    packageJson({
      inputs: config,
      name: packageName(m.id),
      version: GENERATOR_VERSION,
      description: `ETL package of tenant ${m.id} (${m.plan.tenant.name}), generated from ${m.inputs.config}`,
      binName: `etl-${m.id}`,
      dependencies: ["@etl/runtime"],
    }),
  );
  put("tsconfig.json", tsconfigJson(config));
  put("tsconfig.test.json", tsconfigTestJson(config));
  put("vitest.config.ts", emitVitestConfig(config));
  put("src/plan.ts", emitPlan(m));
  put("src/rows.ts", emitRows(m));
  put("src/index.ts", emitIndex(config));
  put("src/main.ts", emitMain(config, "./plan.js", "./transforms/index.js"));
  put("src/transforms/index.ts", emitRegistry(m));
  for (const [name, file] of sortedEntries(m.transforms)) {
    put(`src/transforms/${name}.ts`, `${tsHeader([file.path])}\n${withLf(file.text)}`);
  }
  for (const [name, file] of sortedEntries(m.transformTests)) {
    put(`src/transforms/${name}`, `${tsHeader([file.path])}\n${withLf(file.text)}`);
  }
  put("test/plan.test.ts", emitPlanTest(m));
  put("README.md", emitReadme(m));
  for (const [file, text] of emitDeploy({ id: m.id, inputs: config, plan: m.plan })) {
    files.set(file, text);
  }
  return files;
}

function emitVitestConfig(inputs: readonly string[]): string {
  return printTs(
    [
      importDecl({ named: ["defineConfig"], module: "vitest/config" }),
      exportDefault(
        `defineConfig({\n  test: {\n    include: ["src/**/*.test.ts", "test/**/*.test.ts"],\n  },\n})`,
      ),
    ],
    inputs,
  );
}

function emitIndex(inputs: readonly string[]): string {
  return printTs(
    [
      exportDecl({ named: ["plan"], module: "./plan.js" }),
      exportDecl({ typeOnly: true, module: "./rows.js" }),
      exportDecl({ named: ["transforms"], module: "./transforms/index.js" }),
    ],
    inputs,
  );
}

/** The entrypoint: a shebang, then the header, then one call into the runtime. */
export function emitMain(
  inputs: readonly string[],
  planPath: string,
  transformsPath: string,
): string {
  const body = printTs(
    [
      importDecl({ named: ["runCli"], module: "@etl/runtime" }),
      importDecl({ named: ["plan"], module: planPath }),
      importDecl({ named: ["transforms"], module: transformsPath }),
      rawStatements(
        "process.exitCode = await runCli({ plan, transforms, argv: process.argv.slice(2) });",
      ),
    ],
    inputs,
  );
  return `#!/usr/bin/env node\n${body}`;
}
