"""Helpers of the Legacy Modules tenant."""

import pandas as pd


def late_returns(input_dfs, partition_date, tenant_id="legacy_mods"):
    """Returns more than 30 days after the order (written, never registered)."""
    returns = input_dfs["returns"]
    return returns[returns["days_after_order"] > 30]


def _days_between(a: pd.Series, b: pd.Series) -> pd.Series:
    return (b - a).dt.days
