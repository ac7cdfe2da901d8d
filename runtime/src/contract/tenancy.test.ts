import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/index.js";
import type { ConfigValue, TenantPlan } from "../plan.js";
import { resolveResources, storageConflicts } from "../resources.js";
import { tenantPlan } from "../test-fixtures.js";
import {
  checkAllowedEnv,
  checkEnvReference,
  envVarOwner,
  isWithinPrefix,
  overlappingClaims,
  ownStoragePrefix,
  prefixesOverlap,
  type StorageClaim,
  storageOverlaps,
} from "./tenancy.js";

const TENANTS = ["acme", "acme_eu", "beta"];

describe("checkEnvReference", () => {
  const cases: [string, string, string, string[], boolean][] = [
    // [tenant, field, variable, allowed_env, accepted]
    ["acme", "source_database.password", "ACME_DB_PASSWORD", [], true],
    ["acme", "storage.base_path", "ACME_BASE_PATH", [], true],
    ["acme", "source_database.password", "BETA_DB_PASSWORD", [], false],
    ["acme", "source_database.password", "ACME_EU_DB_PASSWORD", [], false],
    ["acme_eu", "source_database.password", "ACME_EU_DB_PASSWORD", [], true],
    ["acme", "target_database.trino_password", "TRINO_PASSWORD", [], true],
    ["acme", "source_database.password", "TRINO_PASSWORD", [], false],
    ["acme", "target_database.trino_user", "TRINO_PASSWORD", [], false],
    ["acme", "storage.bucket", "S3_BUCKET_NAME", [], true],
    ["acme", "storage.base_path", "S3_BUCKET_NAME", [], false],
    ["acme", "source_database.password", "AWS_SECRET_ACCESS_KEY", [], false],
    ["acme", "source_database.host", "S3_ENDPOINT_URL", [], false],
    ["acme", "source_database.host", "ETL_LEDGER_URL", [], false],
    ["acme", "source_database.host", "HOME", [], false],
    ["acme", "source_database.host", "CORP_PROXY", [], false],
    ["acme", "source_database.host", "CORP_PROXY", ["CORP_PROXY"], true],
    // An allowance never reaches another tenant's variables or the runtime's own.
    ["acme", "source_database.password", "BETA_DB_PASSWORD", ["BETA_DB_PASSWORD"], false],
    ["acme", "source_database.host", "ETL_LEDGER_URL", ["ETL_LEDGER_URL"], false],
    // A tenant named like a reserved prefix does not own the runtime's variables.
    ["etl", "source_database.host", "ETL_LEDGER_URL", [], false],
    ["aws", "source_database.password", "AWS_SECRET_ACCESS_KEY", [], false],
  ];
  it.each(cases)(`%s: %s = \${%s} (allowed %j) -> %s`, (tenant, field, name, allowed, ok) => {
    const verdict = checkEnvReference({ tenant, tenants: TENANTS, field, name, allowed });
    expect(verdict.ok).toBe(ok);
  });

  it("names the owner and the field in its messages", () => {
    expect(
      checkEnvReference({
        tenant: "acme",
        tenants: TENANTS,
        field: "source_database.password",
        name: "BETA_DB_PASSWORD",
        allowed: [],
      }),
    ).toEqual({
      ok: false,
      message: `\${BETA_DB_PASSWORD} belongs to tenant beta (BETA_*); tenant acme may only name its own ACME_* variables and the shared ones`,
      hint: `use a variable of your own, e.g. \${ACME_DB_PASSWORD}`,
    });
    expect(
      checkEnvReference({
        tenant: "acme",
        tenants: TENANTS,
        field: "source_database.password",
        name: "TRINO_PASSWORD",
        allowed: [],
      }),
    ).toMatchObject({
      message: `\${TRINO_PASSWORD} is a shared variable that may only be named in target_database.trino_password, not in source_database.password`,
    });
  });
});

