"""The value bash gives a variable assignment (``NAME=value``), read the way bash reads it.

A launch script's ``MASTER_ADDR=localhost #主节点IP`` and ``MASTER_ADDR=localhost;#主节点IP`` both set
``localhost``: the assignment is one shell word, which ends at the first unquoted blank or control operator,
and a ``#`` starts a comment only at the start of a word. Inside the word, quotes are removed (``"a b"`` is
``a b``) and ``$(...)``, ``$((...))``, ``${...}`` and backquotes are kept whole, unexpanded, for the caller.
"""

from __future__ import annotations

WORD_ENDS = " \t\n;&|<>()"
"""Unquoted characters that end a word (bash's blanks and metacharacters)."""
CLOSERS = {"(": ")", "{": "}"}


def assignment_value(text: str) -> str:
    """The value of ``NAME=`` + ``text`` (``text`` is everything after the ``=``), quotes removed.

    An unterminated quote keeps the rest of the text (bash would read on into the next line).
    """
    out: list[str] = []
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if char in WORD_ENDS:
            break
        if char == "\\" and index + 1 < size:
            out.append(text[index + 1])
            index += 2
        elif char == "'":
            end = text.find("'", index + 1)
            end = size if end < 0 else end
            out.append(text[index + 1:end])
            index = end + 1
        elif char == '"':
            index = _double_quoted(text, index + 1, out)
        elif char == "$" and index + 1 < size and text[index + 1] in CLOSERS:
            end = _matching(text, index + 1)
            out.append(text[index:end])
            index = end
        elif char == "`":
            end = text.find("`", index + 1)
            end = size if end < 0 else end + 1
            out.append(text[index:end])
            index = end
        else:
            out.append(char)
            index += 1
    return "".join(out)


def open_quote(text: str, quote: str = "") -> str:
    """The quote (``'`` or ``"``) still open at the end of ``text`` when it starts inside ``quote``; ``""`` when
    none is. An unquoted ``#`` at the start of a word ends the scan (the rest is a comment)."""
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                index += 1
        elif char == "\\":
            index += 1
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in WORD_ENDS):
            break
        index += 1
    return quote


def _double_quoted(text: str, index: int, out: list[str]) -> int:
    """Append the inside of a double-quoted string starting at ``index``; return the index after its quote."""
    size = len(text)
    while index < size and text[index] != '"':
        if text[index] == "\\" and index + 1 < size and text[index + 1] in '"\\$`\n':
            out.append(text[index + 1] if text[index + 1] != "\n" else "")  # backslash-newline joins lines
            index += 2
            continue
        out.append(text[index])
        index += 1
    return index + 1


def _matching(text: str, index: int) -> int:
    """The index after the bracket that closes the one at ``index`` (``$(``, ``$((``, ``${``), quotes skipped."""
    opener = text[index]
    closer, depth, quote = CLOSERS[opener], 0, ""
    for position in range(index, len(text)):
        char = text[position]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return position + 1
    return len(text)
