"""Custom assets of the Legacy APS tenant."""

from etl.tenants.legacy_aps.assets import transfer

__all__ = ["transfer"]
