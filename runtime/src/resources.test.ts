// biome-ignore-all lint/suspicious/noTemplateCurlyInString: messages quote literal `${VAR}` configuration text
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ConfigValue, TenantPlan } from "./plan.js";
import {
  describeResourceProblems,
  type ResourcesResult,
  resolveResources,
  tenantStorageKey,
} from "./resources.js";
import { tenantPlan } from "./test-fixtures.js";

const CWD = path.join(path.sep, "srv", "etl");

/** Tenant `t` (base path `project_id=t`) with `resources` overriding the literal defaults. */
function tenant(
  resources: NonNullable<Parameters<typeof tenantPlan>[1]>["resources"],
  envVars: string[] = [],
): TenantPlan {
  return tenantPlan("t", { resources, envVars });
}

const ref = (name: string, fallback?: string): ConfigValue =>
  fallback === undefined ? { env: name } : { env: name, default: fallback };

function problems(result: ResourcesResult): { missing: string[]; errors: string[] } {
  if (result.ok) throw new Error("expected problems, got resources");
  return { missing: result.missing, errors: result.errors };
}

describe("resolveResources: problems, all at once", () => {
  const cases: {
    name: string;
    plan: TenantPlan;
    env: Record<string, string>;
    want: { missing: string[]; errors: string[] };
  }[] = [
    {
      name: "every missing variable, sorted, and nothing else",
      plan: tenant(
        {
          source: { password: ref("T_DB_PASSWORD"), port: ref("T_DB_PORT") },
          trino: { host: ref("TRINO_HOST") },
        },
        ["T_DB_PASSWORD", "T_DB_PORT"],
      ),
      env: {},
      // A missing port variable is reported once, as missing, not also as a bad port.
      want: { missing: ["TRINO_HOST", "T_DB_PASSWORD", "T_DB_PORT"], errors: [] },
    },
    {
      name: "a variable the plan does not name stays invisible, even when it is set",
      plan: tenant({ source: { host: ref("OTHER_DB_HOST") } }),
      env: { OTHER_DB_HOST: "elsewhere" },
      want: { missing: ["OTHER_DB_HOST"], errors: [] },
    },
    {
      name: "bad ports, literal or from the environment, named by their field",
      plan: tenant({ source: { port: "70000" }, trino: { port: ref("TRINO_PORT") } }, [
        "TRINO_PORT",
      ]),
      env: { TRINO_PORT: "8080.0" },
      want: {
        missing: [],
        errors: [
          'source_database.port: port "70000" is not a TCP port (1-65535)',
          'target_database.trino_port: port "8080.0" is not a TCP port (1-65535)',
        ],
      },
    },
    {
      name: "a base path that leaves the bucket's prefix",
      plan: tenant({ storage: { basePath: "/project_id=t" } }),
      env: {},
      want: {
        missing: [],
        errors: [
          'storage.base_path "/project_id=t" leaves the tenant\'s own prefix (".", ".." or a leading "/")',
        ],
      },
    },
    {
      name: "a base path with an empty segment, from the environment",
      plan: tenant({ storage: { basePath: ref("T_BASE_PATH", "project_id=t") } }, ["T_BASE_PATH"]),
      env: { T_BASE_PATH: "project_id=t//x" },
      want: {
        missing: [],
        errors: ['storage.base_path "project_id=t//x" has an empty segment ("//")'],
      },
    },
    {
      name: "a base path reference without a default: no prefix was checked as the tenant's",
      plan: tenant({ storage: { basePath: ref("T_BASE_PATH") } }, ["T_BASE_PATH"]),
      env: { T_BASE_PATH: "project_id=t" },
      want: {
        missing: [],
        errors: [
          "storage.base_path ${T_BASE_PATH} has a reference without a default, so no prefix was checked as tenant t's own; regenerate the package (the generator requires defaults)",
        ],
      },
    },
    {
      name: "a base path the environment moves outside the tenant's prefix",
      plan: tenant({ storage: { basePath: ref("T_BASE_PATH", "project_id=t") } }, ["T_BASE_PATH"]),
      env: { T_BASE_PATH: "project_id=u" },
      want: {
        missing: [],
        errors: [
          'storage.base_path resolves to "project_id=u", outside "project_id=t", the prefix checked as tenant t\'s own (no other tenant writes under it); set T_BASE_PATH so that base_path is "project_id=t" or a path under it',
        ],
      },
    },
    {
      name: "an S3 endpoint without static keys, and an unknown Trino scheme",
      plan: tenant({ storage: { bucket: "lake" }, trino: { httpScheme: "ftp" } }),
      env: { S3_ENDPOINT_URL: "http://127.0.0.1:9000" },
      want: {
        missing: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        errors: ['target_database.trino_http_scheme must be http or https, got "ftp"'],
      },
    },
  ];
  for (const { name, plan, env, want } of cases) {
    it(name, () => {
      expect(problems(resolveResources(plan, "dev", env, { cwd: CWD }))).toEqual(want);
    });
  }

  it("describes missing variables first, in one line, then each invalid value", () => {
    expect(
      describeResourceProblems({ missing: ["A", "B"], errors: ["port bad", "scheme bad"] }),
    ).toEqual(["missing environment variables: A, B", "port bad", "scheme bad"]);
    expect(describeResourceProblems({ missing: ["A"], errors: [] })).toEqual([
      "missing environment variable: A",
    ]);
  });
});

