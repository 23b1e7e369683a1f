"""Great Expectations 1.x validation run in-database against a DuckDB file.

GX 1.24 cannot validate DuckDB through ``add_sql`` out of the box: every metric fails
with ``MetricResolutionError: list index out of range`` (GX issues #10738, #11579).
GX returns a pooled connection between fetches, and duckdb_engine's cursor *is* the
connection, so the rollback on return throws the pending rows away. GX keeps one
persistent connection (``StaticPool``) for a few dialects listed in the private tuple
``_PERSISTED_CONNECTION_DIALECTS``; :func:`patch_gx_for_duckdb` adds DuckDB to it.

Two more gaps, worked around with public GX API only:

* Table assets on a non-``main`` schema: SQLAlchemy 2.1's PostgreSQL reflection (which
  duckdb_engine 0.17 inherits) queries ``pg_catalog.pg_collation``, missing in DuckDB, and
  GX's fallback then drops the schema (``SELECT * FROM dossier LIMIT 1``). Each table is
  therefore a *query asset* ``SELECT * FROM "schema"."table"``. DuckDB inlines it, and
  the column lookup only opens a lazy result, so no rows are materialised.
* Regex expectations: GX has no regex rendering for the duckdb dialect ("Regex is not
  supported for dialect duckdb"). :func:`expect_column_values_to_match_regex` builds an
  ``UnexpectedRowsExpectation`` using DuckDB's ``regexp_matches`` (partial match, like
  GX's own regex semantics) and is reported under the regex expectation's name.

The module sets ``GX_ANALYTICS_ENABLED=False`` before importing GX, turns off analytics
and progress bars in the context config, and never imports Prefect.
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from great_expectations.core.expectation_validation_result import (  # noqa: E402
    ExpectationValidationResult,
)
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.execution_engine import (  # noqa: E402
    sqlalchemy_execution_engine as _gx_sa_engine,
)
from great_expectations.expectations.metadata_types import FailureSeverity  # noqa: E402

__all__ = [
    "CheckResult",
    "GXDuckDBPatchError",
    "expect_column_values_to_match_regex",
    "patch_gx_for_duckdb",
    "validate_tables",
]

GX_VERSION_TESTED = "1.24.1"
DATASOURCE_NAME = "duckdb_warehouse"
BATCH_DEFINITION_NAME = "whole_table"
RESULT_FORMAT: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 10}
KEEP_RUNS_PER_SUITE = 10
"""Validation results kept per suite in a file-backed context (older ones are pruned)."""

_EMULATES_KEY = "chiso_emulates"
_PERSISTED_NAME = "_PERSISTED_CONNECTION_DIALECTS"
_PERSISTED_FN = "_dialect_requires_persisted_connection"
_PATCH_LOCK = threading.Lock()
_RUN_LOCK = threading.Lock()


class GXDuckDBPatchError(RuntimeError):
    """The private GX hook the DuckDB workaround relies on is gone or no longer works."""


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one expectation of one suite, flattened for storage/reporting."""

    suite: str
    table: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    observed_value: str | None
    unexpected_count: int | None
    element_count: int | None
    kwargs: str
    description: str | None
    exception: str | None
    scope: str | None = (
        None  # what a failure blocks when critical: None = the table; "source:<name>"
    )


# --------------------------------------------------------------------------- patch


class _DialectName(str):
    """A dialect name usable wherever GX uses a ``GXSqlDialect`` member.

    ``_dialect_requires_persisted_connection`` reads ``.value``; ``get_connection`` tests
    ``engine.dialect.name.lower() in _PERSISTED_CONNECTION_DIALECTS``, which a ``str``
    subclass equal to ``"duckdb"`` satisfies.
    """

    @property
    def value(self) -> str:
        """The plain dialect name, as ``GXSqlDialect.value`` would return it."""
        return str(self)


def _is_duckdb(dialect: object) -> bool:
    return str(getattr(dialect, "value", dialect)).lower() == "duckdb"


