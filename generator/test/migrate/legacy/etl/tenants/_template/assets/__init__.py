"""Custom assets of a tenant made from the template."""

# from etl.tenants._template.assets import transfer

__all__ = []
