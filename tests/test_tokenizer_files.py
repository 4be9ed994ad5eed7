"""A model with only tokenizer.json: the data step says so before running, and `model tokenizer-files` writes the
vocab.json and merges.txt the Qwen data scripts read — checked against the real slow and fast tokenizers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mindpilot.acquire.tokenizer_files import TokenizerFileError, bpe_from_tokenizer_json, write_bpe_files

SAMPLE = ["Ascend NPUs train large models.", "昇腾 NPU 上训练大模型", "msrun --worker_num 8 run_mindformer.py"]


def mindpilot(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mindpilot", *argv, "--lang", "en"], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=dict(os.environ))


@pytest.fixture
def fast_only_model(tmp_path: Path) -> Path:
    """A byte-level BPE tokenizer trained by the real `tokenizers` library, saved as tokenizer.json alone."""
    tokenizers = pytest.importorskip("tokenizers", reason="tokenizers comes with the mindformers extra")
    qwen2 = pytest.importorskip("transformers.models.qwen2.tokenization_qwen2",
                                reason="transformers comes with the mindformers extra")
    tokenizer = tokenizers.Tokenizer(tokenizers.models.BPE())
    # Qwen2's own tokenizer.json: its split pattern, then byte-level without the GPT-2 pattern.
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.Sequence([
        tokenizers.pre_tokenizers.Split(tokenizers.Regex(qwen2.PRETOKENIZE_REGEX), behavior="isolated"),
        tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tokenizer.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(vocab_size=400, initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(SAMPLE * 20, trainer)
    model = tmp_path / "model"
    model.mkdir()
    tokenizer.save(str(model / "tokenizer.json"))
    (model / "config.json").write_text('{"model_type": "qwen2"}')
    return model


def test_the_data_step_names_the_missing_files_and_the_fix(fast_only_model, tmp_path):
    data = tmp_path / "alpaca_data.json"
    data.write_text('[{"instruction": "hi", "input": "", "output": "hello"}]')
    done = mindpilot("data", str(data), "--model-dir", str(fast_only_model), "--demo", "--json", cwd=tmp_path)
    rules = [f["rule"] for f in json.loads(done.stdout)["findings"]]
    assert "acquire.tokenizer_files_from_json" in rules, done.stdout
    written = mindpilot("model", "tokenizer-files", str(fast_only_model), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert written.stdout.split() == [str(fast_only_model / "vocab.json"), str(fast_only_model / "merges.txt")]
    again = mindpilot("data", str(data), "--model-dir", str(fast_only_model), "--demo", "--json", cwd=tmp_path)
    assert not {"acquire.tokenizer_files_from_json", "acquire.tokenizer_files_missing"} & {
        f["rule"] for f in json.loads(again.stdout)["findings"]}


def test_the_written_files_tokenize_as_the_fast_tokenizer_does(fast_only_model):
    transformers = pytest.importorskip("transformers", reason="transformers comes with the mindformers extra")
    write_bpe_files(str(fast_only_model))
    slow = transformers.Qwen2Tokenizer(str(fast_only_model / "vocab.json"), str(fast_only_model / "merges.txt"))
    fast = transformers.PreTrainedTokenizerFast(tokenizer_file=str(fast_only_model / "tokenizer.json"))
    for text in SAMPLE:
        assert slow.encode(text) == fast.encode(text)


def test_both_merge_forms_and_no_overwrite(tmp_path):
    for merges in (["a b", "ab c"], [["a", "b"], ["ab", "c"]]):
        (tmp_path / "tokenizer.json").write_text(json.dumps(
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4}, "merges": merges}}))
        assert bpe_from_tokenizer_json(str(tmp_path))[1] == ["a b", "ab c"]
    (tmp_path / "vocab.json").write_text("{}")
    assert write_bpe_files(str(tmp_path)) == [str(tmp_path / "merges.txt")]
    assert (tmp_path / "vocab.json").read_text() == "{}"
    assert (tmp_path / "merges.txt").read_text() == "#version: 0.2\na b\nab c\n"


@pytest.mark.parametrize("document", [
    [], {"model": {"type": "Unigram", "vocab": []}}, {"model": {"type": "BPE", "vocab": {"a": "0"}, "merges": []}},
    {"model": {"type": "BPE", "vocab": {}, "merges": ["a b c"]}}, {"model": {"type": "BPE", "vocab": {}, "merges": [1]}},
])
def test_a_tokenizer_that_is_not_bpe_is_refused_in_one_line(tmp_path, document):
    (tmp_path / "tokenizer.json").write_text(json.dumps(document))
    with pytest.raises(TokenizerFileError):
        bpe_from_tokenizer_json(str(tmp_path))
    done = mindpilot("model", "tokenizer-files", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "vocab.json").exists()
