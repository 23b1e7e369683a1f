"""Benchmark: the nightly as users see it, at scales 1 and 8 (or ``--scale``), with the figures.

    make bench                          (= .venv/bin/chiso bench: scales 1 and 8)
    .venv/bin/chiso bench --scale 1     (one scale; CHISO_SIM_SCALE also picks it)

Each scale has its own data home (``data/bench`` for scale 1, ``data/bench/scale-8`` ...,
under ``CHISO_HOME`` if set) and keeps its simulated landing zone between runs (generated
if missing, timed apart). Then three nights, each in its own process so that its peak
memory is its own: the **first load** from an empty warehouse (the whole year), a
**no-op** night (nothing new), and a **one-day delta** (the simulators' next day of
deliveries, taken out of the landing zone again afterwards). The no-op night and the delta
are each run ``REPEATS`` times (before each delta after the first, the warehouse as it was
before the delta is put back, and the disk left to write it): the table shows the night of
the median whole time, and every repeat's whole time under it. Printed side by side:
seconds per step, the pipeline's own work (the sum of its tasks, Prefect's start
excluded), the whole nightly as ``chiso nightly`` runs it (from before its modules are
imported: the preflight, the modules loaded while Prefect's temporary server starts, the flow;
the server's database is made before the first night, as a deployed server's exists), the
ratio to DuckDB reading the same extract files once (and again at once, when they are in
memory) and to DuckDB reading them and keeping their rows in tables of a file (the engine's
own cost of the load, without any of the pipeline's work), peak memory; written to a JSON
file (``--json``, else ``bench-<UTC time>.json`` in the bench home) to compare over time.
Then ``chiso export`` and ``chiso report`` timed on the first scale's warehouse.

``chiso bench --api`` then runs the nightly again from an empty warehouse with
the dossiers pulled from the replica of the integration platform
(``chiso portal``, started in its own process over the same landing zone) and
prints the API path's overhead over the file path, step by step.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import resource
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flows.settings import REPO, Settings


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def duckdb_read_seconds(folders: list[Path], keep_in: Path | None = None) -> tuple[float, int, int]:
    """Time DuckDB reading every extract file once (count rows); return (seconds, rows, files skipped).

    JSON lines and CSV (any of the sources' separators and encodings) are
    read; workbooks are skipped (DuckDB's excel extension is not available
    offline), as is any file DuckDB cannot read. ``keep_in``: a DuckDB file (made, then
    removed) in which the rows are kept, each read a table (``create table as``, DuckDB's own
    types), the file closed within the time: the engine's own cost of reading the files and
    keeping what they hold, the least any load of them into a warehouse costs.
    """
    import duckdb

    from warehouse.build import scalar

    if keep_in is not None:
        _remove_database(keep_in)
    con = duckdb.connect(str(keep_in) if keep_in is not None else ":memory:")
    tables = itertools.count()

    def rows_of(relation: str, params: list) -> int:
        if keep_in is None:
            return int(scalar(con, f"select count(*) from {relation}", params))
        table = f"kept_{next(tables)}"
        con.execute(f"create table {table} as select * from {relation}", params)
        return int(scalar(con, f"select count(*) from {table}"))

    t0 = time.perf_counter()
    rows = skipped = 0
    jsonl = sorted(str(p) for f in folders for p in f.rglob("*.jsonl"))
    if jsonl:
        rows += rows_of("read_json(?, format = 'newline_delimited')", [jsonl])
    for path in sorted(p for f in folders for p in f.rglob("*.csv")):
        for options in ("", ", encoding = 'utf-16'"):
            try:
                rows += rows_of(
                    f"read_csv(?, all_varchar = true, strict_mode = false{options})", [str(path)]
                )
                break
            except duckdb.Error:
                continue
        else:
            skipped += 1
    skipped += sum(1 for f in folders for _ in f.rglob("*.xlsx"))
    con.close()
    seconds = time.perf_counter() - t0
    if keep_in is not None:
        _remove_database(keep_in)
    return seconds, rows, skipped


def _remove_database(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)


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


def flow_seconds(flow_run_id: str) -> float | None:
    """How long the flow run took, from its start to its end (its tasks that run beside each
    other counted once), as Prefect recorded it."""
    from uuid import UUID

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(str(flow_run_id)))
    if run.start_time is None or run.end_time is None:
        return None
    return (run.end_time - run.start_time).total_seconds()


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


def prefect_database(prefect_home: Path) -> None:
    """Create Prefect's database in ``prefect_home`` before the nights, as a deployed server's
    exists before its first nightly: the first load then pays the temporary server's start,
    not the one-off creation of its schema (about 6 s on this machine)."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
        env={**os.environ, "PREFECT_HOME": str(prefect_home)},
        check=True,
        capture_output=True,
    )


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


