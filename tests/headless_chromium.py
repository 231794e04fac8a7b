"""A real headless Chromium for tests, driven by Playwright: Debian's chromium package, never a browser that
Playwright downloads (the tests run offline, and `playwright install` fetches its own build).

Where Chromium or Playwright is missing, the tests that need them skip with a message that says how to install them;
under CI (CI=true) they fail instead, so that a CI machine without a browser never passes them silently.
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import missing_tool

INSTALL_HINT = ("install them: `apt-get install chromium` (Debian's browser; no `playwright install`) and "
                "`pip install -c constraints.txt -e '.[test]'` (Playwright's Python package)")


def require_chromium() -> str:
    """The path of Chromium, once Playwright and Chromium are both found; else skip or fail the test."""
    try:
        import playwright.sync_api  # noqa: F401 (only asked whether it is installed)
    except ImportError:
        missing_tool(f"the browser tests need Playwright's Python package: {INSTALL_HINT}")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        missing_tool(f"the browser tests need Chromium on PATH: {INSTALL_HINT}")
    return executable


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium browser (Playwright's ``Browser``), closed afterwards; skips or fails where missing."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Chromium's sandbox refuses to run as root (CI runs as root); the pages it opens are the test's own
        browser = playwright.chromium.launch(executable_path=executable,
                                             args=["--no-sandbox"] if os.geteuid() == 0 else [])
        try:
            yield browser
        finally:
            browser.close()
