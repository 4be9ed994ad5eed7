"""Load the knowledge base from ``validators/data/kb/*.yaml`` (every file but ``stages.yaml``).

Adding a rule is adding YAML: this loader validates it (file, line and key on any mistake), and the
test suite matches it against its fixture log ``tests/data/logs/kb/<rule id>.log``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from mindpilot import compiled
from mindpilot.bilingual import Bilingual
from mindpilot.datafiles import DataFileError, line_of, package_path, read_yaml, validate
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
            chosen = [rule for rule in self.rules.values() if rule.scope in (scope, "any")]
            # "[PID:" sits inside CANN 8 lines between a code and its message: such a line must be read
            # even though a rule's literal ("EI0006: Getting socket") only appears once the PID is removed.
            extra = ("Global rank id", "[PID:") if scope == "log" else ()
            self._matchers[scope] = Matcher(chosen, extra_literals=extra, coded=self.coded if scope == "log" else None)
        return self._matchers[scope]


def load_kb_from(directory: Path) -> KnowledgeBase:
    """Read and validate every rule file in ``directory``; duplicate ids are an error."""
    rules: Dict[str, KbRule] = {}
    stages: Dict[str, Bilingual] = {}
    stage_path = directory / STAGES_FILE
    if stage_path.is_file():
        stages = compiled.built(stage_path, "kb_stages", lambda: _read_stages(stage_path))
    for path in sorted(directory.glob("*.yaml")):
        if path.name == STAGES_FILE:
            continue
        for index, rule in enumerate(compiled.built(path, "kb_rules", lambda: _read_rules(path))):
            if rule.id in rules:
                document = read_yaml(path)
                line: Optional[int] = line_of(document, ["rules", index, "id"])
                raise DataFileError(str(path), line, "id", f"duplicate rule id {rule.id!r}")
            rules[rule.id] = rule
    return KnowledgeBase(rules, stages)


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