def _check_gx_hook() -> tuple[object, ...]:
    """Return GX's persisted-connection tuple, or fail loudly if the hook has changed."""
    missing = [n for n in (_PERSISTED_NAME, _PERSISTED_FN) if not hasattr(_gx_sa_engine, n)]
    dialects = getattr(_gx_sa_engine, _PERSISTED_NAME, None)
    if missing or not isinstance(dialects, tuple):
        raise GXDuckDBPatchError(
            f"great_expectations {gx.__version__}: {_gx_sa_engine.__name__} no longer has "
            f"{missing or [_PERSISTED_NAME + ' as a tuple']}. The DuckDB persistent-connection "
            f"workaround (expectations/gx_duckdb.py, tested on GX {GX_VERSION_TESTED}) must be "
            "redone for this GX version; without it every DuckDB expectation fails with "
            "'list index out of range'."
        )
    return dialects


def _verify_patch() -> None:
    """Check that GX now treats a DuckDB URL and dialect name as persisted-connection."""
    requires = getattr(_gx_sa_engine, _PERSISTED_FN)
    in_tuple = "duckdb" in getattr(_gx_sa_engine, _PERSISTED_NAME)
    if not (requires(connection_string="duckdb:///x.duckdb") and in_tuple):
        raise GXDuckDBPatchError(
            f"great_expectations {gx.__version__}: adding duckdb to {_PERSISTED_NAME} no "
            "longer makes GX keep a persistent DuckDB connection; the workaround in "
            f"expectations/gx_duckdb.py (tested on GX {GX_VERSION_TESTED}) needs updating."
        )


def patch_gx_for_duckdb() -> None:
    """Make GX keep one persistent connection for DuckDB (idempotent, thread-safe).

    Raises:
        GXDuckDBPatchError: the private GX names are gone or behave differently (a GX
            upgrade broke the workaround).
    """
    with _PATCH_LOCK:
        dialects = _check_gx_hook()
        if not any(_is_duckdb(d) for d in dialects):
            setattr(_gx_sa_engine, _PERSISTED_NAME, (*dialects, _DialectName("duckdb")))
        _verify_patch()


patch_gx_for_duckdb()


# ----------------------------------------------------------------- regex helper


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(value: str) -> str:
    """A SQL string literal, braces doubled for GX's ``str.format`` of the query."""
    return "'" + value.replace("'", "''").replace("{", "{{").replace("}", "}}") + "'"


def expect_column_values_to_match_regex(
    column: str,
    regex: str,
    *,
    severity: str = "critical",
    description: str | None = None,
) -> gxe.UnexpectedRowsExpectation:
    """Regex check that works on DuckDB (GX's own one raises for this dialect).

    Non-null values must contain a match of ``regex`` (RE2 partial match, as GX does
    elsewhere: anchor with ``^...$`` for a full match). No ``mostly``: any non-matching
    value fails it. Reported as ``expect_column_values_to_match_regex`` on ``column``,
    with the number of non-matching rows as observed value and unexpected count.
    """
    col = _sql_ident(column)
    query = (
        f"SELECT {col} FROM {{batch}} "
        f"WHERE {col} IS NOT NULL AND NOT regexp_matches(CAST({col} AS VARCHAR), "
        f"{_sql_string(regex)})"
    )
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=query,
        severity=FailureSeverity(severity),
        description=description,
        meta={
            _EMULATES_KEY: {
                "expectation": "expect_column_values_to_match_regex",
                "column": column,
                "regex": regex,
            }
        },
    )


def _for_duckdb(expectation: gxe.Expectation) -> gxe.Expectation:
    """A private copy of ``expectation``, with a native regex check made DuckDB-capable.

    The copy keeps the caller's objects unbound from this run's context. A native
    ``ExpectColumnValuesToMatchRegex`` without ``mostly`` or ``row_condition`` becomes the
    equivalent of :func:`expect_column_values_to_match_regex`; with either it is left
    alone and reports GX's "Regex is not supported for dialect duckdb" as its exception.
    """
    if (
        isinstance(expectation, gxe.ExpectColumnValuesToMatchRegex)
        and expectation.mostly in (None, 1, 1.0)
        and not expectation.row_condition
        and isinstance(expectation.regex, str)
    ):
        return expect_column_values_to_match_regex(
            expectation.column,
            expectation.regex,
            severity=_severity(expectation.severity),
            description=expectation.description,
        )
    return expectation.copy(deep=True, update={"id": None})


