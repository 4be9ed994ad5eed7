"""Every plan goes through MindFormers' own parallel, recompute and layer-placement classes (CPU only).

Skips cleanly without the ``mindformers`` extra. MindFormers' ``LayerSetting`` raises on an offset whose
shape or sum is wrong (reference §3); here it must also place exactly the layers the planner promised.
"""

from __future__ import annotations

import pytest

from mindpilot.presets.models import get_model
from mindpilot.presets.planner import plan

pytestmark = pytest.mark.mindformers

CASES = [("qwen2.5-7b", 1), ("qwen2.5-7b", 2), ("qwen2.5-7b", 8), ("qwen2.5-7b", 16), ("qwen2.5-7b", 32),
         ("qwen2.5-14b", 8), ("qwen2.5-72b", 64), ("llama3.1-70b", 64)]


@pytest.fixture(scope="module")
def mindformers_classes(tmp_path_factory):
    pytest.importorskip("mindformers")
    import os

    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("mf"))  # MindFormers' logger writes ./output/log
    try:
        from mindformers.modules.transformer.transformer import (TransformerOpParallelConfig,
                                                                 TransformerRecomputeConfig)
        from mindformers.parallel_core.training_graph.transformer.utils import LayerSetting
    finally:
        os.chdir(here)
    return TransformerOpParallelConfig, TransformerRecomputeConfig, LayerSetting


@pytest.mark.parametrize("model,cards", CASES)
def test_mindformers_accepts_every_plan(mindformers_classes, model, cards, tmp_path, monkeypatch):
    parallel_cls, recompute_cls, layer_setting = mindformers_classes
    monkeypatch.chdir(tmp_path)
    arch = get_model(model)
    candidates = plan(arch, cards, hbm_gb=64)
    assert candidates
    for c in candidates:
        recompute = recompute_cls(**c.recompute_config)
        config = parallel_cls(recompute=recompute, **c.parallel_config)
        assert (config.data_parallel, config.model_parallel, config.pipeline_stage) == (c.dp, c.mp, c.pp)
        placed = layer_setting(arch.num_layers, c.offset, config)
        assert placed.layer_list.tolist() == [c.stage_layers], c.label
        assert [list(row) for row in placed.layer_recompute] == [c.recompute], c.label
