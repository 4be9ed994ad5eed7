"""The suites built on MindSpore (MindYOLO, MindOCR, MindCV, MindNLP, MindONE) and MindSpore's FAQ families: each
rule reads other members of its message family (other values, other suites, the wordings the source raises in
other releases) and stays quiet on look-alike lines.

The fixtures of tests/data/logs/kb/ show one member each; the lines here are the framework's message with other
values, and lines that share words with it but are not the error.
"""

from __future__ import annotations

from functools import partial

import pytest

from support import assert_root_cause_says, diagnose_text


_diagnose = partial(diagnose_text, name="train.log")


@pytest.mark.parametrize("text, rule, words", [
    # MindYOLO before the help_url removal, and YOLOv5-style wording of the same scan
    ("WARNING: No labels found in /data/visdrone/labels/train.cache.npy. See https://github.com/x/wiki",
     "kb.data.yolo_no_labels", ["/data/visdrone/labels/train.cache.npy", "/labels/"]),
    ("Scanning '/data/shwd/labels/train' images and labels... 0 found, 0 missing, 0 empty, 1203 corrupted: 100%",
     "kb.data.yolo_no_labels", ["/data/shwd/labels/train", "corrupted"]),
    ("ValueError: All labels empty in /data/shwd/train.cache.npy, can not start training without labels.",
     "kb.data.yolo_no_labels", ["/data/shwd/train.cache.npy"]),
    ("AttributeError: 'LayoutDataset' object has no attribute 'help_url'", "kb.data.yolo_help_url_missing",
     ["labels/"]),
    ("AssertionError: 80 names found for nc=1 dataset in configs/yolov5/yolov5s.yaml",
     "kb.data.yolo_class_count_mismatch", ["80", "--single_cls"]),
    ("Exception: Error loading data from /data/coco/images/val2017: No images found",
     "kb.data.yolo_images_not_found", ["/data/coco/images/val2017", "No images found"]),
    ("ValueError: label_file '/data/ic15/rec/train/gt.txt' does not existed. Please check the yaml file for both "
     "train and eval", "kb.data.mindocr_data_dir_missing", ["/data/ic15/rec/train/gt.txt", "eval.dataset"]),
    ("ValueError: Cannot find any lmdb dataset under `/data/lmdb/training/`. Please check the data path is correct.",
     "kb.data.mindocr_data_dir_missing", ["/data/lmdb/training/", "data.mdb"]),
    ("ImportError: cannot import name 'AutoModelForCausalLM' from 'mindnlp.transformers' "
     "(/opt/conda/lib/python3.9/site-packages/mindnlp/transformers/__init__.py)",
     "kb.versions.mindnlp_api_moved", ["mindnlp.transformers", "0.4"]),
    ("AttributeError: module 'mindnlp.core' has no attribute 'ops'", "kb.versions.mindnlp_api_moved",
     ["mindnlp.core", "mindtorch"]),
    ("ModuleNotFoundError: No module named 'mindnlp.modules'", "kb.versions.mindnlp_api_moved", ["mindnlp==0.3.1"]),
    ("ModuleNotFoundError: No module named 'mindyolo.models.heads.yolov11_head'",
     "kb.versions.ms_cv_suite_api_mismatch", ["mindyolo.models.heads.yolov11_head", "2.5.0"]),
    ("AttributeError: module 'mindcv.models' has no attribute 'vit_l_16_224'", "kb.versions.ms_cv_suite_api_mismatch",
     ["mindcv.models", "pip install -e ."]),
    ("ImportError: cannot import name 'StableDiffusion3Pipeline' from 'mindone.diffusers' (/work/mindone/mindone/"
     "diffusers/__init__.py)", "kb.versions.ms_cv_suite_api_mismatch", ["mindone.diffusers", "2.6.0"]),
    ("  File \"/usr/local/lib/python3.9/site-packages/mindyolo/models/model_factory.py\", line 28, in create_model\n"
     "    raise RuntimeError(f\"Unknown model {model_name}\")\nRuntimeError: Unknown model yolov12n",
     "kb.versions.ms_suite_model_unknown", ["yolov12n", "list_models"]),
    ("[ERROR] DEVICE(1,f,python):2024-01-01 [stream_assign.cc:99] Check] stream isn't enough, current 2048",
     "kb.runtime.ms_stream_not_enough", ["pipeline"]),
    ("RuntimeError: ({'errCode': 'E60000', 'op_name': 'conv2d', 'param_name': 'input', 'expected_value': "
     "'FM_H+pad_top+pad_bottom-KH>=strideH', 'input_value': 'False'})", "kb.operator.tbe_conv_kernel_wider_than_input",
     ["kernel_size"]),
    ("RuntimeError: Out of Memory!!! total[3212254720] (dynamic[0] memory poll[524288000]) malloc[32611480064] failed!",
     "kb.runtime.device_oom", ["batch"]),
    ("TypeError: Type Join Failed: abstract type AbstractTensor cannot join with AbstractTuple.",
     "kb.graph.branch_type_join", ["tuple", "sens"]),
    ("/usr/bin/env: 'python': No such file or directory", "kb.environment.ms_python_is_python2", ["python"]),
    ("/usr/bin/ld: warning: libascend_hal.so, needed by libmindspore.so, not found (try using -rpath or -rpath-link)",
     "kb.environment.ms_app_lib_not_found", ["libascend_hal.so", "LD_LIBRARY_PATH"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, rule", [
    # a scan that found labels is not the failure
    ("Scanning '/data/coco/train2017' images and labels... 117266 found, 1021 missing, 0 empty, 0 corrupted",
     "kb.data.yolo_no_labels"),
    ("Scanning '/data/coco/train2017' images and labels... 10 found, 0 missing, 0 empty, 0 corrupted",
     "kb.data.yolo_no_labels"),
    ("[INFO] No dataset cache available, caching now...", "kb.data.yolo_no_labels"),
    # a MindSpore module missing is MindSpore's own family, not a suite's
    ("ModuleNotFoundError: No module named 'mindspore.nn.probability.bnn_layers'", "kb.versions.ms_cv_suite_api_mismatch"),
    ("ImportError: cannot import name 'ops' from 'mindformers' (unknown location)", "kb.versions.ms_cv_suite_api_mismatch"),
    ("ModuleNotFoundError: No module named 'mindnlp'", "kb.versions.mindnlp_api_moved"),
    # "Unknown model" with no model factory around it is some other unknown model
    ("ValueError: Unknown model type qwen3 in config.json", "kb.versions.ms_suite_model_unknown"),
    ("RuntimeError: Unknown model resnet50", "kb.versions.ms_suite_model_unknown"),
    ("[INFO] stream num: 12, the stream is enough", "kb.runtime.ms_stream_not_enough"),
    ("ImportError: No module named 'mindspore'", "kb.environment.ms_python_is_python2"),
    ("/usr/bin/ld: warning: libfoo.so, needed by libbar.so, not found", "kb.environment.ms_app_lib_not_found"),
    ("json.exception.parse_error.101 parse error at line 3, column 1: syntax error while parsing object key",
     "kb.environment.ms_te_hccl_stale_in_env"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}


def test_a_corrupted_label_warning_yields_to_the_empty_dataset_error(tmp_path):
    report = _diagnose(tmp_path, "\n".join([
        "WARNING: Ignoring corrupted image and/or label /d/images/1.jpg: Label class 7 exceeds dataset class count 5. "
        "Possible class labels are 0-4",
        "AssertionError: No labels in /d/labels.cache.npy. Can not train without labels.",
    ]))
    assert report.root_cause.rule == "kb.data.yolo_no_labels"
    assert "kb.data.yolo_label_invalid" in {finding.rule for finding in report.findings}


def test_a_suite_name_outranks_the_generic_import_rule(tmp_path):
    report = _diagnose(tmp_path, "ImportError: cannot import name 'create_transforms' from 'mindcv.data' "
                                 "(/usr/lib/python3.9/site-packages/mindcv/data/__init__.py)")
    assert report.root_cause.rule == "kb.versions.ms_cv_suite_api_mismatch"
    assert report.root_cause.confidence == "confident"


@pytest.mark.parametrize("text, rule, words", [
    ("[WARNING] ME(1:2,MainProcess):2025-01-01 [datasets_user_defined.py:428] Has been waiting for data from Generator "
     "worker thread ID '77' for more than 120 seconds. Please check if the user defined dataset of GeneratorDataset has "
     "a dead loop, or is processing too slowly.", "kb.data.ms_generator_worker_stuck", ["120", "py-spy"]),
    ("[CRITICAL] MD(1,python):2025-01-01 [iterators.py:439] Memory error occurred, process will exit.",
     "kb.data.ms_generator_worker_died", ["num_parallel_workers", "dmesg"]),
    ("RuntimeError: Failed to launch multiprocessing of GeneratorDataset: Too many open files. Please check if "
     "`num_parallel_workers` is set too large, or you are creating iterators multiple times.",
     "kb.data.too_many_open_files", ["ulimit -n", "iterators"]),
    ("ImportError: libmindspore.so: cannot open shared object file: No such file or directory",
     "kb.serving.ms_serving_backend_not_loaded", ["same MindSpore version"]),
])
def test_dataset_workers_and_serving_backend(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, rule", [
    ("RuntimeError: Failed to get device type", "kb.serving.ms_serving_backend_not_loaded"),
    ("[INFO] Launching new Python Multiprocessing pool for GeneratorOp:3", "kb.data.ms_generator_worker_died"),
])
def test_dataset_serving_look_alikes_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}



@pytest.mark.parametrize("text, words", [
    ("AttributeError: module 'mindspore' has no attribute 'ms_class'", ["jit_class"]),
    ("ModuleNotFoundError: No module named 'mindspore.nn.transformer'", ["MindFormers"]),
    ("ModuleNotFoundError: No module named 'mindspore.nn.transformer.layers'", ["MindFormers"]),
])
def test_names_mindspore_2_removed_are_not_called_too_old(tmp_path, text, words):
    assert_root_cause_says(_diagnose(tmp_path, text), "kb.versions.mindspore_name_removed", words, with_fix=True)


def test_other_missing_mindspore_names_keep_their_rule(tmp_path):
    report = _diagnose(tmp_path, "AttributeError: module 'mindspore' has no attribute 'set_device'")
    assert report.root_cause.rule == "kb.versions.mindspore_api_missing"


@pytest.mark.parametrize("text, rule, words", [
    ("ValueError: Can not convert Tensor with more than one element to Scalar, while the data's shape is: (2, 3)",
     "kb.graph.tensor_used_as_one_value", ["(2, 3)", "x.any()"]),
    ("ValueError: For 'load_checkpoint', failed to decrypt the checkpoint file.", "kb.checkpoint.ckpt_damaged",
     ["dec_key"]),
])
def test_graph_values_and_encrypted_checkpoints(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, rule, words", [
    ("RuntimeError: Invalid cifar100 file, Cifar100 train/test file is missing in: /data/cifar-100-python",
     "kb.data.ms_cifar_binary_expected", ["binary version"]),
    ("RuntimeError: Invalid path, no subfolder found under path: /data/imagenet", "kb.data.ms_image_folder_layout",
     ["/data/imagenet", "class"]),
    ("RuntimeError: Invalid annotation, the 'segments_info' node is missing in annotation file: /d/instances.json",
     "kb.data.ms_coco_annotation_task", ["segments_info", "panoptic"]),
    ("RuntimeError: Cannot batch tensors with different shapes in column 0, the first tensor shape is (224, 224, 3)",
     "kb.data.batch_shapes_inconsistent", ["seq_length"]),
    ("RuntimeError: Invalid data, the types or shapes of current row is different with previous row(i.e. do batch "
     "operation but drop_reminder is False, or without resize image into the same size, these will cause shapes "
     "differs).", "kb.data.batch_shapes_inconsistent", ["resize"]),
    ("RuntimeError: Invalid data, input image hasn't been decoded, you may need to perform Decode first.",
     "kb.data.ms_vision_input_layout", ["Decode"]),
    ("RuntimeError: Invalid file, failed to open label file: /data/mnist/train-labels-idx1-ubyte, file not exist",
     "kb.data.ms_dataset_path_missing", ["/data/mnist/train-labels-idx1-ubyte"]),
])
def test_dataset_loaders_on_another_layout(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


def test_run_check_failure_yields_to_the_error_it_prints(tmp_path):
    report = _diagnose(tmp_path, "\n".join([
        "MindSpore version:  2.2.14",
        "MindSpore running check failed.",
        "Unsupported device target GPU. This process only supports one of the ['CPU', 'Ascend'].",
    ]))
    assert report.root_cause.rule == "kb.versions.mindspore_backend_unavailable"


@pytest.mark.parametrize("text, rule, words", [
    ("RuntimeError: If define `valid_dataset`, metric fn can not be None or empty, you should set the argument "
     "'metrics' for model.", "kb.launch.ms_model_metrics_missing", ["metrics={'accuracy'}"]),
    ("ValueError: When 'loss_fn' is not None, 'train_dataset' should return two elements, but got 1, please check",
     "kb.data.ms_train_dataset_columns", ["yields 1 columns", "project"]),
])
def test_model_checks(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text", [
    "mindnlp.utils.errors.EntryNotFoundError: Can not found url: https://hf-mirror.com/THUDM/chatglm3-6b/resolve/main/"
    "tokenizer.json?download=true",
    "OSError: Qwen/Qwen-7B-Chatt is not a local folder and is nost a valid model identifier ",
    "ValueError: The mirror name not support, please use one of the mirror website below: [\"huggingface\", "
    "\"modelscope\"]",
])
def test_mindnlp_downloads(tmp_path, text):
    assert_root_cause_says(_diagnose(tmp_path, text), "kb.weights.mindnlp_download_failed", ["mirror="], with_fix=True)


@pytest.mark.parametrize("text, rule, words", [
    ("ValueError: length of offset should be equal or less than pipeline_stage number, but get length of offset (4) "
     "> pp(2)", "kb.parallel.mf_stage_list_longer_than_pp", ["offset", "4", "pipeline_stage=2"]),
    ("FileNotFoundError: The load_checkpoint must be correct, but get /ckpt/llama2_7b.ckpt",
     "kb.checkpoint.mf_load_checkpoint_invalid", ["/ckpt/llama2_7b.ckpt", "safetensors"]),
    ("ValueError: config.load_ckpt_format only support for 'ckpt' or 'safetensors', but got bin.",
     "kb.checkpoint.mf_load_checkpoint_invalid", ["convert_weight.py"]),
    ("ValueError: train dataset path must be exist, but got /data/wiki103/train.mindrecord.",
     "kb.data.mf_dataset_path_missing", ["dataset_dir"]),
    ("NotADirectoryError: /ckpt/llama.ckpt is not a real directory,When distributed loads are sliced weights,"
     "load_checkpoint should be a checkpoint directory containing the directory of rank_{0-*}",
     "kb.checkpoint.mf_sliced_checkpoint_layout", ["rank_N"]),
    ("ValueError: strategy_path: ./output/strategy not found!", "kb.checkpoint.strategy_missing", ["strategy"]),
])
def test_mindformers_inputs(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


def test_an_operation_on_unsupported_argument_types_asks_for_the_lax_level(tmp_path):
    text = ("TypeError: The 'add' operation does not support the following argument types. You can use "
            "os.environ['MS_DEV_JIT_SYNTAX_LEVEL'] = '2' to enable the JIT lax mode to support the current syntax. "
            "Arguments are: (Tensor, dict)")
    assert_root_cause_says(_diagnose(tmp_path, text), "kb.graph.syntax_needs_lax_level", ["LAX"], with_fix=True)


@pytest.mark.parametrize("text, rule, words", [
    ("RuntimeError: Root info pointer is nullptr. If you are using HCCL, there maybe port conflict in communication "
     "collective library. Please execute 'export HCCL_IF_BASE_PORT=<new port>' to use different port, or 'npu-smi "
     "info' to check if there's residual processes.", "kb.launch.hccl_port_in_use", ["HCCL_IF_BASE_PORT"]),
    ("RuntimeError: Load MindIR file failed, please check the correctness of the file, dec_key or dec_mode.",
     "kb.checkpoint.ms_load_mindir_failed", ["dec_key"]),
])
def test_mindspore_backend_wordings(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text", [
    "TypeError: Function train_step needs 2 positional argument, but got 1.",
    "TypeError: Function forward_fn needs 2 positional argument and 1 default argument, total 3, but got 4.",
])
def test_a_jit_function_called_with_the_wrong_number_of_arguments(tmp_path, text):
    assert_root_cause_says(_diagnose(tmp_path, text), "kb.graph.function_arg_count", ["definition"], with_fix=True)
