"""QA: the words users read never leak the project's own vocabulary.

The rule and knowledge-base texts were written from a user's diary (the "seeds"); a user has never seen
that diary, so "seed 001 used ..." in a fix is noise. Provenance belongs in ``source``, not in the text.
"""

from __future__ import annotations

import re

from mindpilot.validators.catalog import RULES_DIR, load_family
from mindpilot.validators.kb import load_kb

INTERNAL = re.compile(r"\bseeds?\b|种子", re.IGNORECASE)


def _texts_of_rules():
    for path in sorted(RULES_DIR.glob("*.yaml")):
        for rule_id, text in load_family(path).items():
            for field in ("title", "detail", "fix"):
                value = getattr(text, field)
                if value is not None:
                    yield rule_id, field, value.zh, value.en


def _texts_of_kb():
    for rule_id, rule in load_kb().rules.items():
        for field in ("title", "cause", "fix"):
            value = getattr(rule, field)
            yield rule_id, field, value.zh, value.en


def test_rule_and_kb_texts_do_not_mention_the_seed_notes():
    leaks = [f"{rule_id}.{field}: {text}"
             for rule_id, field, zh, en in list(_texts_of_rules()) + list(_texts_of_kb())
             for text in (zh, en) if INTERNAL.search(text)]
    assert leaks == []
