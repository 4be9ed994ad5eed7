"""Findings and fix commands of the doctor, judged on constructed facts (no probing)."""

from __future__ import annotations

import re
from typing import Optional

import pytest

from mindpilot.validators.doctor import judge
from mindpilot.validators.findings import Severity
from mindpilot.validators.probe.facts import Checkout, EnvFacts, Npu, NpuProcess, PackageInfo, PythonInfo
from mindpilot.validators.report import ComponentStatus
from mindpilot.validators.stacks import get_stack


def facts(packages: Optional[dict[str, str]] = None, python: str = "3.10.14", cann: Optional[str] = "8.3.RC1",
          driver: Optional[str] = "25.3.RC1", cards: int = 8, sourced: bool = True, **extra) -> EnvFacts:
    packages = packages or {}
    return EnvFacts(
        python=PythonInfo(executable="/env/bin/python", version=python),
        packages=packages,
        package_details={n: PackageInfo(name=n, version=v, location="/env/site-packages") for n, v in packages.items()},
        cann_version=cann, cann_path="/usr/local/Ascend/ascend-toolkit/latest/aarch64-linux/ascend_toolkit_install.info",
        cann_home="/usr/local/Ascend/ascend-toolkit/latest" if cann else None,
        driver_version=driver, davinci_count=cards,
        npus=[Npu(id=i, name="910B3", health="OK", hbm_total_mb=65536, hbm_used_mb=3000) for i in range(cards)],
        npu_count=cards, hbm_gb_per_card=64.0 if cards else None, set_env_sourced=sourced, **extra)


MF17 = {"mindformers": "1.7.0", "mindspore": "2.7.1", "transformers": "4.51.3", "mindstudio-probe": "8.1.0"}


def rules(report) -> list[str]:
    return [f.rule for f in report.findings]


def finding(report, rule: str):
    return next(f for f in report.findings if f.rule == rule)


def test_a_clean_mindformers_1_7_env_has_only_the_stack_info():
    report = judge(facts(MF17), None, "en")
    assert report.stack == "mindformers-1.7.0"
    assert rules(report) == ["doctor.stack_best_fit"]
    assert "3 of 3 components fit" in report.stack_reason
    assert {row.name: row.status for row in report.components}["mindspore"] is ComponentStatus.OK


def test_wrong_package_version_gives_the_exact_pip_command():
    report = judge(facts({**MF17, "transformers": "4.57.1"}), None, "en")
    found = finding(report, "doctor.package_mismatch")
    assert found.severity is Severity.ERROR
    assert found.fix == 'pip install "transformers==4.51.3"'
    assert "transformers 4.57.1" in found.title


def test_missing_package_in_the_grpo_stack_gives_the_recorded_wheel_url():
    packages = {"mindspore": "2.7.0", "vllm": "0.8.4.dev0+g296c657.d20250514.empty", "vllm-mindspore": "0.3.0",
                "msadapter": "0.0.1", "mindstudio-probe": "8.1.0"}
    checkouts = {"mindrlhf": Checkout(name="mindrlhf", path="/w/mindrlhf", commit="0cd0874559d5658e5987ba11718a920384691c59",
                                      short="0cd08745", dirty=False, version=None),
                 "mindformers": Checkout(name="mindformers", path="/w/mf", commit="051d65fab", short="051d65f",
                                         dirty=False, version="1.6.0")}
    report = judge(facts(packages, cann="8.2.RC1", checkouts=checkouts), None, "en")
    assert report.stack == "mindrlhf-grpo-2025-08"
    missing = finding(report, "doctor.package_missing")
    assert missing.fix == ("pip install https://repo.mindspore.cn/mindspore/golden-stick/version/202506/20250604/"
                           "master_20250604160014_35fcbec4406d3b18faf02ef99fcbe2741e80348e_newest/any/"
                           "mindspore_gs-1.2.0.dev20250604-py3-none-any.whl")
    assert "doctor.checkout_commit" not in rules(report)


def test_checkout_at_the_wrong_commit_gives_the_git_commands():
    checkouts = {"mindformers": Checkout(name="mindformers", path="/home/ma-user/work/mindformers",
                                         commit="6a52b43deadbeef", short="6a52b43", dirty=False, version="1.6.0")}
    stack = get_stack("mindrlhf-grpo-2025-08")
    report = judge(facts({"mindspore": "2.7.0"}, cann="8.2.RC1", checkouts=checkouts), stack, "en")
    found = finding(report, "doctor.checkout_commit")
    assert found.fix == ("git -C /home/ma-user/work/mindformers fetch && "
                         "git -C /home/ma-user/work/mindformers checkout 051d65f")
    needed = finding(report, "doctor.checkout_needed")  # mindrlhf is not there at all
    assert "git clone -b master https://gitee.com/mindspore/mindrlhf.git mindrlhf" in needed.fix
    assert "checkout 0cd0874559d5658e5987ba11718a920384691c59" in needed.fix


