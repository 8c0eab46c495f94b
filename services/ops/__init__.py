"""lienthong."""
