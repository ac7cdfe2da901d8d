import { describe, expect, it } from "vitest";
import { reported, tenantContext } from "../../test/model-context.js";
import { buildPartitions } from "./partitions.js";

describe("buildPartitions", () => {
  it.each([
    [
      "the replaced system's defaults",
      undefined,
      { startDate: "2024-01-01", timezone: "Asia/Seoul" },
    ],
    [
      "a zone in its canonical spelling",
      { start_date: "2023-06-30", timezone: "Europe/Berlin" },
      { startDate: "2023-06-30", timezone: "Europe/Berlin" },
    ],
    [
      "a zone alias, written as IANA spells the zone today",
      { start_date: "2024-01-01", timezone: "Asia/Calcutta" },
      { startDate: "2024-01-01", timezone: "Asia/Kolkata" },
    ],
    [
      "a zone in another case",
      { start_date: "2024-01-01", timezone: "utc" },
      { startDate: "2024-01-01", timezone: "UTC" },
    ],
    [
      "a leap day",
      { start_date: "2024-02-29", timezone: "UTC" },
      { startDate: "2024-02-29", timezone: "UTC" },
    ],
  ])("%s", (_name, partitions, want) => {
    const ctx = tenantContext({ config: partitions === undefined ? {} : { partitions } });
    expect(buildPartitions(ctx)).toEqual(want);
    expect(reported(ctx)).toEqual([]);
  });

  it.each([
    [
      "a day February does not have",
      { start_date: "2023-02-29", timezone: "UTC" },
      { startDate: "2023-02-29", timezone: "UTC" },
      [
        'tenant.partitions.start_date: start_date "2023-02-29" is not a calendar date: February 2023 has 28 days',
      ],
    ],
    [
      "an unknown zone, kept as written",
      { start_date: "2024-01-01", timezone: "Mars/Olympus" },
      { startDate: "2024-01-01", timezone: "Mars/Olympus" },
      ['tenant.partitions.timezone: unknown time zone "Mars/Olympus"'],
    ],
  ])("reports %s", (_name, partitions, want, problems) => {
    const ctx = tenantContext({ config: { partitions } });
    expect(buildPartitions(ctx)).toEqual(want);
    expect(reported(ctx)).toEqual(problems);
  });
});
