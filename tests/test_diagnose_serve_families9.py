"""Serving families written from the stacks' raise sites (issue 17, ninth round): the Mooncake transfer engine's own
log lines, vllm-ascend's MemFabric engine, P/D side channel, KV pool configs, EPLB settings and RL weight transfer,
SGLang's package and platform checks, LMDeploy / dlinfer on Ascend, Xinference's model lookup, Ray's own words for a
request it cannot place, and vLLM's newer wording of "no memory for the cache blocks".

The fixtures of tests/data/logs/kb/ show one member each; the lines here are other members of each family (other
values, other wordings the source raises, launcher prefixes), and lines that share words with a rule but are not
the error.
"""

from __future__ import annotations

from functools import partial

import pytest

from support import assert_root_cause_says, diagnose_text


_diagnose = partial(diagnose_text, name="server.log")


@pytest.mark.parametrize("text, rule, words", [
    ("E1201 10:00:00.302 77 transfer_engine_impl.cpp:397] No HCA detected and neither NVLink nor TCP transport is "
     "compiled in", "kb.serving.mooncake_transport_install_failed", ["USE_ASCEND_DIRECT", "hccn_tool"]),
    ("E1201 10:00:00.302 77 ascend_direct_transport.cpp:172] Find available port failed for device: 3",
     "kb.serving.mooncake_transport_install_failed", ["hccn.conf"]),
    ("E1201 10:00:01.441 77 transfer_metadata_plugin.cpp:300] GET http://10.0.0.1:8080/metadata?key=mooncake/ram "
     "curl: Couldn't connect to server", "kb.serving.mooncake_metadata_unreachable", ["metadata_server", "no_proxy"]),
    ("E1201 10:00:01.441 77 transfer_metadata_plugin.cpp:610] RedisStoragePlugin: unable to connect "
     "redis://10.0.0.1:6379: Connection refused", "kb.serving.mooncake_metadata_unreachable", ["etcd"]),
    ("(EngineCore_DP0 pid=4411) RuntimeError: MemFabric memory registration failed with ret_value=-2",
     "kb.serving.memfabric_engine_failed", ["-2", "VLLM_HOST_IP"]),
    ("RuntimeError: Failed to receive data after 3 retries: Resource temporarily unavailable",
     "kb.serving.pd_side_channel_failed", ["kv_port", "ss -ltnp"]),
    ("(EngineCore_DP0 pid=4411) RuntimeError: KV Cache sending/receiving thread failed to start.",
     "kb.serving.pd_side_channel_failed", ["side channel"]),
    ("ValueError: KV transfer 'decode' config has a conflicting data parallel size. Expected 2, but got 4.",
     "kb.serving.pd_kv_config_parallel_mismatch", ["data parallel", "--data-parallel-size", "2"]),
    ("ValueError: Invalid worker_addr 10.0.0.3 in yuanrong config, expected '<host>:<port>'.",
     "kb.serving.kv_pool_backend_config_invalid", ["worker_addr", "IP:port"]),
    ("ValueError: global segment size cannot be empty.", "kb.serving.kv_pool_backend_config_invalid",
     ["global_segment_size"]),
    ("TypeError: The expert_map is not json.", "kb.serving.eplb_config_invalid", ["DYNAMIC_EPLB", "--enable-eplb"]),
    ("ValueError: DYNAMIC_EPLB and EXPERT_MAP_RECORD are Model Runner V1 controls. Unset them and use --enable-eplb "
     "with Model Runner V2.", "kb.serving.eplb_config_invalid", ["Model Runner V2"]),
    ("ValueError: IPC handle not found for GPU UUID GPU-1234. Available UUIDs: ['GPU-5678']. This may indicate that "
     "the trainer and worker are not co-located on the same physical GPU (node).",
     "kb.serving.weight_transfer_not_colocated", ["co-located", "ASCEND_RT_VISIBLE_DEVICES"]),
    ("Exception: flashinfer_python with minimum required version 0.2.7 is not installed. Please reinstall the "
     "latest version", "kb.serving.package_below_required_version", ["flashinfer_python", "0.2.7"]),
    ("ImportError: torch_npu is required when run on npu device.", "kb.serving.sglang_npu_torch_stack_missing",
     ["torch_npu", "torchair"]),
    ("RuntimeError: Platform plugin 'ascend' is installed but activate() returned None (hardware not available on "
     "this machine?).", "kb.serving.stack_sees_no_npu", ["set_env.sh", "npu-smi info"]),
    ("RuntimeError: torch.npu.device_count() returned a non-positive value; cannot derive local NPU offset. Please "
     "set ASCEND_RT_VISIBLE_DEVICES explicitly.", "kb.serving.stack_sees_no_npu", ["ASCEND_RT_VISIBLE_DEVICES"]),
    ("ValueError: [address=0.0.0.0:16521, pid=9] Model not found, name: deepseek-r1-distill-qwen, format: ggufv2, "
     "size: 32, quantization: Q4_K_M", "kb.serving.xinference_model_spec_not_found",
     ["deepseek-r1-distill-qwen", "ggufv2", "xinference registrations"]),
    ("RuntimeError: Failed to import AclGraphDumper from msprobe. Please install/rebuild msprobe with aclgraph_dump "
     "enabled.", "kb.serving.optional_npu_package_missing", ["msprobe"]),
    ("(autoscaler +30s) Warning: The following resource request cannot be scheduled right now: {'CPU': 1.0, "
     "'NPU': 2.0}. This is likely due to all cluster resources being claimed by actors.",
     "kb.serving.ray_devices_short", ["ray status", "NPU"]),
    ("ValueError: No available memory for the cache blocks. The KV cache gets what is left after the model and its "
     "activations within `gpu_memory_utilization`=0.9; increase it or decrease `max_model_len` or `max_num_seqs`. "
     "See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ for more details.",
     "kb.runtime.vllm_no_cache_blocks", ["--gpu-memory-utilization"]),
    # MindIE's model library (atb_llm)
    ("ValueError: CPU_BINDING_NUM should be an int type variable or None", "kb.serving.atb_llm_env_invalid",
     ["CPU_BINDING_NUM"]),
    ("ValueError: Master port is invalid. Please check environment MASTER_PORT.", "kb.serving.atb_llm_env_invalid",
     ["MASTER_PORT"]),
    ("ValueError: The size of file should not be greater than 10737418240, but got 21474836480. Please check the "
     "input path:/data/qwen/model-00001-of-00002.safetensors.", "kb.serving.atb_llm_file_check_refused",
     ["max_shard_size"]),
    ("ValueError: Weights have different quant type, so they cannot be packed together for calculation.",
     "kb.serving.atb_llm_quantize_mismatch", ["quant_model_description"]),
    ("ValueError: config.rope_scaling.factor must be set in config.json", "kb.serving.atb_llm_rope_scaling_unsupported",
     ["factor"]),
    ("ValueError: Tried to load weights of size torch.Size([4096, 2048]) to a parameter of size "
     "torch.Size([2048, 2048])", "kb.serving.weight_shape_mismatch", ["4096, 2048", "2048, 2048"]),
    ("ValueError: Weight key model.layers.0.mlp.down_proj.weight is not found in quantization descriptions extacted "
     "from one of ['quant_model_description.json'].", "kb.serving.atb_llm_quantize_mismatch", ["quantize"]),
    ("PermissionError: File permissions are too permissive for file: /data/ms/config.json. Current permission 0o777 "
     "exceeds the expected permission 0o640.", "kb.serving.mindie_file_check_failed", ["chmod 640"]),
    # MindIE's codes by kind: the last two digits
    ("[2025-06-01 10:00:00.123] [3456] [281473][endpoint][ERROR] [MIE04E020101]", "kb.serving.mindie_server_init_code",
     ["MIE04E020101", "endpoint"]),
    ("[2025-06-01 10:00:00.123] [3456] [281473][endpoint][ERROR] [MIE04E120306]",
     "kb.serving.mindie_server_transfer_code", ["MIE04E120306"]),
    ("[2025-06-01 10:00:00.123] [778] [281473][ms_coordinator][ERROR] [MIE03E200108]",
     "kb.serving.mindie_motor_link_code", ["coordinator"]),
    ("(EngineCore_DP0 pid=4411) ERROR 12-01 10:00:00 [mooncake_layerwise_connector.py:1040] Access metaserver fail. "
     "error=ConnectError('[Errno 111] Connection refused').", "kb.serving.pd_metaserver_unreachable",
     ["proxy", "no_proxy"]),
    ("(EngineCore_DP0 pid=4411) ERROR 12-01 10:00:00 [memcache_backend.py:90] Configuration loading failed. "
     "error=missing ock.mmc.meta_service_url. Check memcache config and environment.",
     "kb.serving.memcache_store_init_failed", ["MMC_LOCAL_CONFIG_PATH"]),
    ("ValueError: The file '/usr/local/Ascend/ascend-toolkit/latest/aarch64-linux/data/platform_config/Ascend910.ini' "
     "is not found, please check your SOC_VERSION", "kb.serving.lmcache_ascend_build_setup", ["SOC_VERSION"]),
    ("RuntimeError: Failed to retrieve device UUID from npu-smi.", "kb.serving.lmcache_device_uuid_unseen",
     ["npu-smi"]),
    ("TimeoutError: Timed out waiting for handshake thread to start accept()", "kb.serving.lmcache_p2p_channel_failed",
     ["peer_init_url"]),
    # vLLM wordings that lived through many releases, joined to their rules
    ("ValueError: Found unknown quantization='mxfp4' in config", "kb.serving.quantization_unknown", ["mxfp4"]),
    ("ValueError: The Transformers implementation of Qwen3NextForCausalLM is not compatible with vLLM.",
     "kb.serving.architecture_unsupported", ["Qwen3NextForCausalLM"]),
    ("RuntimeError: Cannot find any safetensors model weights with `/data/models/qwen`", "kb.serving.no_model_weights",
     ["/data/models/qwen"]),
    ("ValueError: Unknown load_format: ms", "kb.serving.flag_value_unknown", ["load_format", "--load-format"]),
    # SGLang wordings that lived from 0.4 to now, joined to their rules
    ("RuntimeError: No model weights found in: `/data/models/qwen`", "kb.serving.no_model_weights", ["/data/models/qwen"]),
    ("ValueError: Token ID 152064 is out of vocabulary (vocab size: 151936)", "kb.serving.token_id_out_of_vocab",
     ["152064"]),
    ("RuntimeError: world_size (8) is not equal to tensor_model_parallel_size (4) x pipeline_model_parallel_size (1)",
     "kb.serving.parallel_sizes_inconsistent", []),
    ("RuntimeError: Transfer thread failed because of Connection refused. Prefill instance with bootstrap_port=8998 is "
     "dead.", "kb.serving.pd_side_channel_failed", ["peer"]),
    ("ValueError: Not enough host memory for V4 paged pool kv. Requesting 200.00 GB but only have 90.00 GB free.",
     "kb.serving.sglang_hicache_host_memory_short", ["--hicache-ratio", "200.00"]),
    # older vllm-ascend releases' wordings (v0.11-v0.13), joined to their rules
    ("RuntimeError: Xlite graph mode is only compatible with block_size of 128. Please set block_size to 128.",
     "kb.serving.ascend_feature_combination_refused", ["block_size of 128"]),
    ("ValueError: Can not enable dynamic_eplb when DYNAMIC_EPLB is not set to \"true\" or \"1\".",
     "kb.serving.feature_env_switch_off", ["DYNAMIC_EPLB"]),
    ("ValueError: Invalid EPLB path", "kb.serving.eplb_config_invalid", ["expert_map_path"]),
    ("RuntimeError: Can not found rewrite for auto_map: InternLM3ForCausalLM", "kb.serving.lmdeploy_arch_unsupported",
     ["lmdeploy"]),
    ("RuntimeError: <apply_rotary_pos_emb> default and <ascend> implementation not exists.",
     "kb.serving.lmdeploy_kernel_not_on_device", ["apply_rotary_pos_emb", "ascend", "dlinfer-ascend"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words, with_fix=True)


@pytest.mark.parametrize("text, rule", [
    # Mooncake's success lines share words with its failures
    ("I1201 10:00:00.120 77 transfer_engine_impl.cpp:214] Installing Ascend transport",
     "kb.serving.mooncake_transport_install_failed"),
    ("I1201 10:00:00.120 77 transfer_metadata_plugin.cpp:440] EtcdStoragePlugin: connected to 10.0.0.1:2379",
     "kb.serving.mooncake_metadata_unreachable"),
    # a retry still in progress is not the failure
    ("(EngineCore_DP0 pid=4411) WARNING 12-01 10:00:00 [mooncake_connector.py:3887] Send failed. "
     "error=Resource temporarily unavailable, attempts_left=2.", "kb.serving.pd_side_channel_failed"),
    ("INFO 12-01 10:00:00 [ascend_config.py:1030] The expert_map is /data/eplb/expert_map.json",
     "kb.serving.eplb_config_invalid"),
    ("INFO: sgl-kernel is installed with version 0.3.1", "kb.serving.package_below_required_version"),
    # Ray pending for CPUs only is not about the accelerators
    ("(autoscaler +2m) Warning: The following resource request cannot be scheduled right now: {'CPU': 1.0}. This is "
     "likely due to all cluster resources being claimed by actors.", "kb.serving.ray_devices_short"),
    ("INFO 12-01 10:00:00 [kv_cache_utils.py:1087] GPU KV cache size: 183,424 tokens",
     "kb.runtime.vllm_no_cache_blocks"),
    ("2025-06-01 10:00:00,111 xinference.core.worker 301 INFO     Model found, name: qwen2.5-instruct",
     "kb.serving.xinference_model_spec_not_found"),
    # another framework's range check on a variable of the same name is not MindIE's
    ("ValueError: learning rate should be in the range of 0 to 1", "kb.serving.atb_llm_env_invalid"),
    ("[INFO] NPU_MEMORY_FRACTION=0.9 RESERVED_MEMORY_GB=3", "kb.serving.atb_llm_env_invalid"),
    # a configuration-check code of MindIE Server is not an initialisation code, nor a warning code a failure
    ("[2025-06-01 10:00:00.123] [3456] [281473][config][ERROR] [MIE04E030102]", "kb.serving.mindie_server_init_code"),
    ("[2025-06-01 10:00:00.123] [3456] [281473][endpoint][WARN] [MIE04W02010B]",
     "kb.serving.mindie_server_transfer_code"),
    ("[2025-06-01 10:00:00.123] [778] [281473][ms_controller][ERROR] [MIE03E100201]", "kb.serving.mindie_motor_link_code"),
    ("INFO 12-01 10:00:00 [mooncake_layerwise_connector.py:1013] Send request: 7 to proxy metaserver: "
     "http://10.0.0.1:8000/v1/metaserver", "kb.serving.pd_metaserver_unreachable"),
    ("INFO: SOC version is set to Ascend910B3", "kb.serving.lmcache_ascend_build_setup"),
    ("TimeoutError: Timed out waiting for the lock", "kb.serving.lmcache_p2p_channel_failed"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in _diagnose(tmp_path, text).findings}


def test_the_transport_failure_outranks_the_connectors_bare_return_code(tmp_path):
    """Mooncake's own line says which part failed; vllm-ascend's ret_value line after it is only its echo."""
    report = _diagnose(tmp_path, "\n".join([
        "E1201 10:00:00.355 77 ascend_allocator.cpp:205] Fabric mem mode is not supported, please upgrade Ascend "
        "HDK and CANN.",
        "(EngineCore_DP0 pid=4411) ERROR 12-01 10:00:00 [core.py:708] RuntimeError: Mooncake initialization failed "
        "with ret_value: -1",
    ]))
    assert report.root_cause.rule == "kb.serving.mooncake_fabric_mem_unsupported"
    assert report.root_cause.confidence == "confident"


def test_a_catch_all_of_the_transfer_engine_is_said_as_likely(tmp_path):
    report = _diagnose(tmp_path, "E1201 10:00:00.302 77 transfer_engine_impl.cpp:230] Failed to install Ascend "
                                 "transport")
    assert report.root_cause.rule == "kb.serving.mooncake_transport_install_failed"
    assert report.root_cause.confidence != "confident"


def test_a_rank_that_only_waited_for_the_others_is_not_the_root_cause(tmp_path):
    """SGLang's ranks that finished loading say so; the rank that failed (here out of memory) is named."""
    report = _diagnose(tmp_path, "\n".join([
        "[2025-06-01 10:00:00 TP1] RuntimeError: NPU out of memory. Tried to allocate 2.00 GiB (NPU 1; 60.96 GiB total "
        "capacity; 59.80 GiB already allocated)",
        "[2025-06-01 10:00:05 TP0] ValueError: TP rank 0 could finish the model loading, but there are other ranks "
        "that didn't finish loading. It is likely due to unexpected failures (e.g., OOM) or a slow node.",
    ]))
    assert report.root_cause is not None and report.root_cause.rule != "kb.serving.sglang_other_rank_load_failed"
    assert "kb.serving.sglang_other_rank_load_failed" in {finding.rule for finding in report.findings}
