"""Legacy Modules tenant package (migration test fixture): transforms spread over modules."""

import etl.tenants.legacy_mods.assets.cycle as cycle
from .assets.orders import orders_daily

TENANT_ID = "legacy_mods"

CUSTOM_EXTRACT_QUERIES = {
    "customers": "SELECT customer_id, name, country, created_at "
    "FROM customers",
    "returns": f"SELECT * FROM returns_{TENANT_ID}",
    "invoices": "SELECT * FROM invoices",
}


def clean_customers(input_dfs, partition_date, tenant_id="legacy_mods"):
    """Customers with a normalised country code."""
    customers = input_dfs.get("customers")
    customers["country"] = customers["country"].str.upper()
    customers["snapshot_date"] = partition_date
    return customers


# Looked up under the pipelines' own names, so the old lookup did find these.
CUSTOM_TRANSFORM_FUNCTIONS = {
    "orders": orders_daily,
    "cycle_time": cycle.cycle_time_by_step,
}
CUSTOM_TRANSFORM_FUNCTIONS["customers"] = clean_customers
