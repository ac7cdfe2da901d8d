"""
Template of a tenant package (migration test fixture).

Copy the folder to tenants/<tenant_id>/, then set TENANT_ID and the config, and register
custom code below when the common code does not fit.
"""

TENANT_ID = "template"
TENANT_NAME = "Template Tenant"

# Per-pipeline extract SQL, e.g.
# CUSTOM_EXTRACT_QUERIES = {
#     "lot_history": "SELECT lot_id, status, created_at FROM lot_history",
# }
CUSTOM_EXTRACT_QUERIES = None

# Custom transfer functions, e.g.
# from etl.tenants.{tenant_id}.assets.transfer import (
#     transform_aps_wip_logic as custom_wip,
# )
# CUSTOM_TRANSFER_FUNCTIONS = {"aps_wip": custom_wip, "cycle_time": None}
CUSTOM_TRANSFER_FUNCTIONS = None

CUSTOM_LOAD_CONFIGS = None
