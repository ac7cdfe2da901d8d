/**
 * The tenant's plan as the runtime reads it (runtime/src/plan.ts), held to the runtime's contract:
 * a plan the contract refuses is a problem of the tenant's config, never an exception at run time.
 */
import { isDeepStrictEqual } from "node:util";
import { referencedVars } from "@etl/runtime/contract";
import {
  type ConfigValue,
  ENVIRONMENTS,
  environmentPlan,
  type TenantPlan,
  TenantPlanSchema,
} from "@etl/runtime/plan";
import { sortedEntries } from "../order.js";
import { fileProblem } from "../problems.js";
import { GENERATOR_VERSION } from "../version.js";
import type { ModelContext } from "./context.js";
import { type EnvironmentParts, type Environments, sharedAndOverrides } from "./environments.js";
import type { Resources } from "./resources.js";

/**
 * The plan, or null when the contract refuses it or it does not give back every environment
 * exactly (each issue reported).
 */
export function assemblePlan(
  ctx: ModelContext,
  parts: EnvironmentParts,
  environments: Environments,
): TenantPlan | null {
  const { config } = ctx;
  const plan: TenantPlan = {
    generatorVersion: GENERATOR_VERSION,
    tenant: {
      id: config.id,
      name: config.name,
      enabled: config.enabled,
      tags: Object.fromEntries(sortedEntries(config.tags)),
    },
    envVars: envVarsOf(parts.resources, parts.operations.envVars),
    ...sharedAndOverrides(config, parts, environments),
  };
  const checked = TenantPlanSchema.safeParse(plan);
  if (!checked.success) {
    // A plan the runtime would refuse means a check above is missing (a generator bug): still a
    // problem of this tenant's file, one line per issue, never a page of JSON.
    for (const issue of checked.error.issues.slice(0, 10)) {
      ctx.problems.push(
        fileProblem({
          file: ctx.tenant.configFile,
          path: `(plan) ${issue.path.map(String).join(".")}`,
          message: `the generated plan would break the runtime's contract: ${issue.message}`,
          hint: "a value of this tenant passed every check but the plan's; change it, and report the missing check",
        }),
      );
    }
    return null;
  }
  // The runtime rebuilds each environment from the shared part and its overrides: it must get
  // back exactly the environment built here.
  const differing = ENVIRONMENTS.filter(
    (env) => !isDeepStrictEqual(environmentPlan(plan, env), environments[env]),
  );
  if (differing.length > 0) {
    ctx.problems.push(
      fileProblem({
        file: ctx.tenant.configFile,
        path: "(plan) environments",
        message: `the plan's shared part and overrides do not give back the ${differing.join(", ")} plan built from this config`,
        hint: "this is a generator bug this config triggers; run with --debug and report it",
      }),
    );
    return null;
  }
  return plan;
}

/** Every variable the resources and the operations settings reference, sorted. */
function envVarsOf(resources: Resources, operations: readonly string[]): string[] {
  const names = new Set<string>(operations);
  for (const group of Object.values(resources)) {
    for (const value of Object.values(group) as ConfigValue[]) {
      for (const name of referencedVars(value)) {
        names.add(name);
      }
    }
  }
  return [...names].sort();
}
