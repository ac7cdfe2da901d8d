"""Daily order totals per customer."""

import pandas as pd


def orders_daily(input_dfs: dict[str, pd.DataFrame], partition_date: str, tenant_id: str = "") -> pd.DataFrame:
    orders = input_dfs["orders"]
    totals = orders.groupby("customer_id").agg(
        order_count=("order_id", "count"),
        amount=("amount", "sum"),
    )
    totals = totals.reset_index()
    totals["snapshot_date"] = partition_date
    return totals
