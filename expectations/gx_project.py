"""The GX project: one persistent, file-backed project under the data home; its Data Docs.

    <home>/gx/great_expectations.yml       datasource, stores, the Data Docs site
    <home>/gx/expectations/                 the suites (rewritten from the code each run)
    <home>/gx/validation_definitions/       one per suite: its table's batch + the suite
    <home>/gx/checkpoints/                  the checkpoint: every validation definition + actions
    <home>/gx/uncommitted/validations/      results of the last KEEP_RUNS runs (the history)
    <home>/gx/uncommitted/data_docs/local_site/   Data Docs: by a checkpoint's action, or
                                            once a nightly by ``render_docs``

Each run points the datasource at its build file, writes the suites, runs ONE
checkpoint whose action updates Data Docs (GX renders this run's pages and the
index of every kept run), and returns GX's CheckpointResult. The nightly runs its
checkpoints without that action and renders the run's Data Docs once, beside its
later steps (``render_docs``). Retention: before a run, results of runs older than
the newest ``KEEP_RUNS - 1`` are removed from the store; GX's index build then
deletes their pages.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import select
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import great_expectations as gx
from great_expectations.checkpoint import UpdateDataDocsAction
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from expectations import datadocs
from expectations.datadocs.site import site_config
from expectations.gx_duckdb import add_datasource, close, for_duckdb, table_query

DATASOURCE = "warehouse"
BATCH = "whole_table"
CHECKPOINT = "nightly"
KEEP_RUNS = 30
"""Runs whose results (and Data Docs pages) are kept: a month of nightlies."""
RESULT_FORMAT: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 10}

_LOCK = threading.Lock()  # GX keeps global state: one checkpoint at a time per process


class UpdateDataDocsOnce(UpdateDataDocsAction):
    """GX's UpdateDataDocsAction, building the site once for the whole checkpoint.

    The stock action rebuilds the site (static assets and the index over every
    kept run) once per validation definition; with ~60 suites that is 60 index
    builds. This one renders the run's pages, its suites' pages and the index once.
    ``build_index``: False renders the pages only (checkpoints saved by earlier versions
    carry it).
    """

    type: Literal["chiso_update_data_docs"] = "chiso_update_data_docs"  # type: ignore[assignment]
    build_index: bool = True

    def run(self, checkpoint_result: Any, action_context: Any = None) -> dict:
        keys = list(checkpoint_result.run_results)
        _render(self._resolve_context().context, keys, self.site_names, self.build_index)
        index = self._get_docs_sites_urls(site_names=self.site_names)  # one lookup, not one a page
        return {site["site_name"]: site["site_url"] for site in index}


def _render(
    context: Any, keys: Sequence[Any], site_names: Sequence[str] | None = None, index: bool = True
) -> None:
    """Render the pages of the results ``keys``, of their suites, and the index (once)."""
    suites = {k.expectation_suite_identifier for k in keys}
    context.build_data_docs(
        site_names=site_names,
        resource_identifiers=[*keys, *suites],
        dry_run=False,
        build_index=index,
    )


def render_docs(root: Path, run_name: str, keep_runs: int = KEEP_RUNS) -> int:
    """The Data Docs of a run whose checkpoints rendered none (``run_checkpoint(docs=False)``):
    results of runs past retention removed, the pages of every result the run stored (all its
    checkpoints) and of their suites, then the index; returns how many results it rendered.

    The nightly calls it beside its later steps (describe, publish), not in its checks' path:
    rendering is a second of Python that the warehouse's work does not wait for."""
    with _exclusive(root):
        context = open_project(root)
        store = context.validation_results_store
        listed = store.list_keys()
        gone = {k.to_tuple() for k in _prune(store, listed, max(keep_runs - 1, 0), run_name)}
        with _listed_once(store, [k for k in listed if k.to_tuple() not in gone]) as kept:
            keys = [k for k in kept if k.run_id.run_name == run_name]
            if keys:  # (none given would render every kept result)
                _render(context, keys)
        return len(keys)


