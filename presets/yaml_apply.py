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
from pathlib import Path
from typing import Any, Optional, Union

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarbool import ScalarBoolean

from mindpilot.fileio import locked, read_for_edit, write_atomic
from mindpilot.presets.config_facts import is_pynative
from mindpilot.presets.yaml_splice import MISSING, Patcher, load_roundtrip
from mindpilot.datafiles import DataFileError, read_text

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


def _plan_changes(patcher: Patcher, node: CommentedMap, values: dict[str, Any], where: list,
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
            return MISSING
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


def load_config_mapping(path: Union[str, Path], text: Optional[str] = None) -> tuple[str, str, CommentedMap]:
    """(name, text, round-trip tree) of the config at ``path`` (``text`` when already read).

    Raises:
        DataFileError: the file cannot be read, does not parse, or is not a mapping.
    """
    name = str(path)
    if text is None:
        text = read_text(path)
    root = load_roundtrip(text, name)
    if not isinstance(root, CommentedMap):
        raise DataFileError(name, 1, None, "not a YAML mapping (a MindFormers config is a mapping of sections)")
    return name, text, root


def plan_text(path: Union[str, Path], parallel_config: dict, recompute_config: dict,
              offset: Any = None, micro_batch_num: Optional[int] = None,
              text: Optional[str] = None) -> tuple[str, str, list[str]]:
    """(old text, new text, notes) for applying a plan to the YAML at ``path``; writes nothing.

    Raises:
        DataFileError: the file cannot be read, does not parse, or is not a mapping.
        ValueError: a key MindFormers would reject (``KeyError: ... gets an unexpected key``).
    """
    name, text, root = load_config_mapping(path, text)
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
    targets: list[tuple[list[str], dict[str, Any]]] = [(["parallel_config"], parallel), (["recompute_config"], recompute)]
    model_config = _lookup(root, ["model", "model_config"])
    zero_offset = offset == 0 or isinstance(offset, list) and not any(_flat(offset))
    if offset is not None and not (zero_offset and not (isinstance(model_config, dict) and "offset" in model_config)):
        targets.append((["model", "model_config"], {"offset": offset}))
    return (text, *splice_sections(name, text, root, targets))


def splice_sections(name: str, text: str, root: CommentedMap, targets: list[tuple[list[str], dict[str, Any]]]
                    ) -> tuple[str, list[str]]:
    """(new text, notes) with each ``(section path, values)`` of ``targets`` written into ``text``.

    Existing keys change in place, missing keys and sections are added; the result is parsed again and every
    requested value compared before it is returned.

    Raises:
        DataFileError: a layout the splicer cannot edit in place, or a missing parent section.
    """
    patcher = Patcher(text, root)
    plan: dict[int, Any] = {}
    for section_path, values in targets:
        if not values:
            continue
        node = _lookup(root, section_path)
        if isinstance(node, CommentedMap) and len(node):
            plan[id(node)] = values
    for section_path, values in targets:
        if values:
            _splice_section(patcher, name, root, list(section_path), values, plan)
    new_text = patcher.result()
    _verify(patcher, new_text, name)
    return new_text, patcher.notes


def _splice_section(patcher: Patcher, name: str, root: CommentedMap, section_path: list[str], values: dict[str, Any],
                    plan: dict[int, Any]) -> None:
    """Plan the edits that write ``values`` into the section at ``section_path``, by how the section stands."""
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
    elif node is MISSING and len(section_path) == 1:
        patcher.append_section(section_path, values)
        patcher.requests.extend(([*section_path, k], v) for k, v in values.items())
    elif node is MISSING and isinstance(_lookup(root, section_path[:1]), CommentedMap):
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


def _verify(patcher: Patcher, new_text: str, name: str) -> None:
    """Parse the new text again: every requested value must read back as asked, or nothing is written."""
    check = load_roundtrip(new_text, name)
    for request_path, expected in patcher.requests:
        got = _lookup(check, request_path)
        if not _same_after(got, expected):
            raise RuntimeError(f"internal error: {'.'.join(request_path)} would be {got!r}, not {expected!r}; "
                               "nothing written")


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

    Only values that differ change. The whole read-plan-write runs under the file's edit lock, so
    concurrent runs serialize; the file a symlink points to is edited; line endings and a UTF-8
    byte-order mark are kept; the replaced text is kept as ``path.bak`` (first edit) or ``path.bak.N``
    (see :mod:`mindpilot.fileio`). With ``dry_run`` nothing is written.

    Raises:
        DataFileError: the file cannot be read or does not parse (nothing is written).
        ValueError: a key MindFormers would reject.
    """
    with locked(path) as real:
        text, form = read_for_edit(real)
        document = load_roundtrip(text, str(path))
        if is_pynative(document):  # MindFormers 2.x PyNative: the plan goes into parallelism:
            from mindpilot.presets.pynative_plan import apply_pynative_plan, candidate_from_graph

            model = document.get("model")
            layers = model.get("num_hidden_layers") if isinstance(model, dict) else None
            candidate = candidate_from_graph(parallel_config or {}, recompute_config or {}, offset, layers)
            return apply_pynative_plan(path, candidate, dry_run=dry_run)
        old, new, notes = plan_text(path, parallel_config, recompute_config, offset, micro_batch_num, text=text)
        diff = unified_diff(old, new, str(path), notes)
        if not dry_run and new != old:
            write_atomic(real, new, keep_backup=True, newline=form.newline, encoding=form.encoding)
    return diff
