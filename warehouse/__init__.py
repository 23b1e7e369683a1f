"""The warehouse file: schema, write–audit–publish, reference data, reports.

``connect_published(path)`` is the way to read the published file from a long-lived process
(see ``warehouse.build``).
"""

from warehouse.build import connect_published

__all__ = ["connect_published"]
