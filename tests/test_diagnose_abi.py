"""Install, ABI and version-pair families, and the multi-node launch: each rule names the pair that must match
(or the launch setting at fault) for members its fixture does not show, yields to the rule that knows a
member better, and stays quiet on look-alike lines.

Lines are written from the frameworks' own message formats (ld.so, argparse, torch.distributed's TCPStore,
CANN's error catalogue and aclnn status codes), with other libraries, symbols and values than the fixtures.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose




@pytest.mark.parametrize("line, rule, words", [
    # Symbols CANN exports, missing for a caller built against another CANN.
    ("ImportError: /usr/lib/python3.9/site-packages/torch_npu/lib/libtorch_npu.so: undefined symbol: MsprofReportApi",
     "kb.versions.cann_api_symbol", ["MsprofReportApi", "torch_npu", "CANN version"]),
    ("OSError: /opt/py/site-packages/mindspeed/ops/lib/npu_fused.so: undefined symbol: aclnnFusedThingGetWorkspaceSize",
     "kb.versions.cann_api_symbol", ["aclnnFusedThingGetWorkspaceSize"]),
    ("ImportError: apex_C.cpython-310-aarch64-linux-gnu.so: undefined symbol: HcclCommInitClusterInfoConfig",
     "kb.versions.cann_api_symbol", ["HcclCommInitClusterInfoConfig"]),
    # Driver functions: the driver is older than CANN.
    ("OSError: libascend_hal.so: undefined symbol: drvMngGetConsoleLogLevel", "kb.versions.driver_api_symbol",
     ["driver", "drvMngGetConsoleLogLevel"]),
    ("undefined symbol: dsmi_get_device_info_critical", "kb.versions.driver_api_symbol", ["driver"]),
    # Another C++ runtime symbol version, another glibc.
    ("ImportError: /usr/lib/aarch64-linux-gnu/libstdc++.so.6: version `CXXABI_1.3.13' not found "
     "(required by /opt/venv/lib/python3.11/site-packages/triton_ascend/_C/libtriton.so)",
     "kb.versions.libstdcxx_too_old", ["libstdc++", "CXXABI_1.3.13"]),
    ("/lib/aarch64-linux-gnu/libm.so.6: version `GLIBC_2.29' not found (required by ./llama-cli)",
     "kb.versions.glibc_too_old", ["glibc", "GLIBC_2.29"]),
    # The rendezvous store in its other wordings.
    ("torch.distributed.DistStoreError: Timed out after 1801 seconds waiting for clients. 1/2 clients joined.",
     "kb.launch.rendezvous_timeout", ["rendezvous"]),
    ("[rank3]: torch.distributed.DistStoreError: Socket Timeout", "kb.launch.rendezvous_timeout", ["MASTER_ADDR"]),
    # Other parsers rejecting flags.
    ("ValueError: Some specified arguments are not used by the HfArgumentParser: ['--use_mcore_models']",
     "kb.launch.arguments_not_accepted", ["--use_mcore_models", "not accepted"]),
    ("torchrun: error: unrecognized arguments: --nproc-per-node=8", "kb.launch.arguments_not_accepted",
     ["--nproc-per-node=8"]),
    # EJ0001 in the CANN 8 layout ("[PID: n] date" between the code and the message).
    ("EJ0001: [PID: 35532] 2025-08-26-04:05:21.569.071 Failed to initialize the HCCP process. Reason: Maybe the "
     "last training process is running.", "kb.launch.hccp_already_running", ["previous job", "still running"]),
    ("RuntimeError: copy_:build/CMakeFiles/torch_npu.dir/compiler_depend.ts:26 NPU function error: call "
     "aclnnInplaceCopy failed, error code is 561103", "kb.versions.aclnn_inner_nullptr", ["CANN", "driver"]),
    # The frameworks' own install checks, in their other wordings.
    ("RuntimeError: Two accelerators cannot be used at the same time in PyTorch: npu and xpu.",
     "kb.environment.two_accelerators", ["xpu"]),
    ("Exception: ASCEND_HOME_PATH : /usr/local/Ascend/ascend-toolkit/latest does not exist. Please run 'source "
     "set_env.sh' in the CANN installation path.", "kb.environment.cann_env_not_set", ["ASCEND_HOME_PATH"]),
    ("Exception: ASCEND_COMPILER_PATH : /opt/cann/compiler does not exist. Please check whether the compiler package "
     "has been installed.", "kb.environment.cann_env_not_set", ["ASCEND_COMPILER_PATH"]),
    ("ERROR: Package 'vllm-ascend' requires a different Python: 3.9.7 not in '<3.12,>=3.10'",
     "kb.environment.python_version_unsupported", ["3.9.7", "<3.12,>=3.10"]),
    ("mindspeed-llm 2.1.0 requires transformers==4.51.3, but you have transformers 4.57.1 which is incompatible.",
     "kb.versions.pip_dependency_conflict", ["mindspeed-llm 2.1.0", "transformers==4.51.3", "transformers 4.57.1"]),
    # Python and numpy newer or older than the code.
    ("AttributeError: module 'numpy' has no attribute 'bool'", "kb.versions.numpy_alias_removed", ["np.bool", "1.24"]),
    ("TypeError: unsupported operand type(s) for |: 'types.GenericAlias' and 'NoneType'",
     "kb.environment.python_too_old_for_code", ["Python is too old"]),
    ("ModuleNotFoundError: No module named 'distutils.util'", "kb.environment.distutils_removed", ["3.12"]),
    ("ImportError: numpy.core.multiarray failed to import", "kb.versions.numpy2_abi", ["NumPy 2"]),
    ("ERROR: Could not find a version that satisfies the requirement torch-npu==2.1.0.post8 (from versions: none)",
     "kb.environment.pip_no_distribution", ["pip"]),
    ("ValueError: Error initializing torch.distributed using env:// rendezvous: environment variable WORLD_SIZE "
     "expected, but not set", "kb.launch.dist_env_var_missing", ["WORLD_SIZE"]),
    # The driver and its devices.
    ("dcmi module initialize failed. ret is -8020", "kb.environment.npu_driver_unusable", ["driver"]),
    ("EL0007: [PID: 77] 2025-01-01-00:00:00.000.000 You have no permission.", "kb.environment.npu_device_access_denied",
     ["permission"]),
    ("EL0001: Device not found or invalid.", "kb.environment.npu_device_absent", ["cannot find this NPU"]),
    ("[ERROR] HCCL(3,python):2025-01-01 [adapter_hccp.cc:715][3]Get ip address failed, phyId[5]",
     "kb.launch.hccl_transport_init_failed", ["IP"]),
    ("pkg_resources.DistributionNotFound: The 'mindspore>=2.6' distribution was not found and is required by "
     "mindformers", "kb.environment.package_metadata_missing", ["mindspore>=2.6"]),
    ("ImportError: This modeling file requires the following packages that were not found in your environment: "
     "einops, timm. Run `pip install einops timm`", "kb.environment.remote_code_packages_missing", ["einops, timm"]),
    ("AttributeError: module 'transformers' has no attribute 'Qwen2_5_VLForConditionalGeneration'",
     "kb.versions.module_attribute_missing", ["transformers", "Qwen2_5_VLForConditionalGeneration"]),
    ("AttributeError: module 'torch.library' has no attribute 'register_fake'",
     "kb.versions.module_attribute_missing", ["torch", "register_fake"]),
    ("bash: ./msrun_helper: cannot execute binary file: Exec format error", "kb.environment.wrong_cpu_architecture",
     ["architecture"]),
    ("ImportError: /opt/lib/libfoo.so: wrong ELF class: ELFCLASS32", "kb.environment.wrong_cpu_architecture",
     ["architecture"]),
    ("RuntimeError: Failed to find function aclrtStreamQuery, Please upgrade CANN version.",
     "kb.versions.torch_npu_cann_function_missing", ["aclrtStreamQuery", "CANN"]),
    ("RuntimeError: Failed to find function aclprofCreateStepInfo[ERROR] 2025-01-01 (PID:1, Device:0, RankID:-1) "
     "ERR04005 PROF resource not found", "kb.versions.torch_npu_cann_function_missing", ["aclprofCreateStepInfo"]),
    ("RuntimeError: DNS resolution has failed. Please verify that the correct hostname has been specified in the "
     "'--master_address' parameter", "kb.launch.hostname_unresolved", ["host name"]),
    ("torch.distributed.DistNetworkError: The server socket has failed to listen on any local network address. "
     "port: 29500, useIpv6: false, code: -98, name: EADDRINUSE, message: address already in use",
     "kb.launch.address_in_use", ["port is already in use"]),
])
def test_another_member_of_the_family_is_named(tmp_path, line, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, line), rule, words)


@pytest.mark.parametrize("line, specific", [
    # A CANN library missing a CANN symbol: its own parts are of different releases.
    ("OSError: /usr/local/Ascend/ascend-toolkit/8.0.0/lib64/libge_runner.so: undefined symbol: rtGetSocVersion",
     "kb.versions.cann_package_symbol"),
    # CANN's own library, named without its folder, missing a CANN symbol: CANN's parts again.
    ("ImportError: libhccl.so: undefined symbol: rtStreamGetCaptureInfo", "kb.versions.cann_package_symbol"),
    # MindSpore's plug-in missing an ACL symbol: the MindSpore/CANN pair.
    ("ImportError: libmindspore_ascend.so.2: undefined symbol: aclrtGetDeviceResLimit",
     "kb.versions.mindspore_cann_symbol"),
    # A driver symbol missing from a CANN library is the driver's age, not CANN's parts.
    ("OSError: /usr/local/Ascend/ascend-toolkit/latest/lib64/libruntime.so: undefined symbol: halSqTaskSend",
     "kb.versions.driver_api_symbol"),
    # A torch symbol missing from torch_npu: the torch pair.
    ("ImportError: /x/site-packages/torch_npu/lib/libtorch_npu.so: undefined symbol: _ZN3c104impl3cow11cow_deleterEPv",
     "kb.versions.torch_npu_torch_symbol"),
])
def test_the_rule_that_knows_the_pair_wins(tmp_path, line, specific):
    report = _diagnose(tmp_path, line)
    assert report.root_cause is not None and report.root_cause.rule == specific
    assert [f.rule for f in report.findings if f.rule.startswith("kb.versions.")] == [specific]


@pytest.mark.parametrize("line, rule", [
    ("ImportError: libfoo.so: undefined symbol: rtol_default", "kb.versions.cann_api_symbol"),
    ("ImportError: libfoo.so: undefined symbol: getValue", "kb.versions.cann_api_symbol"),
    ("ImportError: libfoo.so: undefined symbol: handle_request", "kb.versions.driver_api_symbol"),
    ("[INFO] plugin 'fast_tokenizer' not found, using the Python one", "kb.versions.libstdcxx_too_old"),
    ("usage: train.py [-h] [--lr LR]", "kb.launch.arguments_not_accepted"),
    ("[INFO] TCPStore server started on 0.0.0.0:29500, waiting for clients", "kb.launch.rendezvous_timeout"),
    ("RuntimeError: call aclnnAdd failed, error code is 161002", "kb.versions.aclnn_inner_nullptr"),
    ("[INFO] step 561103 loss 1.25", "kb.versions.aclnn_inner_nullptr"),
    ("WARNING: the checkpoint folder /data/ckpt does not exist, starting from scratch", "kb.environment.cann_env_not_set"),
    ("Requirement already satisfied: torch==2.5.1 in ./site-packages (from vllm-ascend==0.9.1)",
     "kb.versions.pip_dependency_conflict"),
    ("[INFO] npu and cpu tensors are used at the same time in this step", "kb.environment.two_accelerators"),
    ("AttributeError: module 'numpy' has no attribute 'float64x'", "kb.versions.numpy_alias_removed"),
    ("TypeError: unsupported operand type(s) for |: 'int' and 'str'", "kb.environment.python_too_old_for_code"),
    ("[INFO] MASTER_ADDR expected at 10.0.0.1, not set by the user: using the default",
     "kb.launch.dist_env_var_missing"),
    ("[INFO] dcmi module initialized in 12 ms", "kb.environment.npu_driver_unusable"),
    ("[INFO] the next release will require a different python version (3.10+)",
     "kb.environment.pip_versions_need_other_python"),
    ("[WARNING] PTA(1,python):2025-01-01 GetCANNInfo.cpp:449 Failed to find function aclsysGetCANNVersion, ret: -1.",
     "kb.versions.torch_npu_cann_function_missing"),
    ("[ERROR] RUNTIME plog: module_name=EL0015, device_id=3, report only", "kb.environment.npu_device_access_denied"),
    ("[INFO] code EL00015 reserved", "kb.environment.npu_device_absent"),
])
def test_look_alike_lines_do_not_fire(tmp_path, line, rule):
    report = _diagnose(tmp_path, line)
    assert rule not in {finding.rule for finding in report.findings}


def _interpreter_with(tmp_path, dists):
    """A real second interpreter (a venv without pip) whose site-packages holds these distributions' metadata."""
    import subprocess
    import sys

    target = tmp_path / "job-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True, timeout=120)
    site = next(target.glob("lib/python*/site-packages"))
    for name, version in dists.items():
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    return str(target / "bin" / "python")


