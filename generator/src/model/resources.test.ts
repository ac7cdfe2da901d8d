// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the cases are literal `${VAR}` configuration text
import { describe, expect, it } from "vitest";
import { BASE_TENANT, reported, tenantContext } from "../../test/model-context.js";
import { buildResources } from "./resources.js";

const source = (over: Record<string, unknown>) => ({
  source_database: { ...BASE_TENANT.source_database, ...over },
});

describe("buildResources", () => {
  it("keeps every value a literal or a reference, with the schema's defaults", () => {
    const ctx = tenantContext();
    expect(buildResources(ctx)).toEqual({
      source: {
        host: { env: "ACME_DB_HOST", default: "127.0.0.1" },
        port: "5432",
        database: "acme",
        user: "etl",
        password: { env: "ACME_DB_PASSWORD" },
        schema: "public",
      },
      storage: { bucket: "data-lake", basePath: "project_id=acme" },
      trino: {
        host: "localhost",
        port: "8080",
        user: "trino",
        password: "",
        httpScheme: "http",
        catalog: "iceberg",
        schema: "aps",
      },
    });
    expect(reported(ctx)).toEqual([]);
  });

  it.each([
    [
      "a template of text and references",
      { storage: { bucket: "lake-${ACME_ENV:dev}", base_path: "project_id=acme" } },
      (r: ReturnType<typeof buildResources>) => r.storage.bucket,
      { template: ["lake-", { env: "ACME_ENV", default: "dev" }] },
    ],
    [
      "a numeric port, as the replaced system wrote it",
      source({ port: 6432 }),
      (r: ReturnType<typeof buildResources>) => r.source.port,
      "6432",
    ],
  ])("%s", (_name, config, part, want) => {
    const ctx = tenantContext({ config });
    expect(part(buildResources(ctx))).toEqual(want);
    expect(reported(ctx)).toEqual([]);
  });

  it.each([
    [
      "a malformed reference, kept as text",
      source({ host: "${ACME-DB-HOST}" }),
      [
        'tenant.source_database.host: "${ACME-DB-HOST}" is not a valid environment reference: variable names match [A-Za-z_][A-Za-z0-9_]*',
      ],
    ],
    [
      "a literal port out of range",
      source({ port: "99999" }),
      ['tenant.source_database.port: port "99999" is not a TCP port (1-65535)'],
    ],
    [
      "a reference whose default is no port",
      { target_database: { trino_port: "${TRINO_PORT:http}" } },
      ['tenant.target_database.trino_port: port "http" is not a TCP port (1-65535)'],
    ],
    [
      "a base path with an empty segment",
      { storage: { base_path: "a//b" } },
      ['tenant.storage.base_path: storage.base_path "a//b" has an empty segment ("//")'],
    ],
    [
      "a target schema Trino cannot name",
      { target_database: { target_schema: "select" } },
      [
        'tenant.target_database.target_schema: target_schema "select" is a reserved word in Trino SQL',
      ],
    ],
  ])("reports %s", (_name, config, want) => {
    const ctx = tenantContext({ config });
    buildResources(ctx);
    expect(reported(ctx)).toEqual(want);
  });
});
