/**
 * test/plan.test.ts of a tenant package: the plan against what the config says, per environment.
 */
import { ENVIRONMENTS } from "@etl/runtime/plan";
import type { TenantModel } from "../model/build.js";
import { fileInputs, printTs, tsLiteral } from "./common.js";
import { constDecl, importDecl, rawStatements, type Statement } from "./ts-print.js";

/** The plan test of the tenant package. */
export function emitPlanTest(m: TenantModel): string {
  const expected = Object.fromEntries(
    ENVIRONMENTS.map((env) => {
      const e = m.plan.environments[env];
      return [
        env,
        {
          enabled: e.enabled,
          assets: Object.fromEntries(e.assets.map((a) => [a.key, a.deps])),
          jobs: Object.fromEntries(
            e.jobs.map((j) => [
              j.name,
              { assets: j.assets, partitioned: j.partitioned, schedule: j.schedule },
            ]),
          ),
        },
      ];
    }),
  );
  const transferPipelines = m.pipelines.filter((p) => p.transfer !== null).map((p) => p.name);
  // The array as a formatter prints it: one space after each comma.
  const transferList = `[${transferPipelines.map((n) => JSON.stringify(n)).join(", ")}]`;
  const out: Statement[] = [
    importDecl({ named: ["ENVIRONMENTS", "TenantPlanSchema"], module: "@etl/runtime" }),
    importDecl({ named: ["describe", "expect", "it"], module: "vitest" }),
    importDecl({ named: ["plan"], module: "../src/plan.js" }),
    importDecl({ named: ["transforms"], module: "../src/transforms/index.js" }),
    constDecl({
      docs: [
        `What ${m.inputs.config} says, per environment: assets with their dependencies, jobs and schedules.`,
      ],
      name: "expected",
      initializer: `${tsLiteral(expected)} as const`,
    }),
  ];
  out.push(
    rawStatements(`describe("plan of tenant ${m.id}", () => {
  it("satisfies the runtime's plan contract", () => {
    const parsed = TenantPlanSchema.safeParse(plan);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it.each(ENVIRONMENTS)("%s: enablement, assets and dependencies follow the config", (env) => {
    const e = plan.environments[env];
    expect(e.enabled).toBe(expected[env].enabled);
    expect(Object.fromEntries(e.assets.map((a) => [a.key, a.deps]))).toEqual(expected[env].assets);
  });

  it.each(ENVIRONMENTS)("%s: jobs and schedules follow the config", (env) => {
    const jobs = plan.environments[env].jobs;
    expect(
      Object.fromEntries(
        jobs.map((j) => [j.name, { assets: j.assets, partitioned: j.partitioned, schedule: j.schedule }]),
      ),
    ).toEqual(expected[env].jobs);
  });

  it.each(ENVIRONMENTS)("%s: every dependency and job asset exists, and the graph has no cycle", (env) => {
    const e = plan.environments[env];
    const keys = new Set(e.assets.map((a) => a.key));
    for (const a of e.assets) {
      for (const d of a.deps) {
        expect(keys.has(d), \`\${a.key} depends on \${d}\`).toBe(true);
      }
    }
    for (const j of e.jobs) {
      for (const k of j.assets) {
        expect(keys.has(k), \`job \${j.name} selects \${k}\`).toBe(true);
      }
    }
    // Depth first with an explicit stack, so a chain of any length fits.
    const deps = new Map(e.assets.map((a) => [a.key, a.deps]));
    const state = new Map<string, "open" | "done">();
    for (const start of keys) {
      if (state.has(start)) {
        continue;
      }
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
        expect(state.get(dep), \`cycle through \${dep}\`).not.toBe("open");
        if (!state.has(dep)) {
          state.set(dep, "open");
          stack.push({ key: dep, next: 0 });
        }
      }
    }
  });

  it("registers a transform for exactly the pipelines with a transfer step", () => {
    expect(Object.keys(transforms).sort()).toEqual(${transferList});
    for (const fn of Object.values(transforms)) {
      expect(typeof fn).toBe("function");
    }
  });

  it("keeps every \${VAR} a reference", () => {
    const text = JSON.stringify(plan);
    for (const name of plan.envVars) {
      expect(text).toContain(\`"env":"\${name}"\`);
    }
  });
});`),
  );
  return printTs(out, fileInputs(m.inputs.config, m.inputs.manifest));
}
