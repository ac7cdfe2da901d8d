/**
 * Names the emitters derive from the tenant's names must stay distinct after derivation: the
 * TypeScript names of rows.ts and the transform registry, the Kubernetes objects of deploy/k8s and
 * the files copied into src/transforms/. Two sources deriving one name are a problem naming both,
 * never output that fails tsc or kubectl later.
 */
import type { JobPlan, PipelinePlan } from "@etl/runtime/plan";
import type { SourceFile } from "../config/load.js";
import type { YamlPath } from "../config/yaml-locate.js";
import { fileProblem, type Problem } from "../problems.js";
import { type ModelContext, pipelinePath, tenantPath } from "./context.js";
import { camel, collisions, k8sName, rowTypeName } from "./translate.js";

export interface GeneratedNamesInput {
  tenant: string;
  /** Pipeline names with the YAML path of each. */
  pipelines: readonly { name: string; at: YamlPath }[];
  /** Transform modules the registry imports, with the YAML path of one pipeline naming each. */
  modules: readonly { module: string; at: YamlPath }[];
  /** Jobs that get a CronJob (scheduled in prod), with their YAML path. */
  scheduledJobs: readonly { name: string; at: YamlPath }[];
  /** Every file copied into src/transforms/ (modules and their tests). */
  transformFiles: readonly SourceFile[];
  report: (p: YamlPath, message: string, hint: string) => void;
  problems: Problem[];
}

/** Reports every collision of derived names. */
export function checkGeneratedNames(input: GeneratedNamesInput): void {
  const pathOf = <T extends { at: YamlPath }>(items: readonly T[], key: (i: T) => string) =>
    new Map(items.map((i) => [key(i), i.at]));

  const pipelineAt = pathOf(input.pipelines, (p) => p.name);
  for (const c of collisions(
    input.pipelines.map((p) => p.name),
    (n) => rowTypeName(n).replace(/Row$/, ""),
  )) {
    const last = c.sources[c.sources.length - 1] ?? "";
    input.report(
      pipelineAt.get(last) ?? [],
      `pipelines ${c.sources.map((s) => `"${s}"`).join(" and ")} ${c.sources.length === 2 ? "both" : "all"} derive the TypeScript names ${c.name}Row, ${c.name}Transform, ... in generated/${input.tenant}/src/rows.ts`,
      "rename one of the pipelines so that their names differ in more than underscores",
    );
  }

  const moduleAt = pathOf(input.modules, (m) => m.module);
  for (const c of collisions(
    input.modules.map((m) => m.module),
    (m) => camel(m),
  )) {
    const last = c.sources[c.sources.length - 1] ?? "";
    input.report(
      moduleAt.get(last) ?? [],
      `transform modules ${c.sources.map((s) => `"${s}"`).join(" and ")} ${c.sources.length === 2 ? "both" : "all"} derive the import binding ${c.name}_<export> in generated/${input.tenant}/src/transforms/index.ts`,
      "rename one of the module files so that their names differ in more than - and _",
    );
  }

  const jobAt = pathOf(input.scheduledJobs, (j) => j.name);
  for (const c of collisions(
    input.scheduledJobs.map((j) => j.name),
    (j) => k8sName("etl", input.tenant, j),
  )) {
    const last = c.sources[c.sources.length - 1] ?? "";
    input.report(
      jobAt.get(last) ?? [],
      `jobs ${c.sources.map((s) => `"${s}"`).join(" and ")} ${c.sources.length === 2 ? "both" : "all"} derive the Kubernetes CronJob name ${c.name} (deploy/k8s)`,
      "rename one of the jobs",
    );
  }

  // Files whose names differ only by case are one file on case-insensitive file systems.
  for (const c of collisions(
    input.transformFiles.map((f) => f.path),
    (p) => p,
    (p) => p.toLowerCase(),
  )) {
    input.problems.push(
      fileProblem({
        file: c.sources[c.sources.length - 1] ?? "",
        path: "",
        message: `transform files ${c.sources.join(" and ")} differ only by case; they are one file on case-insensitive file systems (macOS, Windows)`,
        hint: "rename one of them",
      }),
    );
  }
}

/** The derived-name check over the tenant's pipelines, their transform modules and prod's schedules. */
export function checkDerivedNames(
  ctx: ModelContext,
  pipelines: readonly PipelinePlan[],
  prodJobs: readonly JobPlan[],
): void {
  checkGeneratedNames({
    tenant: ctx.config.id,
    pipelines: pipelines.map((p) => ({ name: p.name, at: pipelinePath(ctx, p.name) })),
    modules: pipelines.flatMap((p) =>
      p.transfer === null
        ? []
        : [{ module: p.transfer.module, at: pipelinePath(ctx, p.name, "transfer", "module") }],
    ),
    scheduledJobs: prodJobs
      .filter((j) => j.schedule !== null)
      .map((j) => ({ name: j.name, at: tenantPath("jobs", j.name) })),
    transformFiles: [...ctx.tenant.transforms.values(), ...ctx.tenant.transformTests.values()],
    report: ctx.report,
    problems: ctx.problems,
  });
}