describe("checkAllowedEnv", () => {
  const cases: [string, boolean][] = [
    ["CORP_PROXY_HOST", true],
    ["A-B", false],
    ["ACME_DB_PASSWORD", false],
    ["BETA_DB_PASSWORD", false],
    ["TRINO_PASSWORD", false],
    ["AWS_SECRET_ACCESS_KEY", false],
    ["ETL_LEDGER_URL", false],
    ["PATH", false],
  ];
  it.each(cases)("%s -> %s", (name, ok) => {
    expect(checkAllowedEnv("acme", TENANTS, name).ok).toBe(ok);
  });
});

describe("envVarOwner", () => {
  it("takes the longest tenant prefix", () => {
    expect(envVarOwner("ACME_EU_DB_HOST", TENANTS)).toBe("acme_eu");
    expect(envVarOwner("ACME_DB_HOST", TENANTS)).toBe("acme");
    expect(envVarOwner("ACMEX_DB_HOST", TENANTS)).toBeNull();
  });
});

describe("storage prefixes", () => {
  const owned: [ConfigValue, string | null][] = [
    ["project_id=acme", "project_id=acme"],
    ["/project_id=acme/", "project_id=acme"],
    [{ env: "ACME_BASE", default: "p/acme" }, "p/acme"],
    [
      { template: ["project_id=", { env: "ACME_X", default: "acme" }, "/v1"] },
      "project_id=acme/v1",
    ],
    [{ env: "ACME_BASE" }, null],
    [{ env: "ACME_BASE", default: "" }, ""],
  ];
  it.each(owned)("own prefix of %j is %j", (value, want) => {
    expect(ownStoragePrefix(value)).toBe(want);
  });

  const overlaps: [string, string, boolean][] = [
    ["project_id=acme", "project_id=acme", true],
    ["project_id=acme", "project_id=acme/sub", true],
    ["project_id=acme/sub", "project_id=acme", true],
    ["project_id=acme", "project_id=acme2", false],
    ["project_id=acme", "project_id=beta", false],
    ["", "project_id=beta", true],
    ["a/b", "a/c", false],
  ];
  it.each(overlaps)("%j and %j overlap: %s", (a, b, want) => {
    expect(prefixesOverlap(a, b)).toBe(want);
  });

  it("keeps a path within its prefix only segment by segment", () => {
    expect(isWithinPrefix("p/acme", "p/acme/2026")).toBe(true);
    expect(isWithinPrefix("p/acme", "p/acme")).toBe(true);
    expect(isWithinPrefix("p/acme", "p/acme-eu")).toBe(false);
    expect(isWithinPrefix("p/acme", "p")).toBe(false);
  });

  const claims: [string, StorageClaim[], [number, number][]][] = [
    ["none", [], []],
    [
      "equal and nested in one bucket",
      [
        { bucket: "lake", prefix: "p/a" },
        { bucket: "lake", prefix: "p/a/sub" },
        { bucket: "lake", prefix: "p/a" },
        { bucket: "lake", prefix: "p/ab" },
      ],
      [
        [0, 1],
        [0, 2],
        [1, 2],
      ],
    ],
    [
      "distinct literal buckets never meet",
      [
        { bucket: "lake", prefix: "x" },
        { bucket: "other", prefix: "x" },
      ],
      [],
    ],
    [
      "an unknown bucket meets every bucket",
      [
        { bucket: "lake", prefix: "x/a" },
        { bucket: null, prefix: "x" },
        { bucket: "other", prefix: "x/b" },
        { bucket: null, prefix: "y" },
      ],
      [
        [0, 1],
        [1, 2],
      ],
    ],
    [
      "the empty prefix holds all, found from either side",
      [
        { bucket: "lake", prefix: "a/b/c" },
        { bucket: "lake", prefix: "" },
        { bucket: "lake", prefix: "d" },
      ],
      [
        [0, 1],
        [1, 2],
      ],
    ],
  ];
  it.each(claims)("overlapping claims: %s", (_, given, want) => {
    expect(overlappingClaims(given)).toEqual(want);
  });

  it("finds exactly the pairs a comparison of every pair finds", () => {
    // A fixed pseudo-random corpus: short segment alphabets make equal and nested prefixes common.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const given: StorageClaim[] = Array.from({ length: 300 }, () => ({
      bucket: [null, "lake", "other"][next(3)] ?? null,
      prefix: Array.from({ length: next(4) }, () => ["a", "b", "ab"][next(3)]).join("/"),
    }));
    const want: [number, number][] = [];
    for (const [i, a] of given.entries()) {
      for (const [j, b] of given.entries()) {
        const distinct = a.bucket !== null && b.bucket !== null && a.bucket !== b.bucket;
        if (i < j && !distinct && prefixesOverlap(a.prefix, b.prefix)) want.push([i, j]);
      }
    }
    expect(want.length).toBeGreaterThan(100);
    expect(overlappingClaims(given)).toEqual(want);
  });

  it("reports every overlapping pair, in one bucket only", () => {
    expect(
      storageOverlaps([
        { tenant: "b", bucket: "lake", basePath: "x/b" },
        { tenant: "a", bucket: "lake", basePath: "x" },
        { tenant: "c", bucket: "other", basePath: "x" },
      ]),
    ).toEqual([
      'tenants a and b resolve to overlapping storage: bucket "lake", prefixes "x" and "x/b"; one tenant\'s files would land in the other\'s',
    ]);
  });
});

