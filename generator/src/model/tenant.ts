/**
 * The tenant's identity and boundary: its id matches its folder and is not reserved, the
 * variables its values name are its own (model/boundary.ts), and its one-line texts are one line.
 */

import { envBoundary, textProblems } from "./boundary.js";
import type { ModelContext } from "./context.js";
import { tenantPath } from "./context.js";
import { checkId, RESERVED_TENANT_IDS } from "./translate.js";

/** Whether the tenant id is valid, unreserved and its folder's name. */
export function checkIdentity(ctx: ModelContext): boolean {
  const { config, tenant } = ctx;
  const at = tenantPath("id");
  if (!ctx.checkName(at, checkId("tenant id", config.id))) {
    return false;
  }
  if ((RESERVED_TENANT_IDS as readonly string[]).includes(config.id)) {
    ctx.report(
      at,
      `tenant id "${config.id}" is reserved (generated/all/ serves every tenant)`,
      "choose another id",
    );
    return false;
  }
  if (config.id !== tenant.dir) {
    ctx.report(
      at,
      `tenant id "${config.id}" does not match its folder tenants/${tenant.dir}/`,
      `set id: "${tenant.dir}" or rename the folder to tenants/${config.id}/`,
    );
    return false;
  }
  return true;
}

/**
 * Checks the variables and texts of the config; returns the `allowed_env` variables its values
 * use. The variable rule needs the tenant's own id (its prefix), so it runs only once the id is
 * valid; the text rule needs nothing.
 */
export function checkBoundary(ctx: ModelContext, identified: boolean): string[] {
  const boundary = identified
    ? envBoundary(ctx.config, ctx.tenant.otherTenants)
    : { problems: [], allowedEnv: [] };
  for (const problem of [...boundary.problems, ...textProblems(ctx.config)]) {
    ctx.report(problem.path, problem.message, problem.hint);
  }
  return boundary.allowedEnv;
}
