"""Load the knowledge base from ``validators/data/kb/*.yaml`` (every file but ``stages.yaml``).

Adding a rule is adding YAML: this loader validates it (file, line and key on any mistake), and the
test suite matches it against its fixture log ``tests/data/logs/kb/<rule id>.log``.

The shipped rules are compiled (:mod:`mindpilot.compiled`) with an index: each rule's id, file, scope and
literals, and per scope the literals within which no other is found (what the chunk search looks for). A run
reads the index, builds its matcher from the literals alone, and decodes a rule file only when one of its rules
is asked for (a log's line holds one of its literals): decoding all thirteen hundred rules would cost a quick
command more than the rest of its start-up.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from mindpilot import compiled
from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import DataFileError, line_of, package_path, read_yaml, validate
from mindpilot.validators.kb.entries import holding_no_other, pattern_literals, shipped_entries
from mindpilot.validators.kb.matcher import Matcher
from mindpilot.validators.kb.model import KbFile, KbRule, StageLabels

KB_DIR = package_path("validators", "data", "kb")
STAGES_FILE = "stages.yaml"


class KnowledgeBase:
    """All rules by id, their stage names, and matchers built on demand."""

    def __init__(self, rules: Dict[str, KbRule], stages: Dict[str, Bilingual],
                 coded: Optional[Mapping[str, KbRule]] = None) -> None:
        self.rules = rules
        self.stages = stages
        self.coded = coded or {}
        """CANN's catalogue as rules, by code (see :mod:`mindpilot.validators.kb.cann_catalog`)."""
        self._matchers: Dict[str, Matcher] = {}
        self._order: Optional[Dict[str, int]] = None

    def rule_order(self) -> Dict[str, int]:
        """Each rule's place (files by name, rules as written): of two rules on one line, the earlier is named
        first, whichever matched first. Worked out once."""
        if self._order is None:
            self._order = {rule_id: index for index, rule_id in enumerate(self.rules)}
        return self._order

    def __len__(self) -> int:
        return len(self.rules)

    def stage_name(self, stage: str, lang: str) -> str:
        """The human name of a stage."""
        label = self.stages.get(stage)
        return label.get(lang) if label else stage

    def matcher(self, scope: str = "log") -> Matcher:
        """A matcher over the rules that read ``scope`` (``log`` or ``script``); built once."""
        if scope not in self._matchers:
            rules = self.rules
            shipped = isinstance(rules, ShippedRules)
            entries = shipped_entries(rules, rules.literals(scope)) if shipped else None
            chosen = [rule for rule in rules.values() if rule.scope in (scope, "any")] if entries is None else []
            self._matchers[scope] = Matcher(chosen, extra_literals=EXTRA_LITERALS.get(scope, ()),
                                            coded=self.coded if scope == "log" else None, entries=entries,
                                            searched=rules.searched.get(scope) if shipped else None)
        return self._matchers[scope]


EXTRA_LITERALS = {"log": ("Global rank id", "[PID:")}
"""Literals of no rule whose lines a scope's scan reads: "[PID:" sits inside CANN 8 lines between a code and its
message, so such a line must be read even though a rule's literal ("EI0006: Getting socket") only appears once the
PID is removed; "Global rank id" names a log's rank."""


class ShippedRules(Mapping[str, KbRule]):
    """The shipped rules by id, in file order, from the compiled index: a rule file is decoded when one of its
    rules is first asked for (iterating the ids, counting them or asking whether one exists decodes nothing)."""

    def __init__(self, index: Dict[str, Any], directory: Path) -> None:
        """``index`` (see :func:`_index_of`): ``rules``, per rule in order ``[id, file name, scope, [literal per
        pattern]]``; ``searched``, per scope the literals its chunk search looks for. ValueError when it is not that."""
        self._directory = directory
        self._file_of: Dict[str, str] = {}
        self._rows: List[Tuple[str, str, List[str]]] = []
        self.searched: Dict[str, List[str]] = dict(index["searched"])
        """Per scope: the literals of its rules (and :data:`EXTRA_LITERALS`) within which no other is found."""
        if not all(isinstance(literals, list) and all(isinstance(literal, str) for literal in literals)
                   for literals in self.searched.values()):
            raise ValueError("not a list of literals per scope")
        for row in index["rules"]:
            rule_id, file, scope, literals = row
            if not (isinstance(rule_id, str) and isinstance(file, str) and isinstance(scope, str)
                    and isinstance(literals, list) and all(isinstance(literal, str) for literal in literals)):
                raise ValueError(f"not an index row: {row!r}")
            self._file_of[rule_id] = file
            self._rows.append((rule_id, scope, literals))
        self._decoded: Dict[str, KbRule] = {}
        self._lock = threading.Lock()

    def literals(self, scope: str) -> Iterator[Tuple[str, List[str]]]:
        """Each rule that reads ``scope`` (or any), with its patterns' literals, in order."""
        return ((rule_id, literals) for rule_id, rule_scope, literals in self._rows if rule_scope in (scope, "any"))

    def __getitem__(self, rule_id: str) -> KbRule:
        rule = self._decoded.get(rule_id)
        if rule is None:
            file = self._file_of[rule_id]
            with self._lock:  # the TUI's workers share the rules: a file is decoded once
                if rule_id not in self._decoded:
                    for each in _file_rules(self._directory / file):
                        self._decoded.setdefault(each.id, each)
            rule = self._decoded[rule_id]
        return rule

    def __iter__(self) -> Iterator[str]:
        return iter(self._file_of)

    def __len__(self) -> int:
        return len(self._file_of)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._file_of