def test_pip_copy_next_to_a_checkout_is_a_warning():
    checkouts = {"mindformers": Checkout(name="mindformers", path="/w/mf", commit="abc", short="abc", dirty=False,
                                         version="1.7.0")}
    report = judge(facts(MF17, checkouts=checkouts, import_origins={"mindformers": "/w/mf/mindformers"}), None, "en")
    found = finding(report, "doctor.pip_and_checkout")
    assert found.severity is Severity.WARNING
    assert "/w/mf/mindformers" in found.detail and "pip uninstall -y mindformers" in found.fix


def test_mindspore_older_than_the_mindformers_release_needs():
    report = judge(facts({**MF17, "mindspore": "2.2.0"}), None, "en")
    found = finding(report, "doctor.mindspore_too_old")
    assert found.fix == 'pip install "mindspore==2.7.1"'
    assert "doctor.package_mismatch" not in rules(report)  # no second finding for the same package


def test_torch_and_mindspore_together():
    report = judge(facts({**MF17, "torch": "2.1.0"}), None, "zh")
    found = finding(report, "doctor.torch_with_mindspore")
    assert found.fix.startswith("pip uninstall -y torch torch-npu torchvision torchaudio")
    assert "torch 2.1.0" in found.title and "MindSpore 2.7.1" in found.title


@pytest.mark.parametrize("botocore,expected", [("1.26.10", True), ("1.29.122", True), ("1.29.123", False)])
def test_urllib3_2_with_old_botocore(botocore, expected):
    report = judge(facts({**MF17, "urllib3": "2.2.3", "botocore": botocore}), None, "en")
    assert ("doctor.urllib3_botocore" in rules(report)) is expected
    if expected:
        assert finding(report, "doctor.urllib3_botocore").fix.startswith('pip install "urllib3<2" -U')
    old_urllib3 = judge(facts({**MF17, "urllib3": "1.26.7", "botocore": botocore}), None, "en")
    assert "doctor.urllib3_botocore" not in rules(old_urllib3)


def test_msprobe_missing_only_where_mindformers_is_used():
    without = {k: v for k, v in MF17.items() if k != "mindstudio-probe"}
    assert "doctor.msprobe_missing" in rules(judge(facts(without), None, "en"))
    assert "doctor.msprobe_missing" not in rules(judge(facts({"torch": "2.7.1", "torch-npu": "2.7.1"}), None, "en"))


def test_set_env_not_sourced_names_the_script():
    report = judge(facts(MF17, sourced=False), None, "en")
    assert finding(report, "doctor.set_env_not_sourced").fix == "source /usr/local/Ascend/ascend-toolkit/set_env.sh"


def test_python_outside_the_stack():
    report = judge(facts(MF17, python="3.12.4"), None, "en")
    found = finding(report, "doctor.python_outside_stack")
    assert found.fix == "conda create -n py311 python=3.11 -y && conda activate py311"


def test_cann_outside_the_stack_suggests_the_matching_one():
    report = judge(facts(MF17, cann="8.2.RC1"), None, "en")
    found = finding(report, "doctor.cann_outside_stack")
    assert found.fix.endswith("mindpilot doctor --stack mindformers-1.6.0")
    odd = finding(judge(facts(MF17, cann="7.0.0"), None, "en"), "doctor.cann_outside_stack")
    assert odd.fix.endswith("mindpilot doctor --list-stacks")


def test_no_cann_on_a_machine_without_npu_is_a_warning_but_with_npus_an_error():
    no_npu = judge(facts(MF17, cann=None, driver=None, cards=0), None, "en")
    assert finding(no_npu, "doctor.no_npu").severity is Severity.WARNING
    assert "doctor.cann_missing" not in rules(no_npu)
    with_npu = judge(facts(MF17, cann=None), None, "en")
    assert finding(with_npu, "doctor.cann_missing").severity is Severity.ERROR


def test_old_driver_unhealthy_and_busy_cards():
    env = facts(MF17, driver="24.1.RC3")
    env.npus[1].health = "Alarm"
    env.npu_processes = [NpuProcess(npu=0, pid=4242, name="python", memory_mb=50000)]
    report = judge(env, None, "en")
    assert finding(report, "doctor.driver_old").severity is Severity.WARNING
    assert finding(report, "doctor.npu_unhealthy").title == "NPU 1 (910B3) reports health Alarm"
    assert finding(report, "doctor.npu_busy").fix == "If it is not needed any more: kill 4242"


