"""Custom transfer logic of the Legacy Standard tenant: nothing is customised yet."""

# import pandas as pd
#
# def transform_aps_wip_logic(
#     input_dfs: dict[str, pd.DataFrame],
#     partition_date: str,
#     tenant_id: str = "legacy_std",
# ) -> pd.DataFrame:
#     """Write the tenant's own WIP here when it needs one."""
#     ...
