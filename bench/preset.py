"""Time the CI path of a preset: check every built-in, render one (and render it again: nothing written),
search what would fit when nothing does, and write 10 000 findings in each CI format.

Run: ``.venv/bin/python bench/preset.py``. Prints the best of several runs per case, in milliseconds.
Targets: a CI step is dominated by Python start-up (under a second), not by these.
"""

from __future__ import annotations

import tempfile
import time
from typing import Callable

from mindpilot.presets.fit_advice import fit_advice
from mindpilot.presets.models import get_model
from mindpilot.presets.planner import plan
from mindpilot.presets.preset import builtin_presets, find_preset
from mindpilot.launch.render import render_preset
from mindpilot.validators.check.preset_file import check_targets
from mindpilot.validators.ci_formats import render
from mindpilot.validators.findings import Finding, Severity

REPEATS = 3


def best_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    names = sorted(builtin_presets())
    print(f"{'case':<44} {'best ms':>8}")
    print(f"{'check ' + str(len(names)) + ' built-in presets --skip-paths':<44} "
          f"{best_ms(lambda: check_targets(names, skip_paths=True)):>8.1f}")
    preset = find_preset("qwen2.5-7b-ft-2cards")
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        render_preset(preset, out)
        print(f"{'render qwen2.5-7b-ft-2cards (first)':<44} {(time.perf_counter() - start) * 1000:>8.1f}")
        print(f"{'render again (unchanged, nothing written)':<44} {best_ms(lambda: render_preset(preset, out)):>8.1f}")
    for model, cards in (("qwen2.5-72b", 8), ("deepseek-v3", 64)):
        arch = get_model(model)
        candidates = plan(arch, cards)
        print(f"{'what would fit: ' + model + ' on ' + str(cards):<44} "
              f"{best_ms(lambda: fit_advice(arch, cards, candidates)):>8.1f}")
    findings = [Finding(rule=f"parallel.rule_{i % 50}", severity=Severity.ERROR, title=f"finding {i}",
                        file="configs/a.yaml", line=i + 1) for i in range(10_000)]
    for fmt in ("junit", "sarif", "github"):
        print(f"{fmt + ' of 10000 findings':<44} {best_ms(lambda: render(findings, fmt, 'check')):>8.1f}")


if __name__ == "__main__":
    main()
