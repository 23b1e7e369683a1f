"""The warehouse file: schema, write–audit–publish, reference data, reports."""
