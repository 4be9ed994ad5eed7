"""``check`` looks for a path only when the run would open it (the YAML's run mode decides).

The three false ``paths.missing`` errors on real configs: a model name in ``model_config.checkpoint_name_or_path``
of a finetune config (MindFormers' TeleChat), and the two tokenizer files of a finetune config that never builds
its tokenizer (MindRLHF's Qwen2.5-32B). Each field is still checked when the run mode reads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mindpilot.validators.check import check_files
from mindpilot.validators.check.path_reads import ReadWhen, RunMode, path_reads

DATA = Path(__file__).parent / "data" / "check" / "run_mode"
TELECHAT = DATA / "run_telechat_7b_finetune_910b.yaml"
QWEN_FINETUNE = DATA / "finetune_qwen2_5_32b_8k_184.yaml"


def _missing(path: Path) -> list[tuple[str, str]]:
    """(key, the path named in the title) of each ``paths.missing`` finding."""
    return [(f.key, f.title.rsplit(": ", 1)[-1]) for f in check_files([str(path)], cards=None)
            if f.rule == "paths.missing"]


def _edited(tmp_path: Path, source: Path, replacements: list[tuple[str, str]]) -> Path:
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    target = tmp_path / source.name
    target.write_text(text, encoding="utf-8")
    return target


def test_a_model_name_in_checkpoint_name_or_path_of_a_finetune_config_is_not_a_missing_file():
    assert _missing(TELECHAT) == []


def test_tokenizer_files_of_a_finetune_config_without_do_eval_are_not_missing_files():
    assert _missing(QWEN_FINETUNE) == []


@pytest.mark.parametrize("edits", [
    [("do_eval: False", "do_eval: True")],  # evaluation in training decodes with the tokenizer
    [("run_mode: 'finetune'", "run_mode: 'predict'")],
    [("run_mode: 'finetune'", "run_mode: 'eval'")],
])
def test_tokenizer_files_are_missing_when_the_run_builds_the_tokenizer(tmp_path, edits):
    path = _edited(tmp_path, QWEN_FINETUNE, edits)
    assert _missing(path) == [("processor.tokenizer.vocab_file", "path/vocab.json"),
                              ("processor.tokenizer.merges_file", "path/merges.txt")]


def test_a_checkpoint_path_in_checkpoint_name_or_path_is_read_only_by_predict_with_load_checkpoint_null(tmp_path):
    weights = 'checkpoint_name_or_path: "/nonexistent/telechat_7b.ckpt"'
    finetune = _edited(tmp_path, TELECHAT, [('checkpoint_name_or_path: "telechat_7b"', weights)])
    assert _missing(finetune) == []  # Trainer.train clears it
    predict = _edited(tmp_path, TELECHAT, [('checkpoint_name_or_path: "telechat_7b"', weights),
                                            ("run_mode: 'finetune'", "run_mode: 'predict'"),
                                            ("load_checkpoint: ''", "load_checkpoint: null")])
    assert _missing(predict) == [("model.model_config.checkpoint_name_or_path", "/nonexistent/telechat_7b.ckpt")]
    # a string in load_checkpoint (even '', or the '' MindFormers' template puts in when the key is left out)
    # is what predict loads: the model_config field is cleared
    for edit in ([], [("load_checkpoint: ''\n", "")]):
        with_load = _edited(tmp_path, TELECHAT, [('checkpoint_name_or_path: "telechat_7b"', weights),
                                                  ("run_mode: 'finetune'", "run_mode: 'predict'"), *edit])
        assert _missing(with_load) == []
    by_name = _edited(tmp_path, TELECHAT, [("run_mode: 'finetune'", "run_mode: 'predict'"),
                                            ("load_checkpoint: ''", "load_checkpoint: null")])
    assert _missing(by_name) == []  # a model name MindFormers resolves itself


def test_the_strategy_folder_is_read_only_when_the_checkpoint_is_transformed(tmp_path):
    strategy = "src_strategy_path_or_dir: '/nonexistent/strategy'"
    kept = _edited(tmp_path, TELECHAT, [("src_strategy_path_or_dir: ''", strategy)])
    assert _missing(kept) == []
    transformed = _edited(tmp_path, TELECHAT, [("src_strategy_path_or_dir: ''", strategy),
                                                ("auto_trans_ckpt: False", "auto_trans_ckpt: True")])
    assert _missing(transformed) == [("src_strategy_path_or_dir", "/nonexistent/strategy")]


def test_datasets_follow_the_run_mode(tmp_path):
    train = _edited(tmp_path, TELECHAT, [('    dataset_dir: ""\n    shuffle: False\n  input_columns: ["input_ids", '
                                          '"labels"]', '    dataset_dir: "/nonexistent/train.mindrecord"\n    shuffle: '
                                          'False\n  input_columns: ["input_ids", "labels"]')])
    assert _missing(train) == [("train_dataset.data_loader.dataset_dir", "/nonexistent/train.mindrecord")]
    predict = _edited(tmp_path, train, [("run_mode: 'finetune'", "run_mode: 'predict'")])
    assert _missing(predict) == []


def test_without_run_mode_every_field_any_mode_reads_is_checked():
    anything = RunMode.of({})
    keyed = (ReadWhen.CHECKPOINT_TRANSFORM, ReadWhen.MODEL_WEIGHTS)  # these follow keys of the YAML
    assert all(anything.reads(when) for when in ReadWhen if when not in keyed)
    assert not any(anything.reads(when) for when in keyed)
    assert RunMode.of({"load_checkpoint": None}).reads(ReadWhen.MODEL_WEIGHTS)
    assert RunMode.of({"auto_trans_ckpt": True}).reads(ReadWhen.CHECKPOINT_TRANSFORM)


def test_every_field_rule_names_the_mindformers_code_that_reads_it():
    rules = path_reads()
    assert len(rules.fields) >= 9
    for field in rules.fields:
        assert "mindformers/" in field.source and ".py" in field.source, field.key


def test_a_missing_path_names_the_mindformers_code_that_would_open_it(tmp_path):
    path = _edited(tmp_path, QWEN_FINETUNE, [("run_mode: 'finetune'", "run_mode: 'predict'")])
    missing = [f for f in check_files([str(path)]) if f.rule == "paths.missing"]
    assert missing and all("predict_process" in f.source for f in missing)


PYNATIVE = Path(__file__).parent / "data" / "mf2" / "configs" / "deepseek3" / "pretrain_deepseek3_1b_8p_pynative.yaml"
MCORE = Path(__file__).parent / "data" / "mf2" / "configs" / "qwen3" / "pretrain_qwen3_32b_4k.yaml"


@pytest.mark.parametrize("config, placeholder, real", [
    (PYNATIVE, '"/path/megatron_dataset/wiki103-megatron_text_document"', '"/nonexistent/wiki_text_document"'),
    (MCORE, '"/path/to/wiki103-megatron_text_document"', '"/nonexistent/wiki_text_document"'),
])
def test_megatron_data_paths_of_2x_configs_are_checked(tmp_path, config, placeholder, real):
    rules = {(f.rule, getattr(f, "key", None)) for f in check_files([str(config)], skip_paths=True)}
    key = ("train_dataset.dataloader.config.data_path.1" if config == PYNATIVE
           else "train_dataset.data_loader.config.data_path.1")
    assert ("paths.placeholder", key) in rules
    assert _missing(_edited(tmp_path, config, [(placeholder, real)])) == [(key, "/nonexistent/wiki_text_document")]


def test_the_pynative_checkpoint_folder_is_checked(tmp_path):
    path = _edited(tmp_path, PYNATIVE, [('load_path: ""', 'load_path: "/nonexistent/iteration_1000"'),
                                        ('"/path/megatron_dataset/wiki103-megatron_text_document"', '"./data"')])
    (tmp_path / "data").mkdir()
    assert _missing(path) == [("checkpoint.load_path", "/nonexistent/iteration_1000")]


def _launcher(tmp_path: Path, config: Path, args: str) -> Path:
    """MindFormers' msrun_launcher.sh running run_mindformer.py on ``config`` with ``args``, beside it."""
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/bash\nbash scripts/msrun_launcher.sh \"run_mindformer.py \\\n"
                      f"--config {config.name} {args}\" 8\n", encoding="utf-8")
    return script


