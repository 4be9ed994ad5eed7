"""Which ``convert_weight.py --model`` name a model needs: the checkout's own table first.

MindFormers renamed and dropped models between releases (``qwen2`` in 1.3, ``qwen2_5`` from 1.5;
``deepseekv3`` from 1.6; 1.6 and 1.7 keep six models), and an unknown name fails only after the
conversion has started: ``ValueError: Model:... is not supported!``. So the names are read from the
``convert_map`` of the checkout that will run the script (its text; nothing is imported), and the
hand table below only orders the spellings to try for each Hugging Face ``model_type``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

CANDIDATES = {
    "qwen2": ("qwen2_5", "qwen2"),
    "qwen2_moe": ("qwen2-moe",),
    "llama": ("llama",),
    "mixtral": ("mixtral",),
    "deepseek_v3": ("deepseekv3",),
    "deepseek": ("deepseek",),
    "glm4": ("glm4", "glm-n"),
    "chatglm": ("glm-n",),
    "telechat": ("telechat",),
    "internlm2": ("internlm2",),
    "baichuan": ("baichuan2", "baichuan"),
    "yi": ("yi", "llama"),
}
"""Hugging Face ``model_type`` -> ``--model`` spellings, newest first. Source: ``convert_map`` of MindFormers'
``convert_weight.py`` at v1.3.0, v1.5.0, v1.6.0 and v1.7.0 (1.7 also turns ``glm4`` into ``glm-n`` itself)."""

MAX_SCRIPT_BYTES = 512 * 1024
_MAP = re.compile(r"^convert_map\s*=\s*\{(?P<body>.*?)^\}", re.M | re.S)
_KEY = re.compile(r"""^\s*['"](?P<name>[\w.-]+)['"]\s*:""", re.M)
_ALIASES = re.compile(r"""args\.model\s+in\s+\[(?P<names>[^\]]*)\]""")


def known_names(checkout: str) -> Optional[list[str]]:
    """The ``--model`` names ``<checkout>/convert_weight.py`` accepts, or None when it cannot be read."""
    script = Path(checkout).expanduser() / "convert_weight.py"
    try:
        with open(script, "rb") as handle:
            text = handle.read(MAX_SCRIPT_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    table = _MAP.search(text)
    if table is None:
        return None
    names = [match.group("name") for match in _KEY.finditer(table.group("body"))]
    for aliases in _ALIASES.finditer(text):
        names += re.findall(r"""['"]([\w.-]+)['"]""", aliases.group("names"))
    return list(dict.fromkeys(names))


def convert_name(model_type: str, known: Optional[list[str]]) -> str:
    """The ``--model`` name for ``model_type``: the first spelling the checkout knows, else the newest one."""
    spellings = CANDIDATES.get(model_type, (model_type,))
    if known:
        for spelling in spellings:
            if spelling in known:
                return spelling
    return spellings[0]