@dataclass
class Night:
    """One nightly as the bench saw it (from inside its own process)."""

    kind: str  # first load | no-op | one-day delta
    state: str
    message: str
    wall_s: float  # the whole nightly as ``chiso nightly`` runs it: its modules' import and
    # Prefect's temporary server start included (its database made beforehand, ``prefect_database``)
    steps: dict[str, float]  # task run -> seconds
    peak_mib: float  # the nightly process's own peak RSS (the Prefect server not included)
    rows_read: int = 0  # input rows in the manifest after the night
    files: int = 0
    flow_s: float | None = None  # the flow run, start to end: steps run beside others once

    @property
    def work_s(self) -> float:
        """The pipeline's own work: the sum of its task runs (Prefect's start excluded; a step
        that runs beside others, ``data-docs``, counted whole: see ``flow_s``)."""
        return sum(self.steps.values())


def _night(kind: str, env: dict[str, str]) -> Night:
    """Run one nightly in this (fresh) process with ``env`` as ``chiso nightly`` runs it; report it.

    Timed from before the flow's modules are imported: the command's preflight, its modules
    loaded while the temporary server starts, then the flow (``flows.cli.launch_nightly``).
    """
    os.environ.update(env)
    t0 = time.perf_counter()
    from flows.cli import launch_nightly
    from flows.settings import load_settings

    settings = load_settings()
    state = launch_nightly(settings, {})
    wall = time.perf_counter() - t0
    import duckdb

    rows = files = 0
    if settings.warehouse.exists():
        con = duckdb.connect(str(settings.warehouse), read_only=True)
        rows, files = con.execute(
            "select coalesce(sum(rows_read), 0), count(*) from meta.manifest"
        ).fetchall()[0]
        con.close()
    night = Night(
        kind=kind,
        state=str(state.name),
        message=str(state.message or ""),
        wall_s=wall,
        steps=_by_step(task_timings(str(state.state_details.flow_run_id))),
        peak_mib=_peak_mib(resource.RUSAGE_SELF),
        rows_read=int(rows),
        files=int(files),
        flow_s=flow_seconds(str(state.state_details.flow_run_id)),
    )
    _stop_temporary_server()
    return night


def _stop_temporary_server() -> None:
    """Stop the Prefect server this process started: a pool worker ends without running exit
    handlers, and a server left behind would run on beside the next nights' measurements."""
    from flows.server import stop_server

    stop_server()


REPEATS = 3  # no-op nights and one-day deltas a scale runs: one night varied by 0.5-1 s


