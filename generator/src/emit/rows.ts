/**
 * src/rows.ts of a tenant package: one interface per pipeline from its snapshot (properties named
 * by the columns' target names), and the input, output and transform types of each transform.
 */
import type { SourceColumn, UnmappedTypes } from "@etl/runtime/plan";
import { mapColumn, tsTypeOf } from "@etl/runtime/types";
import type { PipelineModel, TenantModel } from "../model/build.js";
import {
  inputsTypeName,
  outputTypeName,
  rowTypeName,
  transformTypeName,
} from "../model/translate.js";
import { fileInputs, printTs, propertyName } from "./common.js";
import { importDecl, interfaceDecl, rawStatements, type Statement, typeAlias } from "./ts-print.js";

/**
 * Source text (names, type names, enum labels) inside a doc comment: on one line, and unable to
 * close the comment.
 */
function docText(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]/g, " ").replaceAll("*/", "*\\/");
}

function columnType(c: SourceColumn, unmapped: UnmappedTypes): string {
  const mapped = mapColumn(c, unmapped);
  // The model refuses unmapped columns, so this fallback is never printed for a valid model.
  const base = mapped.ok ? tsTypeOf(mapped.type) : "unknown";
  return c.nullable ? `${base} | null` : base;
}

/** The row types of every pipeline. */
export function emitRows(m: TenantModel): string {
  const out: Statement[] = [];
  const needsRow = m.pipelines.some((p) => p.columns === null);
  const needsTransform = m.pipelines.some((p) => p.transfer !== null);
  const imports = [...(needsRow ? ["Row"] : []), ...(needsTransform ? ["Transform"] : [])];
  if (imports.length > 0) {
    out.push(importDecl({ typeOnly: true, named: imports, module: "@etl/runtime" }));
  }
  for (const p of m.pipelines) {
    emitPipelineRows(out, p);
  }
  if (m.pipelines.length === 0) {
    out.push(rawStatements("export {};"));
  }
  return printTs(out, fileInputs(m.inputs.config, m.inputs.introspection));
}

function emitPipelineRows(out: Statement[], p: PipelineModel): void {
  if (p.columns === null) {
    out.push(
      typeAlias({
        exported: true,
        name: rowTypeName(p.name),
        type: "Row",
        docs: [
          `A source row of pipeline ${p.name}. No introspection snapshot yet: run \`npm run introspect -- --tenant <id>\` for a typed row.`,
        ],
      }),
    );
  } else {
    out.push(
      interfaceDecl({
        exported: true,
        name: rowTypeName(p.name),
        docs: [`A source row of pipeline ${p.name}, from the introspection snapshot.`],
        properties: p.columns.map((c, i) => {
          const target = p.targetNames?.[i] ?? c.name;
          const renamed = target === c.name ? "" : `source column ${JSON.stringify(c.name)}: `;
          return {
            name: propertyName(target),
            type: columnType(c, p.unmappedTypes),
            docs: [
              docText(
                `${renamed}${c.pgType}${c.domainBase === null ? "" : ` (domain over ${c.domainBase})`}${c.enumLabels === null ? "" : ` (${c.enumLabels.join(" | ")})`}${c.nullable ? "" : ", not null"}`,
              ),
            ],
          };
        }),
      }),
    );
  }
  const t = p.transfer;
  if (t === null) {
    return;
  }
  out.push(
    interfaceDecl({
      exported: true,
      name: outputTypeName(p.name),
      docs: [`An output row of the transform of pipeline ${p.name} (transfer.output.columns).`],
      properties: t.output.map((c) => ({
        name: propertyName(c.name),
        type: c.nullable ? `${c.ts} | null` : c.ts,
        docs: [`${c.type}${c.nullable ? "" : ", not null"}`],
      })),
    }),
    interfaceDecl({
      exported: true,
      name: inputsTypeName(p.name),
      docs: [`The inputs of the transform of pipeline ${p.name} (transfer_inputs), by pipeline.`],
      properties: t.inputs.map((i) => ({ name: propertyName(i), type: rowTypeName(i) })),
    }),
    typeAlias({
      exported: true,
      name: transformTypeName(p.name),
      type: `Transform<${inputsTypeName(p.name)}, ${outputTypeName(p.name)}>`,
      docs: [`The type ${t.module}.${t.exportName} must satisfy.`],
    }),
  );
}
