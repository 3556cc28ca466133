"""Execute each chapter top to bottom in a fresh kernel and print its wall time (``make timings``).

Usage: python .ci/time_chapters.py [chapters/NN_*.ipynb ...]
The budget is 60 s per chapter on 2 cores; the script exits 1 if a chapter fails or exceeds it.
"""
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

BUDGET_S = 60.0
paths = [Path(p) for p in sys.argv[1:]] or sorted(Path("chapters").glob("*.ipynb"))
status = 0
for path in paths:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        verdict = "ok"
    except Exception as exc:  # noqa: BLE001 - report every chapter
        verdict = f"FAILED ({type(exc).__name__})"
        status = 1
    wall = time.perf_counter() - start
    if wall > BUDGET_S:
        verdict += " OVER BUDGET"
        status = 1
    print(f"{path.name:28s} {wall:6.1f} s  {verdict}", flush=True)
sys.exit(status)