def test_the_pair_names_the_versions_of_the_job_s_interpreter(tmp_path):
    """`diagnose LOG --python PY`: the versions a fix names are the job's interpreter's, read by doctor's probe."""
    import json

    from support import run_cli

    python = _interpreter_with(tmp_path, {"torch-npu": "2.7.1.post4"})
    log = tmp_path / "job.log"
    log.write_text("ImportError: /x/torch_npu/lib/libtorch_npu.so: undefined symbol: MsprofSysCycleTime\n",
                   encoding="utf-8")
    done = run_cli("diagnose", str(log), "--python", python, "--json")
    finding = json.loads(done.stdout)["findings"][0]
    assert finding["rule"] == "kb.versions.cann_api_symbol"
    assert f"torch_npu: 2.7.1.post4 (in {python})" in finding["fix"], finding["fix"]
    # Without --python the same log names what mindpilot's own interpreter has.
    from mindpilot.validators.kb.installed import installed_version

    done = run_cli("diagnose", str(log), "--json")
    assert f"torch_npu: {installed_version('torch_npu')}," in json.loads(done.stdout)["findings"][0]["fix"]


def test_probed_versions_say_which_interpreter_lacks_a_package(tmp_path):
    from mindpilot.validators.kb.installed import probed_versions

    python = _interpreter_with(tmp_path, {"mindspore": "2.7.1"})
    versions = probed_versions(python, {"mindspore", "torch_npu", "cann"}, "zh")
    assert versions["mindspore"].startswith("2.7.1（") and python in versions["mindspore"]
    assert versions["torch_npu"] == f"{python} 中未安装"
    assert "cann" not in versions  # the toolkit is the host's: read where diagnose runs


