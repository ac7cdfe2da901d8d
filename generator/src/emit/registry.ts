/**
 * src/transforms/index.ts of a tenant package: the registry of the tenant's transforms by
 * pipeline, each checked by tsc against the type rows.ts derives for its pipeline.
 */
import type { TenantModel } from "../model/build.js";
import { camel, transformTypeName } from "../model/translate.js";
import { sortedEntries } from "../order.js";
import { fileInputs, printTs, propertyName } from "./common.js";
import { constDecl, importDecl, type Statement } from "./ts-print.js";

/** The transform registry of the tenant. */
export function emitRegistry(m: TenantModel): string {
  const withTransfer = m.pipelines.filter((p) => p.transfer !== null);
  const out: Statement[] = [
    importDecl({ typeOnly: true, named: ["TransformRegistry"], module: "@etl/runtime" }),
  ];
  if (withTransfer.length > 0) {
    out.push(
      importDecl({
        typeOnly: true,
        named: withTransfer.map((p) => transformTypeName(p.name)),
        module: "../rows.js",
      }),
    );
  }
  const byModule = new Map<string, Set<string>>();
  for (const p of withTransfer) {
    if (p.transfer !== null) {
      const set = byModule.get(p.transfer.module) ?? new Set<string>();
      set.add(p.transfer.exportName);
      byModule.set(p.transfer.module, set);
    }
  }
  const alias = (module: string, exp: string) => `${camel(module)}_${exp}`;
  for (const [module, exps] of sortedEntries(byModule)) {
    out.push(
      importDecl({
        named: [...exps].sort().map((e) => ({ name: e, alias: alias(module, e) })),
        module: `./${module}.js`,
      }),
    );
  }
  for (const p of withTransfer) {
    if (p.transfer === null) {
      continue;
    }
    out.push(
      constDecl({
        docs: [`Pipeline ${p.name}: a wrong input or output shape fails tsc here.`],
        name: `${camel(p.name)}Transform`,
        type: transformTypeName(p.name),
        initializer: alias(p.transfer.module, p.transfer.exportName),
      }),
    );
  }
  const entries = withTransfer.map((p) => `  ${propertyName(p.name)}: ${camel(p.name)}Transform,`);
  out.push(
    constDecl({
      exported: true,
      docs: ["The tenant's transforms by pipeline name."],
      name: "transforms",
      type: "TransformRegistry",
      initializer: entries.length === 0 ? "{}" : `{\n${entries.join("\n")}\n}`,
    }),
  );
  return printTs(out, fileInputs(m.inputs.config, m.inputs.transforms));
}