describe("resolveResources: settings", () => {
  function resolved(plan: TenantPlan, env: Record<string, string>) {
    const result = resolveResources(plan, "dev", env, { cwd: CWD });
    if (!result.ok) throw new Error(describeResourceProblems(result).join("; "));
    return result.resources;
  }

  it("local storage under ETL_HOME (relative to the working directory) without a bucket", () => {
    const r = resolved(tenant({}), { ETL_HOME: "state" });
    expect(r.etlHome).toBe(path.join(CWD, "state"));
    expect(r.storage).toEqual({
      kind: "local",
      root: path.join(CWD, "state", "storage"),
      basePath: "project_id=t",
    });
    expect(r.ledgerUrl).toBeNull();
    expect(r.source).toEqual({
      host: "db",
      port: 5432,
      database: "d",
      user: "u",
      password: "pw-literal",
      schema: "public",
    });
    expect(r.trino).toMatchObject({ port: 8080, password: null, scheme: "http" });
  });

  it("S3 storage: the region's fallbacks, path-style addressing only for a custom endpoint", () => {
    const aws = resolved(tenant({ storage: { bucket: "lake", basePath: "project_id=t/" } }), {
      AWS_DEFAULT_REGION: "eu-west-1",
    });
    expect(aws.storage).toEqual({
      kind: "s3",
      bucket: "lake",
      basePath: "project_id=t",
      endpoint: null,
      region: "eu-west-1",
      accessKeyId: null,
      secretAccessKey: null,
      sessionToken: null,
      forcePathStyle: false,
    });
    const local = resolved(tenant({ storage: { bucket: ref("S3_BUCKET_NAME") } }), {
      S3_BUCKET_NAME: "lake",
      S3_ENDPOINT_URL: "http://127.0.0.1:9000",
      AWS_ACCESS_KEY_ID: "k",
      AWS_SECRET_ACCESS_KEY: "secret-key-value",
      AWS_REGION: "ap-northeast-2",
    });
    expect(local.storage).toMatchObject({
      endpoint: "http://127.0.0.1:9000",
      region: "ap-northeast-2",
      forcePathStyle: true,
    });
  });

  it("a reference's default when its variable is unset, the variable when it is set", () => {
    const plan = tenant({ source: { host: ref("T_DB_HOST", "db-default") } }, ["T_DB_HOST"]);
    expect(resolved(plan, {}).source.host).toBe("db-default");
    expect(resolved(plan, { T_DB_HOST: "db-set" }).source.host).toBe("db-set");
  });
});

describe("tenantStorageKey", () => {
  const storage = { kind: "local", root: "/r", basePath: "project_id=t" } as const;
  it.each([
    [["extract", "orders/"], "project_id=t/extract/orders"],
    [["/_runs/", "", "dt=2026-01-02"], "project_id=t/_runs/dt=2026-01-02"],
    [[], "project_id=t"],
  ])("%j -> %s", (parts, want) => {
    expect(tenantStorageKey(storage, ...parts)).toBe(want);
  });
  it.each([["../u"], ["a/./b"]])("refuses %s, which would climb out of the base path", (part) => {
    expect(() => tenantStorageKey(storage, part)).toThrow(`storage key part "${part}" must not`);
  });
});
