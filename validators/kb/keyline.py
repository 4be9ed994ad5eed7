"""The message of a log line, whatever wrapped it: launcher, rank, logger and CANN 8 prefixes removed.

The same error reaches users in many wrappings: ``[rank3]: RuntimeError: ...`` (torchrun), ``(VllmWorker
rank=0 pid=12) ERROR 12-01 10:00:00 [core.py:123] ...`` (vLLM), ``2025-11-19 11:14:59.028 | ERROR | mod:f:95
| ...`` (loguru), ``svc   | ...`` (docker compose), leading spaces of a pasted traceback, a ``【BUG】：`` tag,
and CANN 8's ``EI0006: [PID: 1234] 2025-...-10:00:00.123.456 Getting socket ...`` where the process id and
time sit between the code and the message. Rules and the unknown-error fallback read :func:`key_text`, so
one rule matches every wrapping; what users see is the line as it was written.
"""

from __future__ import annotations

import re
from typing import Optional

MAX_PREFIXES = 4
"""Wrappings removed at most (a rank prefix around a vLLM prefix around a tag ...)."""

_WRAPPERS = (
    re.compile(r"\[rank\s?\d+\]:\s?"),  # torchrun / msrun: [rank0]: ...
    re.compile(r"\((?:\w+ )?(?:rank|pid)=\d+[^)]{0,60}\)\s?"),  # vLLM: (VllmWorker rank=0 pid=123)
    re.compile(r"(?:ERROR|WARNING|INFO|DEBUG|CRITICAL) \d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \[[^\]]{0,80}\] "),  # vLLM
    re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)? \| ?\w+\s*\| [^|]{0,120}\| ?"),  # loguru
    re.compile(r"[\w.-]{1,64}\s+\| (?=\S)"),  # docker compose: service   | ...
    re.compile(r"【[^】]{1,16}】\s?[:：]?\s?"),  # a pasted tag: 【BUG】：
    re.compile(r"Error:(?=[A-Z]\w*(?:Error|Exception)\b)"),  # Error:RuntimeError: ...
)
_CANN8 = re.compile(r"\b([EW][0-9A-Z]\d{4}):? ?\[PID: ?\d+\] \d{4}-\d\d-\d\d-\d\d:\d\d:\d\d(?:\.\d+)*(?: \(\1\))?:? +")
"""CANN 8: ``EI0006: [PID: 1234] 2025-04-08-18:07:20.444.436 message`` (also ``EE9999[PID: ..] ... (EE9999): ``)."""


_ANY_WRAPPER = re.compile("|".join(f"(?:{wrapper.pattern})" for wrapper in _WRAPPERS))
"""One pass over every wrapping: most lines have none, and one failed match is cheaper than seven."""


def key_text(text: str) -> str:
    """``text`` without its wrappings, for matching (at most :data:`MAX_PREFIXES` removed)."""
    line = text.strip()
    if "[PID:" in line:
        line = _CANN8.sub(lambda found: found.group(1) + ": ", line)
    for _ in range(MAX_PREFIXES):
        found = _ANY_WRAPPER.match(line)
        if found is None or found.end() >= len(line):
            break
        line = line[found.end():].lstrip()
    return line



_RANK_PREFIX = re.compile(r"\s*\[rank\s?(\d{1,6})\]:|\s*\(\w* ?rank=(\d{1,6})\b")


def line_rank(text: str) -> Optional[int]:
    """The rank a launcher's prefix names (``[rank3]: ...``, ``(VllmWorker rank=3 pid=9) ...``), else None:
    one file holding every rank's output (torchrun, vLLM) still says which rank failed."""
    found = _RANK_PREFIX.match(text)
    if found is None:
        return None
    return int(found.group(1) or found.group(2))
