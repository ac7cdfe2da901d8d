/**
 * Checks every generated package's plan test runs (`@etl/runtime/testing`, kept out of the main
 * entry): the plan against the contract, each environment's graph against what the config says,
 * the graph closed and acyclic, every variable a reference. Each returns what it found wrong (or
 * the facts to compare), so a test states `expect(...).toEqual([])` and a failure lists them all.
 */
import {
  type EnvironmentName,
  type EnvironmentPlan,
  environmentPlan,
  type JobPlan,
  type TenantPlan,
  TenantPlanSchema,
} from "../plan.js";

/** Every issue the plan contract (TenantPlanSchema) finds, as `path: message`. */
export function contractIssues(plan: unknown): string[] {
  const parsed = TenantPlanSchema.safeParse(plan);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.map(String).join(".")}: ${issue.message}`);
}

/** What a config says about one environment: enablement, assets with their deps, jobs. */
export interface EnvironmentFacts {
  enabled: boolean;
  /** Dependencies by asset key, in the plan's order. */
  assets: Record<string, readonly string[]>;
  /** By job name, in the plan's order. */
  jobs: Record<string, Pick<JobPlan, "assets" | "partitioned" | "schedule">>;
}

/** The facts of one environment of the plan, for comparing with what the config says. */
export function environmentFacts(plan: TenantPlan, name: EnvironmentName): EnvironmentFacts {
  const env = environmentPlan(plan, name);
  return {
    enabled: env.enabled,
    assets: Object.fromEntries(env.assets.map((a) => [a.key, a.deps])),
    jobs: Object.fromEntries(
      env.jobs.map((j) => [
        j.name,
        { assets: j.assets, partitioned: j.partitioned, schedule: j.schedule },
      ]),
    ),
  };
}

/**
 * What is wrong with an environment's graph: a dependency or job asset that is no asset, and
 * each cycle (found depth first with an explicit stack, so a chain of any length fits).
 */
export function graphProblems(env: Pick<EnvironmentPlan, "assets" | "jobs">): string[] {
  const problems: string[] = [];
  const keys = new Set(env.assets.map((a) => a.key));
  for (const asset of env.assets) {
    for (const dep of asset.deps) {
      if (!keys.has(dep)) problems.push(`${asset.key} depends on ${dep}, which is no asset`);
    }
  }
  for (const job of env.jobs) {
    for (const key of job.assets) {
      if (!keys.has(key)) problems.push(`job ${job.name} selects ${key}, which is no asset`);
    }
  }
  const deps = new Map(env.assets.map((a) => [a.key, a.deps]));
  const state = new Map<string, "open" | "done">();
  for (const start of keys) {
    if (state.has(start)) continue;
    state.set(start, "open");
    const stack = [{ key: start, next: 0 }];
    for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
      const dep = (deps.get(top.key) ?? [])[top.next];
      if (dep === undefined) {
        state.set(top.key, "done");
        stack.pop();
        continue;
      }
      top.next += 1;
      if (state.get(dep) === "open") {
        const cycle = stack.slice(stack.findIndex((frame) => frame.key === dep));
        problems.push(`cycle: ${[...cycle.map((frame) => frame.key), dep].join(" -> ")}`);
      } else if (!state.has(dep) && keys.has(dep)) {
        state.set(dep, "open");
        stack.push({ key: dep, next: 0 });
      }
    }
  }
  return problems;
}

/** The names in `plan.envVars` that no `${VAR}` reference of the plan names (each must be one). */
export function unreferencedEnvVars(plan: TenantPlan): string[] {
  const referenced = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (value !== null && typeof value === "object") {
      const env = (value as { env?: unknown }).env;
      if (typeof env === "string") referenced.add(env);
      for (const item of Object.values(value)) visit(item);
    }
  };
  visit(plan);
  return plan.envVars.filter((name) => !referenced.has(name));
}
