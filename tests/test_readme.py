"""The README's homework example runs and prints what the README says (#26 item 9)."""
import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_example():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Using physbook in homework"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def expected_outputs(code):
    """The value each `print(...)  # value ...` line promises: exact, or a prefix before '...'."""
    found = []
    for line in code.splitlines():
        if line.startswith("print(") and "#" in line:
            comment = line.split("#", 1)[1].strip()
            num = r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?"
            m = re.match(rf"({num}(?: \+/- {num})?)(\.\.\.)?", comment)
            found.append((m.group(1), bool(m.group(2))))
    return found


def test_readme_example_prints_what_it_says():
    code = readme_example()
    expected = expected_outputs(code)
    assert len(expected) == 2
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    assert len(printed) == len(expected)
    for got, (want, prefix) in zip(printed, expected):
        assert got.startswith(want) if prefix else got == want, (got, want)
