/** `validate`: plan shape, environment, variables and (with --connect) real connectivity. */
import { nodeSupport } from "../node-support.js";
import { TenantPlanSchema } from "../plan.js";
import { describeResourceProblems, resolveResources, selectEnvironment } from "../resources.js";
import { probeAll } from "./connect.js";
import { type CommandContext, EXIT_FAILURE, EXIT_OK } from "./io.js";

export async function validateCommand(ctx: CommandContext): Promise<number> {
  const problems: string[] = [];
  const parsed = TenantPlanSchema.safeParse(ctx.plan);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`plan: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    ctx.io.err(`${problems.map((p) => `error: ${p}`).join("\n")}\n`);
    ctx.io.err("the generated plan is invalid: regenerate the package (npm run generate)\n");
    return EXIT_FAILURE;
  }
  const selected = selectEnvironment(ctx.plan, ctx.env);
  if (!selected.ok) {
    ctx.io.err(`error: ${selected.error}\n`);
    return EXIT_FAILURE;
  }
  problems.push(...planConsistency(ctx));
  const resolved = resolveResources(ctx.plan, selected.name, ctx.env);
  if (!resolved.ok) {
    problems.push(...describeResourceProblems(resolved));
  }
  if (problems.length > 0) {
    ctx.io.err(`${problems.map((p) => `error: ${p}`).join("\n")}\n`);
    return EXIT_FAILURE;
  }
  ctx.io.out(
    `ok: plan of tenant ${ctx.plan.tenant.id}, environment ${selected.name}, ${ctx.plan.envVars.length} variables resolved\n`,
  );
  const node = nodeSupport();
  (node.supported ? ctx.io.out : ctx.io.err)(`${node.supported ? "ok" : "warn"}: ${node.note}\n`);
  if (!ctx.args.flags.has("connect") || !resolved.ok) {
    return EXIT_OK;
  }
  const results = await probeAll(resolved.resources);
  for (const r of results) {
    (r.ok ? ctx.io.out : ctx.io.err)(`${r.ok ? "ok:" : "error:"} ${r.target}: ${r.detail}\n`);
  }
  return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILURE;
}

/** Cross-references a schema-valid plan: job assets exist, deps exist, transforms are registered. */
function planConsistency(ctx: CommandContext): string[] {
  const problems: string[] = [];
  const selected = selectEnvironment(ctx.plan, ctx.env);
  if (!selected.ok) {
    return problems;
  }
  const env = selected.plan;
  const keys = new Set(env.assets.map((a) => a.key));
  for (const a of env.assets) {
    for (const d of a.deps) {
      if (!keys.has(d)) {
        problems.push(`asset ${a.key} depends on unknown asset ${d}`);
      }
    }
  }
  for (const j of env.jobs) {
    for (const k of j.assets) {
      if (!keys.has(k)) {
        problems.push(`job ${j.name} selects unknown asset ${k}`);
      }
    }
  }
  for (const p of env.pipelines) {
    if (p.transfer !== null && !Object.hasOwn(ctx.transforms, p.name)) {
      problems.push(
        `pipeline ${p.name} has a transfer but no transform is registered under "${p.name}"`,
      );
    }
  }
  return problems.sort();
}
