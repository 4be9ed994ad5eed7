"""CANN's own error catalogue: what each ``E?????`` / ``W?????`` code in a log means, in CANN's words.

Every CANN toolkit installs its error-code catalogue as JSON under ``conf/error_manager/`` (in the
toolkit, its ``<arch>-linux/`` folder, or ``runtime/.../conf/error_manager`` on newer layouts)::

    {"error_info_list": [{"errClass": "HCCL Errors", "errTitle": "Communication_Error_Get_Socket",
      "ErrCode": "EI0006", "ErrMessage": "Getting socket times out. Reason: %s", "Arglist": "reason",
      "suggestion": {"Possible Cause": "N/A", "Solution": "1. Check ..."}}]}

(format of ``error_manager/error_code.json`` in CANN's public metadef and hccl repositories). On a host
with CANN the installed catalogue explains the codes for the installed version; ``mindpilot knowledge
learn cann PATH`` copies one (from an install or a copied file) into the user's data directory, so a log
read on a laptop is explained too. The files are untrusted: size, entry and text bounds, and one
:class:`CatalogError` line for anything malformed.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

if TYPE_CHECKING:
    from mindpilot.validators.kb.model import KbRule

MAX_FILE_BYTES = 16 << 20
"""Largest catalogue file read (CANN 8's biggest is about 200 KB)."""
MAX_FILES = 64
"""Catalogue files read from one install."""
MAX_ENTRIES = 20000
"""Codes kept in all."""
MAX_TEXT = 2000
"""Characters kept of one text of an entry."""
CODE = re.compile(r"[EW][0-9A-Z]\d{4}")
"""A CANN error-manager code: E10001 (GE), EI0006 (HCCL), EE9999 (runtime), W11001 ..."""
CATALOG_GLOBS = ("conf/error_manager/*.json", "*-linux/conf/error_manager/*.json",
                 "runtime/conf/error_manager/*.json", "*/conf/error_manager/*.json",
                 "*-linux/*/conf/error_manager/*.json")
"""Where a toolkit keeps its catalogue files, relative to the toolkit directory."""
LEARNED_NAME = "error_code.json"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class CatalogError(ValueError):
    """A catalogue file cannot be used (one line for the user)."""


@dataclass(frozen=True)
class CodeEntry:
    """One code as CANN's catalogue explains it."""

    code: str
    """``EI0006``."""
    message: str
    """CANN's message, ``%s`` marks where the log fills in details."""
    cause: str
    """CANN's "Possible Cause" (empty when it says N/A)."""
    solution: str
    """CANN's "Solution" (empty when it says N/A)."""
    title: str = ""
    """CANN's ``errTitle`` (``Communication_Error_Get_Socket``)."""
    file: str = ""
    """The catalogue file it was read from."""
    version: str = ""
    """The CANN version of that file, when known."""


def _text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    value = _CONTROL.sub(" ", value).strip()
    return "" if value.upper() in ("N/A", "NA", "NONE", "-") else value[:MAX_TEXT]


def parse_catalog(raw: bytes, file: str, version: str = "") -> List[CodeEntry]:
    """The entries of one catalogue file's bytes.

    Raises:
        CatalogError: not JSON, nested too deep, or not a CANN error catalogue.
    """
    if len(raw) > MAX_FILE_BYTES:
        raise CatalogError(f"{file}: {len(raw)} bytes, more than a CANN error catalogue holds ({MAX_FILE_BYTES})")
    try:
        document = json.loads(raw.decode("utf-8", errors="replace"))
    except RecursionError:
        raise CatalogError(f"{file}: nested too deep to be a CANN error catalogue") from None
    except ValueError as exc:
        raise CatalogError(f"{file}: not JSON ({exc})") from None
    items = document.get("error_info_list") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise CatalogError(f"{file}: no \"error_info_list\": not a CANN error catalogue (conf/error_manager/*.json)")
    entries: List[CodeEntry] = []
    for item in items[:MAX_ENTRIES]:
        if not isinstance(item, dict):
            continue
        code = item.get("ErrCode")
        if not isinstance(code, str) or not CODE.fullmatch(code):
            continue
        suggestion = item.get("suggestion")
        suggestion = suggestion if isinstance(suggestion, dict) else {}
        entries.append(CodeEntry(code=code, message=_text(item.get("ErrMessage")),
                                 cause=_text(suggestion.get("Possible Cause")),
                                 solution=_text(suggestion.get("Solution")), title=_text(item.get("errTitle")),
                                 file=file, version=version))
    return entries


def read_catalog_file(path: Path, version: str = "") -> List[CodeEntry]:
    """One catalogue file (a regular file, bounded in size).

    Raises:
        CatalogError: unreadable, not a regular file, too big or malformed.
    """
    try:
        # O_NONBLOCK, then fstat of what was opened: a file swapped for a FIFO after a check would block the read
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise CatalogError(f"{path}: not a regular file")
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CatalogError(f"{path}: {exc.strerror or exc}") from None
    return parse_catalog(raw, str(path), version)


def catalog_files(toolkit: Path) -> List[Path]:
    """The catalogue files of a toolkit directory (bounded), in a stable order."""
    found: List[Path] = []
    for pattern in CATALOG_GLOBS:
        for path in sorted(toolkit.glob(pattern)):
            if path not in found and path.is_file():
                found.append(path)
            if len(found) >= MAX_FILES:
                return found
    return found


def read_install(path: Path, version: str = "") -> List[CodeEntry]:
    """Every code of a CANN install directory, or of one catalogue file.

    Raises:
        CatalogError: no catalogue there, or every catalogue file is malformed.
    """
    if path.is_file():
        entries = read_catalog_file(path, version)
        if not entries:
            raise CatalogError(f"{path}: the catalogue holds no error codes")
        return entries
    if not path.is_dir():
        raise CatalogError(f"{path}: " + ("not a regular file" if path.exists() else "no such file or directory"))
    files = catalog_files(path)
    if not files:
        raise CatalogError(f"{path}: no conf/error_manager/*.json here (give the CANN toolkit directory, e.g. "
                           f"/usr/local/Ascend/ascend-toolkit/latest, or the error_code.json file)")
    entries: List[CodeEntry] = []
    errors: List[str] = []
    for file in files:
        try:
            entries += read_catalog_file(file, version)
        except CatalogError as exc:
            errors.append(str(exc))
    if not entries:
        raise CatalogError(errors[0] if errors else f"{path}: the catalogue holds no error codes")
    return entries[:MAX_ENTRIES]


def merge(*sources: Iterable[CodeEntry]) -> Dict[str, CodeEntry]:
    """Codes to entries; an earlier source wins a code (the installed catalogue before a learned one)."""
    merged: Dict[str, CodeEntry] = {}
    for source in sources:
        for entry in source:
            if entry.code not in merged and len(merged) < MAX_ENTRIES:
                merged[entry.code] = entry
    return merged


def learned_path() -> Path:
    """Where ``knowledge learn cann`` keeps the catalogue it read."""
    from mindpilot.userdata import data_dir

    return data_dir() / "cann" / LEARNED_NAME


def save_learned(entries: List[CodeEntry], origin: str, version: str) -> Path:
    """Store ``entries`` as the learned catalogue (replacing the last one); returns the file."""
    from mindpilot.userdata import write_private
    from mindpilot.validators.knowledge import today

    document = {"learned_from": origin, "version": version, "learned": today(),
                "entries": [asdict(entry) for entry in merge(entries).values()]}
    return write_private(learned_path(), json.dumps(document, ensure_ascii=False, indent=0) + "\n")


def load_learned() -> List[CodeEntry]:
    """The learned catalogue; empty when there is none or it is damaged (never fatal)."""
    from mindpilot.userdata import read_private

    data = read_private(learned_path(), MAX_FILE_BYTES * 2)  # None: absent, or someone else could write it
    try:
        document = json.loads(data.decode("utf-8", "replace")) if data is not None else None
    except (ValueError, RecursionError):
        return []
    items = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return []
    entries = []
    for item in items[:MAX_ENTRIES]:
        if isinstance(item, dict) and isinstance(item.get("code"), str) and CODE.fullmatch(item["code"]):
            entries.append(CodeEntry(**{key: _text(item.get(key)) if key != "code" else item["code"]
                                        for key in CodeEntry.__dataclass_fields__}))
    return entries


def learned_summary() -> Optional[Dict[str, object]]:
    """What ``knowledge learn cann`` stored (where from, CANN version, day, how many codes), or None."""
    from mindpilot.userdata import read_private

    data = read_private(learned_path(), MAX_FILE_BYTES * 2)
    try:
        document = json.loads(data.decode("utf-8", "replace")) if data is not None else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        return None
    return {"from": _text(document.get("learned_from")), "version": _text(document.get("version")),
            "learned": _text(document.get("learned")), "codes": min(len(document["entries"]), MAX_ENTRIES),
            "file": str(learned_path())}


def installed_toolkit(environ: Optional[Dict[str, str]] = None) -> Tuple[Optional[Path], str]:
    """The CANN toolkit of this host (as ``doctor`` finds it) and its version, or (None, "")."""
    from mindpilot.validators.probe.ascend import TOOLKIT_CANDIDATES, find_cann

    environ = dict(os.environ if environ is None else environ)
    version, _info, home = find_cann(Path("/"), environ)
    if home:
        return Path(home), version or ""
    for name in ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME"):
        if environ.get(name) and Path(environ[name]).is_dir():
            return Path(environ[name]), ""
    for candidate in TOOLKIT_CANDIDATES:
        if Path(candidate).is_dir():
            return Path(candidate), ""
    return None, ""


def host_catalog() -> Dict[str, CodeEntry]:
    """The codes this host can explain: the installed toolkit's catalogue first, then the learned one."""
    toolkit, version = installed_toolkit()
    installed: List[CodeEntry] = []
    if toolkit is not None:
        try:
            installed = read_install(toolkit, version)
        except CatalogError:
            installed = []
    return merge(installed, load_learned())


_STAGE_OF_PREFIX = {"EI": "parallel", "EJ": "parallel", "EE": "runtime", "EH": "runtime", "EL": "runtime",
                    "EZ": "operator", "EB": "operator", "EK": "runtime"}
"""The journey stage of a code by its first two letters (HCCL/HCCP, runtime, AI Core ...); digits: graph."""


class CodeRules(Mapping):
    """One knowledge-base rule per catalogue code, with CANN's own texts, built when a log first shows the
    code (a toolkit's catalogue holds thousands; a log a handful).

    A catalogue rule is ``generic``: a hand-written rule naming the cause on or near the same line
    comes first, CANN's text is listed after it. A code that a hand rule treats as a consequence (the
    HCCL notify wait timeout EI0002, say) stays a consequence.
    """

    def __init__(self, catalog: Dict[str, CodeEntry], hand_rules: Iterable["KbRule"]) -> None:
        self.catalog = catalog
        self.consequences = {code for rule in hand_rules if rule.consequence for pattern in rule.patterns
                             for code in CODE.findall(pattern.regex)}
        self._built: Dict[str, "KbRule"] = {}

    def __getitem__(self, code: str) -> "KbRule":
        rule = self._built.get(code)
        if rule is None:
            rule = self._built[code] = _code_rule(self.catalog[code], code in self.consequences)
        return rule

    def __iter__(self) -> Iterator[str]:
        return iter(self.catalog)

    def __len__(self) -> int:
        return len(self.catalog)


def code_rules(catalog: Dict[str, CodeEntry], hand_rules: Iterable["KbRule"]) -> CodeRules:
    """The catalogue's codes as rules (see :class:`CodeRules`)."""
    return CodeRules(catalog, hand_rules)


def _code_rule(entry: CodeEntry, consequence: bool) -> "KbRule":
    from mindpilot.bilingual import Bilingual
    from mindpilot.validators.findings import Severity
    from mindpilot.validators.kb.model import KbPattern, KbRule

    code = entry.code
    stage = _STAGE_OF_PREFIX.get(code[:2], "graph" if code[1].isdigit() else "runtime")
    message = entry.message.replace("%s", "…") or entry.title.replace("_", " ")
    where = f"CANN {entry.version} " if entry.version else "CANN "
    cause_en = entry.cause or f"{where}gives no cause for {code} in its catalogue; its message is above."
    fix_en = entry.solution or f"{where}gives no solution for {code}; look the code up in the CANN " \
                               f"documentation of this version and read the lines just before it."
    return KbRule(
        id=f"kb.{stage}.cann_{code.lower()}", stage=stage,  # type: ignore[arg-type]
        patterns=[KbPattern(regex=rf"(?<![\w=]){code}(?!\w)", literal=code)],
        title=Bilingual(zh=f"{code}：{message}", en=f"{code}: {message}"),
        cause=Bilingual(zh=f"CANN 错误码说明（原文）：{cause_en}", en=cause_en),
        fix=Bilingual(zh=f"CANN 给出的处理办法（原文）：{fix_en}", en=fix_en),
        source=f"{where}error catalogue {entry.file}".strip(),
        severity=Severity.WARNING if code.startswith("W") else Severity.ERROR,
        consequence=consequence, generic=True)
