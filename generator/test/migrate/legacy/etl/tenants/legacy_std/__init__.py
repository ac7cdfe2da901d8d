"""Legacy Standard tenant package (migration test fixture): the common code only."""

TENANT_ID = "legacy_std"
TENANT_NAME = "Legacy Standard"

CUSTOM_EXTRACT_QUERIES = None

# To customise a transform, write it in assets/transfer.py and register it here:
# from etl.tenants.legacy_std.assets.transfer import (
#     transform_aps_wip_logic as legacy_std_wip,
# )
CUSTOM_TRANSFER_FUNCTIONS = None

CUSTOM_LOAD_CONFIGS = None
