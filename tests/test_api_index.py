"""The committed API index (api_index.md) is in step with the code (#26 item 8)."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("api_index", ROOT / ".ci" / "api_index.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_index_is_up_to_date():
    text = _generator().render()
    committed = (ROOT / "api_index.md").read_text()
    assert committed == text, "api_index.md is out of date: run `make api-index` and commit it"


def test_api_index_lists_every_public_name_once_per_module():
    gen = _generator()
    text = gen.render()
    for mod in gen.modules():
        section = text.split(f"## {mod.__name__}\n", 1)[1].split("\n## ", 1)[0]
        if hasattr(mod, "__path__"):
            continue
        for name in mod.__all__:
            assert f"- `{name}" in section, f"{mod.__name__}.{name} missing from the index"
    assert "0x" not in text, "a default value printed as a memory address"
