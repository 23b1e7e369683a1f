"""Benchmark: the nightly end to end at province scale, with the figures an operator asks for.

    make bench            (= .venv/bin/chiso bench)

Uses its own data home (``data/bench`` unless ``CHISO_HOME`` is set), keeps
the simulated landing zone between runs (generated if missing, timed apart),
and starts every run from an empty warehouse so the whole year is loaded.
Prints: wall time per step and in all (Prefect start included), input rows
and rows per second, peak memory, the time DuckDB takes just to read the
same extract files once, with the ratio of the two, and the time ``chiso
export`` and ``chiso report`` take on the warehouse just published.

``chiso bench --api`` then runs the nightly again from an empty warehouse with
the dossiers pulled from the replica of the integration platform
(``chiso portal``, started in its own process over the same landing zone) and
prints the API path's overhead over the file path, step by step.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path

from flows.settings import REPO, Settings


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def duckdb_read_seconds(folders: list[Path]) -> tuple[float, int, int]:
    """Time DuckDB reading every extract file once (count rows); return (seconds, rows, files skipped).

    JSON lines and CSV (any of the sources' separators and encodings) are
    read; workbooks are skipped (DuckDB's excel extension is not available
    offline), as is any file DuckDB cannot read.
    """
    import duckdb

    from warehouse.build import scalar

    con = duckdb.connect()
    t0 = time.perf_counter()
    rows = skipped = 0
    jsonl = sorted(str(p) for f in folders for p in f.rglob("*.jsonl"))
    if jsonl:
        rows += scalar(
            con, "select count(*) from read_json(?, format = 'newline_delimited')", [jsonl]
        )
    for path in sorted(p for f in folders for p in f.rglob("*.csv")):
        for options in ("", ", encoding = 'utf-16'"):
            try:
                rows += scalar(
                    con,
                    f"select count(*) from read_csv(?, all_varchar = true, strict_mode = false{options})",
                    [str(path)],
                )
                break
            except duckdb.Error:
                continue
        else:
            skipped += 1
    skipped += sum(1 for f in folders for _ in f.rglob("*.xlsx"))
    con.close()
    return time.perf_counter() - t0, rows, skipped


def task_timings(flow_run_id: str) -> list[tuple[str, float]]:
    """(task run name, seconds) of a flow run's finished task runs, in the order they started."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(str(flow_run_id))]))
        )
    timed = sorted(
        (
            (r.start_time, r.name, (r.end_time - r.start_time).total_seconds())
            for r in runs
            if r.start_time and r.end_time
        ),
        key=lambda x: x[0],
    )
    return [(name, seconds) for _, name, seconds in timed]


def _simulate_all(landing: Path, start: date, end: date, scale: float, names: list[str]) -> dict:
    from flows import registry
    from sources.simulate import simulate_landing

    simulators = {s.name: s.simulator for s in registry.select(names)}
    return simulate_landing(simulators, landing, start, end, scale)


def _serve_replica(landing: Path, credentials: dict[str, str], port: int) -> None:
    from sources.portal.server import serve

    serve(landing, credentials, port=port)


