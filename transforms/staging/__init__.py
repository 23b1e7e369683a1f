"""Staging: raw extract rows -> typed ``stg.*`` rows (Polars), bad rows -> ``audit.quarantine``."""