def test_findings_are_worst_first_and_bilingual():
    env = facts({**MF17, "torch": "2.1.0", "transformers": "4.40.0"}, sourced=False)
    en, zh = judge(env, None, "en"), judge(env, None, "zh")
    assert [f.severity for f in en.findings] == sorted((f.severity for f in en.findings), key=lambda s: s.rank)
    assert rules(en) == rules(zh)
    assert all(a.title != b.title for a, b in zip(en.findings, zh.findings))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.findings[0].title)


def test_every_rule_the_doctor_names_is_in_the_catalogue_with_a_source():
    import re
    from pathlib import Path

    from mindpilot.validators.catalog import catalog

    code = Path(judge.__code__.co_filename).read_text(encoding="utf-8")
    named = set(re.findall(r'"(doctor\.[a-z_]+)"', code)) - {"doctor.yaml"}  # minus the file name
    assert len(named) >= 15
    for rule in named:
        assert rule in catalog(), rule
        assert catalog().get(rule).source, rule


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_placeholder_is_left_unfilled(lang):
    env = facts({**MF17, "torch": "2.1.0", "mindspore": "2.2.0", "urllib3": "2.0.1", "boto3": "1.20.0"},
                python="3.8.10", cann="8.0.RC1", driver="23.0.1", sourced=False,
                checkouts={"mindformers": Checkout(name="mindformers", path="/w/mf", error="not a git repository"),
                           "mindrlhf": Checkout(name="mindrlhf", path="/w/rl", commit="abc", short="abc", dirty=True)},
                npu_processes=[NpuProcess(npu=0, pid=1, name="p")])
    env.npus[0].health = "Critical"
    for stack in (None, get_stack("mindrlhf-grpo-2025-08"), get_stack("mindspeed-llm-2.0.0")):
        report = judge(env, stack, lang)
        assert len(report.findings) >= 8
        for f in report.findings:
            for text in (f.title, f.detail, f.fix):
                assert not re.search(r"\{[a-z_]+\}", text), (f.rule, text)


def test_mindspeed_wants_nnal_installed_and_sourced():
    speed = {"torch": "2.1.0", "torch-npu": "2.1.0.post12"}
    without = judge(facts(speed, python="3.8.10", cann="8.1.RC1", nnal=False), None, "en")
    assert without.stack == "mindspeed-llm-2.0.0"
    assert "Ascend-cann-nnal_8.1.RC1_linux-aarch64.run" in finding(without, "doctor.nnal_missing").fix
    unsourced = judge(facts(speed, python="3.8.10", cann="8.1.RC1", nnal=True, nnal_sourced=False), None, "en")
    assert finding(unsourced, "doctor.set_env_not_sourced").fix == "source /usr/local/Ascend/nnal/atb/set_env.sh"
    ready = judge(facts(speed, python="3.8.10", cann="8.1.RC1", nnal=True, nnal_sourced=True), None, "en")
    assert rules(ready) == ["doctor.stack_best_fit"]


def test_device_nodes_without_npu_smi_output():
    env = facts(MF17)
    env.npus = []
    assert finding(judge(env, None, "en"), "doctor.npu_smi_missing").title.startswith("8 /dev/davinci devices")
    env.npu_smi = "/usr/local/sbin/npu-smi"
    env.notes = ["npu-smi did not finish within 10 s"]
    assert finding(judge(env, None, "en"), "doctor.npu_smi_failed").detail == "npu-smi did not finish within 10 s"


def test_stack_reason_says_how_the_stack_was_chosen():
    assert judge(facts({}, cann="8.2.RC1"), None, "en").findings[-1].rule == "doctor.stack_by_cann"
    empty = judge(facts({}, cann=None, cards=0), None, "zh")
    assert "doctor.stack_default" in rules(empty) and "mindformers-1.7.0" in empty.stack_reason
    given = judge(facts(MF17), get_stack("mindformers-1.6.0"), "en")
    assert given.stack_reason == "Judged against the stack mindformers-1.6.0 given with --stack"


@pytest.mark.parametrize("mindformers,mindspore,expected", [
    ("1.7.0", "2.6.0", "2.7.1"), ("1.6.0", "2.4.10", "2.7.0"), ("1.4.0", "2.3.0", "2.4.10"),
    ("1.7.0", "2.7.1", None), ("1.7.0", "2.8.0", None), ("1.0.0", "1.10.0", None),
])
def test_mindspore_too_old_follows_the_release_table(mindformers, mindspore, expected):
    report = judge(facts({"mindformers": mindformers, "mindspore": mindspore, "mindstudio-probe": "8.1.0"}), None, "en")
    too_old = [f for f in report.findings if f.rule == "doctor.mindspore_too_old"]
    if expected is None:
        assert too_old == []
    else:
        assert too_old[0].fix == f'pip install "mindspore=={expected}"'
