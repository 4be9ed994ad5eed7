"""What may go into a line of a generated shell script: names, one-line text, and values without NUL.

Presets travel (committed to repositories, run by CI), so everything in them is untrusted. ``run.sh``
quotes every value with ``shlex.quote``; what cannot be quoted is checked here instead: a variable name
in ``export NAME=...`` must be a shell identifier, a preset name and description land in a ``#``
comment that a newline would end, and a NUL byte can be neither in an argument nor in the environment.
The :class:`~mindpilot.presets.preset.Preset` validators and :mod:`mindpilot.launch.command` both use
these checks, so a preset built in code (``model_copy``) is refused by the renderer too.
"""

from __future__ import annotations

import re
from typing import Optional

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
"""A POSIX shell variable name: what ``export NAME=value`` accepts without quoting."""
PRESET_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\Z")
"""A preset's ``name``: letters, digits, ``_ . -`` (no leading ``-`` or ``.``), at most 64 characters.

It becomes part of a job id, a directory name and a ``run.sh`` comment, so it is kept to what every
file system, shell and terminal takes as it is."""
_LINE_BREAKING = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
"""Control characters (tab excepted) and Unicode line separators: they end or garble a script line."""


def env_name_problem(name: str) -> Optional[str]:
    """Why ``name`` cannot be an environment variable name in a script, or None when it can."""
    if ENV_NAME.match(name):
        return None
    return (f"environment variable name {name!r} is not a shell name "
            f"(letters, digits and _, not starting with a digit)")


def preset_name_problem(name: str) -> Optional[str]:
    """Why ``name`` cannot be a preset name, or None when it can."""
    if PRESET_NAME.match(name):
        return None
    return (f"preset name {name!r} must be 1-64 letters, digits, '_', '.' or '-' "
            f"(not starting with '.' or '-')")


def line_problem(text: str) -> Optional[str]:
    """Why ``text`` cannot stand in one script line (a newline, a NUL, another control character)."""
    found = _LINE_BREAKING.search(text)
    if found is None:
        return None
    what = {"\n": "a newline", "\r": "a carriage return", "\x00": "a NUL byte"}.get(found.group(),
                                                                                  "a control character")
    return f"{text[:40]!r}{'...' if len(text) > 40 else ''} holds {what} (U+{ord(found.group()):04X})"


def one_line(text: str) -> str:
    """``text`` with every control character and line separator replaced by a space (for comments)."""
    return _LINE_BREAKING.sub(" ", text)


def safe_preset_name(text: str) -> str:
    """A valid preset name made from ``text`` (a script's file stem): other characters become ``-``."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).lstrip(".-")[:64]
    return name or "job"


def env_flag(item: str) -> tuple[str, str]:
    """``--env KEY=VALUE`` as ``(KEY, VALUE)``; a secret's NAME alone is ``(NAME, "***")``: passed by name.

    The name itself is checked by the ``Preset`` it goes into.

    Raises:
        ValueError: neither form.
    """
    from mindpilot.validators.redact import MASK, is_secret_name

    key, sep, value = item.partition("=")
    if not sep and key and is_secret_name(key):
        return key, MASK  # never typed into the shell's history; the launch takes it from the environment
    if not sep or not key:
        raise ValueError(f"--env wants KEY=VALUE (or a secret's NAME alone), got {item!r}")
    return key, value