function plan(id: string, basePath: ConfigValue, envVars: string[]): TenantPlan {
  return tenantPlan(id, { resources: { storage: { basePath } }, envVars });
}

describe("the runtime keeps a tenant under its own prefix", () => {
  const acme = plan("acme", { env: "ACME_BASE_PATH", default: "project_id=acme" }, [
    "ACME_BASE_PATH",
  ]);

  it("accepts the checked prefix and paths under it", () => {
    for (const value of [
      undefined,
      "project_id=acme",
      "project_id=acme/2026",
      "project_id=acme/",
    ]) {
      const r = resolveResources(acme, "dev", { ACME_BASE_PATH: value }, { cwd: tmpdir() });
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });

  it("refuses a base_path the environment points elsewhere, at the start of every command", async () => {
    const r = resolveResources(acme, "dev", { ACME_BASE_PATH: "project_id=beta" });
    expect(r).toEqual({
      ok: false,
      missing: [],
      errors: [
        'storage.base_path resolves to "project_id=beta", outside "project_id=acme", the prefix checked as tenant acme\'s own (no other tenant writes under it); set ACME_BASE_PATH so that base_path is "project_id=acme" or a path under it',
      ],
    });
    const home = await mkdtemp(path.join(tmpdir(), "etl-tenancy-"));
    let err = "";
    const code = await runCli({
      plan: acme,
      transforms: {},
      argv: ["status"],
      env: { ETL_HOME: home, ACME_BASE_PATH: "project_id=acme2" },
      io: { isTTY: false, out: () => {}, err: (t) => (err += t) },
    });
    expect(code).toBe(2);
    expect(err).toContain(
      'storage.base_path resolves to "project_id=acme2", outside "project_id=acme"',
    );
  });

  it("etl-all: finds tenants the environment resolves into each other's storage", () => {
    const beta = plan("beta", { env: "BETA_BASE_PATH", default: "project_id=beta" }, [
      "BETA_BASE_PATH",
    ]);
    expect(storageConflicts([acme, beta], {})).toEqual([]);
    expect(storageConflicts([acme, beta], { BETA_BASE_PATH: "project_id=acme/beta" })).toEqual([
      'tenants acme and beta resolve to overlapping storage: bucket "", prefixes "project_id=acme" and "project_id=acme/beta"; one tenant\'s files would land in the other\'s',
    ]);
    // Another tenant's variable is not visible to a tenant that does not reference it.
    expect(storageConflicts([acme, beta], { ACME_BASE_PATH: "x", BETA_BASE_PATH: "y" })).toEqual(
      [],
    );
  });
});
