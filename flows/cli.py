"""The ``chiso`` command.

    chiso nightly            run the nightly flow now and print the scorecard
    chiso scorecard          print the published scorecard
    chiso simulate ...       write simulated extracts into a landing zone
    chiso serve              serve the nightly deployment (01:00 Asia/Ho_Chi_Minh)
    chiso retry RUN_ID       retry a failed (or crashed) flow run in place (resumes; loads nothing twice)
    chiso purge-raw          remove archived raw files past CHISO_RAW_RETENTION_DAYS whose rows are loaded
    chiso docs [--port N]    serve the GX Data Docs on http://127.0.0.1 (a free port by default)
    chiso bench              benchmark the nightly (first load, no-op, one-day delta; scales 1 and 8)
    chiso export [--out DIR] the published warehouse as Excel, CSV (UTF-8 BOM) and Parquet
    chiso report [--out DIR] the report (HTML with charts, and PDF) of the published warehouse
    chiso sql ["select …"]   read-only SQL on the published warehouse (no query: a prompt)
    chiso portal             serve the replica of the integration platform and the 766 endpoints

Without ``PREFECT_API_URL``, ``nightly`` and ``retry`` start a temporary Prefect
server that stops with the command (even a killed one).

Exit codes of ``nightly``: 0 published; 2 published with blocked indicators;
3 published, but unreadable files or quarantined rows above the threshold need
a look; 1 failed (nothing published), or a setting or parameter is wrong (one
line naming it, before anything runs).
"""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import date
from pathlib import Path
from typing import Any

import flows  # noqa: F401  (sets Prefect's environment before Prefect is imported)
from flows.settings import REPO, Settings, SettingsError, load_settings


def nightly_parameters(args: argparse.Namespace) -> dict:
    """The flow's parameters from the command line (unset: the environment decides)."""
    params: dict = {}
    if args.source:
        params["sources"] = [s.strip() for x in args.source for s in x.split(",") if s.strip()]
    if args.simulate is not None:
        params["simulate"] = args.simulate
    if args.restage:
        parts = args.restage.split(":")
        if len(parts) != 3:
            raise SettingsError(
                f"--restage={args.restage!r}: expected SOURCE[,SOURCE]:START:END "
                "(e.g. dvc:2025-01-01:2025-01-31)"
            )
        params["restage"] = {"sources": parts[0].split(","), "start": parts[1], "end": parts[2]}
    if getattr(args, "full", False):
        params["full"] = True
    return params


def exit_code(state: object) -> int:
    """0 published, 2 published with blocked indicators, 3 published needing a look, 1 failed."""
    from flows.nightly import ATTENTION, BLOCKED

    message = getattr(state, "message", None) or ""
    if getattr(state, "is_completed", lambda: False)():
        return 0
    if message.startswith(BLOCKED):
        return 2
    if message.startswith(ATTENTION):
        return 3
    return 1


def launch_nightly(settings: Settings, params: dict) -> Any:
    """What ``chiso nightly`` runs, up to the flow's final state.

    The temporary server (if no ``PREFECT_API_URL``) starts first, in its own process (4.6-5.0 s
    to answer on the 2-core machine), and while it does, this one checks the settings and
    parameters (``flows.preflight``: a bad one is one line, and the server is stopped), then
    loads the flow's modules (Prefect, the layers) and the checks' (Great Expectations: 2.7 s;
    the rules and the flow's modules do not load it themselves, ``expectations.suites.E``).
    The flow runs on the server once it answers. Nothing is imported in a background thread:
    two threads importing at once can meet in an import cycle, which Python breaks by failing
    one of the imports.
    """
    from flows.server import start_server, stop_server

    ready = start_server()
    from flows.preflight import check_inputs, plan_run

    try:
        plan = plan_run(settings, **params)
        check_inputs(settings, plan)
    except BaseException:
        stop_server()
        raise
    import expectations.run  # noqa: F401  (GX, for the checks: loads while the server starts)
    from flows.nightly import nightly
    from flows.server import without_heartbeats

    _load_the_engine()
    ready()
    with without_heartbeats():
        return nightly(**params, return_state=True)


def _load_the_engine() -> None:
    """Load what Prefect loads only when a flow is called (its flow and task engines, FastAPI's
    encoders for the parameters: 0.3 s, 139 modules), while the server is still starting."""
    import fastapi.encoders  # noqa: F401
    import prefect.flow_engine  # noqa: F401
    import prefect.task_engine  # noqa: F401


def cmd_nightly(args: argparse.Namespace) -> int:
    settings = load_settings()
    state = launch_nightly(settings, nightly_parameters(args))
    if settings.warehouse.exists():
        print_scorecard()
    print(f"\nrun: {state.name} — {state.message or ''}")
    return exit_code(state)


