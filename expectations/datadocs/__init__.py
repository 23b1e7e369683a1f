"""GX Data Docs as an operator reads them: GX's own site, working offline, served on localhost.

GX 1.24's page templates load Bootstrap, jQuery, bootstrap-table, Font Awesome
and Vega from public CDNs (offline the pages render unstyled) and the logo
from a remote URL carrying the project's id. The site is configured the GX
way, not patched after the fact:

- ``site.site_config()`` is the Data Docs site of the project: GX's
  ``SiteBuilder`` (``OfflineSiteBuilder``, which also copies ``static/vendor/``
  into the site's ``static/``), with page and index views whose Jinja templates
  are looked up in ``templates/`` first. Those override only GX's templates
  that name a CDN or a remote image (``page.j2``, ``index_page.j2``,
  ``js_script_imports.j2``, ``top_navbar.j2``, ``favicon.j2``) and point them
  at the vendored copies (``static/vendor/README.md``: npm package, version,
  licence, hashes).
- ``serve()`` (here, no GX import) serves the site over HTTP on localhost
  (``chiso docs``) and records its URL in the project, where the nightly's
  report finds it (``docs_url``).
"""

from __future__ import annotations

import json
import os
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")  # copied to the site's static/ (GX keys from "static")
SITE_NAME = "local_site"
SITE_DIR = "uncommitted/data_docs/local_site"  # relative to the GX project root
SERVER_FILE = "docs-server.json"  # in the project root while `chiso docs` serves it


# ----------------------------------------------------------------- serving


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".woff2": "font/woff2"}

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # one line per request would bury the URL the operator needs


def serve(project: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server of the project's Data Docs site (not yet serving: call ``serve_forever``).

    ``port`` 0 takes a free one. The URL is recorded in the project
    (``docs-server.json``) until ``forget(project)``, so runs link there.
    """
    site = Path(project) / SITE_DIR
    if not (site / "index.html").is_file():
        raise FileNotFoundError(f"no Data Docs at {site}: run the nightly (or validate) first")
    server = ThreadingHTTPServer((host, port), partial(_Handler, directory=str(site)))
    record = {"url": url_of(server), "pid": os.getpid()}
    (Path(project) / SERVER_FILE).write_text(json.dumps(record), encoding="utf-8")
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/"


def forget(project: Path) -> None:
    """Remove the record of a docs server that stops."""
    (Path(project) / SERVER_FILE).unlink(missing_ok=True)


def site_index(project: Path) -> Path:
    """The index page of the project's Data Docs."""
    return Path(project) / SITE_DIR / "index.html"


def docs_url(project: Path, port: int = 0) -> str | None:
    """Where an operator opens the Data Docs: the server serving them now, else the fixed port."""
    return live_url(project) or (f"http://127.0.0.1:{port}/" if port else None)


def live_url(project: Path, timeout: float = 2.0) -> str | None:
    """The URL of the docs server serving ``project`` now, if one answers there."""
    try:
        url = json.loads((Path(project) / SERVER_FILE).read_text(encoding="utf-8"))["url"]
        with urllib.request.urlopen(url + "index.html", timeout=timeout) as response:  # noqa: S310 - our own localhost URL
            return str(url) if response.status == 200 else None
    except (OSError, ValueError, KeyError):
        return None
