"""Time to enumerate and rank parallel plans (target: under 200 ms for 4096 cards).

Run: ``.venv/bin/python bench/plan.py``. Prints the best of several runs per case, in milliseconds.
"""

from __future__ import annotations

import time

from mindpilot.presets.models import get_model
from mindpilot.presets.planner import plan

CASES = [
    ("qwen2.5-7b", 8, "mindformers"),
    ("qwen2.5-72b", 512, "mindformers"),
    ("qwen2.5-72b", 4096, "mindformers"),
    ("deepseek-v3", 4096, "mindformers"),
    ("qwen3-235b-a22b", 4096, "mindspeed-llm"),
    ("qwen2.5-7b", 4096, "mindrlhf-grpo"),
]
REPEATS = 5


def main() -> None:
    print(f"{'model':<18} {'cards':>5} {'framework':<14} {'candidates':>10} {'best ms':>8} {'first ms':>9}")
    for name, cards, framework in CASES:
        arch = get_model(name)
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            candidates = plan(arch, cards, seq_len=32768 if cards >= 512 else 4096, framework=framework)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{name:<18} {cards:>5} {framework:<14} {len(candidates):>10} {min(times):>8.1f} {times[0]:>9.1f}")


if __name__ == "__main__":
    main()
