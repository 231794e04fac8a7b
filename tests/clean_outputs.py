"""What a student must never see under a cell of an executed notebook, in one place for every test that looks:
an error, anything on standard error, a warning, an object's repr with its address, a widget (its state is not
saved with the notebook: reopened, JupyterLab shows "Error displaying widget: model not found"), or a progress
bar left behind."""

import re

# warnings, reprs, widget errors, and tqdm's frames ("  0%|", "3/3 [", "Epoch:") anywhere in the text shown
ALARMING = re.compile(r"warn|object at 0x|IProgress|Error displaying widget|\d+%\||\d+/\d+ \[|Epoch:",
                      re.IGNORECASE)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _text(output: dict) -> str:
    text = output.get("text", "") if output["output_type"] == "stream" else output.get("data", {}).get(
        "text/plain", "")
    return "".join(text)


def unwanted_outputs(notebook: dict) -> list[str]:
    """One line per output a student should not see, naming its cell; empty when the notebook is clean."""
    found = []
    for index, cell in enumerate(notebook["cells"]):
        where = f"cell {index} ({cell.get('metadata', {}).get('nbgrader', {}).get('grade_id', 'no grade_id')})"
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                found.append(f"{where}: {output['ename']}: {output['evalue']}")
            elif output["output_type"] == "stream" and output["name"] == "stderr":
                found.append(f"{where}: standard error: {_text(output).strip()[:300]!r}")
            elif WIDGET_VIEW in output.get("data", {}):
                found.append(f"{where}: a widget")
            if ALARMING.search(_text(output)):
                found.append(f"{where}: {_text(output).strip()[:200]!r}")
    return found
