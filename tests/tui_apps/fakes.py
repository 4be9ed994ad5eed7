"""Fixed, machine-independent data for TUI tests and snapshots.

The fake doctor report looks like the demo environment (8x 910B, 64 GB, CANN 8.2.RC1) with one
finding of each severity, in both languages, so that tables and texts are predictable.
"""

from __future__ import annotations

from mindpilot.validators.findings import Finding, Severity
from mindpilot.validators.report import ComponentRow, ComponentStatus, DoctorReport

URLLIB3_FIX = 'pip install "urllib3<2"'
CHECKOUT_FIX = "git -C /home/ma-user/work/mindformers fetch && git -C /home/ma-user/work/mindformers checkout 051d65f"

_TEXTS = {
    "en": {
        "reason": "best fit to mindspore 2.7.0 and the mindrlhf checkout",
        "urllib3": ("urllib3 2.2.1 breaks botocore 1.29 (DEFAULT_CIPHERS)",
                    "botocore < 1.31 imports DEFAULT_CIPHERS, which urllib3 2 removed."),
        "checkout": ("mindformers checkout is at 6a52b43, the stack needs 051d65f",
                     "The GRPO stack was tested with mindformers 051d65f."),
        "setenv": ("set_env.sh has not been sourced", "ASCEND_HOME_PATH is not set in this shell."),
    },
    "zh": {
        "reason": "与 mindspore 2.7.0 和 mindrlhf 源码最匹配",
        "urllib3": ("urllib3 2.2.1 与 botocore 1.29 不兼容（DEFAULT_CIPHERS）",
                    "botocore < 1.31 会导入 urllib3 2 已删除的 DEFAULT_CIPHERS。"),
        "checkout": ("mindformers 源码位于 6a52b43，配套栈需要 051d65f",
                     "GRPO 配套栈使用 mindformers 051d65f 测试。"),
        "setenv": ("尚未 source set_env.sh", "当前 shell 中没有设置 ASCEND_HOME_PATH。"),
    },
}


def fake_report(lang: str = "en") -> DoctorReport:
    """A doctor report for a demo-like host with three findings (error, warning, info)."""
    texts = _TEXTS[lang]
    rows = [
        ("CANN", "8.2.RC1", "8.1.RC1 / 8.2.RC1", ComponentStatus.OK),
        ("driver", "24.1.0", ">=24.1.rc2", ComponentStatus.OK),
        ("python", "3.10.14", "3.10", ComponentStatus.OK),
        ("mindspore", "2.7.0", "==2.7.0", ComponentStatus.OK),
        ("mindformers", "commit 6a52b43", "commit 051d65f", ComponentStatus.MISMATCH),
        ("mindrlhf", "commit 0cd0874", "commit 0cd0874", ComponentStatus.OK),
        ("vllm", None, "0.8.4.dev0+g296c657", ComponentStatus.MISSING),
        ("urllib3", "2.2.1", "<2", ComponentStatus.MISMATCH),
        ("torch", None, None, ComponentStatus.NOT_NEEDED),
    ]
    components = [ComponentRow(name=n, found=f, expected=e, status=s) for n, f, e, s in rows]
    findings = [
        Finding(rule="doctor.urllib3_botocore", severity=Severity.ERROR, title=texts["urllib3"][0],
                detail=texts["urllib3"][1], fix=URLLIB3_FIX),
        Finding(rule="doctor.checkout_commit", severity=Severity.WARNING, title=texts["checkout"][0],
                detail=texts["checkout"][1], fix=CHECKOUT_FIX),
        Finding(rule="doctor.set_env", severity=Severity.INFO, title=texts["setenv"][0],
                detail=texts["setenv"][1], fix="source /usr/local/Ascend/ascend-toolkit/set_env.sh"),
    ]
    environment = {
        "cann_version": "8.2.RC1",
        "npu_count": 8,
        "hbm_gb_per_card": 64,
        "npus": [{"id": i, "chip": 0, "name": "910B", "health": "OK", "hbm_used_mb": 3000, "hbm_total_mb": 65536}
                 for i in range(8)],
    }
    return DoctorReport(stack="grpo-2025-08", stack_reason=texts["reason"], components=components,
                        findings=findings, environment=environment)


def fake_candidates() -> list[dict]:
    """Three planner candidates for qwen2.5-7b on 8 cards (two fit 64 GB, one does not)."""

    def candidate(dp, mp, pp, mbn, memory, fits, offset=0):
        return {
            "parallel_config": {"data_parallel": dp, "model_parallel": mp, "pipeline_stage": pp,
                                "context_parallel": 1, "micro_batch_num": mbn},
            "recompute_config": {"recompute": [True] * pp, "select_recompute": [False] * pp},
            "offset": offset, "micro_batch_num": mbn,
            "memory_gb_per_card": {"total": memory, "weights": memory / 4},
            "fits": fits,
            "reasons": [f"tensor parallel {mp} inside one node", f"{pp} pipeline stage(s)"],
        }

    return [candidate(2, 4, 1, 1, 38.5, True), candidate(1, 4, 2, 2, 31.2, True, [0, 0]),
            candidate(8, 1, 1, 1, 92.0, False)]


def fake_check_findings(lang: str = "en") -> list[Finding]:
    """What ``check`` says about a 2-card Qwen2 YAML with the seed's mistakes put back in."""
    zh = lang == "zh"
    return [
        Finding(rule="parallel.product_mismatch", severity=Severity.ERROR, file="finetune_qwen2_7b.yaml", line=14,
                title="data_parallel × model_parallel × pipeline_stage = 8, 但只有 2 张卡" if zh else
                "data_parallel x model_parallel x pipeline_stage = 8 but there are 2 cards",
                detail="MindFormers: device_num 2 != 8" if not zh else "MindFormers 会报 device_num 2 != 8",
                fix="parallel_config: {data_parallel: 1, model_parallel: 2, pipeline_stage: 1}"),
        Finding(rule="model.config_class", severity=Severity.ERROR, file="finetune_qwen2_7b.yaml", line=52,
                title="Qwen2 模型使用了 LlamaConfig" if zh else "LlamaConfig used for a Qwen2 model",
                fix="model.model_config.type: Qwen2Config"),
        Finding(rule="memory.max_device_memory", severity=Severity.WARNING, file="finetune_qwen2_7b.yaml", line=8,
                title="max_device_memory 58GB 超过 32 GB 的卡" if zh else "max_device_memory 58GB exceeds a 32 GB card",
                fix='context: {max_device_memory: "29GB"}'),
    ]