def _wait_for(url: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the replica at {url} did not start")


def _fresh(settings: Settings, home: Path, prefect: bool) -> None:
    """An empty warehouse (and raw archive), so the whole year is loaded; Prefect's home too when
    no server of this process uses it yet."""
    for stale in [
        settings.warehouse,
        settings.build_dir,
        home / "raw",
        home / "quality",
        *([home / "prefect"] if prefect else []),
    ]:
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()


def api_overhead(home: Path, landing: Path, files: dict[str, float], files_wall: float) -> None:
    """Run the nightly again with the dossiers pulled from the replica; print the overhead."""
    import secrets

    from flows.nightly import nightly
    from flows.settings import load_settings
    from sources.portal.server import free_port

    credentials = {
        "AppName": "bench",
        "AccessKey": secrets.token_hex(8),
        "SecretKey": secrets.token_urlsafe(16),
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    replica = multiprocessing.get_context("spawn").Process(
        target=_serve_replica, args=(landing, credentials, port), daemon=True
    )
    replica.start()
    try:
        _wait_for(url)
        os.environ.update(
            {
                "CHISO_DVC_API_URL": url,
                "CHISO_DVC_API_APP": credentials["AppName"],
                "CHISO_DVC_API_KEY": credentials["AccessKey"],
                "CHISO_DVC_API_SECRET": credentials["SecretKey"],
            }
        )
        settings = load_settings()
        _fresh(settings, home, prefect=False)
        t0 = time.perf_counter()
        state = nightly(return_state=True)
        wall = time.perf_counter() - t0
    finally:
        replica.terminate()
        replica.join(10)
        for var in ("CHISO_DVC_API_URL", "CHISO_DVC_API_APP", "CHISO_DVC_API_KEY"):
            os.environ.pop(var, None)
        os.environ.pop("CHISO_DVC_API_SECRET", None)
    import duckdb

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    pages, records = con.execute(
        "select count(*), sum(rows_read) from meta.manifest where source = 'dvc' and dataset = 'dossier'"
    ).fetchall()[0]
    con.close()
    api = _by_step(task_timings(str(state.state_details.flow_run_id)))
    files = _by_step(list(files.items()))
    print(f"\nnightly with the dossiers pulled from the replica: {state.name}")
    print(f"  {pages:,} pages, {records:,} records (page size {settings.dvc_api_page_size})")
    print(f"{'step':<34}{'files':>9}{'API':>9}{'overhead':>10}")
    for name in [n for n in files if n in api]:
        print(f"{name:<34}{files[name]:>9.2f}{api[name]:>9.2f}{api[name] - files[name]:>+10.2f}")
    f_total, a_total = sum(files.values()), sum(api.values())
    print(
        f"{'all steps':<34}{f_total:>9.2f}{a_total:>9.2f}{a_total - f_total:>+10.2f}"
        f"  ({(a_total / f_total - 1):+.0%})"
    )
    print(
        f"(whole nightly: files {files_wall:.2f} s with the Prefect start, API {wall:.2f} s "
        "on the server already started)"
    )


def _by_step(timings: list[tuple[str, float]]) -> dict[str, float]:
    """Task run name -> seconds, the random suffix of unnamed runs dropped (``prepare-620``)."""
    import re

    return {re.sub(r"-[0-9a-f]{3}$", "", name): seconds for name, seconds in timings}


def main(scale: float = 1.0, api: bool = False) -> int:
    home = Path(os.environ.get("CHISO_HOME") or REPO / "data" / "bench").resolve()
    os.environ.update(
        {"CHISO_HOME": str(home), "CHISO_SIM_SCALE": str(scale), "CHISO_SIMULATE": "1"}
    )
    os.environ["PREFECT_HOME"] = str(home / "prefect")
    landing = home / "landing"

    from flows.settings import load_settings

    settings = load_settings()
    from flows.nightly import active_sources

    names = active_sources(settings)
    print(f"sources: {', '.join(names)}")
    t0 = time.perf_counter()
    # in a child process, so the simulator's memory does not count as the nightly's
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        made = pool.apply(
            _simulate_all, (landing, settings.sim_start, settings.sim_end, scale, names)
        )
    sim_s = time.perf_counter() - t0
    print(f"simulate: {f'{sim_s:.1f} s' if made else 'landing zone already there'} ({landing})")

    _fresh(settings, home, prefect=True)

    read_s, files_rows, skipped = duckdb_read_seconds([landing / n for n in names])

    from flows.nightly import nightly

    t0 = time.perf_counter()
    state = nightly(return_state=True)
    wall = time.perf_counter() - t0
    import duckdb

    from warehouse.build import scalar

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    rows_read, files = con.execute("select sum(rows_read), count(*) from meta.manifest").fetchall()[
        0
    ]
    facts = scalar(con, "select count(*) from core.fct_dossier")
    con.close()

    print(f"\nnightly: {state.name}  ({state.message})")
    print(f"{'step':<34}{'seconds':>9}")
    flow_run_id = str(state.state_details.flow_run_id)
    timings = task_timings(flow_run_id)
    for name, seconds in timings:
        print(f"{name:<34}{seconds:>9.2f}")
    print(f"{'whole nightly (Prefect start incl.)':<34}{wall:>9.2f}")
    print(f"\ninput: {files:,} files, {rows_read:,} rows ({facts:,} dossiers in core.fct_dossier)")
    print(f"throughput: {rows_read / wall:,.0f} rows/s over the whole nightly")
    print(
        f"peak memory: nightly process {_peak_mib(resource.RUSAGE_SELF):,.0f} MiB; "
        f"largest child (Prefect server) {_peak_mib(resource.RUSAGE_CHILDREN):,.0f} MiB"
    )
    print(
        f"DuckDB reading the same extract files once ({files_rows:,} rows; {skipped} workbooks or "
        f"unreadable files skipped): {read_s:.2f} s; nightly / read = {wall / read_s:.1f}x"
    )
    for name, seconds in outputs_seconds(settings.warehouse, home / "bench-outputs").items():
        print(f"{name:<34}{seconds:>9.2f}")
    if api:
        api_overhead(home, landing, dict(timings), wall)
    return 0 if state.is_completed() else 2


def outputs_seconds(warehouse: Path, out: Path) -> dict[str, float]:
    """Wall time of what officials receive, on the published warehouse: export and report (HTML+PDF)."""
    from warehouse.export import export
    from warehouse.report import write_report

    timings = {}
    t0 = time.perf_counter()
    export(warehouse, out / "export")
    timings["chiso export (xlsx, csv, parquet)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    done = write_report(warehouse, out / "report")
    label = "chiso report (html" + (", pdf)" if done.pdf else "; no pdf)")
    timings[label] = time.perf_counter() - t0
    return timings


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0))
