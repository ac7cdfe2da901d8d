"""Legacy APS tenant package (migration test fixture): custom extract query and custom WIP."""

from etl.tenants.legacy_aps.assets.transfer import (
    transform_aps_wip_logic as legacy_aps_wip,
)

TENANT_ID = "legacy_aps"
TENANT_NAME = "Legacy APS"

# lot_history carries two extra columns at this customer.
CUSTOM_EXTRACT_QUERIES = {
    "lot_history": """
        SELECT
            lot_id,
            product_code,
            process_step,
            equipment_id,
            start_time,
            end_time,
            quantity,
            status,
            priority,
            customer_order_id,
            created_at
        FROM lot_history
    """,
}

# Registered under the transform's old name; the lookup asks with the pipeline's name.
CUSTOM_TRANSFER_FUNCTIONS = {
    "aps_wip": legacy_aps_wip,
    # "cycle_time": None,
}

# Never read by the factories.
CUSTOM_LOAD_CONFIGS = {
    "aps_wip": {
        "target_table": "aps_input_wip",
        "target_schema": "aps",
        "key_columns": ["project_id", "snapshot_date", "process_step", "product_code"],
    },
}
