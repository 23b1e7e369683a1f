"""Data Docs served offline: the vendored assets, `chiso docs`, and the link a run gives."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from expectations import datadocs

ROOT = Path(__file__).resolve().parent.parent
VENDOR = datadocs.STATIC / "vendor"


def test_vendored_assets_are_the_npm_files_with_their_licences():
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    on_disk = {
        str(f.relative_to(VENDOR))
        for f in VENDOR.rglob("*")
        if f.is_file() and f.name not in ("manifest.json", "README.md")
    }
    listed = {f"{d}/{name}" for d, entry in manifest.items() for name in entry["files"]}
    assert on_disk == listed
    for folder, entry in manifest.items():
        assert (
            entry["npm"] and entry["license"] and entry["tarball_integrity"].startswith("sha512-")
        )
        assert any(name.startswith("LICENSE") for name in entry["files"]), folder
        for name, sha in entry["files"].items():
            assert hashlib.sha256((VENDOR / folder / name).read_bytes()).hexdigest() == sha, name


def test_every_local_asset_the_templates_name_exists():
    import re

    named = set()
    for template in datadocs.TEMPLATES.glob("*.j2"):
        named |= set(re.findall(r'vendor \}\}([^"]+)"', template.read_text()))
    assert len(named) >= 14
    assert not [n for n in named if not (VENDOR / n).is_file()]


def make_site(project: Path) -> None:
    site = project / datadocs.SITE_DIR
    site.mkdir(parents=True)
    (site / "index.html").write_text("<html><body>docs</body></html>")


def test_the_link_is_the_live_server_else_the_fixed_port_else_none(tmp_path):
    make_site(tmp_path)
    assert datadocs.docs_url(tmp_path) is None
    assert datadocs.docs_url(tmp_path, 8765) == "http://127.0.0.1:8765/"
    server = datadocs.serve(tmp_path)
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert datadocs.docs_url(tmp_path, 8765) == datadocs.url_of(server)
    finally:
        server.shutdown()
        server.server_close()
    assert datadocs.docs_url(tmp_path) is None  # recorded, but nobody answers there now
    datadocs.forget(tmp_path)


def test_chiso_docs_serves_on_a_free_port_prints_the_url_and_forgets_it(tmp_path):
    make_site(tmp_path / "gx")
    env = {**os.environ, "CHISO_HOME": str(tmp_path)}
    env.pop("CHISO_DOCS_PORT", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "docs"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("Data Docs: http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[2]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"docs" in response.read()
        assert datadocs.live_url(tmp_path / "gx") == url.removesuffix("index.html")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode == 0
    assert not (tmp_path / "gx" / datadocs.SERVER_FILE).exists()


def test_chiso_docs_before_any_run_says_so(tmp_path):
    env = {**os.environ, "CHISO_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "docs"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "no Data Docs at" in proc.stderr and "run the nightly" in proc.stderr


@pytest.mark.parametrize("port", ["x", "70000"])
def test_a_bad_docs_port_is_one_line(port):
    from flows.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="CHISO_DOCS_PORT"):
        load_settings({"CHISO_DOCS_PORT": port})


def test_templates_are_compiled_once_for_every_view_and_again_when_they_change(monkeypatch):
    import jinja2

    from expectations.datadocs.site import CompiledOnce, IndexView, PageView

    compiled: list[str | None] = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    cache = CompiledOnce()
    sources = {"page.j2": "<p>{{ x }}</p>"}

    def view_env() -> jinja2.Environment:  # GX makes a new environment for every view
        return jinja2.Environment(loader=jinja2.DictLoader(sources), bytecode_cache=cache)

    assert view_env().get_template("page.j2").render(x=1) == "<p>1</p>"
    assert view_env().get_template("page.j2").render(x=2) == "<p>2</p>"
    assert compiled == ["page.j2"]  # the second environment took the compiled template
    sources["page.j2"] = "<b>{{ x }}</b>"  # a changed template is compiled again
    assert view_env().get_template("page.j2").render(x=3) == "<b>3</b>"
    assert compiled == ["page.j2", "page.j2"]
    # the site's views share the process's cache
    assert PageView().env.bytecode_cache is IndexView().env.bytecode_cache
    assert isinstance(PageView().env.bytecode_cache, CompiledOnce)
