"""Legacy Common tenant package (migration test fixture): the common code only, no assets/."""

TENANT_ID = "legacy_com"
TENANT_NAME = "Legacy Common"

CUSTOM_EXTRACT_QUERIES = None

# The older spelling of CUSTOM_TRANSFER_FUNCTIONS, still read by the loader.
CUSTOM_TRANSFORM_FUNCTIONS = None

CUSTOM_LOAD_CONFIGS = None
