"""Write a parallel plan into the user's own MindFormers YAML, changing only the values that change.

``mindpilot plan --apply`` and ``mindpilot check --fix`` end here. A re-dump through a YAML library
would re-indent the file, drop blank lines and move comments; users diff these files against the
shipped ones, so instead the new values are spliced into the original text at the positions that
ruamel.yaml's round-trip loader reports. Comments, key order, quoting and anchors survive by
construction; the result is parsed again and compared with the request before anything is written.

Anchors: when a value is an alias (``data_parallel: *dp``) the anchor's definition is changed if every
place that shares it gets the same new value; otherwise the changed places get a literal value and
the others keep the old one. Each such decision is reported as a ``# note:`` line above the diff.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Optional, Union

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from mindpilot.fileio import write_atomic
from mindpilot.validators.datafiles import DataFileError

PARALLEL_KEYS = frozenset({
    "data_parallel", "model_parallel", "context_parallel", "expert_parallel", "pipeline_stage",
    "micro_batch_num", "seq_split_num", "use_seq_parallel", "optimizer_shard", "gradient_aggregation_group",
    "vocab_emb_dp", "context_parallel_algo", "ulysses_degree_in_cp", "mem_coeff",
})
"""Keys MindFormers' template accepts in ``parallel_config`` (mindformers/tools/register/template.py:300, MF 1.7)."""

PARALLEL_DEFAULTS = {
    "data_parallel": 1, "model_parallel": 1, "context_parallel": 1, "expert_parallel": 1, "pipeline_stage": 1,
    "micro_batch_num": 1, "seq_split_num": 1, "use_seq_parallel": False, "gradient_aggregation_group": 4,
    "vocab_emb_dp": True, "context_parallel_algo": "colossalai_cp", "ulysses_degree_in_cp": 1,
}
"""Template defaults: a key the file leaves out already has this value, so writing it changes nothing."""

RECOMPUTE_DEFAULTS = {
    "recompute": False, "select_recompute": False, "parallel_optimizer_comm_recompute": False,
    "select_comm_recompute": False, "mp_comm_recompute": True, "recompute_slice_activation": False,
}

RECOMPUTE_KEYS = frozenset({
    "recompute", "select_recompute", "parallel_optimizer_comm_recompute", "select_comm_recompute",
    "mp_comm_recompute", "recompute_slice_activation", "select_recompute_exclude", "select_comm_recompute_exclude",
})
"""Keys MindFormers' template accepts in ``recompute_config`` (template.py:320, MF 1.7)."""

_PLAIN_SAFE = re.compile(r"^[A-Za-z_./][A-Za-z0-9_./-]*$")


class _Edit:
    """Replace columns ``start:end`` of ``line`` (0-based) with ``text``; or, with ``end_line``, whole lines."""

    def __init__(self, line: int, start: int, end: int, text: str, end_line: Optional[int] = None) -> None:
        self.line, self.start, self.end, self.text, self.end_line = line, start, end, text, end_line


def _load(text: str, name: str) -> Any:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        return yaml.load(text)
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
        text = repr(value)
        if "e" in text:  # PyYAML (YAML 1.1) needs a dot in the mantissa and a signed exponent
            mantissa, exponent = text.split("e")
            if "." not in mantissa:
                mantissa += ".0"
            if exponent[0] not in "+-":
                exponent = "+" + exponent
            text = f"{mantissa}e{exponent}"
        return text
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_render_key(k)}: {render_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
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
        index = col + 1
        while index < len(line):
            if char == "'" and line[index] == "'":
                if line[index + 1:index + 2] == "'":
                    index += 2
                    continue
                return index + 1
            if char == '"' and line[index] == "\\":
                index += 2
                continue
            if char == '"' and line[index] == '"':
                return index + 1
            index += 1
        raise ValueError("multi-line quoted scalar")
    if char in ("[", "{"):
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
    match = re.search(r"\s#", line[col:])
    end = col + match.start() if match else len(line)
    return len(line[:end].rstrip())


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


class _Patcher:
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
        changed = [(m, k) for m, k in sites if plan.get(id(m), {}).get(k, _MISSING) == value]
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


_MISSING = object()


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, ScalarBoolean))


