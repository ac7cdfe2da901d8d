/** Emits one tenant's package, generated/<id>/, from its model. Pure: model in, FileMap out. */

import {
  type AssetPlan,
  ENVIRONMENTS,
  type EnvRef,
  type SourceColumn,
  type UnmappedTypes,
} from "@etl/runtime/plan";
import { tenantEnvPrefix } from "@etl/runtime/tenancy";
import { mapColumn, trinoTypeOf, tsTypeOf } from "@etl/runtime/types";
import type { PipelineModel, TenantModel } from "../model/build.js";
import {
  camel,
  inputsTypeName,
  outputTypeName,
  packageName,
  rowTypeName,
  transformTypeName,
} from "../model/translate.js";
import { byText, sortedEntries } from "../order.js";
import { GENERATOR_VERSION } from "../version.js";
import {
  type FileMap,
  MARKER_FILE,
  mdHeader,
  printTs,
  tsHeader,
  tsLiteral,
  withLf,
} from "./common.js";
import { emitDeploy } from "./deploy.js";
import { mdCode, mdText, mermaidLabel } from "./escape.js";
import { markerFile, packageJson, tsconfigJson, tsconfigTestJson } from "./package-files.js";
import { tenantReadme } from "./templates.js";
import {
  constDecl,
  exportDecl,
  exportDefault,
  importDecl,
  interfaceDecl,
  rawStatements,
  type Statement,
  typeAlias,
} from "./ts-print.js";

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const propName = (n: string) => (IDENT.test(n) ? n : JSON.stringify(n));

/** Every file of generated/<id>/. */
export function emitTenant(m: TenantModel): FileMap {
  const dir = `generated/${m.id}`;
  const files: FileMap = new Map();
  const put = (rel: string, text: string) => files.set(`${dir}/${rel}`, text);
  put(MARKER_FILE, markerFile(m.inputs));
  put(
    "package.json",
    packageJson({
      inputs: m.inputs,
      name: packageName(m.id),
      version: GENERATOR_VERSION,
      description: `ETL package of tenant ${m.id} (${m.plan.tenant.name}), generated from ${m.inputs[0] ?? "its config"}`,
      binName: `etl-${m.id}`,
      dependencies: ["@etl/runtime"],
    }),
  );
  put("tsconfig.json", tsconfigJson(m.inputs));
  put("tsconfig.test.json", tsconfigTestJson(m.inputs));
  put("vitest.config.ts", emitVitestConfig(m.inputs));
  put("src/plan.ts", emitPlan(m));
  put("src/rows.ts", emitRows(m));
  put("src/index.ts", emitIndex(m));
  put("src/main.ts", emitMain(m.inputs, "./plan.js", "./transforms/index.js"));
  put("src/transforms/index.ts", emitRegistry(m));
  for (const [name, file] of sortedEntries(m.transforms)) {
    put(`src/transforms/${name}.ts`, `${tsHeader([file.path])}\n${withLf(file.text)}`);
  }
  for (const [name, file] of sortedEntries(m.transformTests)) {
    put(`src/transforms/${name}`, `${tsHeader([file.path])}\n${withLf(file.text)}`);
  }
  put("test/plan.test.ts", emitPlanTest(m));
  put("README.md", emitReadme(m));
  for (const [file, text] of emitDeploy({ id: m.id, inputs: m.inputs, plan: m.plan })) {
    files.set(file, text);
  }
  return files;
}

function emitVitestConfig(inputs: readonly string[]): string {
  return printTs(
    [
      importDecl({ named: ["defineConfig"], module: "vitest/config" }),
      exportDefault(
        `defineConfig({\n  test: {\n    include: ["src/**/*.test.ts", "test/**/*.test.ts"],\n  },\n})`,
      ),
    ],
    inputs,
  );
}

function emitPlan(m: TenantModel): string {
  return printTs(
    [
      importDecl({ typeOnly: true, named: ["TenantPlan"], module: "@etl/runtime" }),
      constDecl({
        exported: true,
        docs: [
          `The resolved plan of tenant ${m.id} for dev, staging and prod; ETL_ENVIRONMENT picks one at run time.\n\`\${VAR}\` references stay references (\`{ env }\` / \`{ template }\`) until then.`,
        ],
        name: "plan",
        type: "TenantPlan",
        initializer: tsLiteral(m.plan),
      }),
    ],
    m.inputs,
  );
}

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

