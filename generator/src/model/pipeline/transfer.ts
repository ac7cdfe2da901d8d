/**
 * The transfer stage: which pipelines' extracts it reads (transfer_inputs) and the tenant's
 * transform it runs (a module of transforms/, an export of it, the declared output columns).
 */
import type { PipelinePlan } from "@etl/runtime/plan";
import { isRefused } from "../../config/load.js";
import { suggest } from "../../problems.js";
import { checkModuleName, checkTrinoName, checkTsExport } from "../translate.js";
import { parseTrinoType } from "../trino-types.js";
import type { TransformModel } from "../types.js";
import type { PipelineScope } from "./scope.js";

export interface PipelineTransfer {
  /** The plan's part; null without a transfer stage. */
  plan: PipelinePlan["transfer"];
  /** The same transform with the TypeScript type of each output column, for the emitters. */
  transform: TransformModel | null;
}

/** The pipeline's transfer stage; every inconsistency of its keys is reported. */
export function pipelineTransfer(scope: PipelineScope): PipelineTransfer {
  const { ctx, name, config, at } = scope;
  if (config.has_transfer && config.transfer === undefined) {
    ctx.report(
      at("has_transfer"),
      `pipeline "${name}" has has_transfer: true but no transfer: block`,
      "add transfer: {module: <file in transforms/>, export: <function>, output: {columns: {name: trino_type}}}",
    );
  }
  if (!config.has_transfer && config.transfer !== undefined) {
    ctx.report(
      at("transfer"),
      `pipeline "${name}" has a transfer: block but has_transfer is false`,
      "set has_transfer: true or remove transfer:",
    );
  }
  if (
    !config.has_transfer &&
    config.transfer_inputs !== undefined &&
    config.transfer_inputs !== null
  ) {
    ctx.report(
      at("transfer_inputs"),
      `pipeline "${name}" has transfer_inputs but has_transfer is false`,
      "set has_transfer: true or remove transfer_inputs",
    );
  }
  const inputs = transferInputs(scope);
  if (!config.has_transfer || config.transfer === undefined) {
    return { plan: null, transform: null };
  }
  const spec = config.transfer;
  checkTransformModule(scope, spec.module, spec.export);
  const output = outputColumns(scope);
  return {
    plan: {
      inputs: [...inputs],
      module: spec.module,
      exportName: spec.export,
      output: output.map(({ ts: _ts, ...column }) => column),
    },
    transform: { inputs: [...inputs], module: spec.module, exportName: spec.export, output },
  };
}

/** The pipelines whose extracts the transform reads (default: its own), each once and existing. */
function transferInputs(scope: PipelineScope): string[] {
  const { ctx, name, config, at, pipelineNames } = scope;
  const inputs = config.transfer_inputs ?? [name];
  const seen = new Set<string>();
  for (const [i, input] of inputs.entries()) {
    if (!pipelineNames.includes(input)) {
      const near = suggest(input, pipelineNames);
      ctx.report(
        at("transfer_inputs", i),
        `transfer_inputs entry "${input}" names no pipeline of tenant ${ctx.config.id}`,
        near === undefined
          ? `pipelines are: ${pipelineNames.join(", ")}`
          : `did you mean "${near}"?`,
      );
    } else if (seen.has(input)) {
      ctx.report(
        at("transfer_inputs", i),
        `transfer_inputs lists "${input}" twice`,
        "list each input pipeline once",
      );
    }
    seen.add(input);
  }
  return inputs;
}

/** The module exists under transforms/ and exports the function. */
function checkTransformModule(scope: PipelineScope, module: string, exportName: string): void {
  const { ctx, at } = scope;
  const { tenant } = ctx;
  const moduleNamed = ctx.checkName(at("transfer", "module"), checkModuleName(module));
  const file = tenant.transforms.get(module);
  // A module file the loader refused (a link out of the repository, a FIFO) is reported there.
  const refused = isRefused(tenant, `tenants/${tenant.dir}/transforms/${module}.ts`);
  if (moduleNamed && file === undefined && !refused) {
    const near = suggest(module, [...tenant.transforms.keys()]);
    ctx.report(
      at("transfer", "module"),
      `transform module "${module}" not found: expected tenants/${tenant.dir}/transforms/${module}.ts`,
      near === undefined
        ? `create tenants/${tenant.dir}/transforms/${module}.ts`
        : `did you mean "${near}"?`,
    );
  }
  const exportNamed = ctx.checkName(
    at("transfer", "export"),
    checkTsExport("transfer.export", exportName),
  );
  if (exportNamed && file !== undefined && !exportsName(file.text, exportName)) {
    ctx.report(
      at("transfer", "export"),
      `${file.path} does not export "${exportName}"`,
      `add export async function* ${exportName}(inputs, ctx) { ... } to ${file.path}`,
    );
  }
}

/** The declared output columns with their canonical Trino and TypeScript types. */
function outputColumns(scope: PipelineScope): TransformModel["output"] {
  const { ctx, at } = scope;
  const declared = scope.config.transfer?.output.columns ?? {};
  const output: TransformModel["output"] = [];
  for (const [column, spec] of Object.entries(declared)) {
    const path = at("transfer", "output", "columns", column);
    ctx.checkName(path, checkTrinoName("output column", column));
    const typeText = typeof spec === "string" ? spec : spec.type;
    const parsed = parseTrinoType(typeText);
    if (!parsed.ok) {
      ctx.report(
        path,
        `output column "${column}" has unsupported type "${typeText}"`,
        "use a Trino type: boolean, integer, bigint, double, decimal(p,s), varchar, date, timestamp(6), timestamp(6) with time zone, varbinary, array(T)",
      );
      continue;
    }
    output.push({
      name: column,
      type: parsed.canonical,
      nullable: typeof spec === "string" ? false : spec.nullable,
      ts: parsed.ts,
    });
  }
  if (Object.keys(declared).length === 0) {
    ctx.report(
      at("transfer", "output", "columns"),
      "a transform must declare at least one output column",
      "list the columns the transform yields: {name: trino_type}",
    );
  }
  return output;
}

/** Whether a module's text exports `exportName` (a function, a binding, or in an export list). */
function exportsName(text: string, exportName: string): boolean {
  const escaped = exportName.replace(/\$/g, "\\$");
  return new RegExp(
    `export\\s+(?:async\\s+)?function\\s*\\*?\\s*${escaped}\\b|export\\s+(?:const|let|var)\\s+${escaped}\\b|export\\s*\\{[^}]*\\b${escaped}\\b[^}]*\\}`,
  ).test(text);
}
