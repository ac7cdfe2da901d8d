import { describe, expect, it } from "vitest";
import type { PipelinePlan, SourceColumn, TargetColumns } from "../plan.js";
import { pipelinePlan } from "../test-fixtures.js";
import { targetNamesOf } from "./source.js";

function col(name: string): SourceColumn {
  return {
    name,
    pgType: "integer",
    domainBase: null,
    arrayElement: null,
    enumLabels: null,
    nullable: true,
  };
}

function pipeline(columns: SourceColumn[] | null, targetColumns?: TargetColumns): PipelinePlan {
  return pipelinePlan({
    sourceTable: "Orders",
    columns,
    ...(targetColumns === undefined ? {} : { targetColumns }),
  });
}

describe("targetNamesOf", () => {
  const live = [col("OrderID"), col("Total Amount")];
  const cases: { name: string; plan: PipelinePlan; want: string[] }[] = [
    {
      name: "the generator's names, when the plan has a snapshot the live columns match",
      plan: pipeline(live, {
        naming: "snake_case",
        unmappedTypes: "text",
        names: ["order_id", "total_amount"],
      }),
      want: ["order_id", "total_amount"],
    },
    {
      name: "derived with the plan's convention without a snapshot",
      plan: pipeline(null, { naming: "snake_case", unmappedTypes: "text", names: null }),
      want: ["order_id", "total_amount"],
    },
    {
      name: "derived when the snapshot's names do not cover the live columns",
      plan: pipeline(live, { naming: "snake_case", unmappedTypes: "text", names: ["order_id"] }),
      want: ["order_id", "total_amount"],
    },
    {
      name: "the source names folded to lower case for a plan without targetColumns",
      plan: pipeline(null),
      want: ["orderid", "total amount"],
    },
  ];
  for (const { name, plan, want } of cases) {
    it(name, () => {
      expect(targetNamesOf(plan, live)).toEqual(want);
    });
  }

  it("refuses, before any row is read, names the target cannot hold, all at once", () => {
    const plan = pipeline(null, { naming: "preserve", unmappedTypes: "text", names: null });
    expect(() => targetNamesOf(plan, [col("a,b"), col("A"), col("a")])).toThrow(
      /^pipeline orders: 2 source column name\(s\) cannot become target columns \(nothing was extracted\):\n {2}column "a,b" contains a comma.*\n {2}columns "A" and "a" both become the target column "a".*\ntake a snapshot/s,
    );
  });
});
