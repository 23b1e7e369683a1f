"""The tables, layer by layer: ``staging/`` (Polars) -> ``core/`` (SQL) -> ``marts/`` (indicators, views)."""
