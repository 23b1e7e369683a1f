"""One persistent GX project under the data home: one checkpoint a run, Data Docs with history."""

from __future__ import annotations

import json
import multiprocessing
import re

import duckdb
import great_expectations.expectations as E
import pytest

from expectations import datadocs
from expectations import gx_project as p
from expectations.datadocs.site import OfflineSiteBuilder
from expectations.run import run_checks
from expectations.suites import Suite

SUITES = [
    Suite(
        "t_rules",
        "core.t",
        [
            E.ExpectColumnValuesToBeInSet(
                column="status", value_set=[0, 1, 2], severity="critical"
            ),
            E.ExpectColumnValuesToBeUnique(column="id", severity="critical"),
        ],
    ),
    Suite("u_rules", "core.u", [E.ExpectTableRowCountToBeBetween(min_value=1)]),
]
CDN = re.compile(r"""<(script|img)[^>]*\ssrc=["']https?://|<link[^>]*\shref=["']https?://""")
# (a plain link to a web page, <a href="https://...">, loads nothing)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema core")
    con.execute("create table core.t as select range as id, range % 5 as status from range(100)")
    con.execute("create table core.u as select 1 as x")
    con.close()
    return path


def stored_runs(root):
    store = p.open_project(root).validation_results_store
    return sorted({k.run_id.run_name for k in store.list_keys()})


def test_runs_share_one_project_and_the_docs_keep_history(tmp_path, db):
    root = tmp_path / "gx"
    for run in ("run-1", "run-2"):
        results = run_checks(db, SUITES, root, run)
        assert [r.success for r in results] == [False, True, True]
    assert stored_runs(root) == ["run-1", "run-2"]
    (checkpoint,) = (root / "checkpoints").glob("*.json")
    config = json.loads(checkpoint.read_text())
    assert len(config["validation_definitions"]) == 2  # every suite in ONE checkpoint
    assert [a["type"] for a in config["actions"]] == ["chiso_update_data_docs"]
    site = root / datadocs.SITE_DIR
    index = (site / "index.html").read_text(encoding="utf-8")
    for run in ("run-1", "run-2"):
        assert len(list((site / "validations" / "t_rules" / run).rglob("*.html"))) == 1
        assert run in index


def test_pages_name_no_cdn_and_the_assets_are_in_the_site(tmp_path, db):
    root = tmp_path / "gx"
    run_checks(db, SUITES, root, "run-1")
    site = root / datadocs.SITE_DIR
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 5  # index, 2 suites, 2 validation results
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not CDN.search(text), (page, CDN.search(text))
        assert "static/vendor/bootstrap-4.3.1/css/bootstrap.min.css" in text
    for asset in ("bootstrap-4.3.1/css/bootstrap.min.css", "jquery-3.7.1/jquery.min.js"):
        assert (site / "static" / "vendor" / asset).is_file()
    assert (site / "static" / "images" / "logo-long.png").is_file()  # GX's own static assets too


def test_old_runs_leave_the_store_and_the_site(tmp_path, db):
    root = tmp_path / "gx"
    for run in ("run-1", "run-2", "run-3"):
        p.run_checkpoint(
            root, db, {"u_rules": ("core.u", SUITES[1].expectations)}, run, keep_runs=2
        )
    assert stored_runs(root) == ["run-2", "run-3"]
    pages = root / datadocs.SITE_DIR / "validations" / "u_rules"
    assert sorted(d.name for d in pages.iterdir() if any(d.rglob("*.html"))) == ["run-2", "run-3"]


