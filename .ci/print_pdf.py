"""Print the one-page HTML build of the book to PDF with the system Chromium (``make pdf``).

Usage: python .ci/print_pdf.py _build/singlehtml/index.html _build/pdf/physics-of-ai.pdf
Waits for MathJax to typeset every formula before printing; no TeX installation is needed.
"""
import importlib.util
import sys
import time
from pathlib import Path

_spec = importlib.util.spec_from_file_location("check_site", Path(__file__).with_name("check_site.py"))
check_site = importlib.util.module_from_spec(_spec)
sys.modules["check_site"] = check_site
_spec.loader.exec_module(check_site)


def main(src: str, dest: str) -> int:
    from playwright.sync_api import sync_playwright

    page_path = Path(src).resolve()
    out = Path(dest)
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    server, base = check_site.serve(page_path.parent)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=check_site.CHROMIUM, args=check_site.CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(base + page_path.name, wait_until="load", timeout=120_000)
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=120_000)
            page.evaluate("() => MathJax.startup.promise")
            page.emulate_media(media="print")
            page.pdf(path=str(out), format="A4", print_background=True,
                     margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"})
            browser.close()
    finally:
        server.shutdown()
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
