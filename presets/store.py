"""Saving a :class:`~mindpilot.presets.preset.Preset`: the one writer the CLI (``preset new``) and the TUI share.

A preset saved here reads back equal (``load_preset(save_preset(p, path)) == p``; a secret variable is
stored as ``***``, which launch takes from the environment, so a token never lands in a file), is written
atomically (a crash never leaves half a file), and is byte-for-byte the same for the same preset, so
a pipeline that regenerates it sees no diff. YAML keeps only the values that differ from the
defaults (what a person wrote); ``.json`` keeps every field (what a CI tool reads).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Union

from mindpilot.fileio import write_atomic
from mindpilot.presets.preset import Preset

HEADER = "# mindpilot preset: check with `mindpilot check FILE`, render with `mindpilot preset render FILE --out DIR`\n"
"""First line of a saved YAML preset: the two commands that use it."""


def preset_to_yaml(preset: Preset) -> str:
    """The preset as YAML (secrets masked): a header comment, then the non-default values in field order."""
    return HEADER + preset.without_secrets().to_yaml()


def preset_to_json(preset: Preset) -> str:
    """The preset as one JSON document with every field, secrets masked (ends with a newline)."""
    return preset.without_secrets().to_json() + "\n"


def preset_text(preset: Preset, path: Union[str, Path]) -> str:
    """The text :func:`save_preset` writes to ``path`` (JSON for ``*.json``, else YAML)."""
    return preset_to_json(preset) if str(path).endswith(".json") else preset_to_yaml(preset)


def save_preset(preset: Preset, path: Union[str, Path]) -> Path:
    """Write ``preset`` to ``path`` atomically (an existing file is kept as ``path.bak``); return the path.

    Raises:
        OSError: the directory does not exist or cannot be written (the CLI reports it in one line).
    """
    target = Path(path)
    write_atomic(target, preset_text(preset, target), keep_backup=target.exists())
    return target


def preset_schema() -> dict[str, Any]:
    """The JSON Schema of a preset file (from the pydantic model), for editors and CI linters."""
    schema = Preset.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", "mindpilot preset")
    return schema


def preset_schema_text() -> str:
    """:func:`preset_schema` as stable, indented JSON (sorted keys: the same bytes every time)."""
    return json.dumps(preset_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