def median_night(nights: list[Night]) -> Night:
    """The night of the median whole time (of an even number, the faster of the middle two)."""
    ordered = sorted(nights, key=lambda n: n.wall_s)
    return ordered[(len(ordered) - 1) // 2]


def settle(limit_kib: int = 20_000, seconds: float = 60) -> None:
    """Wait until the kernel has written the dirty pages out (Linux ``/proc/meminfo``; at most
    ``seconds``): a night measured while the disk still writes a copy waits for it."""
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        fields = dict(
            line.split(":", 1) for line in meminfo.read_text().splitlines() if ":" in line
        )
        dirty = sum(int(fields.get(k, "0 kB").split()[0]) for k in ("Dirty", "Writeback"))
        if dirty < limit_kib:
            return
        time.sleep(0.5)


def _repeated_deltas(settings: Settings, env: dict[str, str]) -> list[Night]:
    """``REPEATS`` one-day deltas, each on the warehouse as it was before the first."""
    from warehouse.build import private_copy
    from warehouse.spare import make_spare

    before = settings.warehouse.with_name("before-delta.duckdb")
    restored = settings.warehouse.with_suffix(".restoring")
    private_copy(settings.warehouse, before)
    nights = []
    try:
        for number in range(REPEATS):
            if number:
                private_copy(before, restored)
                os.replace(restored, settings.warehouse)
                if settings.spare_build:  # as the night that published it left it
                    make_spare(settings.warehouse, settings.build_dir)
                settle()
            nights.append(_in_child("one-day delta", env))
    finally:
        before.unlink(missing_ok=True)
        restored.unlink(missing_ok=True)  # (a copy that failed half-way)
    return nights


def _in_child(kind: str, env: dict[str, str]) -> Night:
    """A nightly in a process of its own, so each night's peak memory is its own."""
    from flows.settings import load_settings
    from warehouse.spare import wait_for_spare

    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        night = pool.apply(_night, (kind, env))
    # the next night's copy, made after a publish (``warehouse.spare``), is done before the next
    # night is measured, as it is by the next night in service (a day later)
    wait_for_spare(load_settings().build_dir)
    settle()
    return night


def working_day_after(end: date) -> date:
    """The first working day after ``end`` (the simulators' calendar): the one-day delta is a
    day of ordinary deliveries. Until 4 December 2026 it was the day after the simulated year,
    1 January, a public holiday: 0.6 MB of dossiers at scale 8 against 60 MB on 2 January."""
    from sources.dvc.simulator import is_working_day

    day = end + timedelta(days=1)
    while not is_working_day(day.toordinal()):
        day += timedelta(days=1)
    return day


def _delta_day(home: Path, landing: Path, day: date, scale: float, names: list[str]) -> list[Path]:
    """One more day of deliveries into the landing zone; the files added (removed afterwards)."""
    staging = home / "delta-landing"
    if staging.exists():
        shutil.rmtree(staging)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pool.apply(_simulate_all, (staging, day, day, scale, names))
    added = []
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        if path.name.startswith("."):
            continue  # the simulator's marker
        target = landing / path.relative_to(staging)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        added.append(target)
    shutil.rmtree(staging)
    return added


def bench_scale(scale: float, base: Path, names: list[str]) -> dict:
    """First load, a no-op night and a one-day-delta night at one scale; their figures."""
    home = base if scale == 1 else base / f"scale-{scale:g}"
    landing = home / "landing"
    env = {
        "CHISO_HOME": str(home),
        "CHISO_SIM_SCALE": str(scale),
        "CHISO_SIMULATE": "1",
        "PREFECT_HOME": str(home / "prefect"),
        "CHISO_SOURCES": ",".join(names),
    }
    os.environ.update(env)
    (home / "prefect").mkdir(parents=True, exist_ok=True)
    from flows.settings import load_settings

    settings = load_settings()
    t0 = time.perf_counter()
    # in a child process, so the simulator's memory does not count as the nightly's
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        made = pool.apply(
            _simulate_all, (landing, settings.sim_start, settings.sim_end, scale, names)
        )
    sim_s = time.perf_counter() - t0 if made else None
    _fresh(settings, home, prefect=True)
    prefect_database(home / "prefect")
    folders = [landing / n for n in names]
    read_s, read_rows, skipped = duckdb_read_seconds(folders)
    # the same read again: the files are then in memory as far as memory holds them. The first
    # read finds them as the machine left them (in memory after the simulator wrote them, or
    # not, when other files pushed them out): 9.6 s or 23 s at scale 8 on the same machine
    again_s = duckdb_read_seconds(folders)[0]
    # in a child process: a night's process is spawned from this one, and Linux counts the RSS
    # this process had when it forked into the child's peak (the rows kept take GBs)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        keep_s = pool.apply(duckdb_read_seconds, (folders, home / "bench-kept.duckdb"))[0]
    first = _in_child("first load", env)
    noops = [_in_child("no-op", env) for _ in range(REPEATS)]
    day = working_day_after(settings.sim_end)
    added = _delta_day(home, landing, day, scale, names)
    try:
        deltas = _repeated_deltas(settings, env)
    finally:
        for path in added:
            path.unlink(missing_ok=True)
    nights = [first, median_night(noops), median_night(deltas)]
    return {
        "scale": scale,
        "sources": names,
        "simulate_s": sim_s,
        "duckdb_read_s": read_s,
        "duckdb_read_again_s": again_s,
        "duckdb_read_and_keep_s": keep_s,  # the rows kept in tables of a DuckDB file
        "duckdb_read_rows": read_rows,
        "files_skipped_by_read": skipped,
        "delta_day": day.isoformat(),
        "spare_build": settings.spare_build,
        "delta_files": len(added),
        "nights": [asdict(n) | {"work_s": n.work_s} for n in nights],
        "repeats": {  # every repeat's whole nightly, seconds (``nights`` has the median's)
            "no-op": [n.wall_s for n in noops],
            "one-day delta": [n.wall_s for n in deltas],
        },
        "repeat_states": [n.state for n in (*noops, *deltas)],  # a failed repeat fails the bench
    }


def print_scale(result: dict) -> None:
    """One scale's nights side by side: per-step seconds, whole, work, memory, ratio."""
    nights = result["nights"]
    print(
        f"\nscale {result['scale']:g} ({', '.join(result['sources'])}): "
        f"DuckDB reads the same files once in {result['duckdb_read_s']:.2f} s"
        + (
            f" (read again at once: {result['duckdb_read_again_s']:.2f} s) "
            if result.get("duckdb_read_again_s")
            else " "
        )
        + f"({result['duckdb_read_rows']:,} rows; {result['files_skipped_by_read']} workbooks "
        "or unreadable files skipped)"
    )
    if result.get("duckdb_read_and_keep_s"):
        print(
            "DuckDB reads them and keeps their rows in tables of a file in "
            f"{result['duckdb_read_and_keep_s']:.2f} s"
        )
    steps = list(dict.fromkeys(s for n in nights for s in n["steps"]))
    print(f"{'step (s)':<30}" + "".join(f"{n['kind']:>16}" for n in nights))
    for step in steps:
        cells = "".join(
            f"{n['steps'][step]:>16.2f}" if step in n["steps"] else f"{'-':>16}" for n in nights
        )
        print(f"{step:<30}{cells}")
    rows = [
        ("pipeline work (sum of tasks)", lambda n: f"{n['work_s']:.2f}"),
        (
            "the flow run, start to end",
            lambda n: "-" if n.get("flow_s") is None else f"{n['flow_s']:.2f}",
        ),
        ("whole nightly (Prefect incl.)", lambda n: f"{n['wall_s']:.2f}"),
        (
            "ratio to the bare read",
            lambda n: (
                f"{n['wall_s'] / result['duckdb_read_s']:.1f}x"
                if n["kind"] == "first load"
                else "-"
            ),
        ),
        (
            "ratio to the read again",
            lambda n: (
                f"{n['wall_s'] / result['duckdb_read_again_s']:.1f}x"
                if n["kind"] == "first load" and result.get("duckdb_read_again_s")
                else "-"
            ),
        ),
        (
            "ratio to the read and keep",
            lambda n: (
                f"{n['wall_s'] / result['duckdb_read_and_keep_s']:.1f}x"
                if n["kind"] == "first load" and result.get("duckdb_read_and_keep_s")
                else "-"
            ),
        ),
        ("peak memory (MiB)", lambda n: f"{n['peak_mib']:,.0f}"),
        ("files / rows in the manifest", lambda n: f"{n['files']:,}/{n['rows_read']:,}"),
        ("state", lambda n: n["state"]),
    ]
    repeats = result.get("repeats") or {}
    if repeats:
        rows.insert(
            3,
            (
                "whole nightly, each repeat",
                lambda n: " ".join(f"{s:.1f}" for s in repeats.get(n["kind"], [])) or "-",
            ),
        )
    for label, cell in rows:
        print(f"{label:<30}" + "".join(f"{cell(n):>16}" for n in nights))
    print(f"(one-day delta: {result['delta_files']} file(s) dated {result['delta_day']})")


def pick_scales(asked: list[float] | None, env_scale: str | None) -> list[float]:
    """``--scale`` values, else CHISO_SIM_SCALE, else 1 and 8."""
    if asked:
        return asked
    return [float(env_scale)] if env_scale else [1.0, 8.0]


def main(scales: list[float] | None = None, api: bool = False, json_out: Path | None = None) -> int:
    """``make bench``: scales 1 and 8 unless told (``--scale``, else CHISO_SIM_SCALE)."""
    base = Path(os.environ.get("CHISO_HOME") or REPO / "data" / "bench").resolve()
    scales = pick_scales(scales, os.environ.get("CHISO_SIM_SCALE"))
    os.environ.update({"CHISO_HOME": str(base), "CHISO_SIMULATE": "1"})
    from flows.nightly import active_sources
    from flows.settings import load_settings

    names = active_sources(load_settings())
    results = []
    for scale in scales:
        result = bench_scale(scale, base, names)
        print_scale(result)
        results.append(result)
    first = results[0]
    home = base if first["scale"] == 1 else base / f"scale-{first['scale']:g}"
    os.environ.update({"CHISO_HOME": str(home), "CHISO_SIM_SCALE": str(first["scale"])})
    from flows.settings import load_settings as reload

    outputs = outputs_seconds(reload().warehouse, home / "bench-outputs")
    for name, seconds in outputs.items():
        print(f"{name:<34}{seconds:>9.2f}")
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "scales": results,
        "outputs_s": outputs,
    }
    path = json_out or base / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, default=str), encoding="utf-8")
    print(f"\nfigures written to {path}")
    if api:
        env = {"CHISO_HOME": str(home), "PREFECT_HOME": str(home / "prefect")}
        os.environ.update(env)
        night = first["nights"][0]
        api_overhead(home, home / "landing", night["steps"], night["wall_s"])
    ok = all(n["state"] == "Completed" for r in results for n in r["nights"]) and all(
        state == "Completed" for r in results for state in r.get("repeat_states", [])
    )
    return 0 if ok else 2


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
    sys.exit(main([float(a) for a in sys.argv[1:]] or None))
