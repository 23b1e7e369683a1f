"""The DuckDB workaround for Great Expectations 1.x, in one place (upstream: GX issues #10738, #11579).

GX validates DuckDB through ``add_sql`` only with three fixes, all here:

1. **Persistent connection.** Out of the box every metric fails with
   ``MetricResolutionError: list index out of range``: GX returns its pooled
   connection between fetches, and duckdb_engine's cursor *is* the connection,
   so the rollback on return drops the pending rows. GX keeps one persistent
   connection (``StaticPool``) for the dialects in the private tuple
   ``_PERSISTED_CONNECTION_DIALECTS``; :func:`patch_gx_for_duckdb` adds DuckDB.
   It is a private name: the guard below and ``tests/test_gx_duckdb.py`` fail
   loudly when an upgrade moves it (``GX_VERSION_TESTED``). On that one
   connection a failed query (a missing table, a bad cast) leaves DuckDB's
   transaction aborted, and GX only recovers from SQLAlchemy's own
   ``PendingRollbackError``: ``_recover`` rolls DuckDB back after an error, so
   one broken suite does not fail every suite after it.
2. **Query assets.** A table asset on a non-``main`` schema loses its schema
   (SQLAlchemy 2.1's PostgreSQL reflection, inherited by duckdb_engine 0.17,
   queries ``pg_collation``, missing in DuckDB): each table is a query asset
   ``SELECT * FROM "schema"."table"``, which DuckDB inlines.
3. **Regex.** GX has no regex rendering for the duckdb dialect; a regex
   expectation without ``mostly``/``row_condition`` runs as an
   ``UnexpectedRowsExpectation`` on ``regexp_matches`` (partial match, as GX's)
   and is reported under the regex expectation's name (``emulated``).
   A uniqueness expectation without them runs the same way, on one grouping of
   the column (GX's own form costs 1.6x as much on the staged dossiers). On a
   night that merged the table by that column, only the merged keys are grouped
   (``among``: the rows of every other key are the published ones, unique then).
   An emulated expectation only counts its rows (``UnexpectedRowsCount``): GX's own
   also fetches some of them, which runs the query a second time.

And one for the nightly, which checks its build while it writes the indicators in the same
process (``add_datasource(shared=True)``): DuckDB gives a file one configuration per
process, and duckdb_engine puts its name in each connection's (``custom_user_agent``), so
the patch turns that off (``supports_user_agent``, guarded like the rest).

Nothing here imports Prefect; GX analytics are off before GX is imported.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, ClassVar

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import duckdb  # noqa: E402
import duckdb_engine  # noqa: E402
import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from great_expectations.execution_engine import (  # noqa: E402
    sqlalchemy_execution_engine as _gx_sa_engine,
)
from great_expectations.expectations.metadata_types import FailureSeverity  # noqa: E402

from warehouse.build import MEMORY_LIMIT  # noqa: E402

GX_VERSION_TESTED = "1.24.1"
EMULATES = "chiso_emulates"  # meta key of an emulated expectation: what it stands for
CLOSE_OTHERS = (
    "Close every other DuckDB connection to this file in this process, and any process "
    "holding it read-write, before validating."
)
_PERSISTED_NAME = "_PERSISTED_CONNECTION_DIALECTS"
_PERSISTED_FN = "_dialect_requires_persisted_connection"
_USER_AGENT = "supports_user_agent"
_PATCH_LOCK = threading.Lock()


class GXDuckDBPatchError(RuntimeError):
    """The private GX hook the DuckDB workaround relies on is gone or no longer works."""


class _DialectName(str):
    """``"duckdb"`` usable where GX expects a ``GXSqlDialect`` member (it reads ``.value``)."""

    @property
    def value(self) -> str:
        return str(self)


def _broken(what: str) -> GXDuckDBPatchError:
    return GXDuckDBPatchError(
        f"great_expectations {gx.__version__}: {what}. The DuckDB workaround "
        f"(expectations/gx_duckdb.py, verified on GX {GX_VERSION_TESTED}; GX issues #10738, "
        "#11579) must be redone, or every DuckDB expectation fails with 'list index out of range'."
    )


def patch_gx_for_duckdb() -> None:
    """Make GX keep one persistent connection for DuckDB (idempotent, thread-safe).

    Raises:
        GXDuckDBPatchError: the private GX names are gone or no longer have the effect.
    """
    with _PATCH_LOCK:
        dialects = getattr(_gx_sa_engine, _PERSISTED_NAME, None)
        if not isinstance(dialects, tuple) or not hasattr(_gx_sa_engine, _PERSISTED_FN):
            raise _broken(f"{_gx_sa_engine.__name__}.{_PERSISTED_NAME} (a tuple) is gone")
        if "duckdb" not in [str(getattr(d, "value", d)).lower() for d in dialects]:
            setattr(_gx_sa_engine, _PERSISTED_NAME, (*dialects, _DialectName("duckdb")))
        requires = getattr(_gx_sa_engine, _PERSISTED_FN)
        if not requires(connection_string="duckdb:///x.duckdb"):
            raise _broken(
                f"adding duckdb to {_PERSISTED_NAME} no longer makes GX keep a connection"
            )
        # duckdb_engine names itself in each connection's configuration (custom_user_agent),
        # which the pipeline's own connections do not have: DuckDB would refuse GX a connection
        # to a file this process holds open (``add_datasource(shared=True)``)
        if not isinstance(getattr(duckdb_engine, _USER_AGENT, None), bool):
            raise _broken(f"duckdb_engine.{_USER_AGENT} (a bool) is gone")
        setattr(duckdb_engine, _USER_AGENT, False)


patch_gx_for_duckdb()


def add_datasource(context: Any, name: str, db_path: Path, shared: bool = False) -> Any:
    """The SQL datasource on the DuckDB file, on GX's persistent connection: read-only, or
    (``shared``) opened as the pipeline's writers open it, so that it joins the database this
    process holds open already (DuckDB refuses a second configuration of a file in one process)
    and reads what they committed while they write on (``flows.nightly``: the checks run beside
    the indicators). Either way held to the writers' memory cap (without it GX's reads of a big
    table take as much memory as DuckDB likes: 2.2 GiB at scale 8)."""
    patch_gx_for_duckdb()
    known = context.data_sources.all()
    assets = known[name].assets if name in known else []  # kept: no asset rewritten every run
    connect_args = {} if shared else {"read_only": True, "config": {"memory_limit": MEMORY_LIMIT}}
    how = "as the writers do" if shared else "read-only"
    try:
        datasource = context.data_sources.add_or_update_sql(
            name=name,
            connection_string=f"duckdb:///{db_path}",
            kwargs={"connect_args": connect_args},
            assets=assets,
        )
        pool = datasource.get_execution_engine().engine.pool
    except Exception as error:
        raise RuntimeError(
            f"GX could not open {db_path} {how} ({error}). {CLOSE_OTHERS}"
        ) from error
    if not isinstance(pool, sa.StaticPool):
        raise _broken(f"its DuckDB engine has {type(pool).__name__}, not StaticPool")
    engine = datasource.get_execution_engine().engine
    if shared:  # the cap is the database's (one setting for all its connections)
        with engine.connect() as connection:
            connection.exec_driver_sql(f"set memory_limit = '{MEMORY_LIMIT}'")
    if not sa.event.contains(engine, "handle_error", _recover):
        sa.event.listen(engine, "handle_error", _recover)
    return datasource


def _recover(context: Any) -> None:
    """After a failed query, end DuckDB's aborted transaction and open a fresh one."""
    connection = context.connection
    if connection is None or not isinstance(context.original_exception, duckdb.Error):
        return
    dbapi = connection.connection.dbapi_connection
    dbapi.rollback()
    dbapi.begin()


