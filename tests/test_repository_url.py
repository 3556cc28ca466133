"""The repository URL appears in one place (_config.yml); every derived place agrees with it."""
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("set_repo_url", ROOT / ".ci" / "set_repo_url.py")
set_repo_url = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(set_repo_url)


def test_config_states_an_https_url():
    assert re.fullmatch(r"https://\S+[^/]", set_repo_url.config_url())


@pytest.mark.parametrize("place, urls", sorted(set_repo_url.derived_places().items()))
def test_every_derived_place_agrees_with_the_config(place, urls):
    assert urls == [set_repo_url.config_url()], (
        f"{place} names {urls}, _config.yml says {set_repo_url.config_url()} (run `make set-repo URL=...`)")


def test_no_other_spelling_of_the_repository_in_the_sources():
    url = set_repo_url.config_url()
    host_path = url.split("://", 1)[1].lower()
    owner = host_path.split("/")[1]
    paths = [p for p in ROOT.rglob("*") if p.is_file() and p.suffix in {".py", ".md", ".yml", ".toml", ".ipynb", ".cfg"}
             and not any(part.startswith((".venv", "_build", ".git", ".jupyter_cache")) for part in p.relative_to(ROOT).parts)]
    for path in paths:
        for hit in re.findall(rf"github\.com/{re.escape(owner)}/[\w.-]+", path.read_text(errors="replace"), re.I):
            assert hit.lower() == host_path, f"{path.relative_to(ROOT)} names {hit}, not {host_path}"
