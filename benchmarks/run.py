"""Run every benchmark (``make bench``): each ``benchmarks/bench_*.py`` has a ``main()``.

Benchmarks compare physbook with a peer in the same process run and print
ratios (medians of repeats); they never assert on wall time.
Run one alone with ``python benchmarks/bench_ising.py``.
"""
import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv):
    names = argv[1:]
    files = sorted(HERE.glob("bench_*.py"))
    if names:
        files = [f for f in files if any(n in f.stem for n in names)]
    failed = []
    for path in files:
        print(f"\n=== {path.stem} ===", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        start = time.perf_counter()
        try:
            spec.loader.exec_module(module)
            module.main()
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            failed.append(path.stem)
            print(f"FAILED: {type(exc).__name__}: {exc}", flush=True)
        print(f"({path.stem}: {time.perf_counter() - start:.1f} s)", flush=True)
    if failed:
        print(f"\nfailed benchmarks: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