def close(datasource: Any) -> None:
    """Close GX's persistent connection and the engines, so the file can be reopened read-write."""
    engine = getattr(datasource, "_execution_engine", None)
    if engine is not None:
        if getattr(engine, "_connection", None) is not None:
            engine._connection.close()
        engine.engine.dispose()
    if getattr(datasource, "_engine", None) is not None:
        datasource._engine.dispose()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    """A SQL string literal, braces doubled for GX's ``str.format`` of the query."""
    return "'" + value.replace("'", "''").replace("{", "{{").replace("}", "}}") + "'"


def table_query(table: str) -> str:
    """The query asset's SQL for ``schema.table``."""
    schema, sep, name = table.partition(".")
    if not (schema and sep and name):
        raise ValueError(f"table must be 'schema.table', got {table!r}")
    return f"SELECT * FROM {_ident(schema)}.{_ident(name)}"


def expect_column_values_to_match_regex(
    column: str, regex: str, *, severity: str = "critical", description: str | None = None
) -> gxe.UnexpectedRowsExpectation:
    """Non-null values of ``column`` contain a match of ``regex`` (RE2; anchor for a full match)."""
    col = _ident(column)
    return _emulated(
        f"SELECT {col} FROM {{batch}} WHERE {col} IS NOT NULL AND NOT "
        f"regexp_matches(CAST({col} AS VARCHAR), {_literal(regex)})",
        {"expectation": "expect_column_values_to_match_regex", "column": column, "regex": regex},
        severity,
        description,
    )


