"""A starting point for a tenant's own WIP: the same computation as the common one."""

import pandas as pd


def transform_aps_wip_logic(
    input_dfs: dict[str, pd.DataFrame],
    partition_date: str,
    tenant_id: str = "template",
) -> pd.DataFrame:
    """Active lots per process step and product (edit to taste)."""
    lots = input_dfs["lot_history"]
    active = lots[lots["status"].isin(["IN_PROGRESS", "COMPLETED"])]
    grouped = active.groupby(["process_step", "product_code"]).agg(
        wip_qty=("quantity", "sum"),
        lot_count=("lot_id", "nunique"),
        avg_qty_per_lot=("quantity", "mean"),
    )
    result = grouped.reset_index()
    result["snapshot_date"] = partition_date
    return result


# Write these when the common ones do not fit:
#
# def transform_cycle_time_logic(input_dfs, partition_date, tenant_id="template"):
#     ...
#
# def transform_equipment_utilization_logic(input_dfs, partition_date, tenant_id="template"):
#     ...