@contextmanager
def _listed_once(store: Any, keys: list[Any]) -> Iterator[list[Any]]:
    """The store's ``keys`` as its listing for a rendering: GX lists the results store four
    times to render a run's pages and the index (with a month of results, 0.05-0.08 s a
    listing, mostly parsing run times), and nothing is stored meanwhile."""
    store.list_keys = lambda *args, **kwargs: list(keys)
    try:
        yield keys
    finally:
        del store.list_keys


def render_docs_apart(
    root: Path, run_name: str, keep_runs: int = KEEP_RUNS, timeout: float = 600
) -> int:
    """``render_docs`` in a child process forked from this one: GX and the run's modules are
    loaded already, so the child starts at once, renders on a core of its own, and takes no
    turn of this process's GIL (in a thread, its second of Python made every short query of
    the steps beside it wait for the GIL: the report's 130 took 0.6 s instead of 0.16 s).
    ``os.fork``, not ``multiprocessing`` (which refuses to start a child from a daemonic
    process, e.g. a pool's worker). Where processes cannot be forked, it renders here."""
    if not hasattr(os, "fork"):
        return render_docs(root, run_name, keep_runs)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, tell the parent, leave without running any cleanup
        code = 1
        try:
            os.close(read_end)
            told = f"ok {render_docs(root, run_name, keep_runs)}"
            code = 0
        except BaseException as exc:  # noqa: BLE001 - told to the parent, which raises it
            told = f"{type(exc).__name__}: {exc}"
        finally:
            try:
                os.write(write_end, told.encode()[:60000])
            finally:
                os._exit(code)
    os.close(write_end)
    try:
        told = _read_all(read_end, timeout)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read_end)
        status = os.waitpid(pid, 0)[1]
    if status != 0 or not told.startswith("ok "):
        raise RuntimeError(
            f"Data Docs not rendered: {told or f'the process died ({os.waitstatus_to_exitcode(status)})'}"
        )
    return int(told[3:])


def _read_all(fd: int, timeout: float) -> str:
    """Everything written to the pipe ``fd`` until its writer closes it, within ``timeout``."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError(f"Data Docs not rendered in {timeout:.0f} s")
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks).decode(errors="replace")
        chunks.append(chunk)


@contextmanager
def _exclusive(root: Path) -> Iterator[None]:
    """One writer of the project at a time, across threads and processes."""
    with _LOCK, open(root / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_project(root: Path) -> Any:
    """The file-backed project at ``root`` (created on first use), its Data Docs site offline."""
    context = gx.get_context(mode="file", context_root_dir=str(root))
    variables = context.variables
    if (
        variables.analytics_enabled is not False
        or variables.progress_bars is None
        or variables.config_variables_file_path is not None
    ):
        variables.analytics_enabled = False
        variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        # GX reads and parses that file again for every project variable it looks up (~650
        # times a checkpoint: 0.2 s); the project substitutes no variable
        variables.config_variables_file_path = None  # type: ignore[assignment]  # (GX: Optional)
        variables.save()
    sites: dict[str, Any] = dict(context.list_data_docs_sites())
    site: Any = site_config()
    if sites != {datadocs.SITE_NAME: site}:  # a new project, or an older site config
        for name in sites:
            context.delete_data_docs_site(name)
        context.add_data_docs_site(datadocs.SITE_NAME, site)
    return context


def prune(context: Any, keep: int, current: str | None = None) -> int:
    """Remove stored results of all but the ``keep`` newest runs (by run name) besides the
    ``current`` one (whose earlier checkpoint may have stored some already); return how many."""
    store = context.validation_results_store
    return len(_prune(store, store.list_keys(), keep, current))


def _prune(store: Any, keys: list[Any], keep: int, current: str | None) -> list[Any]:
    """``prune`` on the store's listed ``keys``; the keys it removed."""
    latest: dict[str, str] = {}
    for k in keys:  # a run may hold several checkpoint runs: it is as new as its latest
        if k.run_id.run_name == current:
            continue
        latest[k.run_id.run_name] = max(latest.get(k.run_id.run_name, ""), str(k.run_id.run_time))
    old = set(sorted(latest, key=lambda name: latest[name], reverse=True)[keep:])
    removed = [k for k in keys if k.run_id.run_name in old]
    for key in removed:
        store.remove_key(key)
    return removed