def expect_column_values_to_be_unique(
    column: str,
    *,
    severity: str = "critical",
    description: str | None = None,
    among: str | None = None,
) -> gxe.UnexpectedRowsExpectation:
    """Non-null values of ``column`` occur once: the rows whose value occurs more than once are
    unexpected, as GX counts them. GX's own check on SQL runs its duplicate test per row
    through a correlated form: 5.3 s on 10M staged rows against 3.3 s for this query.

    ``among``: a table of the values that can repeat (a night's merged keys, ``delta.*_keys``,
    with a column of the same name): only they are grouped, not the whole column (1.9 s of a
    night's checks on 5M dossiers at scale 8). Sound when every other value's rows are the
    published ones, which passed: a merge replaces all the rows of a key it touches."""
    col = _ident(column)
    only = f" AND {col} IN (SELECT {col} FROM {among})" if among else ""
    stands_for = {"expectation": "expect_column_values_to_be_unique", "column": column}
    return _emulated(
        f"SELECT {col} FROM {{batch}} WHERE {col} IN "
        f"(SELECT {col} FROM {{batch}} WHERE {col} IS NOT NULL{only} "
        f"GROUP BY {col} HAVING count(*) > 1)",
        stands_for | ({"among": among} if among else {}),
        severity,
        description,
    )


class UnexpectedRowsCount(gxe.UnexpectedRowsExpectation):
    """GX's ``UnexpectedRowsExpectation`` that only counts the rows its query finds.

    GX's own also fetches up to 200 of them, whatever the result format: a second run of the
    query, which on clean data reads the whole table again (a uniqueness, a regex over every
    row). The checks keep the count alone (``RESULT_FORMAT`` is SUMMARY, ``record_checks``
    reads ``observed_value``), so the fetch is left out: the scale-8 first load's checks
    16.5 s -> 11.6 s. With the COMPLETE format the result would list no rows."""

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.row_count",)

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: Any = None,
    ) -> Any:
        fetched = {**metrics, "unexpected_rows_query.table": []}  # (not fetched: see above)
        return super()._validate(fetched, runtime_configuration, execution_engine)


def _emulated(
    query: str, stands_for: dict[str, Any], severity: str, description: str | None
) -> gxe.UnexpectedRowsExpectation:
    """The rows ``query`` finds are the unexpected ones, counted (``UnexpectedRowsCount``);
    reported as ``stands_for`` says."""
    return UnexpectedRowsCount(
        unexpected_rows_query=query,
        severity=FailureSeverity(severity),
        description=description,
        meta={EMULATES: stands_for},
    )


def _severity(expectation: gxe.Expectation) -> str:
    return str(getattr(expectation.severity, "value", expectation.severity))


def for_duckdb(
    expectation: gxe.Expectation, merged: tuple[str, str] | None = None
) -> gxe.Expectation:
    """A copy of ``expectation`` that runs on DuckDB (regex and uniqueness emulated; the
    caller's object untouched). ``merged``: (key column, table of the keys) a night merged
    the table by: the key's uniqueness is checked among those keys."""
    every_row = getattr(expectation, "mostly", None) in (None, 1, 1.0) and not getattr(
        expectation, "row_condition", None
    )
    if isinstance(expectation, gxe.ExpectColumnValuesToBeUnique) and every_row:
        return expect_column_values_to_be_unique(
            expectation.column,
            severity=_severity(expectation),
            description=expectation.description,
            among=merged[1] if merged and merged[0] == expectation.column else None,
        )
    if (
        isinstance(expectation, gxe.ExpectColumnValuesToMatchRegex)
        and every_row
        and isinstance(expectation.regex, str)
    ):
        return expect_column_values_to_match_regex(
            expectation.column,
            expectation.regex,
            severity=_severity(expectation),
            description=expectation.description,
        )
    return expectation.copy(deep=True, update={"id": None})


def emulated(meta: dict | None) -> dict[str, Any]:
    """What an emulated expectation stands for (``expectation``, ``column``, the regex
    expectation's ``regex``, a night's uniqueness ``among`` its merged keys), else {}."""
    return dict((meta or {}).get(EMULATES) or {})
