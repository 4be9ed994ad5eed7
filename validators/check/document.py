"""One YAML file seen two ways: the values MindFormers will get, and the lines the user wrote.

MindFormers and MindRLHF read configs with PyYAML's ``safe_load`` (YAML 1.1), where ``1e-10`` is a
string and ``yes`` is a bool. One parse gives both views: PyYAML composes the node graph (with libyaml's
C parser where it is built in), the values are constructed from it exactly as ``safe_load`` would, and
the nodes keep where each key and value was written. A check is read-only, so it needs no round-trip
parser; the edits of ``plan --apply`` use ruamel's, which keeps comments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence, Union

import yaml

from mindpilot.datafiles import DataFileError, parse_bounded, read_text

Key = Union[str, int]
_MISSING = object()
_MERGE = "tag:yaml.org,2002:merge"


def _framework_load(text: str, name: str) -> tuple[Any, Any]:
    """``(values, root node)`` parsed like MindFormers (``yaml.safe_load``)."""
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    root = None

    def parse() -> Any:
        nonlocal root
        loader = loader_class(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            _refuse_duplicate_keys(root, name)
            # constructing flattens each `<<: *anchor` merge into the map that uses it: the merged key
            # nodes keep the line of the anchored map that defines them
            return loader.construct_document(root)
        finally:
            loader.dispose()

    try:
        values = parse_bounded(name, parse, text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None)
        context = getattr(exc, "context", None)
        message = f"{problem} ({context})" if problem and context else problem or str(exc)
        raise DataFileError(name, mark.line + 1 if mark else None, None, f"invalid YAML: {message}") from exc
    return values, root


def _refuse_duplicate_keys(root: Any, name: str) -> None:
    """A key written twice in one map is refused, naming both values (PyYAML would keep the last quietly)."""
    stack, seen_nodes = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE:
                    if key.value in first:
                        raise DataFileError(name, key.start_mark.line + 1, None,
                                            f'invalid YAML: found duplicate key "{key.value}" with value '
                                            f'"{_scalar(value)}" (original value: "{_scalar(first[key.value])}")')
                    first[key.value] = value
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _scalar(node: Any) -> str:
    return node.value if isinstance(node.value, str) else "..."


def _entry(node: Any, key: Key) -> Optional[tuple[Any, Any]]:
    """``(key node, value node)`` of ``key`` in a mapping node; the last one written wins, as in PyYAML."""
    wanted = key if isinstance(key, str) else str(key)
    for key_node, value_node in reversed(node.value):
        if getattr(key_node, "value", None) == wanted and key_node.tag != _MERGE:
            return key_node, value_node
    return None


class ConfigDoc:
    """A parsed YAML config: ``value(...)`` as the framework sees it, ``line(...)`` as the user wrote it."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = text.splitlines()
        self.data, self._root = _framework_load(text, path)

    @classmethod
    def load(cls, path: Union[str, Path]) -> "ConfigDoc":
        """Read and parse ``path``; :class:`DataFileError` (with the line) when it is not YAML."""
        return cls(str(path), read_text(path))

    def value(self, *keys: Key, default: Any = None) -> Any:
        """The value at ``keys`` as PyYAML loads it, or ``default``."""
        node = self.data
        for key in keys:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                return default
        return node

    def has(self, *keys: Key) -> bool:
        return self.value(*keys, default=_MISSING) is not _MISSING

    def line(self, *keys: Key) -> Optional[int]:
        """1-based line of the deepest existing key of ``keys``.

        A key that comes in through a ``<<: *anchor`` merge has no position in the map that uses it;
        its line is the line where the anchored map defines it.
        """
        node, line = self._root, None
        for key in keys:
            found = self._child(node, key)
            if found is None:
                break
            key_node, node = found
            line = key_node.start_mark.line + 1
        if line is None and self._root is not None:
            return self._root.start_mark.line + 1
        return line

    def _child(self, node: Any, key: Key) -> Optional[tuple[Any, Any]]:
        """``(node that marks the position, child node)`` for one step of a key path, or None."""
        if isinstance(node, yaml.MappingNode):
            return _entry(node, key)
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            return node.value[key], node.value[key]
        return None

    def node(self, *keys: Key) -> Any:
        """The YAML node at ``keys`` (with its ``start_mark``), or None."""
        node = self._root
        for key in keys:
            found = self._child(node, key)
            if found is None:
                return None
            node = found[1]
        return node

    def raw(self, *keys: Key) -> Optional[str]:
        """The source text of a scalar value, as written (``1e-10``, ``'58GB'``, ``Flase``)."""
        value = self.node(*keys) if keys else None
        if value is None:
            return None
        line_no, col = value.start_mark.line, value.start_mark.column
        if line_no >= len(self.lines):
            return None
        text = self.lines[line_no][col:]
        if text.startswith(("'", '"')):
            end = text.find(text[0], 1)
            return text[:end + 1] if end > 0 else text
        cut = text.find(" #")
        return (text[:cut] if cut >= 0 else text).strip()

    def text_of_line(self, line: Optional[int]) -> str:
        """The user's line ``line`` (1-based), stripped of trailing spaces."""
        if line is None or not 1 <= line <= len(self.lines):
            return ""
        return self.lines[line - 1].rstrip()

    def walk(self, node: Any = None, path: Sequence[Key] = ()) -> Any:
        """Yield ``(path, value)`` for every mapping entry of the framework view, depth first."""
        node = self.data if node is None else node
        if isinstance(node, dict):
            for key, value in node.items():
                yield (*path, key), value
                if isinstance(value, (dict, list)):
                    yield from self.walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, (dict, list)):
                    yield from self.walk(value, (*path, index))


def depth_of(node: Any) -> int:
    """Nesting depth of a YAML tree (MindFormers refuses more than 10)."""
    if isinstance(node, dict):
        return 1 + max((depth_of(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return 1 + max((depth_of(v) for v in node), default=0)
    return 0
