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
            "memory_gb_per_card": {"total": memory, "weights": memory / 4, "usable": 58.0},
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


class FakeCommand:
    """Stands in for ``launch.command.LaunchCommand`` with fixed, machine-independent paths."""

    def __init__(self) -> None:
        self.argv = ["/opt/venv/bin/msrun", "--worker_num=2", "--local_worker_num=2", "--master_addr=127.0.0.1",
                     "--master_port=8118", "--log_dir=demo_msrun_log", "--join=True", "--cluster_time_out=120",
                     "/opt/mindpilot/launch/demo/train.py", "--steps", "30"]
        self.env = {"GLOG_v": "2"}
        self.cwd = "/home/ma-user/work"

    def shell(self) -> str:
        import shlex

        return " ".join([f"{k}={shlex.quote(v)}" for k, v in self.env.items()] + [shlex.join(self.argv)])


class FakePreset:
    """The few attributes the Launch screen reads from a ``Preset``."""

    name = "demo"
    log_dir = "demo_msrun_log"
    script = "/opt/mindpilot/launch/demo/train.py"


class FakeRecord:
    """The few attributes the Launch screen reads from a ``JobRecord``."""

    id = "demo-20261125-120000-abcd"
    pid = 4242
    log_dir = "/home/ma-user/work/demo_msrun_log"


def fake_job_events(fail: bool = False) -> list:
    """Events of a 2-rank demo job: lines, 6 steps of metrics per rank, then the exit (or rank 1 failing)."""
    from mindpilot.launch.events import ExitEvent, FindingEvent, LineEvent, MetricEvent

    events: list = []
    for step in range(1, 7):
        for rank in (0, 1):
            loss = round(2.5 / step + 0.01 * rank, 4)
            text = (f"{{ Epoch:[  1/  1], step:[{step:5d}/   30], loss: {loss}, per_step_time: 45ms, "
                    f"lr: 0.001, overflow cond: False, loss_scale: 1.0")
            events.append(LineEvent(source="worker", rank=rank, text=text, file=f"worker_{rank}.log"))
            events.append(MetricEvent(rank=rank, step=step, total_steps=30, loss=loss, per_step_time_ms=45.0,
                                      lr=0.001, time=1_700_000_000.0 + step))
    if fail:
        oom = Finding(rule="kb.runtime.device_oom", severity=Severity.ERROR, title="device out of memory",
                      fix="Lower batch_size")
        hccl = Finding(rule="kb.launch.hccl_exec_timeout", severity=Severity.ERROR, title="HCCL collective timed out")
        events.append(LineEvent(source="worker", rank=1, text="RuntimeError: Out of Memory!!!", file="worker_1.log"))
        events.append(FindingEvent(finding=oom, rank=1, source="worker", first_failure=True))
        events.append(FindingEvent(finding=hccl, rank=0, source="worker", consequence=True))
        events.append(ExitEvent(code=1, status="failed", first_failure={"rank": 1, "rule": oom.rule,
                                                                         "text": "Out of Memory!!!", "file": "worker_1.log"}))
    else:
        events.append(ExitEvent(code=0, status="succeeded"))
    return events


def fake_diagnosis(lang: str = "en"):
    """A ``DiagnoseReport`` for 4 ranks where rank 2 ran out of memory and the others timed out."""
    from mindpilot.validators.kb.diagnose import ConsequenceGroup, DiagnoseReport, RootCause

    zh = lang == "zh"
    oom = Finding(rule="kb.runtime.device_oom", severity=Severity.ERROR, file="output/msrun_log/worker_2.log", line=3,
                  title="设备内存不足" if zh else "device out of memory",
                  detail="这一步需要的 HBM 超过了空闲显存。" if zh else "The step needs more HBM than is free.",
                  fix="减小 batch_size/micro_batch_num，增加重计算，提高 mp/pp" if zh else
                  "Lower batch_size/micro_batch_num, recompute more, raise mp/pp")
    hccl = [Finding(rule="kb.launch.hccl_exec_timeout", severity=Severity.ERROR,
                    file=f"output/msrun_log/worker_{r}.log", line=4,
                    title="HCCL 集合通信超时" if zh else "HCCL collective timed out") for r in (0, 1, 3)]
    root = RootCause(rank=2, rule=oom.rule, file=oom.file, line=3, title=oom.title)
    groups = [ConsequenceGroup(rule="kb.launch.hccl_exec_timeout", title=hccl[0].title, ranks=[0, 1, 3],
                               files=3, count=6)]
    return DiagnoseReport(findings=[oom, *hccl], root_cause=root, consequences=groups)
