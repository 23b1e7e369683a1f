"""Open a run's Data Docs in a real headless browser (Debian's chromium), as an operator would.

    python -m expectations.docs_browser data/quality/<run>/uncommitted/data_docs/local_site/index.html

prints the failed checks the page shows and writes a screenshot beside it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from html import unescape
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def rendered_text(index_html: Path, screenshot: Path | None = None, timeout: float = 60) -> str:
    """The page's DOM after the browser ran it, as text (tags stripped); optionally a screenshot."""
    browser = chromium()
    if browser is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    url = index_html.resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        flags = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        dom = subprocess.run(
            [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=timeout, check=True
        ).stdout
        if screenshot is not None:
            subprocess.run(
                [*flags, f"--screenshot={screenshot}", "--window-size=1400,1000", url],
                capture_output=True,
                timeout=timeout,
                check=True,
            )
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", dom, flags=re.S | re.I)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


def main(argv: list[str]) -> int:
    index = Path(argv[0])
    shot = index.with_name("screenshot.png")
    text = rendered_text(index, shot)
    failed = re.findall(r"expect_[a-z_]+", text)
    print(f"{index}: page rendered ({len(text):,} characters of text), screenshot {shot}")
    print("expectations named on the page:", ", ".join(sorted(set(failed))) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