def print_scorecard(_: argparse.Namespace | None = None) -> int:
    from warehouse.build import connect
    from warehouse.reports import format_scorecard

    path = load_settings().warehouse
    if not path.exists():
        print(f"no published warehouse at {path}; run `chiso nightly` first", file=sys.stderr)
        return 1
    con = connect(path, read_only=True)
    try:
        print(format_scorecard(con))
    finally:
        con.close()
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from flows import registry
    from sources.simulate import simulator

    landing = Path(args.landing or load_settings().landing_url)
    for part in registry.select(args.source):
        counts = simulator(part.simulator)(
            landing,
            date.fromisoformat(args.start),
            date.fromisoformat(args.end),
            scale=args.scale,
            seed=args.seed,
        )
        print(part.name, counts)
    return 0


def cmd_serve(_: argparse.Namespace) -> int:
    from flows.deploy import serve

    serve()
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    from flows.server import ensure_server

    settings = load_settings()
    ensure_server()
    from prefect.cli import app

    from flows.housekeeping import mark_if_crashed

    if mark_if_crashed(settings, args.run_id):  # killed: Running forever, unless marked
        print(f"run {args.run_id} was still marked Running but its process is gone: now Crashed")
    sys.argv = [
        "prefect",
        "flow-run",
        "retry",
        args.run_id,
        "--entrypoint",
        f"{REPO / 'flows' / 'nightly.py'}:nightly",
    ]
    app()
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from expectations.datadocs import forget, serve, url_of

    settings = load_settings()
    try:
        server = serve(
            settings.gx_dir, args.host, settings.docs_port if args.port is None else args.port
        )
    except (FileNotFoundError, OSError) as error:
        print(f"chiso docs: {error}", file=sys.stderr)
        return 1
    print(f"Data Docs: {url_of(server)}index.html   (Ctrl-C stops)", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly: forget the URL
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        forget(settings.gx_dir)
    return 0


def cmd_purge_raw(args: argparse.Namespace) -> int:
    from warehouse.housekeeping import purge_raw

    settings = load_settings()
    days = settings.raw_retention_days if args.days is None else args.days
    removed = purge_raw(settings.warehouse, settings.raw_dir, days)
    for path in removed:
        print(path)
    print(f"removed {len(removed)} archived file(s) loaded more than {days} days ago")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from flows.bench import main as bench

    return bench(args.scale, api=args.api, json_out=Path(args.json) if args.json else None)


def replica_credentials(home: Path, env: dict[str, str]) -> dict[str, str]:
    """The replica's app credentials: from the environment (the same variables the connector
    reads), else generated once into ``<home>/secrets/lgsp-replica.env`` (never printed)."""
    import secrets

    from sources.dvc.constants import API_ENV

    names = {"app_name": "AppName", "access_key": "AccessKey", "secret_key": "SecretKey"}
    if all(env.get(var) for var in API_ENV.values()):
        return {names[k]: env[var] for k, var in API_ENV.items()}
    path = home / "secrets" / "lgsp-replica.env"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        values = {"app_name": "chiso", "access_key": secrets.token_hex(8)}
        values["secret_key"] = secrets.token_urlsafe(24)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(f"{API_ENV[k]}={v}\n" for k, v in values.items()))
        tmp.chmod(0o600)
        tmp.replace(path)
    pairs = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    print(f"credentials: {path} (load them where the connector runs: set -a; . {path}; set +a)")
    return {names[k]: pairs[var] for k, var in API_ENV.items()}


def cmd_portal(args: argparse.Namespace) -> int:
    import os

    from sources.portal.app import parse_faults
    from sources.portal.server import serve
    from sources.simulate import simulate_landing

    settings = load_settings()
    landing = Path(args.landing or settings.landing_url)
    if not any((landing / "dvc").glob("hoso/**/hoso_*.jsonl")):
        print(f"no dossier files in {landing}: simulating {settings.sim_start}..{settings.sim_end}")
        simulate_landing(
            {"dvc": "sources.dvc.simulator"},
            landing,
            settings.sim_start,
            settings.sim_end,
            settings.sim_scale,
        )
    credentials = replica_credentials(settings.home, dict(os.environ))
    faults = parse_faults(args.fault or [])
    print(f"replica on http://{args.host}:{args.port} over {landing} (faults: {faults})")
    serve(landing, credentials, args.host, args.port, faults)
    return 0


def _published_run_dir(kind: str) -> Path:
    from warehouse.build import published_run_id

    settings = load_settings()
    return settings.home / kind / (published_run_id(settings.warehouse) or "unpublished")


