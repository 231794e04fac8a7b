"""Where benchmark results go: one JSON file and one Markdown table per benchmark."""

import json
from pathlib import Path

DEFAULT_FOLDER = Path(__file__).resolve().parent / "results"


def write(results: dict, folder: Path, name: str) -> str:
    """Write ``name``.json and ``name``.md into ``folder``; return the Markdown table."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    table = "\n".join(["| measure | value |", "|---|---|"] +
                      [f"| {key} | {_cell(value)} |" for key, value in results.items()])
    (folder / f"{name}.md").write_text(table + "\n")
    return table


def _cell(value) -> str:
    """A value as the JSON beside the table writes it (true, not Python's True; a nested dict on one line), with
    any "|" escaped so that it stays in its cell."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("|", "\\|")