def load_kb_from(directory: Path) -> KnowledgeBase:
    """Read and validate every rule file in ``directory``; duplicate ids are an error. The shipped folder is read
    through its compiled index (see the module's note)."""
    if not compiled.shipped(directory):  # no index to read or record: the index's literals would go unused
        return _read_every_file(directory)[0]
    read: List[KnowledgeBase] = []

    def build_index() -> Dict[str, Any]:
        kb, rows = _read_every_file(directory)
        read.append(kb)
        return _index_of(rows)

    index = compiled.built(directory, "kb_index", build_index)
    if read:  # the index was stale (or is being compiled): every file was read
        return read[0]
    try:
        rules = ShippedRules(index, directory)
    except (TypeError, ValueError, KeyError):
        return _read_every_file(directory)[0]
    return KnowledgeBase(rules, _stages(directory))


def _stages(directory: Path) -> Dict[str, Bilingual]:
    stage_path = directory / STAGES_FILE
    return compiled.built(stage_path, "kb_stages", lambda: _read_stages(stage_path)) if stage_path.is_file() else {}


def _read_every_file(directory: Path) -> Tuple[KnowledgeBase, List[Any]]:
    """Every rule file of ``directory`` read and validated (each through its compiled JSON when shipped), and per
    rule its row of the index (see :class:`ShippedRules`)."""
    rules: Dict[str, KbRule] = {}
    index: List[Any] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == STAGES_FILE:
            continue
        for place, rule in enumerate(_file_rules(path)):
            if rule.id in rules:
                document = read_yaml(path)
                line: Optional[int] = line_of(document, ["rules", place, "id"])
                raise DataFileError(str(path), line, "id", f"duplicate rule id {rule.id!r}")
            rules[rule.id] = rule
            index.append([rule.id, path.name, rule.scope, pattern_literals(rule)])
    return KnowledgeBase(rules, _stages(directory)), index


def _index_of(rows: List[Any]) -> Dict[str, Any]:
    """The index compiled with the shipped rules (see :class:`ShippedRules`)."""
    searched = {}
    for scope in ("log", "script"):
        literals = [literal for _, _, rule_scope, patterns in rows if rule_scope in (scope, "any")
                    for literal in patterns]
        searched[scope] = holding_no_other(literals + list(EXTRA_LITERALS.get(scope, ())))
    return {"rules": rows, "searched": searched}


def _file_rules(path: Path) -> List[KbRule]:
    return compiled.built(path, "kb_rules", lambda: _read_rules(path))


def _read_stages(path: Path) -> Dict[str, Bilingual]:
    document = read_yaml(path)
    return dict(validate(StageLabels, document, str(path), document).stages)


def _read_rules(path: Path) -> List[KbRule]:
    document = read_yaml(path)
    return validate(KbFile, document or {"rules": []}, str(path), document).rules


@lru_cache(maxsize=1)
def load_kb() -> KnowledgeBase:
    """The shipped knowledge base, loaded once per process."""
    return load_kb_from(KB_DIR)


def load_kb_for_logs() -> KnowledgeBase:
    """The shipped rules plus this host's CANN error catalogue (installed or learned), for reading logs."""
    from mindpilot.validators.kb.cann_catalog import code_rules, host_catalog

    kb = load_kb()
    catalog = host_catalog()
    if not catalog:
        return kb
    return KnowledgeBase(kb.rules, kb.stages, coded=code_rules(catalog, kb.rules.values()))


def rules_of_stage(kb: KnowledgeBase, stage: str) -> List[KbRule]:
    """The rules of one stage, in file order."""
    return [rule for rule in kb.rules.values() if rule.stage == stage]
