"""QA: wrapping for 80-column terminals keeps paths whole and Chinese punctuation off line starts."""

from __future__ import annotations

from mindpilot.validators.text.columns import columns, pad, wrap

PATH = "/work/main/tests/data/check/ckpt_convert_qwen25_hf2mcore.sh"


def test_a_path_glued_to_chinese_is_not_cut():
    text = "加载时 Megatron 报错，权重与训练不一致，请按训练的切分重新转换。转换脚本：" + PATH + " 第 10 行。"
    lines = wrap("    " + text, "    ", 79)
    assert any(PATH in line for line in lines), lines
    assert all(columns(line) <= 79 for line in lines if PATH not in line)
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")


def test_no_line_starts_with_closing_punctuation():
    text = "这个主机名解析不出来，分布式初始化会一直连不上主节点直到超时。" * 6
    for width in range(20, 80):
        lines = wrap(text, "", width)
        assert all(columns(line) <= width for line in lines)
        assert not [line for line in lines[1:] if line[:1] in "，。"], (width, lines)


def test_english_wraps_at_spaces_and_pad_counts_chinese_twice():
    lines = wrap("the quick brown fox jumps over the lazy dog " * 4, "  ", 30)
    assert all(columns(line) <= 30 for line in lines)
    assert all(line.startswith("  ") for line in lines[1:])
    assert columns(pad("成功", 10)) == 10


def test_an_ascii_opening_bracket_stays_with_the_chinese_after_it():
    text = "load_checkpoint 还是教程里的占位符：[请填写您的完整ckpt文件路径]/MS_CKPT_NAME.ckpt"
    for width in range(30, 80):
        lines = wrap(text, "", width)
        assert not [line for line in lines if line.endswith("[")], (width, lines)