def test_an_interpreter_that_cannot_be_probed_is_one_line_and_exit_3(tmp_path):
    from support import run_cli

    log = tmp_path / "job.log"
    log.write_text("OSError: libascend_hal.so: undefined symbol: drvMngGetConsoleLogLevel\n", encoding="utf-8")
    done = run_cli("diagnose", str(log), "--python", str(tmp_path / "no-such-python"))
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "cannot probe the interpreter" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("line", [
    "[WARNING] ME(1:2,MainProcess):2025-01-01 [_check_version.py:328] MindSpore version 2.7.1 and Ascend AI software "
    "package (Ascend Data Center Solution)version 8.0.0 does not match, the version of software package expect one of "
    "['8.3']",
    "[WARNING] ME(1:2,MainProcess):2025-01-01 [_check_version.py:346] MindSpore version 2.7.1 and \"te\" wheel package "
    "version 8.0 does not match. For details, refer to the installation guidelines",
    "Warning: CANN package version 6.3.RC1 and PyTorch version 2.0.0.rc1 do not match. Please check the README of the "
    "Ascend PyTorch repo.",
])
def test_the_frameworks_own_version_checks_are_one_warning(tmp_path, line):
    """MindSpore's and torch_npu's start-up checks of their CANN pair: a warning, never the root cause by itself."""
    report = _diagnose(tmp_path, line)
    assert [f.rule for f in report.findings] == ["kb.versions.cann_mismatch"]
    assert report.findings[0].severity.value == "warning" and report.root_cause is None


