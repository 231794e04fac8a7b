"""A notebook open in JupyterLab, driven as a student drives it: type into a cell, run cells from the Run menu, and
read back what the page shows. Cells are addressed by their index in the notebook (JupyterLab's windowing is off, see
tests/lab_server.py, so the page holds every cell in order)."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.lab_server import Lab

CELLS = ".jp-Notebook .jp-Cell"
STDERR = "application/vnd.jupyter.stderr"  # how JupyterLab marks stderr streams and tracebacks, both shown red
RUN_TIMEOUT_S = 300
# Chromium cannot capture taller images than this; a longer notebook is cut at the bottom
MAX_SCREENSHOT_HEIGHT = 16_000


@dataclass(frozen=True)
class Output:
    """One output of a cell as the page shows it."""

    mime_type: str  # the renderer JupyterLab chose: text/html, image/png, application/vnd.jupyter.stderr, ...
    text: str

    @property
    def red(self) -> bool:
        """Shown on JupyterLab's red background: stderr, warnings, tracebacks."""
        return self.mime_type == STDERR


class NotebookPage:
    def __init__(self, page, lab: Lab, notebook: str):
        self.page = page
        self.lab = lab
        page.goto(lab.url(f"lab/tree/{notebook}"))
        page.wait_for_selector(CELLS, timeout=120_000)
        self.wait_for_idle_kernel()

    @classmethod
    def open(cls, browser, lab: Lab, notebook: str, width: int = 1400, height: int = 1000) -> "NotebookPage":
        """Open ``notebook`` (a path under the server's root) in a new browser page that carries the lab's token."""
        context = browser.new_context(viewport={"width": width, "height": height},
                                      extra_http_headers={"Authorization": f"token {lab.token}"})
        return cls(context.new_page(), lab, notebook)

    def cell(self, index: int):
        return self.page.locator(CELLS).nth(index)

    def replace_source(self, index: int, source: str) -> None:
        """Select everything in the cell's editor and type ``source`` over it.

        ``insert_text`` types the text as one input event, as a paste does, so the editor's auto-indent and
        auto-closing brackets leave it as it is.
        """
        self.cell(index).locator(".cm-content").click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.insert_text(source)
        self.page.keyboard.press("Escape")  # back to command mode

    def run_all_above(self, index: int) -> None:
        """Select cell ``index`` and choose Run > Run All Above Selected Cell."""
        self.cell(index).locator(".jp-InputPrompt, .jp-InputArea").first.click()
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Above Selected Cell").click()

    def wait_until_run(self, indices: list[int], timeout_s: float = RUN_TIMEOUT_S) -> None:
        """Wait until each of these code cells shows an execution count (``[7]:``) and the kernel is idle."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(self.execution_count(index) is not None for index in indices):
                self.wait_for_idle_kernel()
                return
            self.page.wait_for_timeout(500)
        pending = [index for index in indices if self.execution_count(index) is None]
        raise TimeoutError(f"cells {pending} had not run after {timeout_s} s")

    def wait_for_idle_kernel(self) -> None:
        self.page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=120_000)

    def execution_count(self, index: int) -> int | None:
        prompt = self.cell(index).locator(".jp-InputPrompt").inner_text().strip()  # "[ ]:", "[*]:" or "[7]:"
        count = prompt.removeprefix("[").removesuffix("]:")
        return int(count) if count.isdigit() else None

    def outputs(self, index: int) -> list[Output]:
        return [Output(output.get_attribute("data-mime-type") or "", output.inner_text())
                for output in self.cell(index).locator(".jp-OutputArea-output").all()]

    def images(self, index: int) -> int:
        """How many rendered images (plots) the cell's outputs show."""
        return self.cell(index).locator(".jp-OutputArea-output img").count()

    def screenshot_cell(self, index: int, path: Path) -> Path:
        """A picture of the cell, input and outputs; the window grows for the time being if the cell is taller."""
        height = self.cell(index).bounding_box()["height"]
        with self._window_height(height + 200):
            self.cell(index).screenshot(path=path)
        return path

    def screenshot_notebook(self, path: Path) -> Path:
        """A picture of the whole notebook, as tall as it is (up to what Chromium can capture)."""
        scroller = self.page.locator(".jp-WindowedPanel-outer").first  # the notebook's scrolling panel
        with self._window_height(scroller.evaluate("element => element.scrollHeight") + 200):
            scroller.evaluate("element => { element.scrollTop = 0; }")  # from the first cell
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=path)
        return path

    @contextmanager
    def _window_height(self, height: float) -> Iterator[None]:
        """Make the browser window at least this tall for a block (a screenshot), then restore its size."""
        before = self.page.viewport_size
        height = min(int(height), MAX_SCREENSHOT_HEIGHT)
        if height > before["height"]:
            self.page.set_viewport_size({"width": before["width"], "height": height})
            self.page.wait_for_timeout(300)  # JupyterLab lays its panels out again
        try:
            yield
        finally:
            self.page.set_viewport_size(before)
