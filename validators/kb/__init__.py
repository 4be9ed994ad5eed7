"""The diagnosis knowledge base: known Ascend training errors as data, and a fast matcher over logs.

API (agreed with the launch engineer's live tail and the TUI)::

    kb = load_kb()
    hits = kb.matcher().match_line(text)          # list[KbHit]; cheap: literal prefilter first
    report = diagnose_paths(["output/msrun_log"], lang="zh")   # DiagnoseReport
"""

from mindpilot.validators.kb.knowledge import KnowledgeBase, load_kb, load_kb_from
from mindpilot.validators.kb.matcher import KbHit, Matcher
from mindpilot.validators.kb.model import KbPattern, KbRule

__all__ = ["KbHit", "KbPattern", "KbRule", "KnowledgeBase", "Matcher", "load_kb", "load_kb_from",
           "diagnose_paths", "DiagnoseReport"]


def __getattr__(name: str):
    # diagnose_paths pulls in file handling; import it on first use to keep match_line users light.
    if name in ("diagnose_paths", "DiagnoseReport"):
        from mindpilot.validators.kb import diagnose

        return getattr(diagnose, name)
    raise AttributeError(name)