# ------------------------------------------------------------------ GX set-up


def _make_context(data_docs_dir: str | Path | None) -> Any:
    """An ephemeral context, or a file context rooted at ``data_docs_dir``."""
    progress = ProgressBarsConfig(globally=False, metric_calculations=False)
    if data_docs_dir is None:
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=progress,
        )
        return gx.get_context(mode="ephemeral", project_config=config)
    root = Path(data_docs_dir)
    root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", context_root_dir=str(root))
    context.variables.progress_bars = progress
    context.variables.analytics_enabled = False
    return context


def _split_table(table: str) -> tuple[str, str]:
    schema, sep, name = table.partition(".")
    if not sep or not schema or not name:
        raise ValueError(f"table must be 'schema.table', got {table!r}")
    return schema, name


def _asset_query(table: str) -> str:
    schema, name = _split_table(table)
    return f"SELECT * FROM {_sql_ident(schema)}.{_sql_ident(name)}"


def _add_datasource(context: Any, db_path: Path) -> Any:
    """One SQL datasource on the file, opened read-only through GX's engine."""
    try:
        return context.data_sources.add_or_update_sql(
            name=DATASOURCE_NAME,
            connection_string=f"duckdb:///{db_path}",
            kwargs={"connect_args": {"read_only": True}},
        )
    except Exception as error:
        raise RuntimeError(
            f"GX could not open {db_path} read-only ({error}). Close every other DuckDB "
            "connection to this file in this process, and any process holding it "
            "read-write, before validating."
        ) from error


def _assert_persistent(datasource: Any) -> None:
    engine = datasource.get_execution_engine().engine
    if not isinstance(engine.pool, sa.StaticPool):
        raise GXDuckDBPatchError(
            f"GX built its DuckDB engine with {type(engine.pool).__name__}, not StaticPool: "
            "the persistent-connection patch did not take effect."
        )


def _batch_definition(datasource: Any, table: str) -> Any:
    """The whole-table batch definition of ``table``'s query asset (created once)."""
    if table not in datasource.get_asset_names():
        asset = datasource.add_query_asset(name=table, query=_asset_query(table))
        return asset.add_batch_definition_whole_table(name=BATCH_DEFINITION_NAME)
    return datasource.get_asset(table).get_batch_definition(BATCH_DEFINITION_NAME)


def _add_validation(
    context: Any, suite_name: str, batch_definition: Any, expectations: Sequence[Any]
) -> Any:
    suite = context.suites.add_or_update(
        gx.ExpectationSuite(name=suite_name, expectations=[_for_duckdb(e) for e in expectations])
    )
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite)
    )


def _dispose(datasource: Any) -> None:
    """Close GX's persistent connection and dispose both engines of the datasource."""
    if datasource is None:
        return
    execution_engine = getattr(datasource, "_execution_engine", None)
    if execution_engine is not None:
        connection = getattr(execution_engine, "_connection", None)
        if connection is not None:
            connection.close()
        execution_engine.engine.dispose()
    engine = getattr(datasource, "_engine", None)
    if engine is not None:
        engine.dispose()


# ------------------------------------------------------------ result mapping


def _to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _severity(value: Any) -> str:
    return str(getattr(value, "value", value) or "critical")


def _column_of(kwargs: Mapping[str, Any]) -> str | None:
    """The column(s) an expectation is about, as text."""
    if kwargs.get("column") is not None:
        return str(kwargs["column"])
    if kwargs.get("column_A") is not None:
        return f"{kwargs['column_A']}, {kwargs.get('column_B')}"
    if kwargs.get("column_list"):
        return ", ".join(map(str, kwargs["column_list"]))
    return None


def _observed(result: Mapping[str, Any]) -> str | None:
    """``observed_value`` if GX gives one, else ``unexpected_percent``, as JSON."""
    for key in ("observed_value", "unexpected_percent"):
        if key in result:
            return _to_json(result[key])
    return None


