import type { SummaryTransform } from "../rows.js";

/** Orders and customers of the day; reads the derived (target) names of both inputs. */
export const summarise: SummaryTransform = async (inputs, ctx) => {
  let orders = 0n;
  for await (const row of inputs.order_details.rows()) {
    if (row.order_id > 0 && row.field_with_sep !== "") {
      orders += 1n;
    }
  }
  let customers = 0n;
  for await (const row of inputs.customers.rows()) {
    if (row.código !== null && row.الاسم !== "") {
      customers += 1n;
    }
  }
  return [{ snapshot_date: ctx.partitionDate, orders, customers }];
};
