"""MindSpore's own families (GPU build, backends, graph mode, dataset engine, MindSpore Lite, source builds): other
members of each family are named by its rule, a rule that knows a line better wins over the family's catch-all,
and look-alike lines from other programs stay unexplained (an unsure answer beats a confident wrong one).

The lines are written from the frameworks' message texts (the source files named in each rule's ``source``).
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


@pytest.mark.parametrize("text, rule, words", [
    ("[WARNING] ME(1:1,MainProcess):2024-01-01-00:00:00.000.000 [mindspore/run_check/_check_version.py:126] "
     "MindSpore version 2.2.0 and cudDNN version 750 does not match. Please refer to the installation guide",
     "kb.versions.ms_gpu_cuda_mismatch", ["2.2.0"]),
    ("[ERROR] ME(1:1,MainProcess):2024-01-01 [mindspore/run_check/_check_version.py:229] libcudnn.so (need by "
     "mindspore-gpu) is not found. Please confirm that libmindspore_gpu.so is in directory",
     "kb.environment.ms_gpu_cuda_libs_missing", ["CUDA"]),
    ("RuntimeError: Memory not enough: Alloc device memory[1073741824] failed.",
     "kb.runtime.ms_device_memory_not_enough", ["1073741824"]),
    # The device memory pool's wording (brackets), raised: device memory, not the host's.
    ("RuntimeError: Memory not enough: current free memory size[0] is smaller than required size[241827840B]",
     "kb.runtime.ms_device_memory_not_enough", ["241827840", "npu-smi"]),
    ("RuntimeError: #umsg#cuDNN Error:#umsg#cudnnSetTensorNdDescriptor failed | Error Number: 3 CUDNN_STATUS_BAD_PARAM",
     "kb.operator.cudnn_not_supported", ["cuDNN"]),
    ("RuntimeError: CUDA Error: cudaMemcpyAsync failed | Error Number: 700 an illegal memory access was encountered",
     "kb.runtime.gpu_library_error", ["CUDA", "700"]),
    ("TypeError: Unsupported op [Conv3DTranspose] on GPU, Please confirm whether the device target setting is correct",
     "kb.operator.ms_op_not_on_backend", ["Conv3DTranspose", "GPU"]),
    ("RuntimeError: Get hccl rank_table_file failed, please export MINDSPORE_HCCL_CONFIG_PATH or RANK_TABLE_FILE.",
     "kb.launch.ms_rank_env_not_exported", ["RANK_ID"]),
    ("RuntimeError: Failed to compile in GRAPH_MODE because the function 'numpy.random.rand' is not supported in "
     "'construct' or function with @jit decorator. Try to use the function 'numpy.random.rand' externally",
     "kb.graph.jit_forbidden_method", ["numpy.random.rand"]),
    ("RuntimeError: Failed to allocate shared memory for 16 elements of 64.0MB: [Errno 12] Cannot allocate memory",
     "kb.data.ms_shared_memory_low", ["/dev/shm"]),
    ("ValueError: The file /data/train.mindrecord does not exist or permission denied!",
     "kb.data.ms_dataset_path_missing", ["/data/train.mindrecord"]),
    ("RuntimeError: Invalid data, TFRecordDataset API can't read the data file (interface mismatch or no data under "
     "the file). Check file path.", "kb.data.ms_dataset_no_data", ["no data"]),
    ("[ERROR] LITE(9,7f,converter_lite):2023-01-01 [mindspore/lite/tools/converter/parser/caffe/caffe_model_parser.cc:300]"
     " ConvertLayers] parse node conv1_relu failed.", "kb.operator.lite_op_attribute_unsupported", ["attribute"]),
    ("ERROR [mindspore/lite/src/inner_context.cc:212] IsValid] NPU is not supported.",
     "kb.environment.lite_device_not_built", ["NPU"]),
    ("./benchmark: error while loading shared libraries: libmindspore-lite.so: cannot open shared object file: "
     "No such file or directory", "kb.environment.lite_libs_not_on_path", ["libmindspore-lite.so", "LD_LIBRARY_PATH"]),
    ("CMake Error at mindspore/ccsrc/CMakeLists.txt:36 (message):\n  Failed to find cudnn header file, please set "
     "environment variable CUDNN_HOME to", "kb.environment.build_cudnn_not_found", ["header", "CUDNN_HOME"]),
    ("CMake Error at cmake/check_requirements.cmake:14 (message):\n  Required program autoconf not found, please "
     "install the package and try building MindSpore again.", "kb.environment.build_tool_missing", ["MindSpore"]),
    ("ImportError: libgmpxx.so.4: cannot open shared object file: No such file or directory",
     "kb.environment.build_gmp_missing", ["--enable-cxx"]),
    ("-- download: /root/mindspore/build/mindspore/_deps/icu4c-src , icu4c , https://x/icu.tar.gz\n"
     "  error: downloading 'https://x/icu.tar.gz' failed", "kb.environment.build_third_party_download", [".mslib"]),
    ("OSError: libcudnn_ops_infer.so.8: cannot open shared object file: No such file or directory",
     "kb.environment.cuda_lib_not_found", ["libcudnn_ops_infer.so.8", "LD_LIBRARY_PATH"]),
    ("ImportError: libnccl.so.2: cannot open shared object file: No such file or directory",
     "kb.environment.gpu_comm_lib_missing", ["NCCL"]),
    ("ImportError: DLL load failed while importing _c_expression: The specified module could not be found.",
     "kb.environment.ms_c_extension_not_loaded", ["_c_expression", "Python"]),
    ("RuntimeError: When export Convolution for onnx, output_padding is not supported",
     "kb.operator.ms_onnx_export_unsupported_op", ["Convolution", "MindIR"]),
    ("RuntimeError: Not support setattr during JIT Fallback disabled. You can use os.environ['MS_DEV_JIT_SYNTAX_LEVEL'] = '2'",
     "kb.graph.syntax_needs_lax_level", ["LAX"]),
    ("ValueError: For 'load', the argument 'file_name'(MindIR file) does not exist, but got /tmp/net.mindir",
     "kb.checkpoint.ms_load_mindir_failed", ["MindIR"]),
    ("[ERROR] LITE(1,1,converter_lite):2022-01-01 [caffe_model_parser.cc:80] InitOriginModel] Read caffe model file "
     "failed, model path: ./net.prototxt", "kb.operator.lite_model_file_unreadable", ["./net.prototxt", "--fmk"]),
    ("ERROR [mindspore-lite/src/delegate/tensorrt/tensorrt_runtime.h:31] log] input_ids: input_ids size cannot have "
     "negative dimension, size = [-1]", "kb.runtime.lite_tensorrt_dynamic_shape", ["--inputShape"]),
    ("RuntimeError: For 'context.set_context', the argument 'device_id' must be in range [0, 4095], but got 4096.",
     "kb.launch.ms_device_id_env_invalid", ["4096"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, specific", [
    # cuBLAS's own status names the cause; the any-GPU-library rule only says a call failed.
    ("RuntimeError: cuBLAS Error: cublasGemmEx failed. | Error Number: 15 CUBLAS_STATUS_NOT_SUPPORTED",
     "kb.operator.cublas_not_supported"),
    # The converter's unsupported-operator code, not its any-failure summary.
    ("CONVERT RESULT FAILED:-300 Failed to find operator.", "kb.operator.lite_op_unsupported"),
    # The attribute the parser refuses, not the summary that follows it.
    ("[ERROR] LITE(1,1,converter_lite):2024-01-01 [onnx_pool_parser.cc:75] Parse] pooling op not support dilations "
     "now\nCONVERT RESULT FAILED:-302 Invalid operator attr.", "kb.operator.lite_op_attribute_unsupported"),
    # A library of the MindSpore Lite package: its package's own directories, not any library.
    ("ImportError: libmindspore_converter.so: cannot open shared object file: No such file or directory",
     "kb.environment.lite_libs_not_on_path"),
    # The version warning explains the missing kernel that follows it.
    ("WARNING [lite_model.cc:280] ConstructModel] model version is MindSpore Lite 1.2.0, inference version is "
     "MindSpore Lite 1.5.0 not equal\nERROR [scheduler.cc:900] ScheduleNodeToKernel] FindBackendKernel return "
     "nullptr, name: s1, type: ScatterNdUpdate", "kb.versions.lite_model_runtime_mismatch"),
    # The newer wording of the role check: the launcher rule, as for the older one.
    ("RuntimeError: Role name '' is invalid. Maybe you are trying to call 'mindspore.communication.init()' without "
     "using 'mpirun'", "kb.launch.ms_role_invalid"),
    # A MindSpore Lite library missing a MindSpore symbol: the Lite/MindSpore package pair, not MindSpore and CANN.
    ("ImportError: /opt/lite/tools/converter/lib/libmindspore_converter.so: undefined symbol: _ZN9mindspore5trace",
     "kb.versions.lite_mindspore_package_mismatch"),
    # A cuDNN function missing from a MindSpore GPU library: CUDA/cuDNN, not CANN.
    ("ImportError: libmindspore_gpu.so.1: undefined symbol: cudnnSetRNNDescriptor_v6", "kb.versions.gpu_library_symbol"),
    # The plug-in that failed to load, ahead of the bare "Common error code" it causes.
    ("[WARNING] ME(1,1,python):2023-10-16 [dlutils.h:124] DLSopen] dlopen /x/mindspore_lite/lib/libascend_kernel_plugin.so "
     "failed, error: libacl_cblas.so: cannot open shared object file: No such file or directory\n"
     "[ERROR] ME(1,1,python):2023-10-16 [infer_session.cc:66] HandleContext] failed register ascend allocator plugin.\n"
     "RuntimeError: build_from_file failed! Error is Common error code.", "kb.environment.lite_ascend_plugin_not_loaded"),
    # A CUDA library missing on an Ascend machine: the package is a CUDA build, not CUDA to install.
    ("Traceback (most recent call last):\n  File \"/opt/vllm_ascend/worker.py\", line 3, in <module>\n"
     "ImportError: libcudart.so.12: cannot open shared object file: No such file or directory",
     "kb.environment.cuda_build_on_npu"),
    # MindSpore 2.1's wording of the missing operator information for a chip.
    ("RuntimeError: Load op info form json config failed, version: Ascend310P3", "kb.versions.mindspore_soc_not_supported"),
])
def test_the_rule_that_knows_the_line_wins(tmp_path, text, specific):
    assert diagnose_text(tmp_path, text).root_cause.rule == specific


@pytest.mark.parametrize("text, rule", [
    # A download checksum outside a CMake build is not the build cache.
    ("ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. MD5 does not match",
     "kb.environment.build_third_party_download"),
    # A web page's WebGPU notice is not MindSpore Lite's device check.
    ("console.error: WebGPU is not supported. GPU is not supported.", "kb.environment.lite_device_not_built"),
    # An empty array indexed outside any dataset class is some other bug.
    ("Traceback (most recent call last):\n  File \"train.py\", line 40, in <module>\n    best = scores[0]\n"
     "IndexError: index 0 is out of bounds for axis 0 with size 0", "kb.data.dataset_empty_first_sample"),
    # glog missing for a program that is not MindSpore Lite's.
    ("$ ldd /usr/bin/my_server\n\tlibglog.so.0 => not found", "kb.environment.lite_libs_not_on_path"),
    # The converter probing another format before it converts the file after all is not a failure to read it.
    ("[ERROR] LITE(1,1,converter_lite):2021-01-08 [import_from_mindir.cc:911] ReadOnnxFromBinary] Read onnx model file "
     "failed, model path: m.mindir\nCONVERT RESULT SUCCESS:0", "kb.operator.lite_model_file_unreadable"),
    # A library of the system, not CUDA's: no CUDA advice.
    ("ImportError: libcuda_helpers_custom.so: cannot open shared object file: No such file", "kb.environment.cuda_lib_not_found"),
    # The pool logs the same words at INFO while it grows: not an error.
    ("[INFO] PRE_ACT(1,f,python):2025-08-20-10:00:04.345.678 [mem_dynamic_allocator.cc:121] CalMemBlockAllocSize] "
     "Memory not enough: current free memory size[0] is smaller than required size[2147483648].",
     "kb.runtime.ms_device_memory_not_enough"),
    # Another tool's "tensor shape" sentence is not a MindSpore GPU kernel's rank check.
    ("tensor shape is 3, expected 4", "kb.operator.ms_gpu_kernel_input_rank"),
])
def test_a_look_alike_line_is_not_claimed(tmp_path, text, rule):
    report = diagnose_text(tmp_path, text)
    assert rule not in {finding.rule for finding in report.findings}


def test_a_conversion_that_succeeded_names_no_root_cause(tmp_path):
    """The converter logs ERROR while it probes a file's format, then converts it: nothing failed."""
    report = diagnose_text(tmp_path, "[ERROR] LITE(1,converter_lite):2021-01-08 [protobuf_utils.cc:94] "
                                     "ReadProtoFromBinaryFile] Parse lenet.mindir failed.\nCONVERT RESULT SUCCESS:0")
    assert report.root_cause is None
    assert [finding.rule for finding in report.findings] == ["kb.operator.lite_convert_succeeded"]
