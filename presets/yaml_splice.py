"""Splice new values into YAML text at the positions ruamel.yaml reports, leaving every other byte alone.

The text surgery behind :mod:`mindpilot.presets.yaml_apply`: render a value the way the file already
writes its neighbours, find where a scalar (and its anchor) ends on a line, and apply a list of edits
bottom-up so that earlier positions stay valid.
"""

from __future__ import annotations

import re
from typing import Any, Optional, Union

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from mindpilot.datafiles import DataFileError, parse_bounded

MISSING = object()
"""Marks a key that the document does not have (None is a real YAML value)."""

_PLAIN_SAFE = re.compile(r"^[A-Za-z_./][A-Za-z0-9_./-]*$")


class _Edit:
    """Replace columns ``start:end`` of ``line`` (0-based) with ``text``; or, with ``end_line``, whole lines."""

    def __init__(self, line: int, start: int, end: int, text: str, end_line: Optional[int] = None) -> None:
        self.line, self.start, self.end, self.text, self.end_line = line, start, end, text, end_line


def load_roundtrip(text: str, name: str) -> Any:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        return parse_bounded(name, lambda: yaml.load(text), text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise DataFileError(name, mark.line + 1 if mark else None, None, f"invalid YAML: {exc.problem or exc}") from exc
    except YAMLError as exc:
        raise DataFileError(name, None, None, f"invalid YAML: {exc}") from exc


def render_value(value: Any, like: str = "") -> str:
    """YAML text for ``value`` (flow style), matching the style of the old token ``like`` where it matters."""
    if isinstance(value, bool):
        text = "True" if value else "False"
        return text.lower() if like[:1] in ("t", "f") else text
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _render_float(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_render_key(k)}: {render_value(v)}" for k, v in value.items()) + "}"
    return _render_string(str(value), like)


def _render_float(value: float) -> str:
    """``repr``, with the dot in the mantissa and the signed exponent PyYAML (YAML 1.1) needs to read a float."""
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    if "." not in mantissa:
        mantissa += ".0"
    if exponent[0] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}"


def _render_string(text: str, like: str) -> str:
    """Plain when YAML reads it back as this string, else quoted as the old token was (single by default)."""
    quote = like[:1] if like[:1] in ("'", '"') else ""
    if not quote and _PLAIN_SAFE.match(text) and text.lower() not in ("true", "false", "yes", "no", "on", "off", "null"):
        return text
    if quote == '"':
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "'" + text.replace("'", "''") + "'"


def _render_key(key: Any) -> str:
    text = str(key)
    return text if _PLAIN_SAFE.match(text) else "'" + text.replace("'", "''") + "'"


def _token_end(line: str, col: int) -> int:
    """End column of the scalar or one-line flow collection that starts at ``col``."""
    char = line[col:col + 1]
    if char in ("'", '"'):
        return _quoted_end(line, col, char)
    if char in ("[", "{"):
        return _flow_end(line, col)
    match = re.search(r"\s#", line[col:])
    end = col + match.start() if match else len(line)
    return len(line[:end].rstrip())


def _quoted_end(line: str, col: int, quote: str) -> int:
    """End column of the quoted scalar opened at ``col`` (``''`` escapes in single quotes, ``\\`` in double)."""
    index = col + 1
    while index < len(line):
        if quote == "'" and line[index] == "'":
            if line[index + 1:index + 2] == "'":
                index += 2
                continue
            return index + 1
        if quote == '"' and line[index] == "\\":
            index += 2
            continue
        if quote == '"' and line[index] == '"':
            return index + 1
        index += 1
    raise ValueError("multi-line quoted scalar")


def _flow_end(line: str, col: int) -> int:
    """End column of the one-line flow collection (``[...]`` / ``{...}``) opened at ``col``."""
    depth, index, quote = 0, col, ""
    while index < len(line):
        current = line[index]
        if quote:
            if current == quote:
                quote = ""
        elif current in ("'", '"'):
            quote = current
        elif current in "[{":
            depth += 1
        elif current in "]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise ValueError("multi-line flow collection")


def _skip_anchor(line: str, col: int) -> int:
    if line[col:col + 1] == "&":
        match = re.match(r"&\S+\s*", line[col:])
        if match:
            return col + match.end()
    return col


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], key_line: int, key_indent: int) -> int:
    """Index of the last line of the block value that belongs to the key on ``key_line``."""
    last = key_line
    for index in range(key_line + 1, len(lines)):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = _indent(lines[index])
        if indent > key_indent or (indent == key_indent and stripped.startswith("- ")):
            last = index
        else:
            break
    return last


