"""Custom assets of the Legacy Standard tenant (none yet)."""
