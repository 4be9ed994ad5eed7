"""``mindpilot check``: find, before launch, the config mistakes MindFormers, MindRLHF and MindSpeed-LLM
only report after minutes of graph compilation on every card.

:func:`run_check` (:mod:`.run`) reads each file, finds its kind in the ordered registry :data:`FILE_KINDS`
(:mod:`.kinds`: MindFormers YAML with ``parallel_config:``, MindFormers 2.x PyNative YAML with ``parallelism:``,
GRPO config, MindSpeed-RL config, launch script), runs that kind's rules, then the rules that span files.
A new kind is one :func:`register_kind` call with its ``check`` function. The rules live one family per module
(``mindformers``, ``pynative``, ``grpo``, ``scripts``, ...); their texts in ``validators/data/rules/``.
"""

from __future__ import annotations

from mindpilot.validators.check.kinds import (FILE_KINDS, FileKind, detect_kind, kind_label, kind_named, match_kind,
                                              register_kind)
from mindpilot.validators.check.mindformers import check_mindformers_yaml
from mindpilot.validators.check.run import CheckReport, CheckRun, check_files, run_check

__all__ = ["check_files", "check_mindformers_yaml", "run_check", "detect_kind", "match_kind", "kind_label",
           "kind_named", "register_kind", "FileKind", "FILE_KINDS", "CheckReport", "CheckRun"]
