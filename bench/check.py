"""Time to check MindFormers' own configs, per schema (target: well under 200 ms per file, no framework import).

Run: ``.venv/bin/python bench/check.py``. For the 1.x/2.x graph-mode configs and the 2.x PyNative ones in
``tests/data/mf2`` it prints the best of several runs in milliseconds per file, and whether checking pulled a
heavy module (mindspore, mindformers, torch, numpy) into the process.

``bench/check.py DIR`` instead checks every YAML under DIR (an unzipped wheel's ``configs/``, from
``pip download --no-deps mindformers==X``) at its own card count and prints the errors: conformance of a release.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from mindpilot.validators.check import run_check

MF2 = Path(__file__).resolve().parent.parent / "tests" / "data" / "mf2"
REPEATS = 5
HEAVY = ("mindspore", "mindformers", "torch", "numpy")


def conformance(directory: Path) -> None:
    from mindpilot.validators.check.conformance import check_shipped

    results = check_shipped(sorted(directory.rglob("*.yaml")))
    for path, cards, errors in results:
        print(f"{Path(path).relative_to(directory)}  cards={cards}  {', '.join(errors) if errors else 'ok'}")
    print(f"{sum(1 for _, _, e in results if e)} of {len(results)} files with errors")


def main() -> None:
    if len(sys.argv) > 1:
        conformance(Path(sys.argv[1]))
        return
    files = sorted(MF2.glob("configs*/*/*.yaml"))
    by_kind: dict[str, list[Path]] = {}
    for path in files:
        kind = run_check([path], cards=8, skip_paths=True).files[0]["kind"]
        by_kind.setdefault(kind, []).append(path)
    print(f"{'kind':<22} {'files':>5} {'best ms/file':>13} {'first ms/file':>14}")
    for kind, paths in sorted(by_kind.items()):
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            for path in paths:
                run_check([path], cards=8, skip_paths=True)
            times.append((time.perf_counter() - start) * 1000 / len(paths))
        print(f"{kind:<22} {len(paths):>5} {min(times):>13.1f} {times[0]:>14.1f}")
    heavy = [name for name in HEAVY if name in sys.modules]
    print(f"heavy modules imported: {', '.join(heavy) if heavy else 'none'}")


if __name__ == "__main__":
    main()
