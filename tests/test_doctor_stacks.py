"""Stack data: the shipped file loads and keeps its promises; best-fit choice picks the right row."""

from __future__ import annotations

import pytest

from mindpilot.datafiles import DataFileError
from mindpilot.validators.stacks import choose_stack, get_stack, load_stacks

GRPO_WHEELS = {
    "mindspore": "mindspore-2.7.0-cp310-cp310-linux_aarch64.whl",
    "vllm": "vllm-0.8.4.dev0%2Bg296c657.d20250514.empty-py3-none-any.whl",
    "vllm-mindspore": "vllm_mindspore-0.3.0-cp310-cp310-linux_aarch64.whl",
    "msadapter": "msadapter-0.0.1-py3-none-any.whl",
    "mindspore-gs": "mindspore_gs-1.2.0.dev20250604-py3-none-any.whl",
}


def test_shipped_stacks_cover_the_release_tables():
    ids = {stack.id for stack in load_stacks()}
    for version in ("1.1.0", "1.2.0", "1.3.0", "1.3.2", "1.5.0", "1.6.0", "1.7.0", "1.8.0", "1.9.0"):
        assert f"mindformers-{version}" in ids
    assert {"vllm-mindspore-0.3.0", "vllm-mindspore-0.4.0", "vllm-mindspore-0.5", "mindrlhf-grpo-2025-08"} <= ids
    assert sum(stack.framework == "mindspeed-llm" for stack in load_stacks()) >= 6
    assert all(stack.source for stack in load_stacks())


def test_release_table_rows_match_the_reference():
    mf17 = get_stack("mindformers-1.7.0")
    assert (mf17.requirement("mindspore").version, mf17.cann, mf17.driver) == ("2.7.1", ["8.3.RC1"], "25.3.RC1")
    assert get_stack("mindformers-1.6.0").cann == ["8.2.RC1"]
    assert get_stack("mindformers-1.3.0").cann == ["8.0.RC3"]


def test_grpo_stack_records_what_the_install_scripts_install():
    grpo = get_stack("mindrlhf-grpo-2025-08")
    assert grpo.requirement("mindformers").commit == "051d65f"
    assert grpo.requirement("mindformers").branch == "r1.6.0"
    assert grpo.requirement("mindrlhf").commit.startswith("0cd087455")
    for name, wheel in GRPO_WHEELS.items():
        assert grpo.requirement(name).wheel.endswith(wheel), name
    assert "6a52b43" in grpo.conflicts  # where the README disagrees is said in the row
    assert grpo.cann == ["8.1", "8.2"]


def test_choice_follows_what_is_installed():
    assert choose_stack({"mindformers": "1.7.0", "mindspore": "2.7.1"}, {}, None).stack.id == "mindformers-1.7.0"
    assert choose_stack({"mindformers": "1.5.0", "mindspore": "2.6.0rc1"}, {}, "8.1.RC1").stack.id == "mindformers-1.5.0"
    vllm = choose_stack({"vllm-mindspore": "0.4.0", "vllm": "0.9.1", "mindspore": "2.7.1", "mindformers": "1.7.0"}, {}, None)
    assert vllm.stack.id == "vllm-mindspore-0.4.0"
    assert vllm.how == "best-fit" and "vllm-mindspore 0.4.0" in vllm.fitting
    speed = choose_stack({"torch": "2.1.0", "torch-npu": "2.1.0.post12"}, {}, "8.1.RC1")
    assert speed.stack.id == "mindspeed-llm-2.0.0"


def test_a_grpo_environment_picks_the_grpo_stack_over_its_parts():
    packages = {"mindspore": "2.7.0", "vllm": "0.8.4.dev0+g296c657", "vllm-mindspore": "0.3.0", "msadapter": "0.0.1"}
    checkouts = {"mindformers": ("1.6.0", "051d65f123"), "mindrlhf": (None, "0cd0874559d5658e")}
    choice = choose_stack(packages, checkouts, "8.2.RC1")
    assert choice.stack.id == "mindrlhf-grpo-2025-08"
    assert len(choice.fitting) == 6 and choice.total == 7


def test_nothing_installed_falls_back_to_cann_then_default():
    assert choose_stack({}, {}, "8.2.RC1").how == "cann"
    assert choose_stack({}, {}, "8.2.RC1").stack.id == "mindformers-1.6.0"
    default = choose_stack({"numpy": "1.26.4"}, {}, None)
    assert default.how == "default" and default.stack.default


def test_unknown_stack_lists_the_known_ones():
    with pytest.raises(KeyError, match="mindformers-1.7.0"):
        get_stack("mindformers-0.1")


def test_a_bad_stack_file_names_file_line_and_key(tmp_path):
    bad = tmp_path / "stacks.yaml"
    bad.write_text("- id: x\n  title: X\n  framework: mindformers\n  anchor: mindformers\n  default: true\n"
                   "  source: s\n  packages:\n    - {name: mindformers, spec: '=>1.0'}\n")
    with pytest.raises(DataFileError) as info:
        load_stacks(bad)
    assert info.value.file == str(bad) and info.value.line == 8 and "packages.0.spec" in info.value.key
    bad.write_text("- id: x\n  title: X\n  framework: mindformers\n  anchor: torch\n  default: true\n"
                   "  source: s\n  packages:\n    - {name: mindformers, version: '1.0'}\n")
    with pytest.raises(DataFileError, match="anchor"):
        load_stacks(bad)
