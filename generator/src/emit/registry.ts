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
  const transforms = m.pipelines.flatMap((p) =>
    p.transfer === null ? [] : [{ pipeline: p.name, transform: p.transfer }],
  );
  const out: Statement[] = [
    importDecl({ typeOnly: true, named: ["TransformRegistry"], module: "@etl/runtime" }),
  ];
  if (transforms.length > 0) {
    out.push(
      importDecl({
        typeOnly: true,
        named: transforms.map((t) => transformTypeName(t.pipeline)),
        module: "../rows.js",
      }),
    );
  }
  const exportsByModule = new Map<string, Set<string>>();
  for (const { transform } of transforms) {
    const names = exportsByModule.get(transform.module) ?? new Set<string>();
    names.add(transform.exportName);
    exportsByModule.set(transform.module, names);
  }
  const binding = bindings(exportsByModule, [
    "TransformRegistry",
    "transforms",
    ...transforms.map((t) => transformTypeName(t.pipeline)),
  ]);
  for (const [module, names] of sortedEntries(exportsByModule)) {
    out.push(
      importDecl({
        named: [...names].sort().map((name) => {
          const local = binding(module, name);
          return local === name ? name : { name, alias: local };
        }),
        module: `./${module}.js`,
      }),
    );
  }
  const entries = transforms.map(
    ({ pipeline, transform }) =>
      `  ${propertyName(pipeline)}: ${binding(transform.module, transform.exportName)} satisfies ${transformTypeName(pipeline)},`,
  );
  out.push(
    constDecl({
      exported: true,
      docs: [
        "The tenant's transforms by pipeline name. Each satisfies the type rows.ts derives for its\npipeline, so a wrong input or output shape fails tsc here.",
      ],
      name: "transforms",
      type: "TransformRegistry",
      initializer: entries.length === 0 ? "{}" : `{\n${entries.join("\n")}\n}`,
    }),
  );
  return printTs(out, fileInputs(m.inputs.config, m.inputs.transforms));
}

/**
 * The local name of each imported export: the export's own name, unless two modules export that
 * name or it is taken in the registry file; then `<module>_<export>` (model/collisions.ts keeps
 * those distinct).
 */
function bindings(
  exportsByModule: ReadonlyMap<string, ReadonlySet<string>>,
  taken: readonly string[],
): (module: string, name: string) => string {
  const modulesOf = new Map<string, number>();
  for (const names of exportsByModule.values()) {
    for (const name of names) {
      modulesOf.set(name, (modulesOf.get(name) ?? 0) + 1);
    }
  }
  const reserved = new Set(taken);
  return (module, name) =>
    (modulesOf.get(name) ?? 0) > 1 || reserved.has(name) ? `${camel(module)}_${name}` : name;
}
