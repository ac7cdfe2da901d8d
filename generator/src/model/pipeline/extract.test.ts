import type { SourceColumn } from "@etl/runtime/plan";
import { describe, expect, it } from "vitest";
import { PipelineSchema } from "../../config/schema.js";
import type { YamlPath } from "../../config/yaml-locate.js";
import { extractSettings } from "./extract.js";

const column = (name: string, pgType: string): SourceColumn => ({
  name,
  pgType,
  domainBase: null,
  arrayElement: null,
  enumLabels: null,
  nullable: true,
});
const COLUMNS = [column("id", "bigint"), column("code", "text"), column("qty", "integer")];

function settings(config: Record<string, unknown>, columns: SourceColumn[] | null = COLUMNS) {
  const problems: string[] = [];
  const at = (...rest: (string | number)[]): YamlPath => rest;
  const result = extractSettings("lots", PipelineSchema.parse(config), columns, at, (p, message) =>
    problems.push(`${p.join(".")}: ${message}`),
  );
  return { result, problems };
}

describe("extractSettings", () => {
  it.each([
    ["no parallelism: the plan has no parallel fields", { source_table: "lots" }, {}],
    [
      "parallelism 1 is the default and left out",
      { source_table: "lots", extract: { parallelism: 1 } },
      {},
    ],
    [
      "parallelism with the default split",
      { source_table: "lots", extract: { parallelism: 4 } },
      { parallelism: 4 },
    ],
    [
      "an integer split column of the snapshot",
      { source_table: "lots", extract: { parallelism: 2, split_column: "qty" } },
      { parallelism: 2, splitColumn: "qty" },
    ],
    [
      "a custom query with a split column",
      { query: "SELECT id FROM lots", extract: { parallelism: 3, split_column: "id" } },
      { parallelism: 3, splitColumn: "id" },
    ],
  ])("%s", (_name, config, want) => {
    const { result, problems } = settings(config);
    expect(problems).toEqual([]);
    expect(result).toEqual({
      compression: "zstd",
      rowGroupRows: 100_000,
      maxFileRows: 1_000_000,
      ...want,
    });
  });

  it.each([
    [
      "a split column the snapshot does not have",
      { source_table: "lots", extract: { parallelism: 2, split_column: "nope" } },
      'extract.split_column: extract.split_column "nope" is not a column of pipeline "lots"\'s source',
    ],
    [
      "a text split column",
      { source_table: "lots", extract: { parallelism: 2, split_column: "code" } },
      'extract.split_column: extract.split_column "code" of pipeline "lots" is text; a split column must be smallint, integer or bigint',
    ],
    [
      "a parallel custom query without a split column",
      { query: "SELECT id FROM lots", extract: { parallelism: 2 } },
      'extract.parallelism: pipeline "lots" extracts a custom query with extract.parallelism 2, but a query has neither a primary key nor ctid to split on',
    ],
  ])("refuses %s", (_name, config, want) => {
    const { result, problems } = settings(config);
    expect(result).toBeNull();
    expect(problems).toEqual([want]);
  });

  it("leaves the split column to the runtime's check without a snapshot", () => {
    const { result, problems } = settings(
      { source_table: "lots", extract: { parallelism: 2, split_column: "code" } },
      null,
    );
    expect(problems).toEqual([]);
    expect(result?.splitColumn).toBe("code");
  });
});