def _validation_definition(
    datasource: Any,
    name: str,
    table: str,
    expectations: Sequence[Any],
    night: bool = False,
    merged: tuple[str, str] | None = None,
) -> Any:
    """The suite's validation definition (saved with the checkpoint, suite included).

    ``night``: on the asset ``<table> (night)``, the rows the running build staged (its
    run is the one ``building`` in ``audit.run``): the same query every night, so the
    asset is made once, like the whole table's. ``merged``: (key column, table of the keys)
    the night merged a core table by (``for_duckdb``)."""
    asset_name = f"{table} (night)" if night else table
    if asset_name not in datasource.get_asset_names():
        query = table_query(table)
        if night:
            query += " WHERE _run_id IN (SELECT run_id FROM audit.run WHERE status = 'building')"
        datasource.add_query_asset(name=asset_name, query=query)
    asset = datasource.get_asset(asset_name)
    if BATCH not in [b.name for b in asset.batch_definitions]:
        asset.add_batch_definition_whole_table(name=BATCH)
    suite = gx.ExpectationSuite(
        name=name, expectations=[for_duckdb(e, merged) for e in expectations]
    )
    return gx.ValidationDefinition(name=name, data=asset.get_batch_definition(BATCH), suite=suite)


def _in_memory() -> Any:
    """A throwaway project (no Data Docs): for a validation nobody keeps."""
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


@contextmanager
def _project(root: Path | None, keep_runs: int, run_name: str, docs: bool) -> Iterator[Any]:
    """The project to validate in; old results pruned by a checkpoint that renders the Data
    Docs (their index build deletes their pages), else by ``render_docs``."""
    if root is None:
        with _LOCK:
            yield _in_memory()
        return
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root):
        context = open_project(root)
        if docs:
            prune(context, keep=max(keep_runs - 1, 0), current=run_name)
        yield context


def run_checkpoint(
    root: Path | None,
    db_path: Path,
    suites: Mapping[str, tuple[str, Sequence[Any]]],
    run_name: str,
    keep_runs: int = KEEP_RUNS,
    night: set[str] | None = None,
    merged: Mapping[str, tuple[str, str]] | None = None,
    docs: bool = True,
    shared: bool = False,
) -> Any:
    """Validate ``suites`` (name -> (schema.table, expectations)) on ``db_path`` in one checkpoint.

    ``night``: staged tables checked on the running build's rows; ``merged``: core tables a
    night merged by key -> (key column, table of the merged keys). ``docs``: False stores
    the results and renders no Data Docs (the run renders them later: ``render_docs``).
    ``shared``: the file is opened as the pipeline's writers open it (``add_datasource``).

    ``root``: the project folder (None: in memory, no Data Docs). Returns GX's
    CheckpointResult. The datasource is closed before returning, so the file can
    be reopened read-write in this process.
    """
    with _project(root, keep_runs, run_name, docs) as context:
        datasource = add_datasource(context, DATASOURCE, db_path, shared)
        try:
            definitions = [
                _validation_definition(
                    datasource,
                    name,
                    table,
                    expectations,
                    table in (night or set()),
                    (merged or {}).get(table),
                )
                for name, (table, expectations) in suites.items()
            ]
            checkpoint = context.checkpoints.add_or_update(  # saves the definitions and suites
                gx.Checkpoint(
                    name=CHECKPOINT,
                    validation_definitions=definitions,
                    actions=[
                        UpdateDataDocsOnce(name="update_data_docs", site_names=[datadocs.SITE_NAME])
                    ]
                    if root is not None and docs
                    else [],
                    result_format=RESULT_FORMAT,
                )
            )
            run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
            return checkpoint.run(run_id=run_id)
        finally:
            close(datasource)
