"""Strip outputs and execution counts from notebooks (the committed form of a chapter).

Usage: python .ci/strip_outputs.py chapters/*.ipynb
"""
import json
import sys
from pathlib import Path

for name in sys.argv[1:]:
    path = Path(name)
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    nb.get("metadata", {}).pop("widgets", None)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
