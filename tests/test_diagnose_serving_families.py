"""Serving on Ascend (vllm-ascend, its PD connectors, triton-ascend): each family rule reads its other members'
wordings as the frameworks raise them, a specific rule wins over the compile-error catch-all on the same
traceback, and look-alike lines (settings, progress messages) stay quiet.

Each fixture of tests/data/logs/kb/ shows one member; these lines are the other members of the families.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


@pytest.mark.parametrize("text, rule, words", [
    # vllm-ascend's chip checks: the package built for another chip, a chip it does not know, a 310P limit
    ("AssertionError: Current device type: AscendDeviceType._310P does not match the installed version's device "
     "type: AscendDeviceType.A2, please check your installation package.",
     "kb.serving.vllm_ascend_built_for_other_chip", ["A2", "_310P"]),
    ("RuntimeError: Can not support soc_version: 104.", "kb.operator.framework_soc_unsupported", ["soc_version"]),
    ("NotImplementedError: 310P does not support runner_type='pooling'", "kb.operator.not_implemented_for_soc",
     ["310P"]),
    # quantization, MoE layouts, environment switches
    ("NotImplementedError: Currently, vLLM Ascend only supports following quant types:['W8A8', 'W8A8_DYNAMIC']",
     "kb.serving.quant_type_unsupported", ["quantization type"]),
    ("ValueError: The current weight does not support moe part tp>16.", "kb.serving.moe_quant_needs_expert_parallel",
     ["expert parallel"]),
    ('ValueError: Can not enable expert_map_record_path when not export EXPERT_MAP_RECORD="true".',
     "kb.serving.feature_env_switch_off", ["EXPERT_MAP_RECORD", "expert_map_record_path"]),
    ("NotImplementedError: Prefix caching is not supported for Mamba yet.",
     "kb.serving.prefix_caching_unsupported_model", ["Mamba", "--no-enable-prefix-caching"]),
    ("RuntimeError: CUDA out of memory occurred when warming up pooler (task=embed) with 256 dummy requests. "
     "Please try lowering `max_num_seqs` or `gpu_memory_utilization` when initializing the engine.",
     "kb.serving.warmup_dummy_batch_oom", ["pooler", "--max-num-seqs"]),
    ("RuntimeError: Cpu num in numa 1 to assign 48 for every device is not enough, please decrease the value of "
     "CPU_BINDING_NUM!", "kb.serving.cpu_binding_failed", ["CPU_BINDING_NUM"]),
    ("ValueError: AscendFAImpl does not support ACL graph capture with FULL_DECODE_ONLY mode. Please set "
     "enforce_eager=True or not set FULL_DECODE_ONLY or use the default FIA backend.",
     "kb.serving.cudagraph_mode_unsupported_backend", ["FULL_DECODE_ONLY", "PIECEWISE"]),
    # prefill/decode disaggregation
    ("RuntimeError: TransferEngine initialization failed with ret_value: -2", "kb.serving.mooncake_init_failed",
     ["-2", "USE_ASCEND_DIRECT"]),
    ("AssertionError: Prefill TP size must be divisible by Decode TP size.", "kb.serving.pd_tp_order", ["decode TP"]),
    ("RuntimeError: LLMDataDistCMgrConnectorWorker: Timeout during pull_blocks, you can try to increase the "
     "sync_kv_timeout config or checking your connect status", "kb.serving.pd_kv_pull_failed",
     ["sync_kv_timeout", "hccn_tool"]),
    ("AssertionError: Can't read the target server_id 10.0.0.2 and device_rank 3 from rank table",
     "kb.serving.llmdatadist_rank_table", ["DISAGGREGATED_PREFILL_RANK_TABLE_PATH"]),
    ("RuntimeError: mooncake is not available", "kb.serving.kv_transfer_package_missing", ["mooncake"]),
    ("llm_datadist.status.LLMException: link failed, status_code: LLMStatusCode.LLM_LINK_FAILED",
     "kb.serving.pd_kv_pull_failed", ["hccn_tool"]),
    # optimisation switches, disaggregation roles, the stack under vllm-ascend
    ("ValueError: fused mc2 op cannot be used with hierarchy communication.Please disable "
     "VLLM_ASCEND_ENABLE_FUSED_MC2 by setting it to 0.", "kb.serving.ascend_env_switch_not_applicable",
     ["VLLM_ASCEND_ENABLE_FUSED_MC2"]),
    ("AssertionError: Currently, Omni models do not support FLASHCOMM in vllm-ascend.We will fix this in the "
     "future. Please set VLLM_ASCEND_ENABLE_FLASHCOMM1=0.", "kb.serving.flashcomm_vl_model", ["FLASHCOMM1"]),
    ("AssertionError: Sequence parallelism requires enable_expert_parallel=True for MoE models.",
     "kb.serving.flashcomm_needs_tp_and_ep", ["--enable-expert-parallel"]),
    ("NotImplementedError: enable_kv_nz is only supported in pd scenario and can only be used in D node.",
     "kb.serving.feature_wrong_pd_role", ["enable_kv_nz", "kv_consumer"]),
    ("ValueError: enable_balance_scheduling only supports PD-mixed mode (kv_role='kv_both' or no "
     "kv_transfer_config), and is not supported in PD-disaggregated mode (kv_role='kv_producer'/'kv_consumer').",
     "kb.serving.feature_wrong_pd_role", ["enable_balance_scheduling"]),
    ("capture_begin: NPU function error: c10_npu::acl::AclmdlRICaptureBegin(capture_stream_, capture_mode), "
     "error code is 507899\n[ERROR] RUNTIME: Alloc sq cq fail", "kb.serving.aclgraph_old_hdk", ["25.5.1"]),
    ("ValueError: The environment variable 'MMC_LOCAL_CONFIG_PATH' is not set.", "kb.serving.kv_pool_config_unset",
     ["MMC_LOCAL_CONFIG_PATH"]),
    ("ImportError: Please install openyuanrong-datasystem by following the instructions at https://atomgit.com/x "
     "to run vLLM with AscendStoreConnector.", "kb.serving.kv_transfer_package_missing", ["openyuanrong-datasystem"]),
    # vLLM's model checks
    ("ValueError: Unrecognized model in /models/qwen. Should have a `model_type` key in its config.json, or "
     "contain one of the following strings in its name: albert, bart", "kb.serving.model_config_not_found",
     ["/models/qwen", "config.json"]),
    ("NotImplementedError: Qwen3VLForConditionalGeneration does not support LoRA yet.",
     "kb.serving.lora_unsupported_model", ["Qwen3VLForConditionalGeneration"]),
    # SGLang on Ascend, vLLM-MindSpore, early vllm-ascend releases
    ("ModuleNotFoundError: No module named 'sgl_kernel_npu'", "kb.serving.sglang_npu_kernels_missing",
     ["sgl-kernel-npu"]),
    ("AssertionError: flashinfer is not supported on NPU.", "kb.serving.sglang_backend_not_on_npu",
     ["flashinfer", "--attention-backend ascend"]),
    ("RuntimeError: Failed create mf store, invalid ascend_url. With exception x", 
     "kb.serving.sglang_ascend_transfer_init_failed", ["ASCEND_MF_STORE_URL"]),
    ("RuntimeError: For \"MindFormers\" model backend, environments ['vLLM_MODEL_MEMORY_USE_GB', "
     "'MINDFORMERS_MODEL_CONFIG'] should be set!", "kb.serving.vllm_ms_mindformers_env_missing",
     ["vLLM_MODEL_MEMORY_USE_GB"]),
    ("ValueError: LoRA model is not supported on NPU now.", "kb.serving.lora_unsupported_model", ["LoRA"]),
    ("ValueError: Unknown speculative decoding method: suffix", "kb.serving.spec_method_unsupported",
     ["speculative"]),
    # vLLM on a host where the Ascend plug-in did not load, or with no way to the Hub
    ("RuntimeError: Device string must not be empty", "kb.environment.vllm_no_device_type", ["NPU"]),
    ("RuntimeError: No CUDA GPUs are available", "kb.environment.cuda_api_on_npu", ["CUDA"]),
    ("requests.exceptions.ConnectionError: (MaxRetryError(\"HTTPSConnectionPool(host='huggingface.co', port=443): "
     "Max retries exceeded with url: /api/models/Qwen/Qwen3-8B\"))", "kb.weights.hf_hub_unreachable",
     ["huggingface.co"]),
    # loading the weights, multi-node Ray
    ("ValueError: Cannot find the config file for gptq", "kb.serving.quant_config_file_missing",
     ["gptq", "--quantization"]),
    ("ValueError: Ray does not allocate any NPUs on the driver node. Consider adjusting the Ray placement group or "
     "running the driver on a GPU node.", "kb.serving.ray_driver_without_npu", ["NPU", "ray status"]),
    # a CUDA-only package asked for on the NPU
    ("ModuleNotFoundError: No module named 'flash_attn'", "kb.environment.gpu_only_package_on_npu",
     ["flash_attn", "sdpa"]),
    ("ModuleNotFoundError: No module named 'xformers.ops'", "kb.environment.gpu_only_package_on_npu", ["xformers"]),
    ("NotImplementedError: No compressed-tensors compatible scheme was found for quant_type=W4A16, "
     "layer_type=linear.", "kb.serving.quant_type_unsupported", ["quantization type"]),
    ("RuntimeError: Failed to resolve Triton op 'chunk_gated_delta_rule': neither "
     "triton.language.extra.cann.extension nor triton.language provides it.", "kb.operator.triton_ascend_missing",
     ["chunk_gated_delta_rule", "triton-ascend"]),
    # an operator missing from torch_npu or from vllm-ascend's own library
    ("AttributeError: '_OpNamespace' 'npu' object has no attribute 'npu_fused_infer_attention_score_v2'",
     "kb.versions.torch_npu_api_missing", ["npu_fused_infer_attention_score_v2"]),
    ("AttributeError: '_OpNamespace' '_C_ascend' object has no attribute 'rotary_embedding'",
     "kb.serving.vllm_ascend_custom_op_missing", ["rotary_embedding", "SOC_VERSION"]),
    # a tool's runtime check of its dependencies' versions
    ("ImportError: huggingface-hub>=0.34.0,<1.0 is required for a normal functioning of this module, but found "
     "huggingface-hub==1.14.0.", "kb.versions.required_version_range",
     ["huggingface-hub>=0.34.0,<1.0 is required, huggingface-hub==1.14.0 is installed"]),
    ("AssertionError: current kernel does not support head dimension larger than 256.",
     "kb.serving.model_structure_not_on_npu_runner", ["head dimension larger than 256"]),
    # triton-ascend
    ("NotImplementedError: NPU subtarget Ascend310P3 not supported yet", "kb.operator.triton_chip_not_targeted",
     ["Ascend310P3", "310P"]),
    ("OSError: Couldn't find executable bisheng or TRITON_NPU_COMPILER_PATH", "kb.operator.triton_compiler_not_found",
     ["set_env.sh"]),
    ("OSError: ASCEND_HOME_PATH is not set, source <ascend-toolkit>/set_env.sh first",
     "kb.operator.triton_compiler_not_found", ["set_env.sh"]),
    ("Stack dump:\n0.\tProgram arguments: /usr/local/Ascend/ascend-toolkit/latest/bin/bishengir-compile "
     "/tmp/tmpq1/kernel.ttadapter.mlir --enable-hfusion-compile=true -o /tmp/tmpq1/kernel\nKilled",
     "kb.operator.triton_kernel_compile_failed", ["triton-ascend", "CANN", "SGLang"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, specific", [
    # The compiler's own line names the cause; the MLIRCompilationError frame around it is the catch-all.
    ("triton.compiler.errors.MLIRCompilationError:\n///------------------[ERROR][Triton][BEG]------------------\n"
     "[ConvertLinalgRToBinary] encounters error:\n"
     "bishengir-compile: for the --target option: Cannot find option named 'Ascend310P1'!",
     "kb.operator.triton_chip_not_targeted"),
    ("triton.compiler.errors.MLIRCompilationError:\n///------------------[ERROR][Triton][BEG]------------------\n"
     "[ConvertLinalgRToBinary] encounters error:\nloc(\"/tmp/t/kernel.ttadapter.mlir\":3:3): error: ub overflow, "
     "requires 3219456 bits while 1572864 bits available! (possible reason: tiling basic block is too large)",
     "kb.operator.triton_ub_overflow"),
    # The switch's own limit (VL models) says more than the family of "turn this switch off".
    ("ValueError: Currently, VL models doesn't support FLASHCOMM in vllm-ascend. We will fix this in the future. "
     "Please set VLLM_ASCEND_ENABLE_FLASHCOMM1=0.", "kb.serving.flashcomm_vl_model"),
    ("ValueError: FRACTAL_NZ mode is enabled. This may cause model parameter precision issues in the RL scenarios. "
     "Please set VLLM_ASCEND_ENABLE_NZ=0.", "kb.serving.nz_weights_in_rl"),
    # The weight allocation failing is the NPU's out-of-memory, said with the layer that could not be built.
    ("ERROR 01-01 10:00:00 [patch_weight_loader.py:25] Failed to create unquantized linear weights: NPU out of "
     "memory. Tried to allocate 1.50 GiB\nRuntimeError: Failed to create unquantized linear weights. This may be "
     "caused by insufficient memory to allocate the weight.", "kb.serving.weights_do_not_fit"),
    # A checkpoint name the model lacks is a scale of quantized weights: that rule, not the any-name one.
    ("  File \"/x/vllm/model_executor/models/qwen2.py\", line 410, in load_weights\n    param = params_dict[name]\n"
     "KeyError: 'model.layers.0.self_attn.q_proj.weight_scale'", "kb.serving.quantized_weights_unquantized_model"),
])
def test_a_rule_that_knows_the_member_wins(tmp_path, text, specific):
    assert _diagnose(tmp_path, text).root_cause.rule == specific


@pytest.mark.parametrize("text, rule", [
    ("DEBUG 01-01 10:00:00 [mooncake_connector.py:1069] Registering KV cache: ptr=0x12c0000000, length=1048576, "
     "num_blocks=512, block_lens=[2048]", "kb.serving.mooncake_register_failed"),
    ("INFO 01-01 10:00:00 [utils.py:40] export PHYSICAL_DEVICES=0,1,2,3", "kb.serving.pd_physical_devices_short"),
    ("INFO 01-01 10:00:00 [platform.py:200] Using CPU binding, BIND_CPU=1, CPU_BINDING_NUM=24",
     "kb.serving.cpu_binding_failed"),
    ("export TRITON_ASCEND_ARCH=Ascend910B3", "kb.operator.triton_chip_not_targeted"),
    ("export VLLM_ASCEND_ENABLE_FLASHCOMM1=1", "kb.serving.ascend_env_switch_not_applicable"),
    ("+ export VLLM_ASCEND_ENABLE_DBO=1 VLLM_ASCEND_ENABLE_FUSED_MC2=0", "kb.serving.ascend_env_switch_not_applicable"),
    ("[ERROR] RUNTIME: Alloc sq cq fail, device_id=0", "kb.serving.aclgraph_old_hdk"),
    # a KeyError outside weight loading is not a weight name
    ("KeyError: 'model.layers.0.mlp.experts.w13_weight'", "kb.serving.weight_name_not_in_model"),
    # a sampling method vllm-ascend lacks on NPU is not an SGLang attention backend
    ("NotImplementedError: FP64 rejection sampling is not supported on NPU.", "kb.serving.sglang_backend_not_on_npu"),
    ("WARNING 06-21 08:32:55 config.py:1148] Possibly too large swap space. 4.00 GiB out of the 7.74 GiB total CPU "
     "memory is allocated for the swap space.", "kb.serving.swap_space_too_large"),
    ("INFO 01-01 10:00:00 [model_runner_v1.py:3500] Capturing ACL graphs (mixed prefill-decode, PIECEWISE): "
     "100%|##########| 67/67", "kb.serving.aclgraph_capture_streams"),
])
def test_look_alike_lines_stay_quiet(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}
