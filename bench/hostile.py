"""Seconds and peak memory of the real CLI on hostile inputs (each must be a fast one-line refusal).

Run: ``.venv/bin/python bench/hostile.py``. For each input of issue 13 (deep YAML/JSON, billion laughs,
a card count of 2^62, a billion layers, a device, an interpreter that prints forever) it runs the
``mindpilot`` command a user would run and prints the exit code, wall seconds and peak RSS of the child
(``resource.getrusage``), next to how long it took before the bounds (a hang or 4.5 GB). Figures, not a test:
the tests in ``tests/test_input_bounds.py`` hold the behaviour.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "tests" / "data" / "check" / "qwen2_5_7b_2cards.yaml"


def laughs() -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for previous, name in zip("abcdefgh", "bcdefghi"):
        text += f"{name}: &{name} [" + ",".join(["*" + previous] * 9) + "]\n"
    return text


def cases(tmp: Path) -> list[tuple[str, list[str], str]]:
    (tmp / "deep.yaml").write_text("a: " + "[" * 10_000 + "]" * 10_000 + "\n")
    (tmp / "laughs.yaml").write_text(laughs())
    (tmp / "model").mkdir()
    (tmp / "model" / "config.json").write_text(json.dumps({
        "num_hidden_layers": 1_000_000_000, "hidden_size": 4096, "num_attention_heads": 32,
        "intermediate_size": 11008, "vocab_size": 32000}))
    (tmp / "layers.yaml").write_text(SOURCE.read_text().replace("num_layers: 28", "num_layers: 1000000000"))
    flood = tmp / "flood"
    flood.write_text(f"#!{sys.executable}\nimport sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
    flood.chmod(0o755)
    (tmp / "long_line.log").write_text("RuntimeError: call aclnnX failed, error code is 561002\nEZ9999: "
                                       + "x" * 10_000_000 + "\n")
    return [
        ("check, YAML 10,000 deep", ["check", str(tmp / "deep.yaml")], "a slow parse, then a traceback"),
        ("check, billion laughs", ["check", str(tmp / "laughs.yaml")], "hang"),
        ("plan --cards 2^62", ["plan", "--model", "qwen2.5-7b", "--cards", "4611686018427387904"], "hang"),
        ("plan, config.json 10^9 layers", ["plan", "--model", str(tmp / "model"), "--cards", "8"], "hang"),
        ("check --fix, 10^9 layers", ["check", str(tmp / "layers.yaml"), "--cards", "8", "--fix"], "hang"),
        ("diagnose /dev/zero", ["diagnose", "/dev/zero"], "hang"),
        ("diagnose, a 10 MB line", ["diagnose", str(tmp / "long_line.log")], "58 s (a regex over every literal)"),
        ("doctor --python ./flood", ["doctor", "--python", str(flood)], "4.5 GB RSS"),
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        print(f"{'input':<32} {'exit':>4} {'seconds':>8} {'peak MB':>8}  before")
        for label, argv, before in cases(tmp):
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "mindpilot", *argv], capture_output=True, text=True,
                                  cwd=name, env=dict(os.environ), timeout=300)
            seconds = time.monotonic() - started
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child so far
            print(f"{label:<32} {done.returncode:>4} {seconds:>8.2f} {peak_mb:>8.0f}  {before}")


if __name__ == "__main__":
    main()
