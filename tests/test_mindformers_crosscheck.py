"""Our verdicts against MindFormers' own code (mindformers 1.7.0 on CPU), in ONE subprocess.

Every corpus MindFormers YAML, the seed YAML with mistakes put back, and every YAML that ``apply_plan``
writes from the planner's best plan are loaded with ``MindFormerConfig`` (template check: unknown keys
raise KeyError), run through ``check_rules``' parallel and recompute checks with ``device_num`` set to
the card count, and turned into ``TransformerOpParallelConfig`` / ``TransformerRecomputeConfig``.
Where MindFormers raises, we must report an error of the same kind; where it passes, we must not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mindpilot.validators.check import check_files
from mindpilot.validators.findings import Severity

pytestmark = [pytest.mark.mindformers, pytest.mark.slow]

DATA = Path(__file__).parent / "data" / "check"
SEED = DATA / "qwen2_5_7b_2cards.yaml"

RUNNER = r'''
import contextlib, io, json, os, sys, tempfile, logging
cases = json.load(sys.stdin)
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import mindspore as ms
    from mindformers.tools.register import MindFormerConfig
    from mindformers.modules.transformer import TransformerOpParallelConfig, TransformerRecomputeConfig
    import mindformers.tools.check_rules as rules
    from mindformers.parallel_core.training_graph.transformer.utils import LayerSetting
logging.disable(logging.CRITICAL)
results = []
for case in cases:
    out = {"path": case["path"]}
    text = open(case["path"], encoding="utf-8").read()
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as handle:
        # run_mindformer.py passes --run_mode; a YAML without run_mode is loaded as that mode
        handle.write(text if "\nrun_mode:" in "\n" + text else f"run_mode: '{case['mode']}'\n" + text)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            config = MindFormerConfig(handle.name)
    except Exception as exc:
        out["load"] = f"{type(exc).__name__}: {exc}"
        results.append(out)
        continue
    finally:
        os.unlink(handle.name)
    rules.get_device_num = lambda cards=case["cards"]: cards
    mode = config.get("parallel", {}).get("parallel_mode", 1)
    semi = config.get("use_parallel") and mode in (1, "SEMI_AUTO_PARALLEL", "semi_auto_parallel")
    ms.set_auto_parallel_context(parallel_mode="semi_auto_parallel" if semi else "stand_alone")
    for name, check in (("parallel", rules._check_parallel), ("recompute", rules._check_recompute)):
        try:
            if name == "recompute" and config.get("swap_config") is None:
                continue
            check(config)
        except Exception as exc:
            out[name] = f"{type(exc).__name__}: {exc}"
    try:
        recompute = TransformerRecomputeConfig(**(config.get("recompute_config") or {}))
        parallel = TransformerOpParallelConfig(recompute=recompute, **(config.get("parallel_config") or {}))
    except Exception as exc:
        out["objects"] = f"{type(exc).__name__}: {exc}"
        parallel = None
    model_config = (config.get("model") or {}).get("model_config") or {}
    layers = model_config.get("num_layers")
    if parallel is not None and config.get("use_legacy", True) is not False and isinstance(layers, int):
        # the legacy network's layer placement: offset shape/sum and per-stage recompute lists
        try:
            LayerSetting(layers, model_config.get("offset") or 0, parallel, model_config.get("pp_interleave_num") or 1)
        except Exception as exc:
            out["layers"] = f"{type(exc).__name__}: {exc}"
    results.append(out)
print(json.dumps(results))
'''


def _mindformers_python() -> str:
    probe = subprocess.run([sys.executable, "-c", "import mindformers"], capture_output=True, timeout=300,
                           cwd=tempfile.gettempdir())
    if probe.returncode != 0:
        pytest.skip("mindformers is not importable (install the mindformers extra)")
    return sys.executable


def _mutant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = SEED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _plans(tmp_path: Path, source: Path, cards_list: list[int]) -> list[tuple[Path, int]]:
    from mindpilot.presets.yaml_apply import apply_plan
    from mindpilot.validators.check.fix import best_candidate

    out = []
    for cards in cards_list:
        target = tmp_path / f"{source.stem}_plan_{cards}.yaml"
        shutil.copy(source, target)
        plan = best_candidate(str(target), cards, 64).to_dict()
        apply_plan(target, plan["parallel_config"], plan["recompute_config"], offset=plan["offset"],
                   micro_batch_num=plan["micro_batch_num"])
        out.append((target, cards))
    return out


def _our_product(path: Path) -> int:
    from mindpilot.validators.check.document import ConfigDoc
    from mindpilot.validators.check.parallel import Plan

    return Plan(ConfigDoc.load(path)).product


def test_our_verdicts_agree_with_mindformers(tmp_path, shared_dir):
    python = _mindformers_python()
    cases: list[tuple[Path, int]] = []
    corpus = shared_dir / "corpus" / "configs"
    for path in sorted(corpus.glob("*.yaml")):
        if "grpo_config" not in path.name:
            cases.append((path, _our_product(path)))
    cases += [(SEED, 2), (SEED, 8)]
    cases += [
        (_mutant(tmp_path, "recompute_len", "recompute: [7]", "recompute: [7, 7]"), 2),
        (_mutant(tmp_path, "unknown_parallel_key", "  micro_batch_num: 16", "  micro_batch_interleave_num: 2"), 2),
        (_mutant(tmp_path, "unknown_recompute_key", "  mp_comm_recompute: True", "  mp_comm_recompute_x: True"), 2),
        (_mutant(tmp_path, "string_mp", "model_parallel: 2 ", "model_parallel: '2' "), 2),
        (_mutant(tmp_path, "product", "data_parallel: 1", "data_parallel: 2"), 2),
        (_mutant(tmp_path, "pattern_len", "'feed_forward\\.mul': [14]", "'feed_forward\\.mul': [14, 14]"), 2),
        (_mutant(tmp_path, "offset_sum", "    seq_length: 8192", "    seq_length: 8192\n    offset: 1"), 2),
        (_mutant(tmp_path, "offset_shape", "    seq_length: 8192", "    seq_length: 8192\n    offset: [0, 0]"), 2),
    ]
    qwen7b = corpus / "mindformers_r1.7.0_research-qwen2_5__finetune_qwen2_5_7b_8k.yaml"
    qwen14b = corpus / "mindformers_r1.7.0_research-qwen2_5__finetune_qwen2_5_14b_8k.yaml"
    cases += _plans(tmp_path, SEED, [1, 2, 4, 8])
    cases += _plans(tmp_path, qwen7b, [8, 16, 32])
    cases += _plans(tmp_path, qwen14b, [8, 16])
    payload = [{"path": str(p), "cards": c, "mode": "predict" if "predict" in p.name else "finetune"}
               for p, c in cases]
    # mindformers' logger writes output/log under the working directory: keep it in tmp_path
    env = dict(os.environ, LOG_MF_PATH=str(tmp_path / "mf_log"))
    result = subprocess.run([python, "-c", RUNNER], input=json.dumps(payload), capture_output=True, text=True,
                            timeout=900, cwd=str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    theirs = json.loads(result.stdout.strip().splitlines()[-1])
    disagreements = []
    for (path, cards), verdict in zip(cases, theirs):
        ours = check_files([path], cards=cards, skip_paths=True)
        errors = {f.rule for f in ours if f.severity is Severity.ERROR}
        expect = {
            "load": ({"parallel.unknown_key", "recompute.unknown_key"}, "unexpected key" in verdict.get("load", "")),
            "parallel": ({"parallel.product_mismatch"}, "device_num" in verdict.get("parallel", "")),
            "recompute": ({"recompute.list_too_long"}, "length of" in verdict.get("recompute", "")),
            "objects": ({"parallel.not_positive_int", "recompute.not_bool", "yaml.string_not_bool"},
                        bool(verdict.get("objects"))),
            "layers": ({"model.offset_sum", "model.offset_shape", "model.offset_interleave_shape",
                        "recompute.list_too_long", "recompute.pattern_list_too_long", "recompute.nested_shape",
                        "recompute.bad_elements"}, bool(verdict.get("layers"))),
        }
        for what, (rule_ids, they_raise) in expect.items():
            we_raise = bool(errors & rule_ids)
            if we_raise != they_raise:
                disagreements.append((path.name, cards, what, verdict.get(what), sorted(errors)))
        if "_plan_" in path.name:
            if set(verdict) - {"path"} or errors:
                disagreements.append((path.name, cards, "plan must pass both", verdict, sorted(errors)))
    assert disagreements == []
    assert any("unexpected key" in v.get("load", "") for v in theirs)
    assert any("device_num" in v.get("parallel", "") for v in theirs)
    assert any("length of" in v.get("recompute", "") for v in theirs)
    assert sum(1 for v in theirs if v.get("layers")) >= 4
