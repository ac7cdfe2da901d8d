"""WIP of the Legacy APS tenant: the common WIP plus a count of HIGH-priority lots."""

import pandas as pd


def transform_aps_wip_logic(
    input_dfs: dict[str, pd.DataFrame],
    partition_date: str,
    tenant_id: str = "legacy_aps",
) -> pd.DataFrame:
    """Active lots per process step and product, with the number of HIGH-priority ones."""
    lots = input_dfs["lot_history"]
    active = lots[lots["status"].isin(["IN_PROGRESS", "COMPLETED"])]
    keys = ["process_step", "product_code"]
    result = active.groupby(keys).agg(
        wip_qty=("quantity", "sum"),
        lot_count=("lot_id", "nunique"),
        avg_qty_per_lot=("quantity", "mean"),
    )
    if "priority" in active.columns:
        high = active[active["priority"] == "HIGH"].groupby(keys).size()
        result["high_priority_count"] = high.reindex(result.index, fill_value=0)
    result = result.reset_index()
    result["snapshot_date"] = partition_date
    return result
