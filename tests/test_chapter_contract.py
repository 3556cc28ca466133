"""The chapter contract of DESIGN.md, checked on every notebook under chapters/.

These are static checks of the committed files; nbval (``make chapters``)
executes the notebooks and the hidden check cells inside them.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
FORBIDDEN = ("urlopen", "requests.get", "wget ", "curl ", "fetch_openml", "load_dataset(", "urlretrieve")


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _source(cell):
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def test_there_are_chapters():
    assert (ROOT / "chapters" / "00_preface.ipynb") in CHAPTERS


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_outputs_stripped(path):
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} cell {i} has outputs (run `make strip`)"
            assert cell["execution_count"] is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_first_code_cell_installs_then_imports(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    first = _source(code[0])
    assert "import physbook" in first and "pip" in first and "except ImportError" in first


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_hidden_checks_exist_and_assert(path):
    checks = [c for c in _cells(path) if c["cell_type"] == "code" and "remove-cell" in _tags(c)
              and re.search(r"^\s*assert\b", _source(c), re.M)]
    assert checks, f"{path.name} has no hidden check cell (tag remove-cell) with an assert"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_narrative_parts(path):
    md = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "markdown")
    assert md.lstrip().startswith("# "), f"{path.name} must open with a '# Title' markdown cell"
    assert re.search(r"^##\s+Overview", md, re.M), f"{path.name} needs an '## Overview'"
    assert re.search(r"^##\s+Summary", md, re.M), f"{path.name} needs a '## Summary'"
    assert re.search(r"^##\s+Exercises", md, re.M), f"{path.name} needs '## Exercises'"
    assert re.search(r"^##\s+References", md, re.M), f"{path.name} needs '## References'"
    assert "{exercise}" in md and "{solution" in md, f"{path.name} needs exercises with hidden solutions"
    assert "{cite" in md, f"{path.name} cites nothing"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_explorer_with_static_fallback(path):
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    assert "explorer(" in code and "static_panel(" in code


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_downloads(path):
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    for word in FORBIDDEN:
        assert word not in code, f"{path.name} must not download anything ({word!r})"


def test_toc_lists_exactly_the_chapters():
    toc = (ROOT / "_toc.yml").read_text()
    listed = set(re.findall(r"file:\s*(chapters/\S+)", toc))
    present = {f"chapters/{p.stem}" for p in CHAPTERS}
    assert listed == present, f"toc and chapters/ disagree: {sorted(listed ^ present)}"
