"""The diagnosis knowledge base: known Ascend training errors as data, and a fast matcher over logs.

API (used by the launch live tail and the TUI)::

    kb = load_kb()
    hits = kb.matcher().match_line(text)          # list[KbHit]; cheap: literal prefilter first
    report = diagnose_paths(["output/msrun_log"], lang="zh")   # DiagnoseReport
"""

import importlib

_HOMES = {"KnowledgeBase": "knowledge", "load_kb": "knowledge", "load_kb_from": "knowledge", "KbHit": "matcher",
          "Matcher": "matcher", "KbPattern": "model", "KbRule": "model", "diagnose_paths": "diagnose",
          "DiagnoseReport": "report"}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    # Each name is imported on first use: a submodule (the report model, say) loads without the matcher.
    if name in _HOMES:
        return getattr(importlib.import_module(f"mindpilot.validators.kb.{_HOMES[name]}"), name)
    raise AttributeError(name)