def _equal(old: Any, new: Any) -> bool:
    """Whether the loaded value ``old`` already is ``new`` (``1`` is not ``True``, ``[7]`` is not ``7``)."""
    if _is_bool(old) or _is_bool(new):
        return _is_bool(old) and _is_bool(new) and bool(old) == bool(new)
    if isinstance(new, dict) and isinstance(old, dict):
        return old.keys() == new.keys() and all(_equal(old[k], new[k]) for k in new)
    if isinstance(new, (list, tuple)) and isinstance(old, (list, tuple)):
        return len(old) == len(new) and all(_equal(a, b) for a, b in zip(old, new))
    if isinstance(new, (list, tuple, dict)) or isinstance(old, (list, tuple, dict)):
        return False
    if isinstance(new, str) != isinstance(old, str):
        return False
    return bool(old == new)


def _plan_changes(patcher: _Patcher, node: CommentedMap, values: dict[str, Any], where: list,
                  plan: dict[int, Any]) -> None:
    """Record edits that make ``node`` (at path ``where``) hold ``values``, recursing into dict values."""
    for key, new in values.items():
        path = [*where, key]
        label = ".".join(str(part) for part in path)
        if key not in node:
            patcher.insert_key(node, key, new)
            patcher.requests.append((path, new))
            continue
        old = node[key]
        if _equal(old, new):
            continue
        if key not in node.lc.data:  # brought in by `<<: *anchor`: an explicit key overrides it for this map only
            patcher.insert_key(node, key, new)
            patcher.notes.append(f"{label} came from a `<<:` merge; added it to this section instead of "
                                 "changing the merged mapping")
            patcher.requests.append((path, new))
            continue
        if isinstance(old, CommentedMap) and isinstance(new, (list, tuple)) and key.startswith("select"):
            # {pattern: [per-stage counts]}: keep the user's patterns, give each list-valued one the new counts
            per_pattern = {k: list(new) for k, v in old.items() if isinstance(v, (list, tuple))}
            if per_pattern:
                plan[id(old)] = per_pattern
                _plan_changes(patcher, old, per_pattern, path, plan)
                continue
        if isinstance(old, CommentedMap) and isinstance(new, dict):
            plan[id(old)] = new
            _plan_changes(patcher, old, new, path, plan)
            continue
        patcher.requests.append((path, new))
        value_line, _ = node.lc.value(key)
        key_line, _ = node.lc.key(key)
        is_block = isinstance(old, (CommentedMap, CommentedSeq)) and value_line != key_line \
            and not getattr(getattr(old, "anchor", None), "value", None)
        if is_block or old is None and value_line != key_line:
            patcher.replace_block(node, key, new)
        else:
            patcher.set_scalar(node, key, new, plan, label)


def _flat(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flat(item)]
    return [value]


def _lookup(root: Any, path: list) -> Any:
    node = root
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _same_after(old: Any, new: Any) -> bool:
    if _is_bool(new) or _is_bool(old):
        return _equal(old, new)
    if isinstance(new, dict):
        return isinstance(old, dict) and all(k in old and _same_after(old[k], v) for k, v in new.items())
    if isinstance(new, (list, tuple)):
        return isinstance(old, list) and len(old) == len(new) and all(_same_after(a, b) for a, b in zip(old, new))
    return old == new


