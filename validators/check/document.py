"""One YAML file seen two ways: the values MindFormers will get, and the lines the user wrote.

MindFormers and MindRLHF read configs with PyYAML's ``safe_load`` (YAML 1.1), where ``1e-10`` is a
string and ``yes`` is a bool; ruamel.yaml's round-trip loader (YAML 1.2) disagrees on both but keeps
line numbers. So values come from PyYAML and lines from ruamel; both trees have the same shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence, Union

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from mindpilot.validators.datafiles import DataFileError, line_of, parse_bounded, read_yaml, read_text

Key = Union[str, int]
_MISSING = object()


def _framework_load(text: str, name: str) -> Any:
    """Parse like MindFormers (``yaml.safe_load``); ruamel in YAML 1.1 mode when PyYAML is absent."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency; kept for stripped-down installs
        from ruamel.yaml import YAML

        loader = YAML(typ="safe", pure=True)
        loader.version = (1, 1)
        return parse_bounded(name, lambda: loader.load(text), text)
    try:
        return parse_bounded(name, lambda: yaml.safe_load(text), text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataFileError(name, mark.line + 1 if mark else None, None, f"invalid YAML: {exc}") from exc


class ConfigDoc:
    """A parsed YAML config: ``value(...)`` as the framework sees it, ``line(...)`` as the user wrote it."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = text.splitlines()
        self.tree = read_yaml(path, text)
        self.data = _framework_load(text, path)

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
        node, line = self.tree, None
        for key in keys:
            if isinstance(node, CommentedMap) and key in node:
                owner = _owner(node, key)
                if owner is not None:
                    line = owner.lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
                line = node.lc.item(key)[0] + 1
                node = node[key]
            else:
                break
        if line is None:
            return line_of(self.tree, [])
        return line

    def node(self, *keys: Key) -> Any:
        """The ruamel node at ``keys`` (for comments, anchors and positions), or None."""
        node = self.tree
        for key in keys:
            if isinstance(node, (dict, list)):
                try:
                    node = node[key]
                except (KeyError, IndexError, TypeError):
                    return None
            else:
                return None
        return node

    def raw(self, *keys: Key) -> Optional[str]:
        """The source text of a scalar value, as written (``1e-10``, ``'58GB'``, ``Flase``)."""
        parent = self.node(*keys[:-1])
        if not isinstance(parent, CommentedMap) or keys[-1] not in parent:
            return None
        parent = _owner(parent, keys[-1])
        if parent is None:
            return None
        line_no, col = parent.lc.value(keys[-1])
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


def _owner(node: CommentedMap, key: Any) -> Optional[CommentedMap]:
    """The map that holds ``key`` itself: ``node``, or the anchored map a ``<<`` merge brought it from."""
    if key in node.lc.data:
        return node
    for item in getattr(node, "merge", None) or []:
        source = item[1] if isinstance(item, tuple) else item  # (index, map) in older ruamel, map in newer
        if isinstance(source, CommentedMap) and key in source:
            return _owner(source, key)
    return None


def depth_of(node: Any) -> int:
    """Nesting depth of a YAML tree (MindFormers refuses more than 10)."""
    if isinstance(node, (dict, CommentedMap)):
        return 1 + max((depth_of(v) for v in node.values()), default=0)
    if isinstance(node, (list, CommentedSeq)):
        return 1 + max((depth_of(v) for v in node), default=0)
    return 0
