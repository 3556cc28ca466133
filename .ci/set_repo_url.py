"""The repository URL lives in one place: ``repository.url`` in ``_config.yml``.

The launch buttons (Binder, Colab, live code) and the repository button read it from there. The
places that cannot read a config file at run time -- the install cell of every chapter (Colab opens
a lone notebook) and ``[project.urls]`` in pyproject.toml -- are written from it by this script, and
``tests/test_repository_url.py`` fails when any of them disagrees.

Usage: python .ci/set_repo_url.py [NEW_URL]   (``make set-repo URL=...``)
With NEW_URL, _config.yml is updated first; then every derived place is rewritten.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
_CONFIG_URL = re.compile(r"^(repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:[ \t]*)(\S+)", re.M)
_INSTALL_URL = re.compile(r"physbook @ git\+(\S+?)\"")
_PYPROJECT_URL = re.compile(r'^(Repository = ")([^"]+)(")', re.M)


def config_url() -> str:
    """The repository URL as ``_config.yml`` states it."""
    match = _CONFIG_URL.search(CONFIG.read_text())
    if not match:
        raise SystemExit("_config.yml has no repository.url")
    return match.group(2)


def derived_places() -> dict[str, list[str]]:
    """Every URL written into a derived place, by file."""
    found = {}
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        code = next(c for c in cells if c["cell_type"] == "code")
        found[nb.relative_to(ROOT).as_posix()] = _INSTALL_URL.findall("".join(code["source"]))
    found["pyproject.toml"] = [m.group(2) for m in _PYPROJECT_URL.finditer((ROOT / "pyproject.toml").read_text())]
    return found


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        new = argv[1].rstrip("/")
        if not re.fullmatch(r"https://\S+", new):
            raise SystemExit(f"URL must start with https://, got {new!r}")
        text = CONFIG.read_text()
        CONFIG.write_text(_CONFIG_URL.sub(lambda m: m.group(1) + new, text, count=1))
    url = config_url()
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        data = json.loads(nb.read_text())
        code = next(c for c in data["cells"] if c["cell_type"] == "code")
        src = "".join(code["source"])
        new_src = _INSTALL_URL.sub(f'physbook @ git+{url}"', src)
        if new_src != src:
            code["source"] = new_src.splitlines(keepends=True)
            nb.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    py = ROOT / "pyproject.toml"
    py.write_text(_PYPROJECT_URL.sub(lambda m: m.group(1) + url + m.group(3), py.read_text()))
    print(f"repository URL: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