def cmd_export(args: argparse.Namespace) -> int:
    import time

    from warehouse.export import ExportError, export

    t0 = time.perf_counter()
    out = Path(args.out) if args.out else _published_run_dir("exports")
    try:
        done = export(load_settings().warehouse, out)
    except ExportError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"workbook: {done.workbook}")
    print(f"csv (UTF-8 with BOM): {', '.join(str(p) for p in done.csv)}")
    print(f"parquet: {', '.join(str(p) for p in done.parquet)}")
    print(f"from run {done.run_id} in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import time

    from warehouse.report import write_report

    t0 = time.perf_counter()
    out = Path(args.out) if args.out else _published_run_dir("reports")
    try:
        done = write_report(load_settings().warehouse, out, pdf=not args.no_pdf)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"html: {done.html}")
    print(f"pdf: {done.pdf or 'not written: ' + str(done.pdf_error or '--no-pdf')}")
    print(f"in {time.perf_counter() - t0:.1f} s")
    return 0 if done.pdf or args.no_pdf else 1


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from warehouse.query import open_read_only, repl, run_query

    try:
        con = open_read_only(load_settings().warehouse)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        if not args.query:
            import readline  # noqa: F401  (line editing and history at the prompt)

            return repl(con)
        try:
            run_query(con, args.query, sys.stdout, as_csv=args.csv, max_rows=args.max_rows)
        except duckdb.Error as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="chiso", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    night = sub.add_parser("nightly", help="run the nightly pipeline now")
    night.add_argument(
        "--source",
        action="append",
        help="a source to run (repeat, or comma-separated); default all",
    )
    night.add_argument(
        "--simulate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="fill the landing zone with the simulator first (default: CHISO_SIMULATE)",
    )
    night.add_argument(
        "--restage",
        metavar="SOURCE[,SOURCE]:START:END",
        help="stage the archived raw files of these sources dated START..END again",
    )
    night.add_argument(
        "--full",
        action="store_true",
        help="a full rebuild: stage every archived file again (gives what the nightly gives)",
    )
    night.set_defaults(fn=cmd_nightly)
    sub.add_parser("scorecard", help="print the published scorecard").set_defaults(
        fn=print_scorecard
    )
    sim = sub.add_parser("simulate", help="write simulated extracts")
    sim.add_argument("--landing")
    sim.add_argument("--start", default="2025-01-01")
    sim.add_argument("--end", default="2025-12-31")
    sim.add_argument("--scale", type=float, default=1.0)
    sim.add_argument("--seed", type=int, default=190)
    sim.add_argument("--source", action="append")
    sim.set_defaults(fn=cmd_simulate)
    sub.add_parser("serve", help="serve the 01:00 deployment").set_defaults(fn=cmd_serve)
    retry = sub.add_parser("retry", help="retry a failed flow run in place")
    retry.add_argument("run_id")
    retry.set_defaults(fn=cmd_retry)
    docs = sub.add_parser("docs", help="serve the GX Data Docs on localhost")
    docs.add_argument("--port", type=int, help="default: CHISO_DOCS_PORT, else a free port")
    docs.add_argument("--host", default="127.0.0.1")
    docs.set_defaults(fn=cmd_docs)
    purge = sub.add_parser(
        "purge-raw", help="remove archived raw files past the retention whose rows are loaded"
    )
    purge.add_argument(
        "--days", type=int, help="retention in days (default CHISO_RAW_RETENTION_DAYS)"
    )
    purge.set_defaults(fn=cmd_purge_raw)
    bench = sub.add_parser(
        "bench", help="benchmark: first load, no-op and one-day-delta nights at scales 1 and 8"
    )
    bench.add_argument(
        "--scale",
        type=float,
        action="append",
        help="a scale to run (repeat for more; default CHISO_SIM_SCALE, else 1 and 8)",
    )
    bench.add_argument(
        "--json", help="write the figures here (default <bench home>/bench-<UTC>.json)"
    )
    bench.add_argument(
        "--api",
        action="store_true",
        help="then again with the dossiers pulled from the replica: the API path's overhead",
    )
    bench.set_defaults(fn=cmd_bench)
    export = sub.add_parser("export", help="Excel, CSV and Parquet of the published warehouse")
    export.add_argument("--out", help="folder (default <home>/exports/<run id>)")
    export.set_defaults(fn=cmd_export)
    report = sub.add_parser("report", help="the HTML and PDF report of the published warehouse")
    report.add_argument("--out", help="folder (default <home>/reports/<run id>)")
    report.add_argument("--no-pdf", action="store_true", help="HTML only")
    report.set_defaults(fn=cmd_report)
    sql = sub.add_parser("sql", help="read-only SQL on the published warehouse")
    sql.add_argument("query", nargs="?", help="one statement (none: an interactive prompt)")
    sql.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    sql.add_argument("--max-rows", type=int, default=200)
    sql.set_defaults(fn=cmd_sql)
    portal = sub.add_parser(
        "portal", help="serve the replica of the integration platform and the 766 endpoints"
    )
    portal.add_argument("--landing", help="landing zone whose dvc files it serves")
    portal.add_argument("--host", default="127.0.0.1")
    portal.add_argument("--port", type=int, default=8190)
    portal.add_argument(
        "--fault",
        action="append",
        help="name=value, e.g. rate_limit_every=5, retry_after=2, shift_766=satisfaction:5",
    )
    portal.set_defaults(fn=cmd_portal)
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except SettingsError as exc:  # a setting or parameter: one line, no traceback
        print(f"chiso {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