def _exception_text(exception_info: Mapping[str, Any] | None) -> str | None:
    """Messages of raised exceptions; GX nests them per metric or gives one flat dict."""
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else exception_info.values()
    messages = [
        str(i.get("exception_message") or "exception raised")
        for i in infos
        if isinstance(i, Mapping) and i.get("raised_exception")
    ]
    return "; ".join(dict.fromkeys(messages)) or None


def _as_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _emulated(config: Any) -> dict[str, Any]:
    return dict((config.meta or {}).get(_EMULATES_KEY) or {})


def _kwargs_of(config: Any) -> dict[str, Any]:
    """Expectation arguments without GX's batch id; for emulations, the emulated ones."""
    emulated = _emulated(config)
    if emulated:
        return {"column": emulated["column"], "regex": emulated["regex"]}
    return {k: v for k, v in config.kwargs.items() if k != "batch_id"}


def _check_result(suite: str, table: str, evr: ExpectationValidationResult) -> CheckResult:
    """Flatten one GX expectation result."""
    config = evr.expectation_config
    emulated = _emulated(config)
    kwargs = _kwargs_of(config)
    result = evr.result or {}
    exception = _exception_text(evr.exception_info)
    return CheckResult(
        suite=suite,
        table=table,
        expectation=emulated.get("expectation", config.type if config else "unknown"),
        column=emulated.get("column", _column_of(kwargs)),
        severity=_severity(config.severity if config else None),
        success=bool(evr.success) and exception is None,
        observed_value=_observed(result),
        unexpected_count=_as_int(
            result.get("observed_value") if emulated else result.get("unexpected_count")
        ),
        element_count=_as_int(result.get("element_count")),
        kwargs=_to_json(kwargs),
        description=config.description if config else None,
        exception=exception,
    )


def _error_results(
    suite: str, table: str, expectations: Sequence[Any], error: BaseException
) -> list[CheckResult]:
    """One failed CheckResult per expectation when a whole suite could not run."""
    text = f"{type(error).__name__}: {error}"
    out = []
    for exp in expectations:
        config = _for_duckdb(exp).configuration
        emulated = _emulated(config)
        kwargs = _kwargs_of(config)
        out.append(
            CheckResult(
                suite=suite,
                table=table,
                expectation=emulated.get("expectation", config.type),
                column=emulated.get("column", _column_of(kwargs)),
                severity=_severity(config.severity),
                success=False,
                observed_value=None,
                unexpected_count=None,
                element_count=None,
                kwargs=_to_json(kwargs),
                description=config.description,
                exception=text,
            )
        )
    return out


def _run_suite(validation: Any, suite: str, table: str) -> list[CheckResult]:
    """Run one ValidationDefinition; results in the suite's expectation order."""
    run = validation.run(result_format=RESULT_FORMAT)
    order = {e.id: i for i, e in enumerate(validation.suite.expectations)}
    evrs = sorted(run.results, key=lambda r: order.get(r.expectation_config.id, len(order)))
    return [_check_result(suite, table, evr) for evr in evrs]


# ----------------------------------------------------------------- data docs


def _prune_old_runs(context: Any, keep: int | None = None) -> int:
    """Delete all but the ``keep`` (default KEEP_RUNS_PER_SUITE) newest results per suite."""
    keep = KEEP_RUNS_PER_SUITE if keep is None else keep
    store = context.validation_results_store
    by_suite: dict[str, list[Any]] = {}
    for key in store.list_keys():
        by_suite.setdefault(key.expectation_suite_identifier.name, []).append(key)
    removed = 0
    for keys in by_suite.values():
        keys.sort(key=lambda k: str(k.run_id.run_time), reverse=True)
        for key in keys[keep:]:
            store.remove_key(key)
            removed += 1
    return removed