def test_a_collective_timeout_is_a_consequence_of_the_rank_that_failed_first(tmp_path):
    report = _diagnose(tmp_path, "[rank1]: RuntimeError: NPU out of memory. Tried to allocate 2.00 GiB\n"
                                 "[E ProcessGroupHCCL.cpp:913] [Rank 0] Watchdog caught collective operation timeout: "
                                 "WorkHCCL(SeqNum=7, OpType=ALLREDUCE, Timeout(ms)=1800000) ran for 1800321 "
                                 "milliseconds before timing out.")
    assert report.root_cause.rule == "kb.runtime.npu_oom_torch"
    assert "kb.launch.hccl_watchdog_timeout" in {group.rule for group in report.consequences}


@pytest.mark.parametrize("text, specific", [
    # HCCL's return code is a summary: the EJ/EI message beside it names the cause.
    ("RuntimeError: HCCL function error: hcclCommInitRootInfoConfig(numRanks, &rootInfo, rank, config, "
     "&(comm->hcclComm_)), error code is 7\nEJ0001: [PID: 9] 2025-01-01-00:00:00.000.000 Failed to initialize the "
     "HCCP process. Reason: Maybe the last training process is running.", "kb.launch.hccp_already_running"),
    # A package whose install steps a rule knows (vLLM-MindSpore's torch): that rule, not the any-package one.
    ("vllm_mindspore/__init__.py imports torch metadata\n"
     "importlib.metadata.PackageNotFoundError: No package metadata was found for torch",
     "kb.environment.vllm_ms_deps_incomplete"),
    # A name a rule knows: torch.npu is torch_npu not imported; np.float is numpy's removed alias.
    ("AttributeError: module 'torch' has no attribute 'npu'", "kb.environment.torch_npu_not_imported"),
    # torch's wrapper: the import error it chains names the pair.
    ("ImportError: /x/torch_npu/lib/libtorch_npu.so: undefined symbol: _ZN3c104impl3cow11cow_deleterEPv\n\n"
     "The above exception was the direct cause of the following exception:\n\n"
     "RuntimeError: Failed to load the backend extension: torch_npu. You can disable extension auto-loading with "
     "TORCH_DEVICE_BACKEND_AUTOLOAD=0.", "kb.versions.torch_npu_torch_symbol"),
])
def test_a_summary_line_yields_to_the_message_that_names_the_cause(tmp_path, text, specific):
    assert _diagnose(tmp_path, text).root_cause.rule == specific


def test_torch_s_auto_load_wrapper_leaves_the_chained_import_error_as_the_key_line(tmp_path):
    from mindpilot.launch.router import analyse

    log = tmp_path / "job.log"
    log.write_text("ImportError: libfoo_custom.so.9: wrong magic number in the header\n\n"
                   "The above exception was the direct cause of the following exception:\n\n"
                   "RuntimeError: Failed to load the backend extension: torch_npu. You can disable extension "
                   "auto-loading with TORCH_DEVICE_BACKEND_AUTOLOAD=0.\n", encoding="utf-8")
    report = analyse([str(log)])
    assert report.root_cause is not None and report.root_cause.line == 1
    assert report.root_cause.rule != "kb.environment.torch_backend_extension_failed"
    assert "kb.environment.torch_backend_extension_failed" in {f.rule for f in report.findings}