function emitRows(m: TenantModel): string {
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
  return printTs(out, m.inputs);
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
            name: propName(target),
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
        name: propName(c.name),
        type: c.nullable ? `${c.ts} | null` : c.ts,
        docs: [`${c.type}${c.nullable ? "" : ", not null"}`],
      })),
    }),
    interfaceDecl({
      exported: true,
      name: inputsTypeName(p.name),
      docs: [`The inputs of the transform of pipeline ${p.name} (transfer_inputs), by pipeline.`],
      properties: t.inputs.map((i) => ({ name: propName(i), type: rowTypeName(i) })),
    }),
    typeAlias({
      exported: true,
      name: transformTypeName(p.name),
      type: `Transform<${inputsTypeName(p.name)}, ${outputTypeName(p.name)}>`,
      docs: [`The type ${t.module}.${t.exportName} must satisfy.`],
    }),
  );
}

function emitRegistry(m: TenantModel): string {
  const withTransfer = m.pipelines.filter((p) => p.transfer !== null);
  const out: Statement[] = [
    importDecl({ typeOnly: true, named: ["TransformRegistry"], module: "@etl/runtime" }),
  ];
  if (withTransfer.length > 0) {
    out.push(
      importDecl({
        typeOnly: true,
        named: withTransfer.map((p) => transformTypeName(p.name)),
        module: "../rows.js",
      }),
    );
  }
  const byModule = new Map<string, Set<string>>();
  for (const p of withTransfer) {
    if (p.transfer !== null) {
      const set = byModule.get(p.transfer.module) ?? new Set<string>();
      set.add(p.transfer.exportName);
      byModule.set(p.transfer.module, set);
    }
  }
  const alias = (module: string, exp: string) => `${camel(module)}_${exp}`;
  for (const [module, exps] of sortedEntries(byModule)) {
    out.push(
      importDecl({
        named: [...exps].sort().map((e) => ({ name: e, alias: alias(module, e) })),
        module: `./${module}.js`,
      }),
    );
  }
  for (const p of withTransfer) {
    if (p.transfer === null) {
      continue;
    }
    out.push(
      constDecl({
        docs: [`Pipeline ${p.name}: a wrong input or output shape fails tsc here.`],
        name: `${camel(p.name)}Transform`,
        type: transformTypeName(p.name),
        initializer: alias(p.transfer.module, p.transfer.exportName),
      }),
    );
  }
  const entries = withTransfer.map((p) => `  ${propName(p.name)}: ${camel(p.name)}Transform,`);
  out.push(
    constDecl({
      exported: true,
      docs: ["The tenant's transforms by pipeline name."],
      name: "transforms",
      type: "TransformRegistry",
      initializer: entries.length === 0 ? "{}" : `{\n${entries.join("\n")}\n}`,
    }),
  );
  return printTs(out, m.inputs);
}

function emitIndex(m: TenantModel): string {
  return printTs(
    [
      exportDecl({ named: ["plan"], module: "./plan.js" }),
      exportDecl({ typeOnly: true, module: "./rows.js" }),
      exportDecl({ named: ["transforms"], module: "./transforms/index.js" }),
    ],
    m.inputs,
  );
}

/** The entrypoint: a shebang, then the header, then one call into the runtime. */
export function emitMain(
  inputs: readonly string[],
  planPath: string,
  transformsPath: string,
): string {
  const body = printTs(
    [
      importDecl({ named: ["runCli"], module: "@etl/runtime" }),
      importDecl({ named: ["plan"], module: planPath }),
      importDecl({ named: ["transforms"], module: transformsPath }),
      rawStatements(
        "process.exitCode = await runCli({ plan, transforms, argv: process.argv.slice(2) });",
      ),
    ],
    inputs,
  );
  return `#!/usr/bin/env node\n${body}`;
}

function emitPlanTest(m: TenantModel): string {
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
        `What ${m.inputs[0] ?? "the config"} says, per environment: assets with their dependencies, jobs and schedules.`,
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
  return printTs(out, m.inputs);
}

function mermaidId(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, "_");
}