def _failures_html(results: Sequence[CheckResult]) -> str:
    """An HTML table of this run's failed checks, for the top of index.html."""
    failed = [r for r in results if not r.success]
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v) if v is not None else '')}</td>"
            for v in (
                r.severity,
                r.suite,
                r.table,
                r.expectation,
                r.column,
                r.observed_value,
                r.unexpected_count,
                r.exception,
            )
        )
        + "</tr>"
        for r in failed
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "severity",
            "suite",
            "table",
            "expectation",
            "column",
            "observed",
            "unexpected",
            "exception",
        )
    )
    title = f"Latest run: {len(failed)} of {len(results)} checks failed"
    return (
        f'<div id="chiso-latest-failures" class="container-fluid pt-3 pl-5 pr-5">'
        f"<h4>{html.escape(title)}</h4>"
        f'<table class="table table-sm table-striped"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def _insert_block(page: str, block: str) -> str:
    """Insert ``block`` just before GX's main container, after the navbar."""
    marker = re.search(r'<div class="container-fluid', page)
    if marker:
        return page[: marker.start()] + block + page[marker.start() :]
    if "</body>" in page:
        return page.replace("</body>", block + "</body>", 1)
    return page + block


_GX_WEB_ASSET = re.compile(r"https://great-expectations-web-assets\.s3[^\"']*")


def _strip_web_beacons(site_dir: Path) -> None:
    """Point GX's remote logo images (URL carries the data context id) at the local copy."""
    logo = site_dir / "static" / "images" / "logo-long.png"
    for page_path in site_dir.rglob("*.html"):
        page = page_path.read_text(encoding="utf-8")
        if _GX_WEB_ASSET.search(page):
            local = Path(os.path.relpath(logo, page_path.parent)).as_posix()
            page_path.write_text(_GX_WEB_ASSET.sub(local, page), encoding="utf-8")


def _file_url_to_path(url: str) -> Path:
    return Path(unquote(urlparse(url).path))


def _build_docs(context: Any, results: Sequence[CheckResult]) -> Path:
    """Build GX's static Data Docs; list this run's failures at the top of index.html."""
    if _prune_old_runs(context):
        context.clean_data_docs()
    sites = context.build_data_docs()
    index = _file_url_to_path(next(iter(sites.values())))
    _strip_web_beacons(index.parent)
    index.write_text(
        _insert_block(index.read_text(encoding="utf-8"), _failures_html(results)),
        encoding="utf-8",
    )
    return index


# ------------------------------------------------------------------- entry


def validate_tables(
    db_path: str | Path,
    suites: Mapping[str, tuple[str, Sequence[gxe.Expectation]]],
    data_docs_dir: str | Path | None = None,
) -> list[CheckResult]:
    """Validate every suite in-database against the DuckDB file at ``db_path``.

    Args:
        db_path: an existing DuckDB file. GX opens it read-only through its own engine;
            no other connection to it may be open in this process (DuckDB refuses a
            second configuration), and no other process may hold it read-write.
        suites: suite name -> ("schema.table", GX expectations with severity set). The
            expectations are copied, the caller's objects are left untouched.
        data_docs_dir: if given, a file-backed GX context is kept there and static Data
            Docs are built under ``uncommitted/data_docs/local_site/index.html``, with this
            run's failed checks listed at the top. Otherwise the context is ephemeral.

    Returns:
        One CheckResult per expectation, suites in the given order, expectations in
        suite order. An expectation that raises gives ``success=False`` with the
        exception text; a suite that cannot run at all (e.g. missing table) gives that
        for each of its expectations. Nothing else is caught.

    The GX engine is disposed before returning, so the file can be reopened read-write
    in the same process. Calls are serialised by a module lock (GX keeps global state).
    """
    path = Path(db_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"DuckDB file not found: {path}")
    patch_gx_for_duckdb()
    with _RUN_LOCK:
        context = _make_context(data_docs_dir)
        datasource = None
        try:
            datasource = _add_datasource(context, path)
            _assert_persistent(datasource)
            results: list[CheckResult] = []
            for name, (table, expectations) in suites.items():
                try:
                    batch = _batch_definition(datasource, table)
                    validation = _add_validation(context, name, batch, expectations)
                    results.extend(_run_suite(validation, name, table))
                except Exception as error:  # noqa: BLE001 - one bad suite must not stop the rest
                    results.extend(_error_results(name, table, expectations, error))
        finally:
            _dispose(datasource)
        if data_docs_dir is not None:
            _build_docs(context, results)
        return results
