"""Open the served Data Docs in a real headless browser (Debian's chromium, driven by Playwright).

    .venv/bin/python tests/docs_browser.py data/gx [screenshots-folder]

serves the project's site on a free localhost port, opens the index and the
newest failed validation page as an operator would (clicking the row), prints
what was requested, what failed and what left the machine, and writes
screenshots. Used by tests/test_data_docs_browser.py; Playwright is a dev
dependency, so this lives with the tests, not in the package.
"""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too

from expectations.datadocs import forget, serve, url_of  # noqa: E402

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STYLED = "el => getComputedStyle(el).paddingLeft"  # Bootstrap's pl-5 is 3rem; unstyled, 0px


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Visit:
    """What the browser asked for while an operator looked around."""

    base: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(
        default_factory=list
    )  # no answer, HTTP >= 400, or a console load error

    def requested(self, request: Any) -> None:
        self.requests.append(request.url)

    def no_answer(self, request: Any) -> None:
        self.failed.append(f"{request.url}: {request.failure}")

    def answered(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def console(self, message: Any) -> None:
        if message.type == "error" and "Failed to load" in message.text:
            self.failed.append(message.text)  # e.g. the favicon, which no request event reports

    @property
    def external(self) -> list[str]:
        return [
            u for u in self.requests if not u.startswith(self.base) and not u.startswith("data:")
        ]


@contextmanager
def served(project: Path) -> Iterator[str]:
    """The project's Data Docs on a free localhost port, for the duration of the block."""
    server = serve(project)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url_of(server)
    finally:
        server.shutdown()
        server.server_close()
        forget(project)


@contextmanager
def browser_page(base: str) -> Iterator[tuple[Any, Visit]]:
    """A headless chromium page whose every request is recorded in the Visit."""
    from playwright.sync_api import sync_playwright

    path = chromium()
    if path is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    visit = Visit(base)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", visit.requested)
        page.on("requestfailed", visit.no_answer)
        page.on("response", visit.answered)
        page.on("console", visit.console)
        try:
            yield page, visit
        finally:
            browser.close()


def open_failed_run(page: Any, base: str) -> str:
    """From the index, show failed validations only and open the newest (as an operator would)."""
    page.goto(base + "index.html", wait_until="networkidle")
    page.select_option("select.bootstrap-table-filter-control-validation_success", label="Failed")
    row = page.locator("table tbody tr", has=page.locator(".ge-failed-icon")).first
    row.locator("td").nth(1).click()
    page.wait_for_load_state("networkidle")
    return str(page.url)


def main(argv: list[str]) -> int:
    project = Path(argv[0])
    shots = Path(argv[1]) if len(argv) > 1 else project
    with served(project) as base, browser_page(base) as (page, visit):
        page.goto(base + "index.html", wait_until="networkidle")
        print(f"index: Bootstrap padding of .pl-5 = {page.eval_on_selector('.pl-5', STYLED)}")
        page.screenshot(path=str(shots / "data-docs-index.png"), full_page=True)
        print(f"failed validation page: {open_failed_run(page, base)}")
        page.screenshot(path=str(shots / "data-docs-failed.png"))
    print(f"requests: {len(visit.requests)}, failed: {visit.failed}, external: {visit.external}")
    print(f"screenshots: {shots / 'data-docs-index.png'}, {shots / 'data-docs-failed.png'}")
    return 1 if visit.failed or visit.external else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
