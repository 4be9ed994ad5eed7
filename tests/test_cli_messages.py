"""The CLI's own words are data (``commands/messages.yaml``), as the TUI's are (``tui/labels.yaml``): no
Chinese text inline in ``commands/``, every message a command asks for exists, and both languages fill the same
placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from mindpilot.commands.output import words, words_for
from mindpilot.wording import wordbook

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


def _command_files() -> list[Path]:
    return sorted((ROOT / "commands").glob("*.py"))


def test_no_chinese_text_inline_in_the_commands():
    offences = [f"{path.name}:{number}" for path in _command_files()
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if CJK.search(line)]
    assert offences == []


def _asked_for() -> tuple[set[str], set[str]]:
    """Message keys (``words("k", ...)``) and prefixes (``words_for("p", ...)``) named in ``commands/``."""
    keys, prefixes = set(), set()
    for path in _command_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                (keys if node.func.id == "words" else prefixes if node.func.id == "words_for" else set()).add(
                    node.args[0].value)
    return keys, prefixes


def test_every_message_a_command_asks_for_exists():
    book = wordbook("messages")
    keys, prefixes = _asked_for()
    assert len(keys) > 30 and prefixes >= {"plan.", "jobs.", "doctor."}
    assert sorted(keys - set(book)) == []
    assert all(any(key.startswith(prefix) for key in book) for prefix in prefixes)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_fill_the_same_placeholders():
    for key, entry in wordbook("messages").items():
        assert entry.zh.strip() and entry.en.strip(), key
        assert _fields(entry.zh) == _fields(entry.en), key


def test_messages_are_filled_in_the_users_language():
    assert words("stop.latest", "zh", job="j1") == "停止最新的任务 j1"
    assert words("stop.latest", "en", job="j1") == "stopping the latest job j1"
    assert words_for("jobs.", "zh")["status_running"] == "运行中"
    assert words("check.target_hbm", "en", hbm=64.0) == ", 64 GB HBM"
    assert words("launch.secret_unset", "en", key="HF_TOKEN").startswith("HF_TOKEN is a secret")  # `key` is a name
