"""What an error code in a log means in general, for the line no rule explains.

When ``diagnose`` can only point at a likely key line, a code on it (or just above it, in the same block)
still says something: CANN's ``EE1001`` is "an argument is invalid", ACL's ``207001`` "device memory could
not be allocated", torch_npu's ``ERR02200`` "a call into HCCL failed, in the distributed module". This
module finds such codes in a line and explains each one:

* first from CANN's own catalogue for the installed (or learned) version (:mod:`.cann_catalog`);
* else from our bilingual code book ``validators/data/codebook.yaml`` (codes users meet most, each with
  its source: CANN's error reference and catalogue, ACL's ``rt_error_codes.h`` / ``acl_base_rt.h``, the
  aclnn return codes, torch_npu's ``_error_code.py``, HCCL's ``HcclResult``, the NPU driver's ``drvError_t``, MindIE's error code reference, Linux's
  ``errno`` and signals), and failing an entry, by the code's family (the component a code's first letters or digits
  name).

Every explanation says it is the code's general meaning: the lines around it say which case applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Mapping, Optional, Sequence

from mindpilot import compiled
from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import load_model, package_path

CODEBOOK_FILE = package_path("validators", "data", "codebook.yaml")
MAX_CODES = 2
"""Codes explained for one key line (the nearest first)."""
LINES_ABOVE = 10
"""Lines above the key line whose codes count too (a traceback's CANN block, an ``[ERROR]`` trailer)."""

CANN_CODE = re.compile(r"(?<![\w=])([EW][0-9A-Z]\d{4})(?!\w)")
"""CANN's error-manager codes, standing as a word (not ``module_name=EE8888``)."""
ACL_CODE = re.compile(r"(?:error code is|error ?code[:=]?|ret(?:code)?\s*[\[:=]|result\s*=|errno\s*[:=]?|ErrCode\s*=)"
                      r"\s*\[?(-?[1-5]\d{5})(?!\d)", re.IGNORECASE)
"""An ACL / aclnn return code where a call reports it (``error code is 507015``, ``ret[207001]``)."""
NPU_CODE = re.compile(r"(?<![\w])ERR(\d\d)(\d{3})(?!\d)")
"""torch_npu's ``ERR<module><code>`` (``ERR00100``)."""
HCCL_CODE = re.compile(r"(?:HCCL function error|Hccl[A-Z]\w*)[^\n]{0,200}?error code is (\d{1,2})(?!\d)")
"""An HCCL call's own return code (``HCCL function error: HcclAllreduce(...), error code is 7``), printed as
``HCCL 7`` here."""
SIGNAL_CODE = re.compile(r"(?i:exit ?code|exitcode|exit status|exited with code|return ?code|returncode)\s*[:=]?\s*-(\d{1,2})\b"
                         r"|\b(?i:signal|SIG)\s*[:=]?\s*(\d{1,2})\b|^(Killed|Segmentation fault|Aborted|Bus error)\b")
"""A process ended by a signal: a negative exit code (Python's subprocess, torchrun ``exitcode: -9``), a signal
number, or the shell's own words for one (``Killed``, ``Segmentation fault (core dumped)``), printed as
``signal 9`` here."""
_SIGNAL_WORDS = {"Killed": "9", "Segmentation fault": "11", "Aborted": "6", "Bus error": "7"}
MINDIE_CODE = re.compile(r"(?<![\w])MIE(\d\d)([EW])([0-9A-F]{6})(?![0-9A-Za-z])")
"""MindIE's twelve-character code: ``MIE``, the component (two digits), the level, six hexadecimal digits
(``MIE04E13030A``)."""
DRIVER_CODE = re.compile(r"\b(?:drvRetCode|drvRet|drv_ret|drvErr(?:or)?|halRet)\s*[=:(]\s*(\d{1,5})(?!\d)")
"""The NPU driver's own return code where a caller prints it (``Call drvGetDevNum, drvRetCode=1``), printed as
``driver 1`` here."""
ERRNO_CODE = re.compile(r"\[Errno (\d{1,3})\]")
"""The operating system's error number as Python prints it (``OSError: [Errno 28] No space left on device``),
printed as ``errno 28`` here."""


@dataclass(frozen=True)
class CodeText:
    """One code, or one family of codes, and what it means."""

    __pydantic_config__ = {"extra": "forbid"}

    code: str
    """The code (``EE1001``, ``507015``, ``002`` of torch_npu) or the family prefix (``EI``, ``1070``)."""
    meaning: Bilingual
    """What it means in general, in a few words."""
    source: str
    """Where the meaning is stated."""


@dataclass(frozen=True)
class CodeBook:
    """``validators/data/codebook.yaml``."""

    __pydantic_config__ = {"extra": "forbid"}

    cann_families: List[CodeText]
    """CANN components by a code's first two characters (``EI``: HCCL)."""
    cann_codes: List[CodeText]
    """CANN codes users meet most."""
    acl_families: List[CodeText]
    """ACL / aclnn return codes by their leading digits (``1070``: a runtime call got a bad argument)."""
    acl_codes: List[CodeText]
    """ACL / aclnn return codes."""
    npu_modules: List[CodeText] = field(default_factory=list)
    """torch_npu's modules by the two digits after ``ERR``."""
    npu_codes: List[CodeText] = field(default_factory=list)
    """torch_npu's error kinds by the last three digits."""
    hccl_codes: List[CodeText] = field(default_factory=list)
    """HCCL's return codes (``HcclResult``) by number."""
    errno_codes: List[CodeText] = field(default_factory=list)
    """The operating system's error numbers (Linux ``errno``) users meet most."""
    signals: List[CodeText] = field(default_factory=list)
    """Signals that end a process, by number."""
    mindie_components: List[CodeText] = field(default_factory=list)
    """MindIE's components by the two digits after ``MIE``."""
    mindie_kinds: List[CodeText] = field(default_factory=list)
    """MindIE MS / Server error kinds by a code's last two hexadecimal digits."""
    driver_codes: List[CodeText] = field(default_factory=list)
    """The NPU driver's return codes (``drvError_t``) by number."""


def _load_codebook() -> CodeBook:
    return compiled.built(CODEBOOK_FILE, "codebook", lambda: load_model(CodeBook, CODEBOOK_FILE))


@lru_cache(maxsize=1)
def _tables() -> Dict[str, Dict[str, CodeText]]:
    """Each section of the code book (by its field name), its entries by code."""
    book = _load_codebook()
    return {name: {entry.code: entry for entry in getattr(book, name)} for name in CodeBook.__dataclass_fields__}


def codes_in(text: str) -> List[str]:
    """The error codes in one line, in order, each once."""
    found = [(m.start(), m.group(1)) for m in CANN_CODE.finditer(text)]
    found += [(m.start(), m.group(1).lstrip("-")) for m in ACL_CODE.finditer(text)]
    found += [(m.start(), m.group(0)) for m in NPU_CODE.finditer(text)]
    found += [(m.start(1), f"HCCL {m.group(1)}") for m in HCCL_CODE.finditer(text)]
    found += [(m.start(), f"errno {m.group(1)}") for m in ERRNO_CODE.finditer(text)]
    found += [(m.start(), m.group(0)) for m in MINDIE_CODE.finditer(text)]
    found += [(m.start(1), f"driver {m.group(1)}") for m in DRIVER_CODE.finditer(text)]
    found += [(m.start(), "signal " + (m.group(1) or m.group(2) or _SIGNAL_WORDS[m.group(3)]))
              for m in SIGNAL_CODE.finditer(text.strip())]
    seen: List[str] = []
    for _, code in sorted(found):
        if code not in seen:
            seen.append(code)
    return seen


def codes_near(key_line: str, above: Sequence[str], limit: Optional[int] = MAX_CODES) -> List[str]:
    """Codes of the key line, then of the lines above it (nearest first), at most ``limit``."""
    codes: List[str] = []
    for text in [key_line, *reversed(above[-LINES_ABOVE - 1:])]:
        for code in codes_in(text):
            if code not in codes:
                codes.append(code)
    return codes[:limit] if limit is not None else codes


def explain(code: str, lang: str, catalog: Optional[Mapping[str, object]] = None) -> Optional[str]:
    """What ``code`` means in general, in ``lang``, or None when neither CANN's catalogue (``catalog``: code
    to :class:`~mindpilot.validators.kb.cann_catalog.CodeEntry`) nor the code book knows it."""
    zh = lang == "zh"
    entry = catalog.get(code) if catalog else None
    if entry is not None:
        words = getattr(entry, "message", "").replace("%s", "…") or getattr(entry, "title", "").replace("_", " ")
        cause = getattr(entry, "cause", "")
        text = f"{words} {cause}".strip()
        return f"{code}（CANN 错误码说明）：{text}" if zh else f"{code} (CANN's catalogue): {text}"
    meaning = _meaning(code)
    return None if meaning is None else f"{code}：{meaning.get('zh')}" if zh else f"{code}: {meaning.get('en')}"


_NUMBERED = {"HCCL": ("hccl_codes", "HCCL 返回码", "HCCL's return code"),
             "errno": ("errno_codes", "操作系统错误号", "the system's error number"),
             "signal": ("signals", "进程被信号结束", "the process was ended by a signal"),
             "driver": ("driver_codes", "NPU 驱动返回码", "the NPU driver's return code")}
"""Codes printed as ``<kind> <number>``: the code book's section for them, and how their explanation starts."""


_MINDIE_TYPED = ("03", "04")
"""MindIE components whose codes end in an error kind (MS / Motor and Server); the others number their errors
per sub-component."""


def _mindie_meaning(code: str) -> Optional[Bilingual]:
    """A MindIE code by its component and, for MS and Server, the kind of error its last two digits name."""
    tables = _tables()
    component, kinds = tables["mindie_components"].get(code[3:5]), tables["mindie_kinds"]
    if component is None:
        return None
    kind = kinds.get(code[-2:]) if code[3:5] in _MINDIE_TYPED else None
    zh, en = f"MindIE 的错误码，来自 {component.meaning.get('zh')}", f"MindIE's code, from {component.meaning.get('en')}"
    if kind is not None:
        return Bilingual(zh=f"{zh}：{kind.meaning.get('zh')}", en=f"{en}: {kind.meaning.get('en')}")
    return Bilingual(zh=f"{zh}；具体原因看同一行和前面的报错", en=f"{en}; the same line and the errors before it say why")


def _meaning(code: str) -> Optional[Bilingual]:
    tables = _tables()
    if MINDIE_CODE.fullmatch(code):
        return _mindie_meaning(code)
    kind = code.split()[0]
    if kind in _NUMBERED:
        section, zh, en = _NUMBERED[kind]
        entry = tables[section].get(code.split()[1])
        if entry is None:
            return None
        return Bilingual(zh=f"{zh}：{entry.meaning.get('zh')}", en=f"{en}: {entry.meaning.get('en')}")
    if code.startswith("ERR"):
        module, kind = tables["npu_modules"].get(code[3:5]), tables["npu_codes"].get(code[5:])
        if kind is None:
            return None
        where = module.meaning if module is not None else None
        return Bilingual(zh=f"torch_npu{('（' + where.get('zh') + '）') if where else ''}：{kind.meaning.get('zh')}",
                         en=f"torch_npu{(' (' + where.get('en') + ')') if where else ''}: {kind.meaning.get('en')}")
    if code in tables["cann_codes"]:
        return tables["cann_codes"][code].meaning
    if code in tables["acl_codes"]:
        return tables["acl_codes"][code].meaning
    table = tables["acl_families"] if code[:1].isdigit() else tables["cann_families"]
    for length in (4, 3, 2):
        if code[:length] in table:
            family = table[code[:length]].meaning
            return Bilingual(zh=f"{family.get('zh')}（按错误码所属的类别）", en=f"{family.get('en')} (by the code's family)")
    return None


def explain_codes(codes: Sequence[str], lang: str, catalog: Optional[Mapping[str, object]] = None) -> List[str]:
    """The explanations of ``codes`` that are known (see :func:`explain`)."""
    return [text for text in (explain(code, lang, catalog) for code in codes) if text]
