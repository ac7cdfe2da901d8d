import { describe, expect, it } from "vitest";
import { connectionValue, legacyRefs, resolvedWithoutEnvironment } from "./env-refs.js";

describe("the old loader's references", () => {
  it.each([
    [`\${A}`, [{ name: "A", fallback: null, text: `\${A}` }]],
    [`\${A:}`, [{ name: "A", fallback: "", text: `\${A:}` }]],
    [
      `x\${A:1}y\${b-c:2}`,
      [
        { name: "A", fallback: "1", text: `\${A:1}` },
        { name: "b-c", fallback: "2", text: `\${b-c:2}` },
      ],
    ],
    ["plain", []],
  ])("legacyRefs(%j)", (value, want) => {
    expect(legacyRefs(value)).toEqual(want);
  });

  it.each([
    [`\${REGION:eu-west-1}`, "eu-west-1"],
    [`\${UNSET}`, ""],
    [`a-\${X:b}-\${Y}`, "a-b-"],
  ])("resolvedWithoutEnvironment(%j) = %j", (value, want) => {
    expect(resolvedWithoutEnvironment(value)).toBe(want);
  });
});

describe("connectionValue", () => {
  const same = { id: "acme", oldId: "acme" };
  const moved = { id: "acme_eu", oldId: "acme" };
  it.each([
    // [raw, field, tenant, value, renamed (from -> to)]
    [`\${ACME_DB_HOST:localhost}`, "source_database.host", same, `\${ACME_DB_HOST:localhost}`, []],
    [
      `\${TRINO_HOST:127.0.0.1}`,
      "target_database.trino_host",
      same,
      `\${TRINO_HOST:127.0.0.1}`,
      [],
    ],
    [`\${S3_BUCKET_NAME:data-lake}`, "storage.bucket", same, `\${S3_BUCKET_NAME:data-lake}`, []],
    [
      `\${SOURCE_DB_HOST:db}`,
      "source_database.host",
      same,
      `\${ACME_DB_HOST:db}`,
      ["SOURCE_DB_HOST->ACME_DB_HOST"],
    ],
    [
      `\${TRINO_HOST}`,
      "source_database.host",
      same,
      `\${ACME_DB_HOST}`,
      ["TRINO_HOST->ACME_DB_HOST"],
    ],
    [
      `\${ACME_DB_PASSWORD}`,
      "source_database.password",
      moved,
      `\${ACME_EU_DB_PASSWORD}`,
      ["ACME_DB_PASSWORD->ACME_EU_DB_PASSWORD"],
    ],
    [
      `\${OTHER_SCHEMA:aps}`,
      "target_database.target_schema",
      same,
      `\${ACME_TRINO_SCHEMA:aps}`,
      ["OTHER_SCHEMA->ACME_TRINO_SCHEMA"],
    ],
    [
      `\${bad-name:x}`,
      "source_database.database",
      same,
      `\${ACME_DB_NAME:x}`,
      ["bad-name->ACME_DB_NAME"],
    ],
    [
      `\${A}-\${B}`,
      "storage.base_path",
      same,
      `\${ACME_BASE_PATH}-\${ACME_BASE_PATH_2}`,
      ["A->ACME_BASE_PATH", "B->ACME_BASE_PATH_2"],
    ],
    ["5432", "source_database.port", same, "5432", []],
  ])("%s in %s", (raw, field, tenant, value, renamed) => {
    const out = connectionValue(raw, field, tenant);
    expect(out.value).toBe(value);
    expect(out.renames.map((r) => `${r.from}->${r.to}`)).toEqual(renamed);
  });
});
