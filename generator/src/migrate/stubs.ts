/**
 * The TypeScript transform module written for each migrated pipeline with has_transfer: typed
 * against the tenant's generated rows, naming the Python function it replaces, and throwing a
 * clear error until a person ports it (never a silent pass-through).
 */
import { outputTypeName, rowTypeName, transformTypeName } from "../model/translate.js";

/** What a stub needs to say. */
export interface StubSpec {
  tenant: string;
  pipeline: string;
  module: string;
  exportName: string;
  inputs: string[];
  /** The Python function this module replaces, e.g. `transform_aps_wip_logic (assets/transfer.py:14 of the Dagster tenant folder project_01/)`; null when none is known. */
  replaces: string | null;
  /** What that function did, when known. */
  summary: string | null;
  /** What the old system really ran for this pipeline, when it differs from `replaces`. */
  ranInstead: string | null;
  /** Output columns declared in config.yaml. */
  columns: string[];
  /** Section of docs/migrating.md with a worked example, if any. */
  docsAnchor: string | null;
}

/** Wraps prose into ` * ` comment lines of at most 100 characters. */
function commentLines(text: string): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.replaceAll("*/", "*\\/").split(/\s+/)) {
    if (word === "") continue;
    if (line !== "" && ` * ${line} ${word}`.length > 100) {
      out.push(` * ${line}`);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") out.push(` * ${line}`);
  return out;
}

/** The module text (LF, formatted as Biome formats it). */
export function stubModule(spec: StubSpec): string {
  const transformType = transformTypeName(spec.pipeline);
  const inputs = spec.inputs.map((i) => `inputs.${i} (${rowTypeName(i)})`).join(", ");
  const doc = [
    `Transform of pipeline ${spec.pipeline} of tenant ${spec.tenant}: NOT PORTED YET.`,
    "",
    spec.replaces === null
      ? "No Python transform was registered for this pipeline in the Dagster system."
      : `It replaces the Python function ${spec.replaces}.`,
    spec.summary ?? "",
    spec.ranInstead === null
      ? ""
      : `In the Dagster system this transfer actually ran ${spec.ranInstead}.`,
    "",
    `It receives ${inputs} and yields ${outputTypeName(spec.pipeline)} rows with the columns declared in config.yaml (${spec.columns.join(", ")}).`,
    `How to port a pandas transform: docs/migrating.md${spec.docsAnchor === null ? "" : `, worked example "#${spec.docsAnchor}"`}.`,
    "Replace the body below, then remove this notice.",
  ];
  const body: string[] = [];
  for (const paragraph of doc) {
    if (paragraph === "") {
      if (body.length > 0 && body[body.length - 1] !== " *") body.push(" *");
      continue;
    }
    body.push(...commentLines(paragraph));
  }
  while (body[body.length - 1] === " *") body.pop();
  const message = `transform ${spec.exportName} of pipeline ${spec.pipeline} (tenant ${spec.tenant}) is not ported yet${
    spec.replaces === null
      ? ""
      : `: port ${spec.replaces.split(" ")[0]} to tenants/${spec.tenant}/transforms/${spec.module}.ts`
  } (see tenants/${spec.tenant}/MIGRATION.md)`;
  return [
    "/**",
    ...body,
    " */",
    `import type { ${transformType} } from "../rows.js";`,
    "",
    `export const ${spec.exportName}: ${transformType} = () => {`,
    "  throw new Error(",
    `    ${JSON.stringify(message)},`,
    "  );",
    "};",
    "",
  ].join("\n");
}
