"""Key bindings whose footer descriptions follow the UI language.

Bindings are declared with a label id as their description (``Binding("q", "quit", "key_quit")``);
:func:`localize_bindings` swaps in the text for the current language and can be called again after
the language changes, because it remembers the ids.
"""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode

from mindpilot.tui.labels import label


def localize_bindings(node: DOMNode, lang: str) -> None:
    """Rewrite the descriptions of ``node``'s bindings from label ids into ``lang``."""
    ids: dict[tuple[str, str], str] = node.__dict__.setdefault("_binding_label_ids", {})
    table = node._bindings.key_to_bindings
    for key, bindings in list(table.items()):
        localized = []
        for binding in bindings:
            label_id = ids.setdefault((key, binding.action), binding.description)
            if label_id.startswith("key_"):
                binding = replace(binding, description=label(label_id, lang))
            localized.append(binding)
        # A new list: the old one may be shared with the class's merged bindings.
        table[key] = localized
