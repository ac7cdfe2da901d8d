"""Custom assets of the Legacy Modules tenant, one module per subject."""
