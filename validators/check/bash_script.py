"""A bash launch script as the checks read it: variables from plain assignments, commands as argv lists.

The script is not run: variables are read from plain assignments (``TP=4``, ``export X=...``,
``WORLD_SIZE=$((A*B))``) as bash reads them (:mod:`~mindpilot.validators.check.bash_words`) and commands are
split into argv lists after joining ``\\`` continuations.
"""

from __future__ import annotations

import re
import shlex
from typing import Optional

from mindpilot.validators.check.bash_words import assignment_value, open_quote

ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
MAX_ARITHMETIC = 200
"""Longest ``$((...))`` evaluated (after names are filled in): a script's card counts are short; a hostile one
could multiply a million digits."""


class Line:
    """One logical line of the script (continuations joined) and the physical line it starts on."""

    def __init__(self, number: int, text: str) -> None:
        self.number = number
        self.text = text


class Script:
    """Variables and commands of one bash script."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = _logical_lines(text)
        self.vars: dict[str, str] = {}
        self.var_lines: dict[str, int] = {}
        index = 0
        while index < len(self.lines):
            line = self.lines[index]
            index += 1
            match = ASSIGN.match(line.text)
            if not match or line.text.lstrip().startswith("#"):
                continue
            raw, quote = match.group(2), open_quote(match.group(2))
            while quote and index < len(self.lines):  # DISTRIBUTED_ARGS="<newline> --flag ... <newline>"
                raw += "\n" + self.lines[index].text
                quote = open_quote(self.lines[index].text, quote)
                index += 1
            self.vars[match.group(1)] = assignment_value(raw)
            self.var_lines.setdefault(match.group(1), line.number)

    def expand(self, value: str, depth: int = 0) -> str:
        """``${TP}`` -> ``4``; ``$((A*B))`` evaluated when every name is a known number."""
        if depth > 5:
            return value

        def arith(match: "re.Match[str]") -> str:
            expression = self.expand(match.group(1), depth + 1)
            expression = VAR.sub(lambda m: self.vars.get(m.group(1), ""), expression)
            expression = re.sub(r"\b[A-Za-z_][A-Za-z0-9_]*\b", lambda m: self.vars.get(m.group(0), "0"), expression)
            if len(expression) <= MAX_ARITHMETIC and re.fullmatch(r"[\d\s+*/()-]+", expression or "x") \
                    and "**" not in expression:
                try:
                    result = eval(expression, {"__builtins__": {}}, {})  # digits and operators only
                except (SyntaxError, ArithmeticError, ValueError):  # 1/0, a quotient too large for a float
                    return match.group(0)
                return str(int(result)) if abs(result) < 1 << 63 else match.group(0)
            return match.group(0)

        value = re.sub(r"\$\(\((.*?)\)\)", arith, value)
        return VAR.sub(lambda m: self.expand(self.vars[m.group(1)], depth + 1) if m.group(1) in self.vars
                       else m.group(0), value)

    def int_var(self, name: str) -> Optional[int]:
        value = self.expand(self.vars.get(name, "")).strip()
        return int(value) if value.isdigit() else None

    def commands(self) -> list[tuple[Line, list[str]]]:
        """(line, argv) of every command line; leading ``VAR=x``, ``nohup`` and ``exec`` are dropped."""
        out = []
        for line in self.lines:
            stripped = _strip_comment(line.text).strip()
            if not stripped or stripped.startswith(("export ", "#")):
                continue
            try:
                argv = shlex.split(stripped)
            except ValueError:
                continue
            while argv and (ASSIGN.match(argv[0]) or argv[0] in ("nohup", "exec", "time")):
                argv.pop(0)
            if argv:
                out.append((line, argv))
        return out


def _strip_comment(text: str) -> str:
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in ("'", '"'):
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t"):
            return text[:index]
    return text


def _logical_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not stripped.lstrip().startswith("#"):
            buffer += stripped[:-1] + " "
            continue
        if stripped.lstrip().startswith("#") and buffer:
            continue
        buffer += _strip_comment(raw) if buffer else raw
        lines.append(Line(start, buffer))
        buffer = ""
    if buffer:
        lines.append(Line(start, buffer))
    return lines


def argv_flags(argv: list[str]) -> dict[str, str]:
    """``--a=1 --b 2 --c`` -> {"a": "1", "b": "2", "c": ""}."""
    flags: dict[str, str] = {}
    index = 0
    while index < len(argv):
        token = argv[index]
        if token.startswith("--"):
            name, eq, value = token[2:].partition("=")
            if not eq and index + 1 < len(argv) and not argv[index + 1].startswith("--"):
                value = argv[index + 1]
                index += 1
            flags[name] = value
        index += 1
    return flags


def line_of(script: Script, needle: str) -> Optional[int]:
    for number, line in enumerate(script.text.splitlines(), start=1):
        if needle in line:
            return number
    return None