def test_the_site_is_built_once_per_checkpoint(tmp_path, db, monkeypatch):
    builds = []
    original = OfflineSiteBuilder.build

    def counting(self, *args, **kwargs):
        builds.append(kwargs.get("resource_identifiers") or args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(OfflineSiteBuilder, "build", counting)
    run_checks(db, SUITES, tmp_path / "gx", "run-1")
    assert len(builds) == 1 and len(builds[0]) == 4  # 2 results + 2 suites, one build


def test_the_project_config_names_the_offline_site_and_no_analytics(tmp_path, db):
    root = tmp_path / "gx"
    run_checks(db, SUITES, root, "run-1")
    context = p.open_project(root)
    assert context.variables.analytics_enabled is False
    # GX parsed that file again for every project variable it looked up (~650 a checkpoint)
    assert context.variables.config_variables_file_path is None
    (site,) = context.list_data_docs_sites().values()
    assert site["module_name"] == "expectations.datadocs.site"
    assert site["site_index_builder"]["view"]["class_name"] == "IndexView"


def test_retention_counts_runs_not_checkpoints(tmp_path, db):
    """A run that validates twice (e.g. marts after core) is one run of the history."""
    root = tmp_path / "gx"
    u = {"u_rules": ("core.u", SUITES[1].expectations)}
    for run in ("run-1", "run-1", "run-2", "run-2", "run-3"):
        p.run_checkpoint(root, db, u, run, keep_runs=2)
    assert stored_runs(root) == ["run-2", "run-3"]


def test_a_run_renders_its_data_docs_once_after_its_checks(tmp_path, db):
    """The nightly's checkpoints store their results and render nothing; ``render_docs`` then
    renders every checkpoint's pages, their suites' pages and the index once, and prunes the
    runs past retention (their pages go with the index build)."""
    root = tmp_path / "gx"
    site = root / datadocs.SITE_DIR
    run_checks(db, SUITES[:1], root, "run-1")
    index_before = (site / "index.html").read_text(encoding="utf-8")
    t = {"t_rules": ("core.t", SUITES[0].expectations)}
    u = {"u_rules": ("core.u", SUITES[1].expectations)}
    p.run_checkpoint(root, db, t, "run-2", keep_runs=1, docs=False)
    p.run_checkpoint(root, db, u, "run-2", keep_runs=1, docs=False)
    assert not (site / "validations" / "t_rules" / "run-2").exists()  # no page yet
    assert not (site / "expectations" / "u_rules.html").exists()
    assert (site / "index.html").read_text(encoding="utf-8") == index_before
    assert stored_runs(root) == ["run-1", "run-2"]  # nothing pruned yet

    assert p.render_docs(root, "run-2", keep_runs=1) == 2
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "run-2" in index and "run-1" not in index
    assert stored_runs(root) == ["run-2"]
    assert len(list((site / "validations").rglob("*.html"))) == 2  # run-2's two pages
    assert (site / "expectations" / "u_rules.html").is_file()  # its suites' pages

    assert p.render_docs(root, "run-9") == 0  # a run that stored nothing renders nothing


def test_a_persistent_project_validates_without_network(tmp_path, db, monkeypatch):
    import socket

    def refuse(self, address):
        raise AssertionError(f"network connection attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert len(run_checks(db, SUITES, tmp_path / "gx", "run-1")) == 3


def test_a_later_run_reuses_the_assets_on_its_own_build_file(tmp_path, db):
    """Each run points the datasource at its build file and keeps the assets (not rewritten)."""
    root = tmp_path / "gx"
    run_checks(db, SUITES, root, "run-1")
    other = tmp_path / "build-2.duckdb"
    other.write_bytes(db.read_bytes())
    assert [r.success for r in run_checks(other, SUITES, root, "run-2")] == [False, True, True]
    source = p.open_project(root).data_sources.get(p.DATASOURCE)
    assert str(other.resolve()) in source.connection_string
    assert sorted(source.get_asset_names()) == ["core.t", "core.u"]


def test_docs_rendered_in_a_forked_process_and_its_failure_told(tmp_path, db, monkeypatch):
    """The nightly renders its Data Docs in a child process (no turn of its GIL): the same
    pages, the number of results back, a failure raised here with its cause."""
    import os

    root = tmp_path / "gx"
    site = root / datadocs.SITE_DIR
    t = {"t_rules": ("core.t", SUITES[0].expectations)}
    p.run_checkpoint(root, db, t, "run-1", docs=False)
    parent = os.getpid()
    rendered_in = []
    original = p.render_docs

    def render(*args, **kwargs):
        rendered_in.append(os.getpid())
        (tmp_path / "pid").write_text(str(os.getpid()))
        return original(*args, **kwargs)

    monkeypatch.setattr(p, "render_docs", render)
    assert p.render_docs_apart(root, "run-1") == 1
    assert (site / "validations" / "t_rules" / "run-1").is_dir()
    with multiprocessing.get_context("fork").Pool(1) as pool:  # from a daemonic process too
        assert pool.apply(p.render_docs_apart, (root, "run-1")) == 1
    assert rendered_in == []  # not here: in the child, which wrote its pid
    assert int((tmp_path / "pid").read_text()) != parent

    def fail(*args, **kwargs):
        raise ValueError("no space left on the site's disk")

    monkeypatch.setattr(p, "render_docs", fail)
    with pytest.raises(RuntimeError, match="ValueError: no space left"):
        p.render_docs_apart(root, "run-1")
