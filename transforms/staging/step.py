"""What a source's staging module declares: one ``StagingStep`` per dataset (its table and function)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import polars as pl

from warehouse.build import table_exists


@dataclass
class StageContext:
    """What a staging function may look up: reference codes, keys staged before, the PII key."""

    con: duckdb.DuckDBPyConnection
    pii_key: bytes

    def codes(self, table: str, column: str) -> pl.Series:
        if not table_exists(self.con, table):
            return pl.Series(column, [], dtype=pl.String)
        return pl.Series(
            column,
            [r[0] for r in self.con.execute(f"select distinct {column} from {table}").fetchall()],
            dtype=pl.String,
        )

    def known(self, values: pl.Series, table: str, column: str) -> pl.Series:
        """The distinct ``values`` that ``table.column`` holds: what ``codes`` would give for
        an ``is_in`` test of these values, looked up in DuckDB, so a table of millions of keys
        (the dossiers a rating refers to) never comes into Python."""
        if not table_exists(self.con, table):
            return pl.Series(column, [], dtype=pl.String)
        asked = values.drop_nulls().unique().cast(pl.String).rename("v").to_frame()
        self.con.register("_asked", asked)
        try:
            rows = self.con.execute(
                f"select v from _asked where v in (select {column} from {table})"
            ).fetchall()
        finally:
            self.con.unregister("_asked")
        return pl.Series(column, [r[0] for r in rows], dtype=pl.String)

    def validity(self, table: str, column: str) -> pl.DataFrame:
        """(code, valid_from, valid_to) of a reference table, one row per unit or agency."""
        schema = {column: pl.String, "valid_from": pl.String, "valid_to": pl.String}
        if not table_exists(self.con, table):
            return pl.DataFrame(schema=schema)
        rows = self.con.execute(
            f"select distinct {column}, cast(valid_from as varchar), cast(valid_to as varchar)"
            f" from {table}"
        ).fetchall()
        return pl.DataFrame(rows, schema=schema, orient="row")


StageFn = Callable[[pl.DataFrame, StageContext], tuple[pl.DataFrame, pl.DataFrame]]


@dataclass(frozen=True)
class SqlStaging:
    """The common record of a big JSON-lines dataset staged in DuckDB, without leaving it.

    The source's table reader (``Source.table_readers``) reads the files in one pass into the
    view ``_batch`` (the fields as the source's reader gives them, ``_row``, ``_nested``,
    ``_file_id``, ``_file_date``). ``select(ctx)`` gives a query (and its parameters) over ``_batch`` returning the staged
    rows, with the step function's columns and types, of the records it vouches for: those
    that break no rule and whose every value has a form it reads exactly as the step function
    does. Every other record (a quarantine, an unusual form) goes to the step function, which
    stays the definition; a test compares the two on the same records."""

    select: Callable[[StageContext], tuple[str, list]]


@dataclass(frozen=True)
class StagingStep:
    table: str
    fn: StageFn
    # (field as sent, staged column) identifying a record: a corrected re-send of a
    # quarantined record, once loaded, marks the quarantine row superseded
    key: tuple[str, str] | None = None
    # what a file of this dataset is: ``events`` (records that happen once: a file whose bytes
    # were taken before is a re-send, loaded once) or ``snapshot`` (the state of a register on
    # the file's date: the same bytes delivered on a later date are a new observation at that
    # date, staged, so a register reverted by re-sending an earlier file takes effect). Declared
    # per dataset in the slice registry (``flows/registry.py``).
    kind: str = "events"
    sql: SqlStaging | None = None  # the common record staged in DuckDB (big JSON-lines datasets)

    @property
    def is_snapshot(self) -> bool:
        return self.kind == "snapshot"