function emitReadme(m: TenantModel): string {
  const envs = m.plan.environments;
  const all = new Map<string, AssetPlan>();
  for (const env of ENVIRONMENTS) {
    for (const a of envs[env].assets) {
      if (!all.has(a.key)) {
        all.set(a.key, a);
      }
    }
  }
  const assets = [...all.values()].sort(byText((asset) => asset.key));
  const keysIn = Object.fromEntries(
    ENVIRONMENTS.map((e) => [e, new Set(envs[e].assets.map((a) => a.key))]),
  );
  const has = (env: (typeof ENVIRONMENTS)[number], key: string) =>
    keysIn[env]?.has(key) === true ? "yes" : "-";
  const edges = new Set<string>();
  for (const env of ENVIRONMENTS) {
    for (const a of envs[env].assets) {
      for (const d of a.deps) {
        edges.add(`${mermaidId(d)} --> ${mermaidId(a.key)}`);
      }
    }
  }
  const jobNames = [...new Set(ENVIRONMENTS.flatMap((e) => envs[e].jobs.map((j) => j.name)))];
  const jobs = jobNames.map((name) => {
    const first = ENVIRONMENTS.map((e) => envs[e].jobs.find((j) => j.name === name)).find(
      (j) => j !== undefined,
    );
    const inEnv = (e: (typeof ENVIRONMENTS)[number]) => {
      const j = envs[e].jobs.find((x) => x.name === name);
      return j === undefined ? "-" : `${j.assets.length} assets`;
    };
    return {
      name: mdCode(name),
      description: mdText(first?.description ?? ""),
      assetCount: first?.assets.length ?? 0,
      partitioned: first?.partitioned ?? false,
      concurrency: first?.concurrency ?? 1,
      dev: inEnv("dev"),
      staging: inEnv("staging"),
      prod: inEnv("prod"),
    };
  });
  const schedules = jobNames.flatMap((name) => {
    const j = ENVIRONMENTS.map((e) => envs[e].jobs.find((x) => x.name === name)).find(
      (x) => x?.schedule,
    );
    return j?.schedule
      ? [
          {
            job: mdCode(name),
            cron: mdCode(j.schedule.cron),
            timezone: mdText(j.schedule.timezone),
            autoStart: j.schedule.autoStart,
          },
        ]
      : [];
  });
  const refs = new Map<string, EnvRef>();
  const r = envs.dev.resources;
  for (const v of [
    ...Object.values(r.source),
    ...Object.values(r.storage),
    ...Object.values(r.trino),
  ]) {
    const list =
      typeof v === "string"
        ? []
        : "env" in v
          ? [v]
          : v.template.flatMap((p) => (typeof p === "string" ? [] : [p]));
    for (const ref of list) {
      if (!refs.has(ref.env)) {
        refs.set(ref.env, ref);
      }
    }
  }
  const envVars = [...refs.values()].sort(byText((ref) => ref.env)).map((ref) => ({
    name: mdCode(ref.env),
    hasDefault: ref.default !== undefined,
    default: ref.default === "" ? mdCode('""') : mdCode(ref.default ?? ""),
  }));
  const configFile = m.inputs.find((i) => i.endsWith("config.yaml")) ?? "";
  return tenantReadme({
    header: mdHeader(m.inputs),
    name: mdText(m.plan.tenant.name),
    // Ids are ^[a-z][a-z0-9_]*$ (checked by the model): plain inside the sh block.
    id: m.id,
    idCode: mdCode(m.id),
    configFile: mdCode(configFile),
    packageName: packageName(m.id),
    packageCode: mdCode(packageName(m.id)),
    binCode: mdCode(`etl-${m.id}`),
    environments: ENVIRONMENTS.map((e) => ({
      name: e,
      enabled: envs[e].enabled,
      assetCount: envs[e].assets.length,
      jobCount: envs[e].jobs.length,
    })),
    nodes: assets.map((a) => ({
      id: mermaidId(a.key),
      label: mermaidLabel(a.key.slice(m.id.length + 1)),
    })),
    edges: [...edges].sort().map((e) => {
      const [from, to] = e.split(" --> ");
      return { from, to };
    }),
    assets: assets.map((a) => ({
      key: mdCode(a.key),
      stage: a.stage,
      partitioned: a.partitioned,
      dev: has("dev", a.key),
      staging: has("staging", a.key),
      prod: has("prod", a.key),
    })),
    jobs,
    schedules,
    partitions: {
      startDate: mdText(envs.dev.partitions.startDate),
      timezone: mdText(envs.dev.partitions.timezone),
    },
    envVars,
    allowedEnv: m.allowedEnv.map(mdCode),
    ownPrefix: mdCode(`${tenantEnvPrefix(m.id)}*`),
    columns: m.pipelines.flatMap((p) => {
      const plan = envs.dev.pipelines.find((x) => x.name === p.name);
      if (p.columns === null || p.targetNames === null || plan === undefined) {
        return [];
      }
      return [
        {
          pipeline: p.name,
          naming: plan.targetColumns?.naming ?? "snake_case",
          columns: p.columns.map((c, i) => {
            const mapped = mapColumn(c, p.unmappedTypes);
            return {
              source: mdCode(c.name),
              target: mdCode(p.targetNames?.[i] ?? c.name),
              type: mapped.ok ? trinoTypeOf(mapped.type) : "?",
            };
          }),
        },
      ];
    }),
  });
}
