/** src/plan.ts of a tenant package: the plan as one typed constant. */
import type { TenantModel } from "../model/build.js";
import { fileInputs, printTs, tsLiteral } from "./common.js";
import { constDecl, importDecl } from "./ts-print.js";

/** The plan of the tenant, checked against the runtime's `TenantPlan` type by tsc. */
export function emitPlan(m: TenantModel): string {
  return printTs(
    [
      importDecl({ typeOnly: true, named: ["TenantPlan"], module: "@etl/runtime" }),
      constDecl({
        exported: true,
        docs: [
          `The plan of tenant ${m.id}: what dev, staging and prod share, then what each environment sets\notherwise; ETL_ENVIRONMENT picks one at run time (environmentPlan lays it over the shared part).\n\`\${VAR}\` references stay references (\`{ env }\` / \`{ template }\`) until then.`,
        ],
        name: "plan",
        type: "TenantPlan",
        initializer: tsLiteral(m.plan),
      }),
    ],
    fileInputs(m.inputs.config, m.inputs.introspection, m.inputs.manifest),
  );
}
