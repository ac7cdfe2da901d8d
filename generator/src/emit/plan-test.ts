/**
 * test/plan.test.ts of a tenant package: the plan against what the config says, per environment.
 * The checks every package shares are the runtime's (`@etl/runtime/testing`); what is printed
 * here is the tenant's own expectation, each distinct environment graph once.
 */
import { ENVIRONMENTS, type EnvironmentName, environmentPlan } from "@etl/runtime/plan";
import type { TenantModel } from "../model/build.js";
import { fileInputs, printTs, tsLiteral } from "./common.js";
import { constDecl, importDecl, rawStatements, type Statement } from "./ts-print.js";

/** The plan test of the tenant package. */
export function emitPlanTest(m: TenantModel): string {
  const out: Statement[] = [
    importDecl({ named: ["ENVIRONMENTS", "environmentPlan"], module: "@etl/runtime" }),
    importDecl({
      named: ["contractIssues", "environmentFacts", "graphProblems", "unreferencedEnvVars"],
      module: "@etl/runtime/testing",
    }),
    importDecl({ named: ["describe", "expect", "it"], module: "vitest" }),
    importDecl({ named: ["plan"], module: "../src/plan.js" }),
    importDecl({ named: ["transforms"], module: "../src/transforms/index.js" }),
  ];
  // One constant per distinct graph, named after the first environment that has it.
  const groups = new Map<string, EnvironmentName[]>();
  for (const env of ENVIRONMENTS) {
    const literal = tsLiteral(environmentGraph(m, env));
    groups.set(literal, [...(groups.get(literal) ?? []), env]);
  }
  const graphOf = new Map<EnvironmentName, string>();
  for (const [literal, envs] of groups) {
    const name = `${envs[0]}Graph`;
    for (const env of envs) {
      graphOf.set(env, name);
    }
    out.push(
      constDecl({
        docs: [
          `What ${m.inputs.config} says ${listed(envs)} ${envs.length === 1 ? "has" : "have"}: each asset with its dependencies, each job with its assets and schedule.`,
        ],
        name,
        initializer: literal,
      }),
    );
  }
  const expected = ENVIRONMENTS.map(
    (env) =>
      `  ${env}: { enabled: ${environmentPlan(m.plan, env).enabled}, ...${graphOf.get(env)} },`,
  );
  out.push(
    constDecl({
      docs: ["Each environment: whether it is enabled, and its graph."],
      name: "expected",
      initializer: `{\n${expected.join("\n")}\n}`,
    }),
  );
  const transferPipelines = m.pipelines.filter((p) => p.transfer !== null).map((p) => p.name);
  // The array as a formatter prints it: one space after each comma.
  const transferList = `[${transferPipelines.map((n) => JSON.stringify(n)).join(", ")}]`;
  out.push(
    rawStatements(`describe("plan of tenant ${m.id}", () => {
  it("satisfies the runtime's plan contract", () => {
    expect(contractIssues(plan)).toEqual([]);
  });

  it.each(ENVIRONMENTS)("%s: enablement, assets, dependencies, jobs and schedules follow the config", (env) => {
    expect(environmentFacts(plan, env)).toEqual(expected[env]);
  });

  it.each(ENVIRONMENTS)("%s: every dependency and job asset exists, and the graph has no cycle", (env) => {
    expect(graphProblems(environmentPlan(plan, env))).toEqual([]);
  });

  it("registers a transform for exactly the pipelines with a transfer stage", () => {
    expect(Object.keys(transforms).sort()).toEqual(${transferList});
    expect(Object.values(transforms).filter((fn) => typeof fn !== "function")).toEqual([]);
  });

  it("keeps every \${VAR} a reference", () => {
    expect(unreferencedEnvVars(plan)).toEqual([]);
  });
});`),
  );
  return printTs(out, fileInputs(m.inputs.config, m.inputs.manifest));
}

/** `dev`, `dev and prod`, `dev, staging and prod`. */
function listed(names: readonly string[]): string {
  return names.length <= 1
    ? (names[0] ?? "")
    : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** An environment's assets with their dependencies and jobs with their assets and schedules. */
function environmentGraph(m: TenantModel, env: EnvironmentName): unknown {
  const plan = environmentPlan(m.plan, env);
  return {
    assets: Object.fromEntries(plan.assets.map((a) => [a.key, a.deps])),
    jobs: Object.fromEntries(
      plan.jobs.map((j) => [
        j.name,
        { assets: j.assets, partitioned: j.partitioned, schedule: j.schedule },
      ]),
    ),
  };
}