class Patcher:
    """Collects text edits for one document and the notes that explain anchor decisions."""

    def __init__(self, text: str, root: CommentedMap) -> None:
        self.lines = text.split("\n")
        self.root = root
        self.edits: list[_Edit] = []
        self.notes: list[str] = []
        self.appended: list[str] = []
        self.requests: list[tuple[list[Union[str, int]], Any]] = []

    # --- sharing (anchors/aliases) -------------------------------------------------------------
    def _sites(self, obj: Any) -> list[tuple[CommentedMap, Any]]:
        found: list[tuple[CommentedMap, Any]] = []

        def walk(node: Any) -> None:
            if isinstance(node, CommentedMap):
                for key in node:
                    value = node[key]
                    if value is obj:
                        found.append((node, key))
                    elif isinstance(value, (CommentedMap, CommentedSeq)):
                        walk(value)
            elif isinstance(node, CommentedSeq):
                for item in node:
                    if isinstance(item, (CommentedMap, CommentedSeq)):
                        walk(item)

        walk(self.root)
        return found

    def _alias_span(self, node: CommentedMap, key: Any) -> Optional[tuple[int, int, int]]:
        """(line, start, end) of an ``*alias`` token written as the value of ``key``, if it is one."""
        line_no, col = node.lc.key(key)
        line = self.lines[line_no]
        match = re.compile(r"\s*:\s*(\*[^\s,\]}#]+)").match(line, col + len(_render_key(key)))
        if match is None:
            match = re.search(r":\s*(\*[^\s,\]}#]+)", line[col:])
            if match is None:
                return None
            return line_no, col + match.start(1), col + match.end(1)
        return line_no, match.start(1), match.end(1)

    # --- scalar replacement --------------------------------------------------------------------
    def _replace_scalar_at(self, line_no: int, col: int, value: Any) -> None:
        line = self.lines[line_no]
        start = _skip_anchor(line, col)
        end = _token_end(line, start)
        self.edits.append(_Edit(line_no, start, end, render_value(value, line[start:end])))

    def set_scalar(self, node: CommentedMap, key: Any, value: Any, plan: dict[int, Any], where: str) -> None:
        old = node[key]
        anchor = getattr(getattr(old, "anchor", None), "value", None)
        value_line, value_col = node.lc.value(key)
        if not anchor:
            self._replace_scalar_at(value_line, value_col, value)
            return
        sites = self._sites(old)
        changed = [(m, k) for m, k in sites if plan.get(id(m), {}).get(k, MISSING) == value]
        changed_ids = {(id(m), k) for m, k in changed}
        unchanged = [(m, k) for m, k in sites if (id(m), k) not in changed_ids]
        if not unchanged:
            if changed and changed[0][0] is node and changed[0][1] == key:
                self._replace_scalar_at(value_line, value_col, value)
                self.notes.append(f"{where} uses anchor &{anchor} (line {value_line + 1}); changed where the anchor "
                                  f"is defined, so its {len(sites) - 1} alias(es) follow")
            return
        own_alias = self._alias_span(node, key)
        if own_alias is None:  # this key defines the anchor; keep the other users on the old value
            self._replace_scalar_at(value_line, value_col, value)
            old_text = render_value(old)
            for other_map, other_key in unchanged:
                span = self._alias_span(other_map, other_key)
                if span:
                    self.edits.append(_Edit(span[0], span[1], span[2], old_text))
            self.notes.append(f"{where} defines anchor &{anchor}, which other keys share with another value; "
                              f"changed here and wrote the old value {old_text} in place of *{anchor} elsewhere")
        else:
            self.edits.append(_Edit(own_alias[0], own_alias[1], own_alias[2], render_value(value)))
            self.notes.append(f"{where} was *{anchor}; anchor &{anchor} is shared with keys that keep their value, "
                              f"so this key now holds a literal {render_value(value)}")

    # --- structural edits ----------------------------------------------------------------------
    def replace_block(self, node: CommentedMap, key: Any, value: Any) -> None:
        """Replace a block (multi-line) value with a one-line flow value on the key's line."""
        key_line, key_col = node.lc.key(key)
        end = _block_end(self.lines, key_line, key_col)
        line = self.lines[key_line]
        colon = line.index(":", key_col)
        comment = ""
        match = re.search(r"\s+#.*$", line[colon:])
        if match:
            comment = match.group(0)
        new_line = f"{line[:colon + 1]} {render_value(value)}{comment}"
        self.edits.append(_Edit(key_line, 0, len(line), new_line, end_line=end))

    def fill_empty(self, parent: CommentedMap, key: Any, values: dict[str, Any]) -> None:
        """Turn ``key:`` (null or ``{}``) into a block mapping holding ``values``."""
        key_line, key_col = parent.lc.key(key)
        end = _block_end(self.lines, key_line, key_col)
        line = self.lines[key_line]
        colon = line.index(":", key_col)
        match = re.search(r"\s+#.*$", line[colon:])
        head = line[:colon + 1] + (match.group(0) if match else "")
        body = [" " * (key_col + 2) + f"{_render_key(k)}: {render_value(v)}" for k, v in values.items()]
        self.edits.append(_Edit(key_line, 0, len(line), "\n".join([head, *body]), end_line=end))

    def insert_key(self, node: CommentedMap, key: Any, value: Any) -> None:
        if not node:
            raise ValueError("empty mapping")
        keys = [k for k in node.keys() if k in node.lc.data]  # own keys only, not `<<` merged ones
        if not keys:
            raise ValueError("mapping made only of a merge")
        first_line, indent = node.lc.key(keys[0])
        last_line, last_col = node.lc.key(keys[-1])
        end = _block_end(self.lines, last_line, last_col)
        if self.lines[first_line][indent - 1:indent] == "{" or "{" in self.lines[last_line][:last_col]:
            raise ValueError("flow mapping")
        text = " " * indent + f"{_render_key(key)}: {render_value(value)}"
        self.edits.append(_Edit(end, len(self.lines[end]), len(self.lines[end]), "\n" + text))

    def append_section(self, path: list[str], values: dict[str, Any]) -> None:
        lines = []
        for depth, name in enumerate(path):
            lines.append("  " * depth + f"{name}:")
        for key, value in values.items():
            lines.append("  " * len(path) + f"{_render_key(key)}: {render_value(value)}")
        self.appended.extend(lines)

    # --- result --------------------------------------------------------------------------------
    def result(self) -> str:
        lines = list(self.lines)
        for edit in sorted(self.edits, key=lambda e: (e.line, e.start), reverse=True):
            if edit.end_line is not None:
                lines[edit.line:edit.end_line + 1] = [edit.text]
            else:
                line = lines[edit.line]
                lines[edit.line] = line[:edit.start] + edit.text + line[edit.end:]
        text = "\n".join(lines)
        if self.appended:
            if not text.endswith("\n"):
                text += "\n"
            text += "\n".join(self.appended) + "\n"
        return text
