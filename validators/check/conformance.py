"""Conformance: check the configs a framework release ships, each at the card count it is written for.

A shipped config that gets an error is either a rule of ours that is wrong or a config the release itself
cannot run; both need a person to look. This is how a new MindFormers release is tried against ``check``
(its wheel's ``configs/``) before users meet a false error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Sequence, Union

from mindpilot.validators.check.context import CheckContext
from mindpilot.validators.check.document import ConfigDoc
from mindpilot.validators.check.parallel import Plan
from mindpilot.presets.config_facts import is_pynative
from mindpilot.validators.check.pynative import PynativeDims, check_world
from mindpilot.datafiles import DataFileError
from mindpilot.validators.findings import Severity

CARDS_IN_NAME = re.compile(r"_(\d{1,5})p(?:_|\.ya?ml$)")
"""``pretrain_deepseek3_1b_8p_pynative.yaml``: the card count MindFormers names in the file."""

MAX_SEARCH = 4096


def own_cards(doc: ConfigDoc) -> Optional[int]:
    """The card count ``doc`` is written for, or None for a one-card config.

    Graph mode with ``use_parallel``: dp*mp*cp*pp. PyNative (data parallel derived from the world size): the
    count in the file name, else the smallest count on which MindFormers' own world-size checks pass.
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    if is_pynative(data):
        named = CARDS_IN_NAME.search(Path(doc.path).name)
        if named:
            return int(named.group(1))
        dims = PynativeDims(doc)
        for cards in range(dims.non_data, MAX_SEARCH + 1, dims.non_data):
            ctx = CheckContext(cards=cards)
            check_world(doc, ctx, dims)
            if not any(f.severity is Severity.ERROR for f in ctx.findings):
                return cards
        return None
    if doc.value("use_parallel") is True:
        return Plan(doc).product
    return None


def check_shipped(paths: Sequence[Union[str, Path]], lang: str = "en") -> list[tuple[str, Optional[int], list[str]]]:
    """``(file, its card count, error rule ids)`` for each config, checked at its own card count."""
    from mindpilot.validators.check import run_check

    results = []
    for path in paths:
        try:
            cards = own_cards(ConfigDoc.load(path))
        except DataFileError:
            cards = None
        report = run_check([path], cards=cards, hbm_gb=64, skip_paths=True, lang=lang)
        errors = sorted({f.rule for f in report.findings if f.severity is Severity.ERROR})
        results.append((str(path), cards, errors))
    return results