def plan_text(path: Union[str, Path], parallel_config: dict, recompute_config: dict,
              offset: Any = None, micro_batch_num: Optional[int] = None,
              text: Optional[str] = None) -> tuple[str, str, list[str]]:
    """(old text, new text, notes) for applying a plan to the YAML at ``path``; writes nothing.

    Raises:
        DataFileError: the file cannot be read, does not parse, or is not a mapping.
        ValueError: a key MindFormers would reject (``KeyError: ... gets an unexpected key``).
    """
    name = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError(name, None, None, f"cannot read: {exc}") from exc
    root = _load(text, name)
    if not isinstance(root, CommentedMap):
        raise DataFileError(name, 1, None, "not a YAML mapping (a MindFormers config is a mapping of sections)")
    parallel = dict(parallel_config or {})
    if micro_batch_num is not None:
        parallel["micro_batch_num"] = micro_batch_num
    recompute = dict(recompute_config or {})
    for section, values, allowed in (("parallel_config", parallel, PARALLEL_KEYS),
                                     ("recompute_config", recompute, RECOMPUTE_KEYS)):
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise ValueError(f"The config '{section}' gets an unexpected key: {unknown[0]}")

    for section, values, defaults in (("parallel_config", parallel, PARALLEL_DEFAULTS),
                                      ("recompute_config", recompute, RECOMPUTE_DEFAULTS)):
        node = root.get(section)
        present = node if isinstance(node, dict) else {}
        for key in [k for k in values if k not in present and k in defaults]:
            all_off = isinstance(values[key], list) and not any(_flat(values[key])) and defaults[key] is False
            if _equal(defaults[key], values[key]) or all_off:  # [0, 0] per stage is the default False
                del values[key]
    patcher = _Patcher(text, root)
    plan: dict[int, Any] = {}
    targets: list[tuple[list[str], dict[str, Any]]] = [(["parallel_config"], parallel), (["recompute_config"], recompute)]
    model_config = _lookup(root, ["model", "model_config"])
    zero_offset = offset == 0 or isinstance(offset, list) and not any(_flat(offset))
    if offset is not None and not (zero_offset and not (isinstance(model_config, dict) and "offset" in model_config)):
        targets.append((["model", "model_config"], {"offset": offset}))
    for section_path, values in targets:
        if not values:
            continue
        node = _lookup(root, section_path)
        if isinstance(node, CommentedMap) and len(node):
            plan[id(node)] = values
    for section_path, values in targets:
        if not values:
            continue
        node = _lookup(root, section_path)
        where = ".".join(section_path)
        if isinstance(node, CommentedMap) and len(node) and node.fa.flow_style():
            parent = _lookup(root, section_path[:-1]) if len(section_path) > 1 else root
            merged = {**{k: v for k, v in node.items()}, **values}
            patcher.replace_block(parent, section_path[-1], merged)  # `{a: 1, b: 2}` on the key's line
            patcher.requests.extend(([*section_path, k], v) for k, v in values.items())
        elif isinstance(node, CommentedMap) and len(node):
            try:
                _plan_changes(patcher, node, values, list(section_path), plan)
            except ValueError as exc:  # a layout the splicer does not handle (multi-line flow, quoted block ...)
                raise DataFileError(name, None, where, f"cannot edit this in place ({exc}); nothing written") from exc
        elif node is _MISSING and len(section_path) == 1:
            patcher.append_section(section_path, values)
            patcher.requests.extend(([*section_path, k], v) for k, v in values.items())
        elif node is _MISSING and isinstance(_lookup(root, section_path[:1]), CommentedMap):
            parent = _lookup(root, section_path[:-1])
            if not isinstance(parent, CommentedMap):
                raise DataFileError(name, None, where, "cannot place the offset: model.model_config is missing")
            patcher.insert_key(parent, section_path[-1], values)
            patcher.requests.extend(([*section_path, k], v) for k, v in values.items())
        else:  # present but empty (``parallel_config:`` or ``{}``): write a block under the key
            parent = _lookup(root, section_path[:-1]) if len(section_path) > 1 else root
            if not isinstance(parent, CommentedMap) or section_path[-1] not in parent:
                raise DataFileError(name, None, where, "cannot place these values: the section is missing")
            patcher.fill_empty(parent, section_path[-1], values)
            patcher.requests.extend(([*section_path, k], v) for k, v in values.items())
    new_text = patcher.result()
    check = _load(new_text, name)
    for request_path, expected in patcher.requests:
        got = _lookup(check, request_path)
        if not _same_after(got, expected):
            raise RuntimeError(f"internal error: {'.'.join(request_path)} would be {got!r}, not {expected!r}; "
                               "nothing written")
    return text, new_text, patcher.notes


def unified_diff(old: str, new: str, name: str, notes: Optional[list[str]] = None) -> str:
    """``diff -u`` of two texts, with the anchor notes as ``# note:`` lines above it."""
    diff = "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=name, tofile=name))
    if diff and not diff.endswith("\n"):
        diff += "\n"
    head = "".join(f"# note: {note}\n" for note in notes or [])
    return head + diff if diff else ""



def apply_plan(path: Union[str, Path], parallel_config: dict, recompute_config: dict,
               offset: Any = None, micro_batch_num: Optional[int] = None, dry_run: bool = False) -> str:
    """Write the plan into the YAML at ``path`` and return the unified diff ('' when nothing changes).

    Only values that differ change; the original is kept as ``path.bak`` and the new text replaces
    the file atomically. With ``dry_run`` nothing is written.

    Raises:
        DataFileError: the file cannot be read or does not parse (nothing is written).
        ValueError: a key MindFormers would reject.
    """
    old, new, notes = plan_text(path, parallel_config, recompute_config, offset, micro_batch_num)
    diff = unified_diff(old, new, str(path), notes)
    if not dry_run and new != old:
        write_atomic(path, new, keep_backup=True)
    return diff