def _missing_together(script: Path, config: Path) -> list[tuple[str, str]]:
    return [(f.key, f.title.rsplit(": ", 1)[-1]) for f in check_files([str(script), str(config)])
            if f.rule == "paths.missing" and f.file == str(config)]


def test_the_launch_command_decides_what_the_run_reads(tmp_path):
    config = _edited(tmp_path, QWEN_FINETUNE, [])
    tokenizer = [("processor.tokenizer.vocab_file", "path/vocab.json"),
                 ("processor.tokenizer.merges_file", "path/merges.txt")]
    assert _missing_together(_launcher(tmp_path, config, "--run_mode finetune"), config) == []
    assert _missing_together(_launcher(tmp_path, config, "--run_mode predict"), config) == tokenizer
    assert _missing_together(_launcher(tmp_path, config, "--do_eval True"), config) == tokenizer
    # the command line's tokenizer files replace the YAML's: those are never opened
    replaced = "--run_mode predict --vocab_file /m/vocab.json --merges_file /m/merges.txt"
    assert _missing_together(_launcher(tmp_path, config, replaced), config) == []


def test_a_dataset_given_on_the_command_line_replaces_the_yamls(tmp_path):
    config = _edited(tmp_path, TELECHAT, [('    dataset_dir: ""\n    shuffle: False\n  input_columns: ["input_ids", '
                                           '"labels"]', '    dataset_dir: "/nonexistent/train.mindrecord"\n    '
                                           'shuffle: False\n  input_columns: ["input_ids", "labels"]')])
    alone = _missing(config)
    assert alone == [("train_dataset.data_loader.dataset_dir", "/nonexistent/train.mindrecord")]
    assert _missing_together(_launcher(tmp_path, config, "--run_mode finetune"), config) == alone
    for flag in ("--train_dataset_dir", "--train_dataset", "--train_data"):  # run_mindformer.py, research scripts
        launched = _launcher(tmp_path, config, f"--run_mode finetune {flag} /data/alpaca.mindrecord")
        assert _missing_together(launched, config) == [], flag
